#pragma once
// A matrix x3p whose X or Y axis is absolute (AxisType A) stores each point's lateral
// coordinate beside its height, as profilometers and the ISO 5436-2 demonstration files
// do, instead of a spacing. Such a surface is still a grid: here its coordinates become
// the Surface's regular spacing, kept as they are where the points lie on a regular grid
// to within 1% of the spacing, and resampled onto one (linearly, between measured
// neighbours) where they do not, with a warning saying which.

#include <string>
#include <vector>

#include "surface/surface.hpp"

namespace microstamp::x3p_detail {

// Coordinates of one lateral axis, one per point (X fastest), in micrometres; NaN where
// the file gives none. Empty when the axis is incremental.
using AxisCoordinates = std::vector<double>;

// Sets the surface's spacing along each absolute axis from its coordinates, or resamples
// the heights onto a regular grid (mirrored first where the coordinates fall along the
// matrix, so that the grid runs the way incremental axes do). `name` prefixes errors.
void place_on_regular_grid(Surface& surface, AxisCoordinates x_um, AxisCoordinates y_um,
                           std::vector<std::string>& warnings, const std::string& name);

} // namespace microstamp::x3p_detail
