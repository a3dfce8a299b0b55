#include "read/feature_map.hpp"

#include "code/identity.hpp"
#include "surface/filters.hpp"

#include <cmath>
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

FeatureMap feature_map(const Image& photograph, double um_per_px, double background_um) {
    if (photograph.width <= 0 || photograph.height <= 0) throw InputError("the image is empty");
    if (!(um_per_px > 0)) throw InputError("the image scale (um per pixel) must be positive");
    FeatureMap map;
    map.um_per_px = um_per_px;
    map.kind = FeatureKind::edge_energy;
    cv::Mat grey(photograph.height, photograph.width, CV_32F);
    const float top = photograph.bits == 16 ? 65535.0f : 255.0f;
    for (int row = 0; row < photograph.height; ++row)
        for (int column = 0; column < photograph.width; ++column)
            grey.at<float>(row, column) =
                photograph.pixels[static_cast<std::size_t>(row) * static_cast<std::size_t>(photograph.width) +
                                  static_cast<std::size_t>(column)] / top;
    // Contrast relative to the neighbourhood, squared, then gathered over about a
    // third of a cell: edges inside a cell add up, flat ground does not.
    const double sigma_background = background_um / um_per_px / 2;
    cv::Mat background;
    cv::GaussianBlur(grey, background, cv::Size(), sigma_background, 0, cv::BORDER_REFLECT);
    cv::Mat detail = grey - background;
    cv::Mat energy = detail.mul(detail);
    cv::GaussianBlur(energy, energy, cv::Size(), std::max(0.7, 4.0 / um_per_px), 0, cv::BORDER_REFLECT);
    cv::sqrt(energy, map.values);
    // Saturated black or white has no texture to read: treat it as unknown.
    map.known = (grey > 0.004f) & (grey < 0.996f);
    return map;
}

} // namespace microstamp
