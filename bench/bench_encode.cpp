// Encoding cost: identity -> codeword -> layout -> rendered die.
#include "code/ring.hpp"
#include "die/die.hpp"

#include <benchmark/benchmark.h>

namespace {

const microstamp::Identity& identity() {
    static const auto value = microstamp::default_catalog().identity("SIG Sauer", "P229", "58A-104233");
    return value;
}

void ring_codeword(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(microstamp::ring_codeword(identity()));
}
BENCHMARK(ring_codeword);

void ring_decode_ideal(benchmark::State& state) {
    const auto observation =
        microstamp::ideal_ring_observation(microstamp::ring_cells(microstamp::ring_codeword(identity()), {}), 5);
    for (auto _ : state) benchmark::DoNotOptimize(microstamp::decode_ring(observation));
}
BENCHMARK(ring_decode_ideal);

void layout_ring_text_gear(benchmark::State& state) {
    const auto geometry = microstamp::face_geometry(1600);
    for (auto _ : state)
        benchmark::DoNotOptimize(microstamp::layout(
            identity(), {microstamp::Design::ring, microstamp::Design::text, microstamp::Design::gear}, geometry));
}
BENCHMARK(layout_ring_text_gear);

void encode_die(benchmark::State& state) {
    microstamp::DieDesign design;
    design.designs = {microstamp::Design::ring, microstamp::Design::text, microstamp::Design::gear};
    design.spacing_um = static_cast<double>(state.range(0)) / 10.0;
    for (auto _ : state) benchmark::DoNotOptimize(microstamp::encode(identity(), design));
}
BENCHMARK(encode_die)->Arg(10)->Arg(5)->Unit(benchmark::kMillisecond);

} // namespace
