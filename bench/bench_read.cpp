// Reader cost and decode rates on simulated casings at fixed seeds. Rates are
// reported as counters (share of casings that named the right pistol, and wrong
// identities, which must stay 0); the time is per read.
#include "physics/fire.hpp"
#include "read/read.hpp"

#include "benchmark_die.hpp"

#include <benchmark/benchmark.h>
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

BENCHMARK(first_shot_x3p)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(first_shot_png)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(service_5000_x3p)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(duty40_5000_x3p)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(stone30_x3p)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(unstamped_x3p)->Iterations(1)->Unit(benchmark::kMillisecond);

} // namespace
