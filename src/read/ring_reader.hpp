#pragma once
// Steps 2-4 of reading the ring: locate (centre, scale, rotation) -> sample soft
// cell values -> decode (code/ring.hpp). The finder circles give centre and scale,
// the cell grid gives the angle within a sector, the sync cells the rest.

#include "code/ring.hpp"
#include "read/feature_map.hpp"

#include <optional>

namespace microstamp {

struct RingPlacement {
    double centre_column = 0;  // pixels, image frame (x right, y down)
    double centre_row = 0;
    double px_per_um = 1;      // image pixels per micrometre of the reference 1.6 mm layout
    double grid_angle = 0;     // radians, counter-clockwise on the casing: where the reader's sector 0 starts
    double finder_score = 0;   // finder-circle contrast relative to the map's noise; < ~3 means no ring
    double grid_score = 0;     // how well the cell grid lines up at grid_angle
};

struct LocateOptions {
    // Plausible image pixels per reference micrometre: [low, high]. From the scan
    // spacing, the pin diameters in the catalog and, for photographs, the hint's error.
    double min_px_per_um = 0.3;
    double max_px_per_um = 1.2;
};

std::optional<RingPlacement> locate_ring(const FeatureMap& map, const LocateOptions& options);

struct RingSample {
    RingObservation observation;
    int erased_sectors = 0;          // sectors judged unreadable before decoding
    double separation = 0;           // median printed-minus-flat cell contrast, in map units
};
RingSample sample_ring(const FeatureMap& map, const RingPlacement& placement);

// Image position of a point of the reference layout (um, y up) under a placement.
cv::Point2d image_point(const RingPlacement& placement, double layout_x_um, double layout_y_um);

} // namespace microstamp
