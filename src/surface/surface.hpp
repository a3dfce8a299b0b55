#pragma once
// The one 2-D grid type of the pipeline: heights of a die, a casing or a scan.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace microstamp {

// Heights in micrometres on a regular grid, X fastest (row-major, row = y).
// A point may be invalid (not measured, or masked out); its height is then
// meaningless and `valid` is 0. Spacing is in micrometres, as everywhere
// inside the program; metres appear only at the x3p boundary.
struct Surface {
    std::size_t width = 0;
    std::size_t height = 0;
    double spacing_x_um = 1.0;
    double spacing_y_um = 1.0;
    std::vector<double> heights_um;  // width * height
    std::vector<std::uint8_t> valid; // width * height, 1 = measured

    Surface() = default;
    Surface(std::size_t width_, std::size_t height_, double spacing_um, double fill_um = 0.0)
        : width(width_), height(height_), spacing_x_um(spacing_um), spacing_y_um(spacing_um),
          heights_um(width_ * height_, fill_um), valid(width_ * height_, 1) {}

    double& at(std::size_t x, std::size_t y) { return heights_um[y * width + x]; }
    double at(std::size_t x, std::size_t y) const { return heights_um[y * width + x]; }
    bool is_valid(std::size_t x, std::size_t y) const { return valid[y * width + x] != 0; }
    std::size_t size() const { return width * height; }
    bool empty() const { return width == 0 || height == 0; }
};

// Descriptive metadata carried by scan files (x3p Record2 and friends).
struct SurfaceMetadata {
    std::string date;          // ISO 8601
    std::string creator;
    std::string instrument_manufacturer;
    std::string instrument_model;
    std::string instrument_serial;
    std::string instrument_version;
    std::string calibration_date;
    std::string probing_system;
    std::string comment;
};

// Summary over valid points, in micrometres.
struct SurfaceStatistics {
    std::size_t points = 0;
    std::size_t invalid_points = 0;
    double minimum_um = 0;
    double maximum_um = 0;
    double mean_um = 0;
};

SurfaceStatistics statistics(const Surface& surface);

// A user-facing error about a file or its content: the message is one line a
// user can act on.
struct FileError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

} // namespace microstamp
