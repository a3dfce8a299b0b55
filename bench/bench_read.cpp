// Reader cost and decode rates on simulated casings at fixed seeds. Rates are
// reported as counters (share of casings that named the right pistol, and wrong
// identities, which must stay 0); the time is per read.
#include "physics/fire.hpp"
#include "read/read.hpp"

#include "benchmark_die.hpp"

#include <benchmark/benchmark.h>
#include <cstdlib>
#include <map>
#include <opencv2/core.hpp>

namespace {

using namespace microstamp;

const Die& die() { return benchmark_die(); }

std::vector<Shot> casings(const std::string& firearm, long rounds, int count, const std::vector<Defeat>& defeats = {}) {
    std::vector<Shot> shots;
    FireOptions options;
    options.rounds = rounds;
    for (int i = 0; i < count; ++i) options.shots.push_back(rounds - count + 1 + i);
    options.seed = 20261125;
    options.defeats = defeats;
    fire(die(), load_firearm(firearm), load_ammunition("standard-small-pistol"), options,
         [&](Shot&& shot) { shots.push_back(std::move(shot)); });
    return shots;
}

void read_corpus(benchmark::State& state, const std::vector<Shot>& shots, bool photographs) {
    cv::setNumThreads(1);
    double right = 0, wrong = 0, reads = 0, defaced = 0, no_stamp = 0;
    for (auto _ : state) {
        for (const Shot& shot : shots) {
            ReadOptions options;
            options.um_per_px = 2.0;
            const Reading reading = photographs ? read(shot.photograph, options) : read(shot.topography, options);
            ++reads;
            if (reading.identity) (*reading.identity == die().identity ? right : wrong) += 1;
            defaced += reading.status == ReadStatus::defaced;
            no_stamp += reading.status == ReadStatus::no_stamp;
        }
    }
    state.counters["right"] = right / reads;
    state.counters["wrong"] = wrong;
    state.counters["defaced"] = defaced / reads;
    state.counters["no_stamp"] = no_stamp / reads;
    state.counters["reads"] = reads;
    state.SetItemsProcessed(static_cast<std::int64_t>(reads));
}

void first_shot_x3p(benchmark::State& state) { static const auto s = casings("service-9mm-striker", 40, 40); read_corpus(state, s, false); }
void first_shot_png(benchmark::State& state) { static const auto s = casings("service-9mm-striker", 40, 40); read_corpus(state, s, true); }
void duty40_5000_x3p(benchmark::State& state) { static const auto s = casings("duty-40-tilting", 5000, 40); read_corpus(state, s, false); }
void service_5000_x3p(benchmark::State& state) { static const auto s = casings("service-9mm-striker", 5000, 40); read_corpus(state, s, false); }
void stone30_x3p(benchmark::State& state) { static const auto s = casings("service-9mm-striker", 20, 20, {parse_defeat("stone:30")}); read_corpus(state, s, false); }
void unstamped_x3p(benchmark::State& state) { static const auto s = casings("service-9mm-striker", 20, 20, {parse_defeat("swap:blank")}); read_corpus(state, s, false); }

// Defacement told apart across pistols (one scratch direction and strike per seed): each
// of 4 firearms x MICROSTAMP_BENCH_PISTOLS seeds (default 25) fires one casing after
// 30 s of stone and one from an unstamped pin; both scans of each are read. Seeds from
// 8000 on, apart from those the photograph thresholds were set on (1-6, 7000-7005).
void defacement_across_pistols(benchmark::State& state) {
    cv::setNumThreads(1);
    const char* count_text = std::getenv("MICROSTAMP_BENCH_PISTOLS");
    const int pistols = count_text ? std::max(1, std::atoi(count_text)) : 25;
    std::map<std::string, double> counts;
    double casings_fired = 0;
    for (auto _ : state)
        for (const char* firearm : {"service-9mm-striker", "duty-40-tilting", "government-45", "pocket-380"})
            for (int pistol = 0; pistol < pistols; ++pistol)
                for (const char* defeat : {"stone:30", "swap:blank"}) {
                    FireOptions options;
                    options.rounds = 2;
                    options.shots = {2};
                    options.seed = 8000 + static_cast<std::uint64_t>(pistol);
                    options.defeats = {parse_defeat(defeat)};
                    fire(die(), load_firearm(firearm), load_ammunition("standard-small-pistol"), options, [&](Shot&& shot) {
                        ReadOptions photograph_options;
                        photograph_options.um_per_px = shot.photograph.um_per_px;
                        const std::string kind = std::string(defeat) == "stone:30" ? "stone30" : "unstamped";
                        for (const auto& [scan, reading] : {std::pair{"x3p", read(shot.topography)},
                                                            std::pair{"png", read(shot.photograph, photograph_options)}}) {
                            counts[kind + "_" + scan + "_" + std::string(status_name(reading.status))] += 1;
                            if (reading.identity) counts["identities"] += 1;
                        }
                        casings_fired += 1;
                    });
                }
    for (const auto& [name, count] : counts) state.counters[name] = count;
    state.counters["casings"] = casings_fired;
}

BENCHMARK(first_shot_x3p)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(first_shot_png)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(service_5000_x3p)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(duty40_5000_x3p)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(stone30_x3p)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(unstamped_x3p)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(defacement_across_pistols)->Iterations(1)->Unit(benchmark::kSecond);

} // namespace
