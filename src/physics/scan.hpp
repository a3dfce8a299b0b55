#pragma once
// Scanning a struck casing, two ways:
// - a 3-D topography (x3p), like confocal and focus-variation instruments and
//   NIST's ballistics database: height noise, missing points (random dropouts and
//   slopes too steep to measure), a residual tilt of the sample;
// - a 2-D microscope photograph (8 or 16 bit): oblique or ring lighting shaded from
//   the surface normals, specular highlights, defocus blur, sensor noise, exposure
//   error, vignetting, and optionally JPEG compression.

#include "surface/image.hpp"
#include "surface/surface.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

namespace microstamp {

struct Scanner {
    double height_noise_um = 0.05;     // assumed, typical of confocal instruments at 20x
    double dropout_fraction = 0.002;   // random missing points
    double max_slope_deg = 70;         // steeper facets return no signal
    double tilt_sd_deg = 0.3;          // sample not quite level on the stage
};

enum class Lighting { oblique, ring };

struct Microscope {
    Lighting lighting = Lighting::oblique;
    double azimuth_deg = 135;          // oblique light from the upper left
    double elevation_deg = 35;
    double specular = 0.25;            // share of specular reflection (brass is shiny)
    double shininess = 30;
    double defocus_px = 0.7;           // Gaussian blur sigma
    double noise_grey = 2.0;           // sensor noise sigma, in 8-bit grey levels
    double exposure = 1.0;             // gain; 1 = well exposed
    double vignetting = 0.25;          // brightness lost at the corners
    int bits = 8;                      // 8 or 16
    int jpeg_quality = 0;              // 0 = lossless; 1..100 = JPEG round trip
};

// Height slopes of a surface (dz/dx, dz/dy, float): both scans need them, so a caller
// that makes both computes them once.
struct SurfaceSlopes {
    cv::Mat x, y;
};
SurfaceSlopes surface_slopes(const Surface& surface);

// Without the slopes: worked out a row at a time, which costs less than the two slope maps.
Surface scan_topography(const Surface& casing, const Scanner& scanner, std::uint64_t seed);
Surface scan_topography(const Surface& casing, const SurfaceSlopes& slopes, const Scanner& scanner, std::uint64_t seed);
Image photograph(const Surface& casing, const Microscope& microscope, std::uint64_t seed);
Image photograph(const Surface& casing, const SurfaceSlopes& slopes, const Microscope& microscope, std::uint64_t seed);

nlohmann::json to_json(const Scanner& scanner);
nlohmann::json to_json(const Microscope& microscope);

} // namespace microstamp
