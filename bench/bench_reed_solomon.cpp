// Per-call cost of Reed-Solomon encoding and errors-and-erasures decoding over
// GF(256): RS(48,15), the stamp's code, at the load points a reader meets, and
// RS(255,223) as the familiar full-length yardstick.

#include "code/galois_field.hpp"
#include "code/reed_solomon.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace {

using microstamp::gf256;
using microstamp::ReedSolomon;
using Bytes = std::vector<std::uint8_t>;

struct Workload {
    Bytes original;
    Bytes received;
    std::vector<int> erasures;
};

// A codeword of random data with `errors` silent corruptions and `erasures`
// flagged (and corrupted) positions, all distinct; fixed seed, same bytes every run.
Workload make_workload(const ReedSolomon& rs, int errors, int erasures, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int> symbol(0, 255);
    std::uniform_int_distribution<int> nonzero(1, 255);
    Bytes data(static_cast<std::size_t>(rs.data_length()));
    for (auto& s : data) {
        s = static_cast<std::uint8_t>(symbol(rng));
    }
    Workload w;
    w.original = rs.encode(data);
    w.received = w.original;
    std::vector<int> positions(static_cast<std::size_t>(rs.codeword_length()));
    std::iota(positions.begin(), positions.end(), 0);
    std::shuffle(positions.begin(), positions.end(), rng);
    for (int i = 0; i < errors + erasures; ++i) {
        const int at = positions[static_cast<std::size_t>(i)];
        w.received[static_cast<std::size_t>(at)] ^= static_cast<std::uint8_t>(nonzero(rng));
        if (i >= errors) {
            w.erasures.push_back(at);
        }
    }
    return w;
}

void run_decode(benchmark::State& state, int n, int k, int errors, int erasures) {
    const ReedSolomon rs(gf256(), n, k);
    const Workload w = make_workload(rs, errors, erasures, 0xBE7C4000ULL + static_cast<std::uint64_t>(n));
    const auto check = rs.decode(w.received, w.erasures);
    if (!check.ok || check.codeword != w.original || check.errors != errors) {
        state.SkipWithError("workload did not decode to the original codeword");
        return;
    }
    for (auto _ : state) {
        auto decoded = rs.decode(w.received, w.erasures);
        benchmark::DoNotOptimize(decoded);
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_EncodeRs48_15(benchmark::State& state) {
    const ReedSolomon rs(gf256(), 48, 15);
    std::mt19937_64 rng(0xBE7C4001ULL);
    std::uniform_int_distribution<int> symbol(0, 255);
    Bytes data(15);
    for (auto& s : data) {
        s = static_cast<std::uint8_t>(symbol(rng));
    }
    for (auto _ : state) {
        auto word = rs.encode(data);
        benchmark::DoNotOptimize(word);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeRs48_15);

void BM_DecodeRs48_15_Clean(benchmark::State& state) { run_decode(state, 48, 15, 0, 0); }
BENCHMARK(BM_DecodeRs48_15_Clean);

void BM_DecodeRs48_15_8Errors(benchmark::State& state) { run_decode(state, 48, 15, 8, 0); }
BENCHMARK(BM_DecodeRs48_15_8Errors);

void BM_DecodeRs48_15_27Erasures3Errors(benchmark::State& state) { run_decode(state, 48, 15, 3, 27); }
BENCHMARK(BM_DecodeRs48_15_27Erasures3Errors);

void BM_DecodeRs48_15_33Erasures(benchmark::State& state) { run_decode(state, 48, 15, 0, 33); }
BENCHMARK(BM_DecodeRs48_15_33Erasures);

void BM_DecodeRs255_223_16Errors(benchmark::State& state) { run_decode(state, 255, 223, 16, 0); }
BENCHMARK(BM_DecodeRs255_223_16Errors);

}  // namespace
