#include "physics/fire.hpp"

#include "code/identity.hpp"
#include "die/die_files.hpp"
#include "physics/random.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/core.h>
#include <stdexcept>

namespace microstamp {
namespace {

constexpr std::uint64_t wear_purpose = 0x3EA2;
constexpr std::uint64_t defeat_purpose = 0xDEFE;
constexpr std::uint64_t shot_purpose = 0x5407;
constexpr std::uint64_t topography_scan_purpose = 0x7090;
constexpr std::uint64_t photograph_scan_purpose = 0x9407;

long parse_round(std::string_view text, const std::string& whole) {
    long value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size())
        throw InputError(fmt::format("shots '{}': '{}' is not a round number", whole, text));
    return value;
}

// The scans the options ask for; each scan's randomness has its own seed, so leaving
// one out does not change the other.
void scan(const Surface& surface, const FireOptions& options, std::uint64_t topography_seed,
          std::uint64_t photograph_seed, Surface& topography, Image& image) {
    if (!options.topography && !options.photograph) return;
    // A topography alone takes its slopes a row at a time; the photograph needs them all.
    if (!options.photograph) {
        topography = scan_topography(surface, options.scanner, topography_seed);
        return;
    }
    const SurfaceSlopes slopes = surface_slopes(surface);
    if (options.topography) topography = scan_topography(surface, slopes, options.scanner, topography_seed);
    if (options.photograph) image = photograph(surface, slopes, options.microscope, photograph_seed);
}

nlohmann::json wear_json(const WearState& wear) {
    return {{"rounds_before_shot", wear.rounds},
            {"edge_rounding_um", wear.edge_rounding_um},
            {"face_wear_um", wear.face_wear_um},
            {"fouling_um", wear.fouling_um},
            {"chips", wear.chips}};
}

} // namespace

PinFace blank_replacement(const std::string& replacement, const PinFace& like) {
    if (replacement != "blank") throw InputError(fmt::format("cannot swap in '{}': no such replacement pin", replacement));
    return blank_face(like);
}

std::vector<long> parse_shots(const std::string& text, long rounds) {
    std::vector<long> shots;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = text.find(',', start);
        const std::string_view part = std::string_view(text).substr(start, comma == std::string::npos ? comma : comma - start);
        const auto dash = part.find('-', 1);
        const long first = parse_round(dash == std::string_view::npos ? part : part.substr(0, dash), text);
        const long last = dash == std::string_view::npos ? first : parse_round(part.substr(dash + 1), text);
        if (first < 1 || last > rounds || first > last)
            throw InputError(fmt::format("shots '{}': every shot must lie in 1..{} (the rounds fired)", text, rounds));
        if (last - first > 100000) throw InputError(fmt::format("shots '{}': more than 100,000 shots to save", text));
        for (long shot = first; shot <= last; ++shot) shots.push_back(shot);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    std::sort(shots.begin(), shots.end());
    shots.erase(std::unique(shots.begin(), shots.end()), shots.end());
    return shots;
}

PistolPin pistol_pin(const Die& die, std::uint64_t seed, const PhysicsConstants& constants) {
    PistolPin pin;
    pin.fresh = pin_face(die);
    pin.chips = chip_sites(pin.fresh, constants, derive_seed(seed, wear_purpose));
    pin.seed = seed;
    return pin;
}

void fire(const Die& die, const Firearm& firearm, const Ammunition& ammunition, const FireOptions& options,
          const std::function<void(Shot&&)>& save, const ReplacementPin& replacement,
          const std::function<void(std::size_t, std::size_t)>& progress, const PhysicsConstants& constants) {
    fire(die, pistol_pin(die, options.seed, constants), firearm, ammunition, options, save, replacement, progress,
         constants);
}

void fire(const Die& die, const PistolPin& pin, const Firearm& firearm, const Ammunition& ammunition,
          const FireOptions& options, const std::function<void(Shot&&)>& save, const ReplacementPin& replacement,
          const std::function<void(std::size_t, std::size_t)>& progress, const PhysicsConstants& constants) {
    if (pin.seed != options.seed) throw std::invalid_argument("fire: the pistol's pin was made for another seed");
    if (options.rounds < 1) throw InputError(fmt::format("rounds must be at least 1, not {}", options.rounds));
    std::vector<long> shots = options.shots.empty() ? std::vector<long>{options.rounds} : options.shots;
    for (const long shot : shots)
        if (shot < 1 || shot > options.rounds)
            throw InputError(fmt::format("shot {} is outside 1..{} (the rounds fired)", shot, options.rounds));
    std::sort(shots.begin(), shots.end());

    for (std::size_t done = 0; done < shots.size(); ++done) {
        const long number = shots[done];
        // The pin as it is when round `number` is fired: worn by the rounds before it.
        const PinFace worn = wear(pin.fresh, pin.chips, number - 1, constants);
        PinFace face = worn;
        for (std::size_t index = 0; index < options.defeats.size(); ++index) {
            const Defeat& step = options.defeats[index];
            if (step.kind == DefeatKind::swap) {
                const PinFace swapped = replacement(step.replacement, face);
                face = defeat(face, step, constants, derive_seed(options.seed, defeat_purpose, index), &swapped);
            } else {
                face = defeat(face, step, constants, derive_seed(options.seed, defeat_purpose, index));
            }
        }
        const TransferMap transfer = prepare_transfer(face, ammunition, constants, options.grid.spacing_um);
        const std::uint64_t shot_seed = derive_seed(options.seed, shot_purpose, static_cast<std::uint64_t>(number));
        const StrikePose pose = sample_pose(firearm, ammunition, constants, shot_seed);

        Shot shot;
        shot.number = number;
        shot.casing = strike(transfer, firearm, ammunition, pose, constants, options.grid);
        scan(shot.casing, options, derive_seed(shot_seed, topography_scan_purpose),
             derive_seed(shot_seed, photograph_scan_purpose), shot.topography, shot.photograph);
        if (options.breech_face) {
            // The defeats act on the pin: a swapped or filed pin leaves the breech face's
            // die as the pistol's rounds wore it, which is what the second location is for.
            const TransferMap breech_transfer =
                options.defeats.empty() ? transfer : prepare_transfer(worn, ammunition, constants, options.grid.spacing_um);
            const Surface head = breech_impression(breech_transfer, firearm, ammunition, pose, constants, options.grid);
            Surface head_topography;
            Image head_photograph;
            scan(head, options, derive_seed(shot_seed, topography_scan_purpose, 1),
                 derive_seed(shot_seed, photograph_scan_purpose, 1), head_topography, head_photograph);
            if (options.topography) shot.breech_topography = std::move(head_topography);
            if (options.photograph) shot.breech_photograph = std::move(head_photograph);
        }
        nlohmann::json defeats = nlohmann::json::array();
        for (const auto& text : face.defeats) defeats.push_back(text);
        shot.truth = {{"format", "microstamp-shot"},
                      {"format_version", 1},
                      {"identity", identity_json(die.identity)},
                      {"designs", designs_name(die.layout.designs)},
                      {"text_key", die.text_key},
                      {"shot", number},
                      {"rounds", options.rounds},
                      {"seed", options.seed},
                      {"wear", wear_json(face.wear)},
                      {"defeats", defeats},
                      {"pose", to_json(pose)},
                      {"grid", {{"width", options.grid.width}, {"height", options.grid.height}, {"spacing_um", options.grid.spacing_um}}},
                      {"scanner", to_json(options.scanner)},
                      {"microscope", to_json(options.microscope)},
                      {"firearm", to_json(firearm)},
                      {"ammunition", to_json(ammunition)},
                      {"physics_constants", constants.values},
                      {"breech_face", options.breech_face}};
        save(std::move(shot));
        if (progress) progress(done + 1, shots.size());
    }
}

} // namespace microstamp
