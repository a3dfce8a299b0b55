#pragma once
// Occlusions drawn on a casing's photograph as an outside image editor draws them (a wedge
// of sealant or shadow from the code's centre outwards, an opaque blot on the code), placed
// from the shot's true pose: one geometry for the robustness benchmark and the tests that
// pin its casings.

#include "die/die.hpp"
#include "physics/fire.hpp"

#include <cmath>
#include <numbers>
#include <opencv2/core.hpp>
#include <vector>

namespace microstamp::samples {

// Where the code's centre lies on a `size` photograph of `um_per_px` pixels, `along_um`
// out from it at `angle` (radians, counter-clockwise from +x, y up).
inline cv::Point2d code_point(const Shot& shot, cv::Size size, double um_per_px, double along_um = 0, double angle = 0) {
    const auto& offset = shot.truth.at("pose").at("offset_um");
    return {size.width / 2.0 + (offset[0].get<double>() + along_um * std::cos(angle)) / um_per_px,
            size.height / 2.0 - (offset[1].get<double>() + along_um * std::sin(angle)) / um_per_px};
}

// The corners of a wedge, `share` of the full turn from `start` (radians), from the code's
// centre out past the photograph's edges.
inline std::vector<cv::Point> wedge_corners(const Shot& shot, cv::Size size, double um_per_px, double share, double start) {
    const cv::Point2d centre = code_point(shot, size, um_per_px);
    std::vector<cv::Point> corners = {cv::Point(static_cast<int>(std::lround(centre.x)), static_cast<int>(std::lround(centre.y)))};
    const double reach = 2.0 * std::max(size.width, size.height);
    for (int step = 0; step <= 64; ++step) {
        const double angle = start + share * 2 * std::numbers::pi * step / 64;
        corners.emplace_back(static_cast<int>(std::lround(centre.x + reach * std::cos(angle))),
                             static_cast<int>(std::lround(centre.y - reach * std::sin(angle))));
    }
    return corners;
}

// A disc whose area is 40% of the code annulus's, centred on the annulus at `angle`.
struct Blot {
    cv::Point2d centre;
    int radius_px = 0;
};

inline Blot code_blot(const Shot& shot, cv::Size size, double um_per_px, double angle) {
    const FaceGeometry geometry;
    const double inner = geometry.ring_inner_finder_um[0], outer = geometry.ring_outer_finder_um[1];
    const double radius_um = std::sqrt(0.4 * (outer * outer - inner * inner));
    return {code_point(shot, size, um_per_px, (inner + outer) / 2, angle), static_cast<int>(std::lround(radius_um / um_per_px))};
}

} // namespace microstamp::samples
