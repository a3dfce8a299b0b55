#include "read/feature_map.hpp"

#include "code/identity.hpp"
#include "surface/filters.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <fmt/core.h>
#include <opencv2/imgproc.hpp>

namespace microstamp {
namespace {

// Gaussian blur of `values` that ignores unknown points (normalised convolution).
cv::Mat masked_blur(const cv::Mat& values, const cv::Mat& known, double sigma_px) {
    cv::Mat weight;
    known.convertTo(weight, CV_32F, 1.0 / 255.0);
    cv::Mat weighted = values.mul(weight);
    box_gaussian_blur(weighted, sigma_px);
    box_gaussian_blur(weight, sigma_px);
    cv::Mat result;
    cv::divide(weighted, cv::max(weight, 1e-6f), result);
    return result;
}

} // namespace

FeatureMap feature_map(const Surface& topography, double background_um) {
    if (topography.empty()) throw InputError("the scan is empty");
    const int width = static_cast<int>(topography.width), height = static_cast<int>(topography.height);
    FeatureMap map;
    map.um_per_px = topography.spacing_x_um;
    map.kind = FeatureKind::height;
    cv::Mat heights(height, width, CV_32F);
    map.known = cv::Mat(height, width, CV_8U);
    for (int row = 0; row < height; ++row)
        for (int column = 0; column < width; ++column) {
            const std::size_t index = static_cast<std::size_t>(row) * topography.width + static_cast<std::size_t>(column);
            const bool valid = topography.valid[index] && std::isfinite(topography.heights_um[index]);
            heights.at<float>(row, column) = valid ? static_cast<float>(topography.heights_um[index]) : 0.0f;
            map.known.at<std::uint8_t>(row, column) = valid ? 255 : 0;
        }
    // Missing points take their neighbourhood's height so they neither print nor hide a cell.
    const cv::Mat filled_in = masked_blur(heights, map.known, 2.0);
    filled_in.copyTo(heights, map.known == 0);
    map.background = masked_blur(heights, map.known, background_um / map.um_per_px);
    map.values = heights - map.background;
    return map;
}

FeatureMap shading_detail(const Image& photograph, double um_per_px, double background_um, double working_um_per_px) {
    if (photograph.width <= 0 || photograph.height <= 0) throw InputError("the image is empty");
    if (!(um_per_px > 0)) throw InputError("the image scale (um per pixel) must be positive");
    cv::Mat grey(photograph.height, photograph.width, CV_32F);
    const float top = photograph.bits == 16 ? 65535.0f : 255.0f;
    const std::uint16_t* pixels = photograph.pixels.data();
    for (int row = 0; row < photograph.height; ++row) {
        float* line = grey.ptr<float>(row);
        for (int column = 0; column < photograph.width; ++column) line[column] = *pixels++ / top;
    }
    FeatureMap map;
    map.um_per_px = um_per_px;
    map.kind = FeatureKind::shading;
    // Saturated black or white has no shading to read: treat it as unknown.
    map.known = (grey > 0.004f) & (grey < 0.996f);
    if (working_um_per_px > um_per_px * 1.25) {
        // Cells span many pixels: averaging pixels first costs nothing in what can be read.
        const double factor = um_per_px / working_um_per_px;
        const cv::Size size(std::max(16, static_cast<int>(std::lround(grey.cols * factor))),
                            std::max(16, static_cast<int>(std::lround(grey.rows * factor))));
        cv::Mat smaller, known;
        cv::resize(grey, smaller, size, 0, 0, cv::INTER_AREA);
        cv::resize(map.known, known, size, 0, 0, cv::INTER_AREA);
        grey = smaller;
        map.known = known > 128;
        map.um_per_px = um_per_px * photograph.width / size.width;
    }
    // No texture at all (an opaque blot, a paint fill) carries no shading: unknown, so
    // that what is under it is erased rather than misread.
    const double texture_sigma = 12.0 / map.um_per_px;  // wider than a cell: a flat cell top is not a blot
    cv::Mat mean = grey.clone(), square = grey.mul(grey);
    box_gaussian_blur(mean, texture_sigma);
    box_gaussian_blur(square, texture_sigma);
    const cv::Mat variance = square - mean.mul(mean);
    map.known &= variance > 2e-8f;  // flat to within a twentieth of a grey level in 256: nothing there
    cv::Mat background = grey.clone();
    box_gaussian_blur(background, background_um / map.um_per_px / 2);
    map.values = grey - background;
    return map;
}

FeatureMap feature_map(const Image& photograph, double um_per_px, double background_um) {
    return edge_energy(shading_detail(photograph, um_per_px, background_um, 0));
}

FeatureMap edge_energy(const FeatureMap& shading) {
    FeatureMap map = shading;
    const double um_per_px = shading.um_per_px;
    // Contrast relative to the neighbourhood, squared, then gathered over about a
    // third of a cell: edges inside a cell add up, flat ground does not.
    cv::Mat energy = map.values.mul(map.values);
    box_gaussian_blur(energy, std::max(0.7, 4.0 / um_per_px));
    map.values = cv::Mat();  // the copy shares the shading's pixels: write new ones
    cv::sqrt(energy, map.values);
    map.kind = FeatureKind::edge_energy;
    return map;
}

FeatureMap relief_from_shading(const FeatureMap& detail, double light_azimuth, cv::Point2d centre, double reach_um) {
    // Lambertian shading under a low light: brightness ~ -(slope towards the light), so
    // a raised cell is bright on its side towards the light and dark on the other. The
    // shading summed over `reach_um` towards the light minus the same away from it is
    // high at the middle of a raised cell and near zero at a flat one (a correlation
    // with a cell's own shading; unlike a full integral it cannot drift).
    const double degrees = light_azimuth * 180 / std::numbers::pi;
    const cv::Mat turn = cv::getRotationMatrix2D(cv::Point2f(static_cast<float>(centre.x), static_cast<float>(centre.y)), -degrees, 1.0);
    cv::Mat turned, unknown = detail.known == 0;
    cv::Mat values = detail.values.clone();
    values.setTo(0, unknown);
    cv::warpAffine(values, turned, turn, detail.values.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
    const int reach = std::max(1, static_cast<int>(std::lround(reach_um / detail.um_per_px)));
    std::vector<double> running(static_cast<std::size_t>(turned.cols) + 1);
    for (int row = 0; row < turned.rows; ++row) {
        float* line = turned.ptr<float>(row);
        for (int column = 0; column < turned.cols; ++column)
            running[static_cast<std::size_t>(column) + 1] = running[static_cast<std::size_t>(column)] + line[column];
        const auto sum = [&](int from, int to) {  // columns [from, to), clipped
            from = std::clamp(from, 0, turned.cols);
            to = std::clamp(to, 0, turned.cols);
            return running[static_cast<std::size_t>(to)] - running[static_cast<std::size_t>(from)];
        };
        for (int column = 0; column < turned.cols; ++column)
            line[column] = static_cast<float>((sum(column + 1, column + 1 + reach) - sum(column - reach, column)) / reach);
    }
    FeatureMap relief = detail;
    relief.values = cv::Mat();  // the copy shares the detail's pixels: write new ones
    cv::warpAffine(turned, relief.values, turn, detail.values.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                   cv::BORDER_CONSTANT, 0);
    // Near a large unknown area (a blot, not a speck of saturated pixels) the filter and
    // the background both see its edge: unknown too.
    const int margin = 2 * reach;
    cv::Mat spread_unknown;
    cv::morphologyEx(unknown, spread_unknown, cv::MORPH_OPEN,
                     cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * reach + 1, 2 * reach + 1)));
    cv::dilate(spread_unknown, spread_unknown, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * margin + 1, 2 * margin + 1)));
    relief.known = detail.known.clone();
    relief.known.setTo(0, spread_unknown);
    relief.kind = FeatureKind::relief;
    return relief;
}

float bilinear_sample(const cv::Mat& values, const cv::Mat& known, double column, double row) {
    const int x = static_cast<int>(std::floor(column)), y = static_cast<int>(std::floor(row));
    if (x < 0 || y < 0 || x + 1 >= values.cols || y + 1 >= values.rows) return std::nanf("");
    if (!known.at<std::uint8_t>(y, x)) return std::nanf("");
    const auto fx = static_cast<float>(column - x), fy = static_cast<float>(row - y);
    const float* top = values.ptr<float>(y) + x;
    const float* bottom = values.ptr<float>(y + 1) + x;
    return (1 - fy) * ((1 - fx) * top[0] + fx * top[1]) + fy * ((1 - fx) * bottom[0] + fx * bottom[1]);
}

TwoClasses split_two_classes(std::vector<float> values, std::size_t minimum_count) {
    std::erase_if(values, [](float value) { return !std::isfinite(value); });
    TwoClasses result;
    if (values.size() < std::max<std::size_t>(2, minimum_count)) return result;
    std::sort(values.begin(), values.end());
    double total = 0;
    for (const float value : values) total += value;
    double below = 0, best = -1;
    for (std::size_t cut = 1; cut < values.size(); ++cut) {
        below += values[cut - 1];
        const double n0 = static_cast<double>(cut), n1 = static_cast<double>(values.size() - cut);
        const double mean0 = below / n0, mean1 = (total - below) / n1;
        const double between = n0 * n1 * (mean1 - mean0) * (mean1 - mean0);
        if (between > best) {
            best = between;
            result = {(values[cut - 1] + values[cut]) / 2.0, mean0, mean1, true};
        }
    }
    return result;
}

} // namespace microstamp
