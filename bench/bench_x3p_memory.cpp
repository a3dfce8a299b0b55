// Memory of reading a large x3p: a 4,000 x 4,000 scan of doubles (128 MB of point data)
// read from its file, peak resident memory over the reading alone. The heights and the
// validity mask the reader returns are 1.125 times the point data; the rest is the
// container's working memory, streamed in pieces rather than inflated whole.
//
//   build/bench/bench_x3p_memory
#include "surface/x3p.hpp"

#include <benchmark/benchmark.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

using namespace microstamp;

// A field of /proc/self/status in kB (VmRSS, VmHWM).
long status_kilobytes(const std::string& field) {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
    return -1;
}

// The peak resident memory from here on: writing 5 to clear_refs resets VmHWM to VmRSS.
void reset_peak() { std::ofstream("/proc/self/clear_refs") << "5"; }

// Written once, removed at exit.
struct LargeScan {
    std::filesystem::path file =
        std::filesystem::temp_directory_path() / ("microstamp-large-" + std::to_string(::getpid()) + ".x3p");
    LargeScan() {
        // A casing-like relief: a dome with fine ripples, so that the doubles compress as
        // a real scan's do (only partly), a few points unmeasured.
        Surface surface(4000, 4000, 0.5);
        for (std::size_t y = 0; y < surface.height; ++y)
            for (std::size_t x = 0; x < surface.width; ++x) {
                const double dx = static_cast<double>(x) - 2000, dy = static_cast<double>(y) - 2000;
                surface.at(x, y) = 40 - (dx * dx + dy * dy) * 1e-5 + 0.3 * std::sin(static_cast<double>(x) * 0.37) *
                                                                     std::cos(static_cast<double>(y) * 0.23);
                if ((x * 7919 + y * 104729) % 997 == 0) surface.valid[y * surface.width + x] = 0;
            }
        write_x3p(file, surface, SurfaceMetadata{});
    }
    ~LargeScan() {
        std::error_code ignored;
        std::filesystem::remove(file, ignored);
    }
};

const std::filesystem::path& large_scan() {
    static const LargeScan scan;
    return scan.file;
}

void read_large_x3p(benchmark::State& state) {
    const std::filesystem::path& file = large_scan();
    const double point_data_mb = 4000.0 * 4000.0 * 8 / 1e6;
    double peak_mb = 0;
    for (auto _ : state) {
        state.PauseTiming();
        reset_peak();
        const long before = status_kilobytes("VmRSS");
        state.ResumeTiming();
        {
            const X3pFile scan = read_x3p(file);
            benchmark::DoNotOptimize(scan.surface.heights_um.data());
            state.PauseTiming();
            peak_mb = std::max(peak_mb, static_cast<double>(status_kilobytes("VmHWM") - before) * 1024 / 1e6);
            state.ResumeTiming();
        }
    }
    state.counters["file_MB"] = static_cast<double>(std::filesystem::file_size(file)) / 1e6;
    state.counters["point_data_MB"] = point_data_mb;
    state.counters["peak_read_MB"] = peak_mb;
    state.counters["peak_over_point_data"] = peak_mb / point_data_mb;
}

BENCHMARK(read_large_x3p)->Unit(benchmark::kMillisecond)->Iterations(3);

} // namespace
