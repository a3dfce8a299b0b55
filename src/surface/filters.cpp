#include "surface/filters.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace microstamp {

void box_gaussian_blur(cv::Mat& values, double sigma_px, int border) {
    constexpr int passes = 3;
    const double variance = 12.0 * sigma_px * sigma_px / passes;
    int lower = static_cast<int>(std::floor(std::sqrt(variance + 1.0)));
    if (lower % 2 == 0) --lower;
    lower = std::max(lower, 1);
    const int upper = lower + 2;
    // How many passes use the lower width so that the variances add up to sigma^2.
    const double wanted = 12.0 * sigma_px * sigma_px;
    const int lower_passes = std::clamp(
        static_cast<int>(std::lround((wanted - passes * lower * lower - 4.0 * passes * lower - 3.0 * passes) /
                                     (-4.0 * lower - 4.0))),
        0, passes);
    for (int pass = 0; pass < passes; ++pass) {
        const int width = pass < lower_passes ? lower : upper;
        if (width == 1) continue;  // a box one pixel wide leaves every value as it is
        cv::blur(values, values, cv::Size(width, width), cv::Point(-1, -1), border);
    }
}

} // namespace microstamp
