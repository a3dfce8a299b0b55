#pragma once
// A topography that has lost a wedge of its points to an occlusion the instrument sees no
// surface through (an opaque drop of sealant, dirt), as tests and benchmarks make it.

#include "physics/fire.hpp"

#include <cmath>
#include <numbers>

namespace microstamp::samples {

// The shot's topography with the points of a wedge from the impression's centre outwards,
// `share` of the full turn from `start` (radians, counter-clockwise from +x), not measured.
inline Surface without_wedge(const Shot& shot, double start, double share) {
    Surface scan = shot.topography;
    const auto& offset = shot.truth.at("pose").at("offset_um");
    const double centre_x = static_cast<double>(scan.width) / 2 + offset[0].get<double>() / scan.spacing_x_um;
    const double centre_y = static_cast<double>(scan.height) / 2 - offset[1].get<double>() / scan.spacing_y_um;
    for (std::size_t y = 0; y < scan.height; ++y)
        for (std::size_t x = 0; x < scan.width; ++x) {
            double angle = std::atan2(centre_y - static_cast<double>(y), static_cast<double>(x) - centre_x) - start;
            angle = std::fmod(angle + 4 * std::numbers::pi, 2 * std::numbers::pi);
            if (angle < share * 2 * std::numbers::pi) scan.valid[y * scan.width + x] = 0;
        }
    return scan;
}

} // namespace microstamp::samples
