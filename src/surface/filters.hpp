#pragma once
// Image filters shared by the stages that smooth grids (pin wear, reading).

#include <opencv2/core.hpp>

#include <array>

namespace microstamp {

// A Gaussian blur of the given sigma (pixels), approximated by three box filters whose
// widths are mixed so that the variance matches (Kovesi, "Fast almost-Gaussian
// filtering"). Its cost does not grow with sigma, unlike a true Gaussian's.
void box_gaussian_blur(cv::Mat& values, double sigma_px, int border = cv::BORDER_REFLECT);
// The widths of its passes, odd, in the order they run.
inline constexpr int box_gaussian_passes = 3;
std::array<int, box_gaussian_passes> box_gaussian_widths(double sigma_px);

} // namespace microstamp
