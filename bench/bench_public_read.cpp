// The public API's read of a 1000 x 1000 topography (a casing fired at seed 7), the same
// read bench/bench_public_read.py times through the Python package: the two differ only by
// the bindings' overhead.

#include <microstamp/microstamp.hpp>

#include <benchmark/benchmark.h>

namespace {

const microstamp::api::Casing& casing() {
    static const microstamp::api::Casing fired = [] {
        const auto die = microstamp::api::encode({"Glock", "G17", "BXR123"}, {{"ring", "text"}});
        microstamp::api::FireOptions options;
        options.seed = 7;
        options.size = 1000;
        return microstamp::api::fire(die, options);
    }();
    return fired;
}

void public_read_topography(benchmark::State& state) {
    const auto view = casing().topography.view();
    for (auto _ : state) {
        const auto reading = microstamp::api::read(view);
        if (reading.status != "decoded") state.SkipWithError("the casing did not decode");
        benchmark::DoNotOptimize(reading);
    }
}
BENCHMARK(public_read_topography)->Unit(benchmark::kMillisecond)->MinTime(3);

} // namespace
