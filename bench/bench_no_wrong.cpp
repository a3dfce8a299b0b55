// No wrong identity: many reads of casings that must not name a pistol
// wrongly — worn far past service life, dragged, defaced by stone, file, emery and
// hammer for short and long times, fired with an unstamped pin — and of surfaces with
// no stamp at all (flat, tilted, noise, ../shared/x3p-samples). Each casing is read
// from its topography and its photograph. Counters: reads, wrong identities (must be
// 0), and right identities (worn casings may still read correctly).
//
// By default each read runs the ring reader alone: the dies are ring-only, and without a
// key directory the text and gear readers cannot name a pistol at all. With
// MICROSTAMP_BENCH_DESIGNS=all a failed ring read also runs the text, gear and Data
// Matrix readers, as `microstamp read` does (about ten times slower per failed read).
//
//   build/bench/bench_no_wrong                           # 100,000 reads
//   MICROSTAMP_BENCH_READS=50000 MICROSTAMP_BENCH_PART=1 build/bench/bench_no_wrong   # one half on another core
//   MICROSTAMP_BENCH_READS=3000 MICROSTAMP_BENCH_DESIGNS=all build/bench/bench_no_wrong
#include "physics/fire.hpp"
#include "read/read.hpp"
#include "surface/x3p.hpp"

#include <benchmark/benchmark.h>
#include <cstdlib>
#include <fmt/core.h>
#include <opencv2/core.hpp>
#include <random>

#include "test_locations.hpp"

namespace {

using namespace microstamp;

long environment_number(const char* name, long fallback) {
    const char* text = std::getenv(name);
    return text ? std::max(0L, std::atol(text)) : fallback;
}

ReadOptions read_options() {
    static const bool all_designs = [] {
        const char* text = std::getenv("MICROSTAMP_BENCH_DESIGNS");
        return text && std::string_view(text) == "all";
    }();
    ReadOptions options;
    if (!all_designs) options.designs.clear();
    return options;
}

struct Tally {
    double reads = 0, wrong = 0, right = 0, defaced_named = 0;
    void count(const Reading& reading, const std::optional<Identity>& truth, bool defaced = false) {
        ++reads;
        // Progress on stderr, so that a run stopped early still says how far it got.
        if (static_cast<long>(reads) % 1000 == 0)
            fmt::print(stderr, "{:.0f} reads, {:.0f} wrong, {:.0f} right\n", reads, wrong, right);
        if (!reading.identity) return;
        if (defaced) ++defaced_named;
        if (truth && *reading.identity == *truth) ++right;
        else ++wrong;
    }
};

// One batch of casings: a pistol (its own identity and seed), a wear level and a defeat.
void read_batch(std::uint64_t seed, Tally& tally) {
    static const std::vector<std::string> defeats = {"", "stone:30", "stone:10", "file:10", "file:3", "emery:60",
                                                     "hammer:15", "hammer:5", "swap:blank"};
    static const std::vector<long> rounds = {50000, 200000, 1000000};
    static const std::vector<std::string> firearms = {"service-9mm-striker", "duty-40-tilting", "pocket-380", "government-45"};
    std::mt19937_64 random(seed);
    const std::string defeat = defeats[random() % defeats.size()];
    // At least 10 rounds: the ten last are read.
    const long fired = defeat.empty() ? rounds[random() % rounds.size()] : 10 + static_cast<long>(random() % 3000);
    const std::string serial = fmt::format("NW{}", seed);
    const Identity identity = default_catalog().identity("SIG Sauer", "P320", serial);
    DieDesign design;
    design.designs = {Design::ring};
    const Die die = encode(identity, design);
    FireOptions options;
    options.rounds = fired;
    options.seed = seed;
    options.grid = {640, 640, 2.0};  // the impression and its surroundings; cheaper than 1000 x 1000
    for (long shot = fired - 9; shot <= fired; ++shot) options.shots.push_back(shot);
    if (!defeat.empty()) options.defeats = {parse_defeat(defeat)};
    fire(die, load_firearm(firearms[random() % firearms.size()]), load_ammunition("standard-small-pistol"), options,
         [&](Shot&& shot) {
             // Any identity but the pistol's own is wrong; the long defeats should name nothing.
             const bool defaced = defeat == "stone:30" || defeat == "file:10" || defeat == "hammer:15" || defeat == "emery:60";
             tally.count(read(shot.topography, read_options()), identity, defaced);
             ReadOptions photograph_options = read_options();
             photograph_options.um_per_px = shot.photograph.um_per_px;
             tally.count(read(shot.photograph, photograph_options), identity, defaced);
         });
}

// Surfaces that never carried a stamp.
void read_blank_surfaces(std::uint64_t seed, Tally& tally) {
    std::mt19937_64 random(seed);
    std::normal_distribution<double> noise(0, 0.5 + static_cast<double>(random() % 5));
    Surface surface;
    surface.width = surface.height = 400;
    surface.spacing_x_um = surface.spacing_y_um = 0.5 + static_cast<double>(random() % 5);
    surface.heights_um.resize(surface.width * surface.height);
    surface.valid.assign(surface.width * surface.height, 1);
    const double tilt_x = noise(random) * 0.01, tilt_y = noise(random) * 0.01;
    for (std::size_t row = 0; row < surface.height; ++row)
        for (std::size_t column = 0; column < surface.width; ++column)
            surface.heights_um[row * surface.width + column] =
                tilt_x * static_cast<double>(column) + tilt_y * static_cast<double>(row) + noise(random);
    tally.count(read(surface, read_options()), std::nullopt);
}

void no_wrong_identity(benchmark::State& state) {
    cv::setNumThreads(1);
    const long target = environment_number("MICROSTAMP_BENCH_READS", 100000);
    const long part = environment_number("MICROSTAMP_BENCH_PART", 0);
    Tally tally;
    for (auto _ : state) {
        for (const char* name : {"csafe-logo.x3p", "pyramid.x3p", "sample-land.x3p", "testing.x3p"}) {
            try {
                tally.count(read(read_x3p(std::string(MICROSTAMP_SHARED_DIR) + "/x3p-samples/" + name).surface, read_options()),
                            std::nullopt);
            } catch (const std::exception&) {  // a sample the reader refuses is no identity either
                ++tally.reads;
            }
        }
        for (std::uint64_t batch = 0; tally.reads < static_cast<double>(target); ++batch) {
            const std::uint64_t seed = 7'000'000 + static_cast<std::uint64_t>(part) * 1'000'000 + batch;
            if (batch % 10 == 9) {
                for (int i = 0; i < 10; ++i) read_blank_surfaces(seed * 10 + static_cast<std::uint64_t>(i), tally);
            } else {
                read_batch(seed, tally);
            }
        }
    }
    state.counters["reads"] = tally.reads;
    state.counters["wrong"] = tally.wrong;
    state.counters["right"] = tally.right;
    state.counters["defaced_named"] = tally.defaced_named;
}

BENCHMARK(no_wrong_identity)->Iterations(1)->Unit(benchmark::kSecond);

} // namespace
