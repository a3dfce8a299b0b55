// Reader speed on one core: the ring read from a 1000 x 1000 first-shot
// photograph, from the decoded image and from the PNG bytes, in the same run as
// zxing-cpp reading a Data Matrix from an image of the same size (the industrial
// direct-part-mark baseline); and from the topography of the same casing, at the default
// grid and at the coarse grid the service's load benchmark uploads. Use the medians:
//
//   build/bench/bench_read_speed --benchmark_repetitions=9 --benchmark_report_aggregates_only=true
#include "code/datamatrix.hpp"
#include "physics/fire.hpp"
#include "read/read.hpp"
#include "surface/image.hpp"

#include "stage_times.hpp"

#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <spng.h>

#include <memory>

namespace {

using namespace microstamp;

const Identity& pistol() {
    static const Identity identity = default_catalog().identity("Glock", "19", "BXRT-481");
    return identity;
}

Shot fire_first_shot(const CasingGrid& grid) {
    DieDesign design;
    design.designs = {Design::ring};
    const Die die = encode(pistol(), design);
    FireOptions options;
    options.seed = 20261125;
    options.grid = grid;
    Shot fired;
    fire(die, load_firearm("service-9mm-striker"), load_ammunition("standard-small-pistol"), options,
         [&](Shot&& saved) { fired = std::move(saved); });
    return fired;
}

// The default grid: 1000 x 1000 points 2 um apart.
const Shot& first_shot() {
    static const Shot shot = fire_first_shot(CasingGrid{});
    return shot;
}

// The coarse scan a service upload benchmark sends (bench/serve_load.sh, SCAN_SIZE=300 SCAN_SPACING=6).
const Shot& coarse_first_shot() {
    static const Shot shot = fire_first_shot(CasingGrid{300, 300, 6.0});
    return shot;
}

const std::vector<std::uint8_t>& png_bytes() {
    static const std::vector<std::uint8_t> bytes = [] {
        const Image& image = first_shot().photograph;
        cv::Mat mat(image.height, image.width, CV_8U);
        for (std::size_t i = 0; i < image.pixels.size(); ++i) mat.data[i] = static_cast<std::uint8_t>(image.pixels[i]);
        std::vector<std::uint8_t> encoded;
        cv::imencode(".png", mat, encoded);
        return encoded;
    }();
    return bytes;
}

// A printed Data Matrix of the same identity, 1000 x 1000 pixels, light ground.
const cv::Mat& datamatrix_picture() {
    static const cv::Mat picture = [] {
        const ModuleGrid grid = datamatrix_modules(datamatrix_content(pistol()));
        cv::Mat image(1000, 1000, CV_8U, cv::Scalar(230));
        const int module = 600 / std::max(grid.columns, grid.rows);
        const int left = (1000 - module * grid.columns) / 2, top = (1000 - module * grid.rows) / 2;
        for (int row = 0; row < grid.rows; ++row)
            for (int column = 0; column < grid.columns; ++column)
                if (grid.modules[static_cast<std::size_t>(row * grid.columns + column)])
                    image(cv::Rect(left + column * module, top + row * module, module, module)).setTo(25);
        return image;
    }();
    return picture;
}

void ring_from_image(benchmark::State& state) {
    cv::setNumThreads(1);
    const Image& image = first_shot().photograph;
    ReadOptions options;
    options.um_per_px = image.um_per_px;
    bool right = true;
    StageTimes stages;
    for (auto _ : state) {
        const Reading reading = read(image, options);
        right = right && reading.identity && *reading.identity == pistol();
        stages.add(reading);
    }
    state.counters["right"] = right;
    stages.report(state);
}

void ring_from_topography(benchmark::State& state, const Shot& (*shot)()) {
    cv::setNumThreads(1);
    const Surface& topography = shot().topography;
    bool right = true;
    StageTimes stages;
    for (auto _ : state) {
        const Reading reading = read(topography, ReadOptions{});
        right = right && reading.identity && *reading.identity == pistol();
        stages.add(reading);
    }
    state.counters["right"] = right;
    stages.report(state);
}

void ring_from_png_bytes(benchmark::State& state) {
    cv::setNumThreads(1);
    ReadOptions options;
    options.um_per_px = first_shot().photograph.um_per_px;
    bool right = true;
    for (auto _ : state) {
        const Image image = decode_image(png_bytes(), "casing.png");
        const Reading reading = read(image, options);
        right = right && reading.identity && *reading.identity == pistol();
    }
    state.counters["right"] = right;
}

void png_decode_only(benchmark::State& state) {
    cv::setNumThreads(1);
    for (auto _ : state) benchmark::DoNotOptimize(decode_image(png_bytes(), "casing.png"));
}

// The same PNG through OpenCV (libpng and zlib), which decode_image used before its
// grey fast path (surface/grey_png.hpp): the baseline for that path's gain.
void png_decode_opencv(benchmark::State& state) {
    cv::setNumThreads(1);
    for (auto _ : state) benchmark::DoNotOptimize(cv::imdecode(png_bytes(), cv::IMREAD_ANYDEPTH | cv::IMREAD_GRAYSCALE));
}

// The same PNG through libspng (zlib inflating as it streams), the decoder fuzzed
// upstream that could stand in for the hand-written one: measured against
// png_decode_only in the same run (README, dependencies), to the same Image.
Image decode_with_spng(const std::vector<std::uint8_t>& bytes) {
    const std::unique_ptr<spng_ctx, decltype(&spng_ctx_free)> context(spng_ctx_new(0), spng_ctx_free);
    spng_set_png_buffer(context.get(), bytes.data(), bytes.size());
    spng_ihdr header{};
    std::size_t size = 0;
    if (spng_get_ihdr(context.get(), &header) != 0 || spng_decoded_image_size(context.get(), SPNG_FMT_PNG, &size) != 0)
        throw FileError("libspng cannot read the PNG");
    std::vector<std::uint8_t> grey(size);
    if (spng_decode_image(context.get(), grey.data(), grey.size(), SPNG_FMT_PNG, 0) != 0)
        throw FileError("libspng cannot decode the PNG");
    Image image{static_cast<int>(header.width), static_cast<int>(header.height), 8, {}, 0};
    image.pixels.assign(grey.begin(), grey.end());
    return image;
}

void png_decode_spng(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(decode_with_spng(png_bytes()));
}

void zxing_datamatrix_from_image(benchmark::State& state) {
    cv::setNumThreads(1);
    const cv::Mat& picture = datamatrix_picture();
    bool right = true;
    for (auto _ : state) {
        const auto content = decode_datamatrix_image(picture.data, picture.cols, picture.rows, false);
        right = right && content && *content == datamatrix_content(pistol());
    }
    state.counters["right"] = right;
}

BENCHMARK(ring_from_image)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK_CAPTURE(ring_from_topography, 1000x1000_2um, first_shot)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK_CAPTURE(ring_from_topography, 300x300_6um, coarse_first_shot)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(ring_from_png_bytes)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(png_decode_only)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(png_decode_opencv)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(png_decode_spng)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(zxing_datamatrix_from_image)->Unit(benchmark::kMillisecond)->MinTime(2.0);

} // namespace
