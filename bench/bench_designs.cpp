// Every design's reader on simulated casings: clean first
// shots of the standard 9 mm profile, one seed per casing, and the same shots after
// 5,000 rounds of nominal wear, each read from its x3p topography and its PNG
// photograph. One die per design (SIG Sauer P320, nothing else on the face), the same
// seeds and rounds for every design. Counters: share of casings that named the right
// pistol, wrong identities (must stay 0), keys read that the directory did not hold
// (misreads the directory caught), and the median milliseconds per read, wall and CPU
// (the design reader alone: relief, crater, design; the ring: `read` with no other
// design looked for, as `microstamp read` reads a ring die).
//
//   MICROSTAMP_BENCH_CASINGS=200 build/bench/bench_designs   (200 when unset; MICROSTAMP_BENCH_VERBOSE=1 logs failures)
//
// The figures quoted in docs/read.md are for the oblique light (the default). MICROSTAMP_BENCH_LIGHTING=ring
// photographs every casing under a ring light instead (a lab may light any stamp so):
// report those apart, labelled.

#include "physics/fire.hpp"
#include "read/design_reading.hpp"
#include "read/feature_map.hpp"
#include "read/read.hpp"
#include "support/sample_dies.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdlib>
#include <map>
#include <string_view>
#include <opencv2/core.hpp>

namespace {

using namespace microstamp;

using samples::p320_die_with;

const Identity& pistol() { return samples::p320(); }
const KeyDirectory& directory() { return samples::p320_directory(); }

Lighting lighting() {
    const char* text = std::getenv("MICROSTAMP_BENCH_LIGHTING");
    return text && std::string_view(text) == "ring" ? Lighting::ring : Lighting::oblique;
}

int casings() {
    const char* text = std::getenv("MICROSTAMP_BENCH_CASINGS");
    return text ? std::max(1, std::atoi(text)) : 200;
}

struct Channel {
    double right = 0, wrong = 0, misread_keys = 0;
    std::vector<double> milliseconds, cpu_milliseconds;
};

// A read as the tally needs it, from either kind of reader.
struct Outcome {
    std::optional<Identity> identity;
    bool misread_key = false;  // a text or gear key decoded that the directory does not hold
    nlohmann::json json;       // only when failures are logged
};

Outcome outcome_of(const DesignReading& reading, bool with_json) {
    return {reading.identity,
            !reading.identity && reading.status == DesignStatus::decoded && reading.design != Design::datamatrix,
            with_json ? to_json(reading) : nlohmann::json()};
}

Outcome outcome_of(const Reading& reading, bool with_json) {
    return {reading.identity, false, with_json ? to_json(reading) : nlohmann::json()};
}

void tally(Channel& channel, const Outcome& outcome, double milliseconds, double cpu_milliseconds) {
    channel.milliseconds.push_back(milliseconds);
    channel.cpu_milliseconds.push_back(cpu_milliseconds);
    if (outcome.identity) (*outcome.identity == pistol() ? channel.right : channel.wrong) += 1;
    else if (outcome.misread_key) channel.misread_keys += 1;
}

template <typename Read>
Outcome timed(Channel& channel, Read&& read_scan) {
    // Wall time and this process's CPU time (one thread): on a shared machine the second
    // is the reader's own cost.
    const auto started = std::chrono::steady_clock::now();
    const std::clock_t cpu_started = std::clock();
    Outcome reading = read_scan();
    tally(channel, reading, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count(),
          1000.0 * static_cast<double>(std::clock() - cpu_started) / CLOCKS_PER_SEC);
    return reading;
}

double median(std::vector<double> values) {
    if (values.empty()) return 0;
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2), values.end());
    return values[values.size() / 2];
}

// Reads every casing of a corpus from both scans; `worn`: the last rounds of 5,000.
void read_corpus(benchmark::State& state, Design design, bool worn) {
    cv::setNumThreads(1);
    const int count = casings();
    const double hint = 2.0;  // the photographs' true scale; the search allows it to be 30% off
    const DesignSearch topography_search{0.85 / 2.0, 1.15 / 2.0, &default_catalog(), &directory()};
    const DesignSearch photograph_search{0.85 / (hint * 1.3), 1.15 / (hint * 0.7), &default_catalog(), &directory()};
    Channel topography, photograph;
    const bool verbose = std::getenv("MICROSTAMP_BENCH_VERBOSE") != nullptr;  // each failed read on stderr (casing = seed, or shot)
    for (auto _ : state) {
        int shot_number = 0;
        const auto read_shot = [&](Shot&& shot) {
            ++shot_number;
            ReadOptions ring_options;
            ring_options.designs.clear();
            const Outcome from_topography = timed(topography, [&] {
                if (design == Design::ring) return outcome_of(read(shot.topography, ring_options), verbose);
                return outcome_of(read_designs(design_relief(feature_map(shot.topography)), {design}, topography_search).front(),
                                  verbose);
            });
            const Outcome from_photograph = timed(photograph, [&] {
                if (design == Design::ring) {
                    ReadOptions options = ring_options;
                    options.um_per_px = hint;
                    return outcome_of(read(shot.photograph, options), verbose);
                }
                return outcome_of(read_designs(design_relief(shot.photograph, hint), {design}, photograph_search).front(), verbose);
            });
            if (verbose)
                for (const auto& [channel, reading] : {std::pair{"x3p", &from_topography}, std::pair{"png", &from_photograph}})
                    if (!(reading->identity && *reading->identity == pistol()))
                        std::fprintf(stderr, "%s %s %d: %s\n", design_name(design).data(), channel, shot_number,
                                     reading->json.dump().c_str());
        };
        if (worn) {
            FireOptions options;
            options.rounds = 5000;
            for (int shot = 0; shot < count; ++shot) options.shots.push_back(5000 - count + 1 + shot);
            options.seed = 20261125;
            options.microscope.lighting = lighting();
            fire(p320_die_with(design), load_firearm("service-9mm-striker"), load_ammunition("standard-small-pistol"), options, read_shot);
        } else {
            for (int seed = 1; seed <= count; ++seed) {
                FireOptions options;
                options.seed = static_cast<std::uint64_t>(seed);
                options.microscope.lighting = lighting();
                fire(p320_die_with(design), load_firearm("service-9mm-striker"), load_ammunition("standard-small-pistol"), options, read_shot);
            }
        }
    }
    const double total = static_cast<double>(count);
    state.counters["casings"] = total;
    state.counters["x3p_right"] = topography.right / total;
    state.counters["x3p_wrong"] = topography.wrong;
    state.counters["x3p_misread_keys"] = topography.misread_keys;
    state.counters["x3p_ms"] = median(topography.milliseconds);
    state.counters["x3p_cpu_ms"] = median(topography.cpu_milliseconds);
    state.counters["png_right"] = photograph.right / total;
    state.counters["png_wrong"] = photograph.wrong;
    state.counters["png_misread_keys"] = photograph.misread_keys;
    state.counters["png_ms"] = median(photograph.milliseconds);
    state.counters["png_cpu_ms"] = median(photograph.cpu_milliseconds);
}

void ring_first_shot(benchmark::State& state) { read_corpus(state, Design::ring, false); }
void ring_5000_rounds(benchmark::State& state) { read_corpus(state, Design::ring, true); }
void text_first_shot(benchmark::State& state) { read_corpus(state, Design::text, false); }
void gear_first_shot(benchmark::State& state) { read_corpus(state, Design::gear, false); }
void datamatrix_first_shot(benchmark::State& state) { read_corpus(state, Design::datamatrix, false); }
void text_5000_rounds(benchmark::State& state) { read_corpus(state, Design::text, true); }
void gear_5000_rounds(benchmark::State& state) { read_corpus(state, Design::gear, true); }
void datamatrix_5000_rounds(benchmark::State& state) { read_corpus(state, Design::datamatrix, true); }

BENCHMARK(ring_first_shot)->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK(text_first_shot)->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK(gear_first_shot)->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK(datamatrix_first_shot)->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK(ring_5000_rounds)->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK(text_5000_rounds)->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK(gear_5000_rounds)->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK(datamatrix_5000_rounds)->Iterations(1)->Unit(benchmark::kSecond);

} // namespace
