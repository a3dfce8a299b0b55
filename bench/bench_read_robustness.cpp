// The ring reader on first-shot casings under the degradations an examiner's
// photographs suffer: each casing is fired once, photographed, then
// degraded one way at a time and read. Counters: share read as the right pistol
// per condition, and wrong identities (must stay 0); the same for each casing's
// topography, whole (`x3p`) and with a 40% or 50% wedge not measured (`x3p_wedge_40`, `x3p_wedge_50`).
//
//   build/bench/bench_read_robustness                    # 200 casings (MICROSTAMP_BENCH_CASINGS to change)
//   MICROSTAMP_BENCH_CONDITIONS=gamma_2,x3p ...            # only those columns; MICROSTAMP_BENCH_VERBOSE=1 logs
//   failures, MICROSTAMP_BENCH_SAVE_FAILED=DIR writes their photographs (PNG) there,
//   MICROSTAMP_BENCH_ONLY_CASINGS=3,17 reads only those casings
// Per condition also: the share decoded by the quick look alone (`_quick`) and the
// median wall time of a read (`_median_ms`, the sum of its stages; wall, not CPU, time).
#include "physics/fire.hpp"
#include "read/read.hpp"
#include "support/sample_dies.hpp"
#include "support/photograph_occlusions.hpp"
#include "support/unmeasured_wedge.hpp"

#include <algorithm>
#include <benchmark/benchmark.h>
#include <fmt/core.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numbers>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

namespace {

using namespace microstamp;

const Die& ring_die() { return samples::glock_ring_die(); }

int casing_count() {
    const char* text = std::getenv("MICROSTAMP_BENCH_CASINGS");
    return text ? std::max(1, std::atoi(text)) : 200;
}

// MICROSTAMP_BENCH_ONLY_CASINGS=1,9,27 reads only those casings (numbered from 0, below
// MICROSTAMP_BENCH_CASINGS), to look again at a few failures.
bool casing_selected(int casing) {
    const char* only = std::getenv("MICROSTAMP_BENCH_ONLY_CASINGS");
    if (!only) return true;
    for (const char* at = only; *at;) {
        char* end = nullptr;
        const long listed = std::strtol(at, &end, 10);
        if (end == at) return false;
        if (listed == casing) return true;
        at = *end == ',' ? end + 1 : end;
    }
    return false;
}

cv::Mat as_mat(const Image& image) {
    cv::Mat mat(image.height, image.width, CV_8U);
    for (std::size_t i = 0; i < image.pixels.size(); ++i) mat.data[i] = static_cast<std::uint8_t>(image.pixels[i]);
    return mat;
}

Image as_image(const cv::Mat& mat, double um_per_px) {
    Image image{mat.cols, mat.rows, 8, std::vector<std::uint16_t>(mat.total()), um_per_px};
    for (std::size_t i = 0; i < mat.total(); ++i) image.pixels[i] = mat.data[i];
    return image;
}

struct Condition {
    std::string name;
    double hint_factor = 1;  // the scale hint given, as a share of the true scale
    std::function<cv::Mat(const cv::Mat&, const Shot&, std::mt19937&)> degrade;
};

cv::Mat identity_image(const cv::Mat& image, const Shot&, std::mt19937&) { return image.clone(); }

// A dark, opaque disc whose area is 40% of the code annulus, centred on the code at a
// random angle (ink, a burn, a smear of fouling).
cv::Mat blot(const cv::Mat& image, const Shot& shot, std::mt19937& random) {
    const double angle = std::uniform_real_distribution<double>(0, 2 * std::numbers::pi)(random);
    const samples::Blot disc = samples::code_blot(shot, image.size(), shot.photograph.um_per_px, angle);
    cv::Mat result = image.clone();
    cv::circle(result, disc.centre, disc.radius_px, cv::Scalar(20), -1, cv::LINE_AA);
    return result;
}

// A wedge from the code's centre outwards, `share` of the full turn at a random angle, filled
// with one grey level (a drop of sealant, a shadow, dirt): the finder circles lose the same
// share of their arcs as the code of its sectors.
cv::Mat wedge(const cv::Mat& image, const Shot& shot, std::mt19937& random, double share, int fill) {
    const double start = std::uniform_real_distribution<double>(0, 2 * std::numbers::pi)(random);
    cv::Mat result = image.clone();
    cv::fillPoly(result, std::vector<std::vector<cv::Point>>{samples::wedge_corners(shot, image.size(), shot.photograph.um_per_px, share, start)},
                 cv::Scalar(fill), cv::LINE_AA);
    return result;
}

cv::Mat gaussian_noise(const cv::Mat& image, std::mt19937& random, double sigma) {
    cv::Mat noisy(image.size(), CV_8U);
    std::normal_distribution<double> noise(0, sigma);
    for (std::size_t i = 0; i < image.total(); ++i)
        noisy.data[i] = static_cast<std::uint8_t>(std::clamp(image.data[i] + noise(random), 0.0, 255.0) + 0.5);
    return noisy;
}

cv::Mat gamma(const cv::Mat& image, double exponent) {
    cv::Mat table(1, 256, CV_8U);
    for (int i = 0; i < 256; ++i) table.data[i] = static_cast<std::uint8_t>(std::lround(255 * std::pow(i / 255.0, exponent)));
    cv::Mat result;
    cv::LUT(image, table, result);
    return result;
}

const std::vector<Condition>& conditions() {
    static const std::vector<Condition> all = {
        {"clean", 1, identity_image},
        {"rotated", 1,
         [](const cv::Mat& image, const Shot&, std::mt19937& random) {
             const double angle = std::uniform_real_distribution<double>(0, 360)(random);
             cv::Mat rotated;
             cv::warpAffine(image, rotated, cv::getRotationMatrix2D(cv::Point2f(static_cast<float>(image.cols) / 2, static_cast<float>(image.rows) / 2), angle, 1.0),
                            image.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT);
             return rotated;
         }},
        {"hint_plus_30", 1.3, identity_image},
        {"hint_minus_30", 0.7, identity_image},
        {"blur_sigma_2", 1,
         [](const cv::Mat& image, const Shot&, std::mt19937&) {
             cv::Mat blurred;
             cv::GaussianBlur(image, blurred, cv::Size(), 2.0);
             return blurred;
         }},
        {"noise_sigma_15", 1, [](const cv::Mat& image, const Shot&, std::mt19937& random) { return gaussian_noise(image, random, 15); }},
        {"jpeg_40", 1,
         [](const cv::Mat& image, const Shot&, std::mt19937&) {
             std::vector<std::uint8_t> bytes;
             cv::imencode(".jpg", image, bytes, {cv::IMWRITE_JPEG_QUALITY, 40});
             return cv::imdecode(bytes, cv::IMREAD_GRAYSCALE);
         }},
        {"gamma_0.5", 1, [](const cv::Mat& image, const Shot&, std::mt19937&) { return gamma(image, 0.5); }},
        {"gamma_2", 1, [](const cv::Mat& image, const Shot&, std::mt19937&) { return gamma(image, 2.0); }},
        {"blot_40_percent", 1, blot},
        // Occlusion and heavy noise, as an outside image editor makes them (after the others,
        // so that their random draws leave the conditions above unchanged).
        {"wedge_40_black", 1, [](const cv::Mat& i, const Shot& s, std::mt19937& r) { return wedge(i, s, r, 0.4, 0); }},
        {"wedge_40_white", 1, [](const cv::Mat& i, const Shot& s, std::mt19937& r) { return wedge(i, s, r, 0.4, 255); }},
        {"wedge_40_grey", 1, [](const cv::Mat& i, const Shot& s, std::mt19937& r) { return wedge(i, s, r, 0.4, 128); }},
        {"wedge_50_black", 1, [](const cv::Mat& i, const Shot& s, std::mt19937& r) { return wedge(i, s, r, 0.5, 0); }},
        {"wedge_50_white", 1, [](const cv::Mat& i, const Shot& s, std::mt19937& r) { return wedge(i, s, r, 0.5, 255); }},
        {"wedge_50_grey", 1, [](const cv::Mat& i, const Shot& s, std::mt19937& r) { return wedge(i, s, r, 0.5, 128); }},
        {"noise_sigma_50", 1, [](const cv::Mat& i, const Shot&, std::mt19937& r) { return gaussian_noise(i, r, 50); }},
        {"noise_sigma_75", 1, [](const cv::Mat& i, const Shot&, std::mt19937& r) { return gaussian_noise(i, r, 75); }},
    };
    return all;
}

// The same casings' topography (as an x3p holds it), whole and with a wedge of it not
// measured (an opaque drop of sealant or dirt that the instrument sees no surface through).
struct TopographyCondition {
    std::string name;
    double hide_share = 0;
};

const std::vector<TopographyCondition>& topography_conditions() {
    static const std::vector<TopographyCondition> all = {{"x3p", 0}, {"x3p_wedge_40", 0.4}, {"x3p_wedge_50", 0.5}};
    return all;
}

// The topography with a wedge at a random angle, `share` of the full turn, not measured.
Surface without_wedge(const Shot& shot, std::mt19937& random, double share) {
    return samples::without_wedge(shot, std::uniform_real_distribution<double>(0, 2 * std::numbers::pi)(random), share);
}

void first_shot_photographs(benchmark::State& state) {

    cv::setNumThreads(1);
    const int casings = casing_count();
    const Firearm firearm = load_firearm("service-9mm-striker");
    const Ammunition ammunition = load_ammunition("standard-small-pistol");
    std::vector<double> right(conditions().size()), wrong(conditions().size()), quick(conditions().size());
    std::vector<std::vector<double>> milliseconds(conditions().size());  // wall time of each read's stages
    double reads = 0;
    std::vector<double> topography_right(topography_conditions().size()), topography_wrong(topography_conditions().size());
    const bool verbose = std::getenv("MICROSTAMP_BENCH_VERBOSE") != nullptr;  // each failed read on stderr (2: every read)
    // MICROSTAMP_BENCH_CONDITIONS=gamma_2,blot_40_percent reads only those (every degradation
    // is still made, so each condition sees the same random draws as in a full run).
    const char* only = std::getenv("MICROSTAMP_BENCH_CONDITIONS");
    const char* save_failed = std::getenv("MICROSTAMP_BENCH_SAVE_FAILED");  // a folder for the failed photographs
    const auto selected = [&](const std::string& name) {
        if (!only) return true;
        const std::string list = std::string(",") + only + ",";
        return list.find("," + name + ",") != std::string::npos;
    };
    for (auto _ : state) {
        for (int casing = 0; casing < casings; ++casing) {
            if (!casing_selected(casing)) continue;
            state.PauseTiming();
            FireOptions options;
            options.seed = 20261125 + static_cast<std::uint64_t>(casing);
            Shot shot;
            fire(ring_die(), firearm, ammunition, options, [&](Shot&& fired) { shot = std::move(fired); });
            std::mt19937 random(static_cast<std::uint32_t>(options.seed));
            const cv::Mat clean = as_mat(shot.photograph);
            state.ResumeTiming();
            for (std::size_t index = 0; index < conditions().size(); ++index) {
                const Condition& condition = conditions()[index];
                const Image degraded = as_image(condition.degrade(clean, shot, random), shot.photograph.um_per_px);
                if (!selected(condition.name)) continue;
                ReadOptions read_options;
                read_options.um_per_px = shot.photograph.um_per_px * condition.hint_factor;
                const Reading reading = read(degraded, read_options);
                if (reading.identity) (*reading.identity == ring_die().identity ? right[index] : wrong[index]) += 1;
                // Decoded by the quick look alone: the thorough read's shading was never made.
                quick[index] += std::none_of(reading.stage_ms.begin(), reading.stage_ms.end(),
                                             [](const auto& stage) { return stage.first == "shading"; });
                double total = 0;
                for (const auto& stage : reading.stage_ms) total += stage.second;
                milliseconds[index].push_back(total);
                const bool failed = !(reading.identity && *reading.identity == ring_die().identity);
                if (verbose && (failed || std::string_view(std::getenv("MICROSTAMP_BENCH_VERBOSE")) == "2"))
                    std::fprintf(stderr, "casing %d %s: %s truth %s\n", casing, condition.name.c_str(), to_json(reading).dump().c_str(),
                                 shot.truth.at("pose").dump().c_str());
                if (verbose && std::string_view(std::getenv("MICROSTAMP_BENCH_VERBOSE")) == "2" && index == 0)
                    std::fprintf(stderr, "casing %d image %d x %d at %.4f um/px\n", casing, clean.cols, clean.rows, shot.photograph.um_per_px);
                if (save_failed && failed)
                    cv::imwrite(fmt::format("{}/casing-{:03}-{}.png", save_failed, casing, condition.name), as_mat(degraded));
            }
            for (std::size_t index = 0; index < topography_conditions().size(); ++index) {
                const TopographyCondition& condition = topography_conditions()[index];
                const Surface scan = condition.hide_share > 0 ? without_wedge(shot, random, condition.hide_share) : shot.topography;
                if (!selected(condition.name)) continue;
                const Reading reading = read(scan, ReadOptions{});
                if (reading.identity) (*reading.identity == ring_die().identity ? topography_right[index] : topography_wrong[index]) += 1;
                if (verbose && !(reading.identity && *reading.identity == ring_die().identity))
                    std::fprintf(stderr, "casing %d %s: %s truth %s\n", casing, condition.name.c_str(), to_json(reading).dump().c_str(),
                                 shot.truth.at("pose").dump().c_str());
            }
            ++reads;
        }
    }
    for (std::size_t index = 0; index < conditions().size(); ++index) {
        state.counters[conditions()[index].name] = right[index] / reads;
        state.counters[conditions()[index].name + "_wrong"] = wrong[index];
        if (milliseconds[index].empty()) continue;
        state.counters[conditions()[index].name + "_quick"] = quick[index] / reads;
        std::vector<double>& times = milliseconds[index];
        std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2), times.end());
        state.counters[conditions()[index].name + "_median_ms"] = times[times.size() / 2];
    }
    for (std::size_t index = 0; index < topography_conditions().size(); ++index) {
        state.counters[topography_conditions()[index].name] = topography_right[index] / reads;
        state.counters[topography_conditions()[index].name + "_wrong"] = topography_wrong[index];
    }
    state.counters["casings"] = reads;
}

BENCHMARK(first_shot_photographs)->Iterations(1)->Unit(benchmark::kSecond);

} // namespace
