#include "surface/x3p_axes.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

#include <fmt/core.h>

#include "surface/x3p_format.hpp"

namespace microstamp::x3p_detail {
namespace {

// How far a point may stray from its place on a regular grid, as a share of the
// spacing, for the grid to be kept as the file gives it.
constexpr double kept_deviation = 0.01;
// Resampling interpolates between two measured neighbours no further apart than this
// many spacings; a wider gap stays unmeasured rather than be invented.
constexpr double widest_bridged_gap = 2.0;

// One lateral axis walked through the matrix: `count` points along each of `lines`
// lines; point k of line l is at l * line_stride + k * along_stride.
struct AxisWalk {
    char letter;
    std::size_t count, lines, along_stride, line_stride;
    std::size_t at(std::size_t line, std::size_t k) const { return line * line_stride + k * along_stride; }
};

// Each position along the axis: the mean of the line's coordinates there; where no line
// gives one, interpolated between the nearest positions that have one.
std::vector<double> positions_along(const AxisWalk& walk, const AxisCoordinates& coordinates, const std::string& name) {
    std::vector<double> positions(walk.count, std::numeric_limits<double>::quiet_NaN());
    std::vector<std::size_t> known;
    for (std::size_t k = 0; k < walk.count; ++k) {
        long double sum = 0;
        std::size_t taken = 0;
        for (std::size_t line = 0; line < walk.lines; ++line) {
            const double value = coordinates[walk.at(line, k)];
            if (!std::isfinite(value)) continue;
            sum += value;
            ++taken;
        }
        if (taken == 0) continue;
        positions[k] = static_cast<double>(sum / static_cast<long double>(taken));
        if (std::isfinite(positions[k])) known.push_back(k);
    }
    if (known.size() < 2)
        fail(name, fmt::format("the absolute {} axis gives coordinates at fewer than two of its {} positions", walk.letter,
                               walk.count));
    for (std::size_t k = 0; k < walk.count; ++k) {
        if (std::isfinite(positions[k])) continue;
        const auto above = std::upper_bound(known.begin(), known.end(), k);
        const std::size_t a = above == known.begin() ? known[0] : (above == known.end() ? known[known.size() - 2] : *(above - 1));
        const std::size_t b = above == known.begin() ? known[1] : (above == known.end() ? known.back() : *above);
        const double fraction = (static_cast<double>(k) - static_cast<double>(a)) / (static_cast<double>(b) - static_cast<double>(a));
        positions[k] = positions[a] + fraction * (positions[b] - positions[a]);
    }
    return positions;
}

// Reverses the order of the points along the axis, in every per-point array.
void mirror(const AxisWalk& walk, Surface& surface, AxisCoordinates& x_um, AxisCoordinates& y_um) {
    for (std::size_t line = 0; line < walk.lines; ++line)
        for (std::size_t k = 0; k < walk.count / 2; ++k) {
            const std::size_t a = walk.at(line, k), b = walk.at(line, walk.count - 1 - k);
            std::swap(surface.heights_um[a], surface.heights_um[b]);
            std::swap(surface.valid[a], surface.valid[b]);
            if (!x_um.empty()) std::swap(x_um[a], x_um[b]);
            if (!y_um.empty()) std::swap(y_um[a], y_um[b]);
        }
}

// Each line's heights at first + k * step, linear between the two measured points
// around it (by the line's own coordinates), unmeasured where there are none close.
void resample(const AxisWalk& walk, Surface& surface, const AxisCoordinates& coordinates,
              const std::vector<double>& positions, double first, double step) {
    struct Sample {
        double coordinate;
        double height;
        bool valid;
    };
    std::vector<Sample> samples(walk.count);
    const double not_a_number = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t line = 0; line < walk.lines; ++line) {
        for (std::size_t k = 0; k < walk.count; ++k) {
            const std::size_t index = walk.at(line, k);
            const double coordinate = std::isfinite(coordinates[index]) ? coordinates[index] : positions[k];
            samples[k] = {coordinate, surface.heights_um[index], surface.valid[index] != 0};
        }
        std::stable_sort(samples.begin(), samples.end(),
                         [](const Sample& a, const Sample& b) { return a.coordinate < b.coordinate; });
        for (std::size_t k = 0; k < walk.count; ++k) {
            const double target = first + static_cast<double>(k) * step;
            const auto above = std::lower_bound(samples.begin(), samples.end(), target,
                                                [](const Sample& sample, double value) { return sample.coordinate < value; });
            double height = not_a_number;
            if (above != samples.end() && above->coordinate == target) {
                if (above->valid) height = above->height;
            } else if (above != samples.begin() && above != samples.end()) {
                const Sample& below = *(above - 1);
                const double gap = above->coordinate - below.coordinate;
                if (below.valid && above->valid && gap <= widest_bridged_gap * step) {
                    const double fraction = (target - below.coordinate) / gap;
                    height = below.height + fraction * (above->height - below.height);
                }
            }
            const std::size_t index = walk.at(line, k);
            surface.heights_um[index] = height;
            surface.valid[index] = std::isfinite(height) ? 1 : 0;
        }
    }
}

// Places one absolute axis; returns its spacing, or nothing when the axis has a single
// position (no spacing to read).
std::optional<double> place_axis(const AxisWalk& walk, Surface& surface, AxisCoordinates& x_um, AxisCoordinates& y_um,
                                 std::vector<std::string>& warnings, const std::string& name) {
    if (walk.count < 2) return std::nullopt;
    AxisCoordinates& coordinates = walk.letter == 'X' ? x_um : y_um;
    std::vector<double> positions = positions_along(walk, coordinates, name);
    double step = (positions.back() - positions.front()) / static_cast<double>(walk.count - 1);
    if (!std::isfinite(step) || step == 0)
        fail(name, fmt::format("the absolute {} axis's coordinates do not advance across the matrix", walk.letter));
    bool mirrored = false;
    if (step < 0) {
        mirror(walk, surface, x_um, y_um);
        std::reverse(positions.begin(), positions.end());
        step = -step;
        mirrored = true;
    }
    const double first = positions.front();
    double deviation = 0;  // the largest, as a share of the spacing
    for (std::size_t line = 0; line < walk.lines; ++line)
        for (std::size_t k = 0; k < walk.count; ++k) {
            const double coordinate = coordinates[walk.at(line, k)];
            if (!std::isfinite(coordinate)) continue;
            deviation = std::max(deviation, std::abs(coordinate - (first + static_cast<double>(k) * step)) / step);
        }
    const std::string order = mirrored ? " (its coordinates fall along the matrix, so it was mirrored to rise)" : "";
    if (deviation <= kept_deviation) {
        warnings.push_back(fmt::format("the absolute {} axis's points lie on a regular grid (largest deviation {:.2f}% "
                                       "of its spacing, within {:.0f}%): read as a grid of {:.6g} um{}",
                                       walk.letter, 100 * deviation, 100 * kept_deviation, step, order));
    } else {
        resample(walk, surface, coordinates, positions, first, step);
        warnings.push_back(fmt::format("the absolute {} axis's points stray up to {:.3g}% of its spacing from a regular "
                                       "grid (over {:.0f}%): resampled onto a grid of {:.6g} um, linearly between "
                                       "measured neighbours{}",
                                       walk.letter, 100 * deviation, 100 * kept_deviation, step, order));
    }
    return step;
}

} // namespace

void place_on_regular_grid(Surface& surface, AxisCoordinates x_um, AxisCoordinates y_um,
                           std::vector<std::string>& warnings, const std::string& name) {
    const std::size_t width = surface.width, height = surface.height;
    std::optional<double> spacing_x, spacing_y;
    if (!x_um.empty()) spacing_x = place_axis({'X', width, height, 1, width}, surface, x_um, y_um, warnings, name);
    if (!y_um.empty()) spacing_y = place_axis({'Y', height, width, width, 1}, surface, x_um, y_um, warnings, name);
    if (spacing_x) surface.spacing_x_um = *spacing_x;
    if (spacing_y) surface.spacing_y_um = *spacing_y;
    // An absolute axis one point long has no spacing of its own: it takes the other
    // axis's, or 1 um when neither has one.
    const bool x_open = !x_um.empty() && !spacing_x, y_open = !y_um.empty() && !spacing_y;
    if (x_open) surface.spacing_x_um = y_open ? 1.0 : surface.spacing_y_um;
    if (y_open) surface.spacing_y_um = surface.spacing_x_um;
}

} // namespace microstamp::x3p_detail
