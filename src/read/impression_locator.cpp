#include "read/impression_locator.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <opencv2/imgproc.hpp>

namespace microstamp {
namespace {

// The reference pin radius: the code and the crater are both well inside it.
constexpr double reference_pin_radius_um = 800;

// Topography: the crater is the smooth background's dent below the primer face. Its
// deeper half gives a first centre; a paraboloid fitted to the dent's heights gives
// the centre of the cap (robust to the code and to a tilted face); the contact edge
// is where the dent leaves the face.
Impression crater_of_topography(const DesignRelief& relief) {
    Impression impression;
    const cv::Mat& depth = relief.background;
    std::vector<float> levels;
    for (int row = 0; row < depth.rows; row += 4)
        for (int column = 0; column < depth.cols; column += 4)
            if (relief.known.at<std::uint8_t>(row, column)) levels.push_back(depth.at<float>(row, column));
    if (levels.size() < 16) return impression;
    std::sort(levels.begin(), levels.end());
    const double lowest = levels[levels.size() / 200], face = levels[levels.size() * 3 / 4];
    const double crater_depth = face - lowest;
    if (!(crater_depth > 1.0)) return impression;  // no dent of a micrometre: no firing-pin strike
    // Least squares z = a (x^2 + y^2) + b x + c y + e over the dent, in micrometres from the image centre.
    cv::Mat normal = cv::Mat::zeros(4, 4, CV_64F), right = cv::Mat::zeros(4, 1, CV_64F);
    const double inside_level = face - 0.25 * crater_depth;
    int inside = 0, dented = 0;
    for (int row = 0; row < depth.rows; row += 2)
        for (int column = 0; column < depth.cols; column += 2) {
            if (!relief.known.at<std::uint8_t>(row, column)) continue;
            const double z = depth.at<float>(row, column);
            if (z < face - 0.05 * crater_depth) ++dented;
            if (z > inside_level) continue;
            const double x = (column - depth.cols / 2.0) * relief.um_per_px, y = (row - depth.rows / 2.0) * relief.um_per_px;
            const double terms[4] = {x * x + y * y, x, y, 1};
            for (int i = 0; i < 4; ++i) {
                right.at<double>(i) += terms[i] * z;
                for (int j = 0; j < 4; ++j) normal.at<double>(i, j) += terms[i] * terms[j];
            }
            ++inside;
        }
    if (inside < 50) return impression;
    cv::Mat fit;
    if (!cv::solve(normal, right, fit, cv::DECOMP_CHOLESKY) || !(fit.at<double>(0) > 0)) return impression;
    const double a = fit.at<double>(0);
    impression.centre_column = -fit.at<double>(1) / (2 * a) / relief.um_per_px + depth.cols / 2.0;
    impression.centre_row = -fit.at<double>(2) / (2 * a) / relief.um_per_px + depth.rows / 2.0;
    // Sampled every other point: four image points per count.
    impression.radius_px = std::sqrt(4.0 * dented / std::numbers::pi);
    impression.found = impression.centre_column >= 0 && impression.centre_column < depth.cols &&
                       impression.centre_row >= 0 && impression.centre_row < depth.rows;
    return impression;
}

// Photographs: the crater's rim is the strongest circle of the picture (shaded
// wall against the flat primer face): a circle Hough transform on a coarse copy,
// over the radii a firing-pin crater can have at the hinted scale.
Impression crater_of_photograph(const DesignRelief& relief, const DesignSearch& search) {
    Impression impression;
    if (relief.photograph.empty()) return impression;
    // About 6 um per pixel: the rim is tens of micrometres wide, the vote cheap.
    const double shrink = std::min(1.0, relief.um_per_px / 6.0);
    cv::Mat grey;
    cv::resize(relief.photograph, grey, cv::Size(), shrink, shrink, cv::INTER_AREA);
    grey.convertTo(grey, CV_8U, 255);
    cv::GaussianBlur(grey, grey, cv::Size(), 1.5);
    // Contact radii from a light strike to a deep one on the largest pin, at the scale's extremes.
    const double smallest_um = 0.35 * reference_pin_radius_um, largest_um = 1.1 * reference_pin_radius_um;
    const int min_radius = static_cast<int>(smallest_um * search.min_px_per_um * shrink);
    const int max_radius = static_cast<int>(std::ceil(largest_um * search.max_px_per_um * shrink));
    std::vector<cv::Vec3f> circles;
    cv::HoughCircles(grey, circles, cv::HOUGH_GRADIENT, 1, grey.cols, 60, 20, std::max(4, min_radius), max_radius);
    if (circles.empty()) return impression;
    impression.centre_column = circles[0][0] / shrink;
    impression.centre_row = circles[0][1] / shrink;
    impression.radius_px = circles[0][2] / shrink;
    impression.found = true;
    return impression;
}

} // namespace

Impression locate_impression(const DesignRelief& relief, const DesignSearch& search) {
    if (relief.values.empty()) return {};
    if (!relief.background.empty()) {
        const Impression crater = crater_of_topography(relief);
        if (crater.found) return crater;
    }
    return crater_of_photograph(relief, search);
}

} // namespace microstamp
