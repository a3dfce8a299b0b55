#pragma once
// Where a reader benchmark's time goes: each stage's mean wall time per read
// (Reading::stage_ms), reported as counters named after the stages.

#include "read/read.hpp"

#include <benchmark/benchmark.h>
#include <map>
#include <string>

namespace microstamp {

class StageTimes {
public:
    void add(const Reading& reading) {
        for (const auto& [stage, milliseconds] : reading.stage_ms) total_ms_[stage] += milliseconds;
    }
    void report(benchmark::State& state) const {
        for (const auto& [stage, milliseconds] : total_ms_)
            state.counters[stage + "_ms"] = milliseconds / static_cast<double>(state.iterations());
    }

private:
    std::map<std::string, double> total_ms_;
};

} // namespace microstamp
