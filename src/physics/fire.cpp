#include "physics/fire.hpp"

#include "code/identity.hpp"
#include "die/die_files.hpp"
#include "physics/random.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/core.h>

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

void fire(const Die& die, const Firearm& firearm, const Ammunition& ammunition, const FireOptions& options,
          const std::function<void(Shot&&)>& save, const ReplacementPin& replacement,
          const std::function<void(std::size_t, std::size_t)>& progress, const PhysicsConstants& constants) {
    if (options.rounds < 1) throw InputError(fmt::format("rounds must be at least 1, not {}", options.rounds));
    std::vector<long> shots = options.shots.empty() ? std::vector<long>{options.rounds} : options.shots;
    for (const long shot : shots)
        if (shot < 1 || shot > options.rounds)
            throw InputError(fmt::format("shot {} is outside 1..{} (the rounds fired)", shot, options.rounds));
    std::sort(shots.begin(), shots.end());

    const PinFace fresh = pin_face(die);
    for (std::size_t done = 0; done < shots.size(); ++done) {
        const long number = shots[done];
        // The pin as it is when round `number` is fired: worn by the rounds before it.
        PinFace face = wear(fresh, number - 1, constants, derive_seed(options.seed, wear_purpose));
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
        const SurfaceSlopes slopes = surface_slopes(shot.casing);
        shot.topography = scan_topography(shot.casing, slopes, options.scanner, derive_seed(shot_seed, topography_scan_purpose));
        shot.photograph = photograph(shot.casing, slopes, options.microscope, derive_seed(shot_seed, photograph_scan_purpose));
        if (options.breech_face) {
            const Surface head = breech_impression(transfer, firearm, ammunition, pose, constants, options.grid);
            shot.breech_topography = scan_topography(head, options.scanner, derive_seed(shot_seed, topography_scan_purpose, 1));
            shot.breech_photograph = photograph(head, options.microscope, derive_seed(shot_seed, photograph_scan_purpose, 1));
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
