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
    // A quick look (read.hpp, ReadOptions::quick_look_um_per_px) for a clean impression:
    // votes on a coarser grid, one peak of each kind, fewer centres around it, no climb
    // past the search's own grid and a coarser grid angle; the decode that follows
    // checks the placement as it checks any other.
    bool quick = false;
};

std::optional<RingPlacement> locate_ring(const FeatureMap& map, const LocateOptions& options);
// The angle within one column at which the cell grid lines up on this map (the grid
// repeats every column: the sync cells settle the phase later); `noise` is the map's
// robust spread, the unit of grid_score. `quick`: a coarser search (a quick look).
RingPlacement align_grid(const FeatureMap& map, RingPlacement placement, double noise, bool quick = false);

struct RingSample {
    RingObservation observation;
    int erased_sectors = 0;          // sectors judged unreadable before decoding
    double separation = 0;           // median printed-minus-flat cell contrast, in map units
};
RingSample sample_ring(const FeatureMap& map, const RingPlacement& placement);
// The mean map value of every cell (symbol-major, cells 0..8 within a symbol), as
// sample_ring reads them; NaN where fewer than half a cell's points are known.
std::vector<float> ring_cell_values(const FeatureMap& map, const RingPlacement& placement);

// Where the light of a photograph comes from, read off the finder circles' walls on the
// photograph's shading (feature_map.hpp `shading_detail`).
struct LightEstimate {
    double azimuth = 0;         // radians, counter-clockwise from the image's +x, y up; up to a half turn
    double directionality = 0;  // 0 (ring light, or none seen) .. 1 (one low side light)
};
LightEstimate estimate_light(const FeatureMap& shading, const RingPlacement& placement);
// Finder contrast at a placement: positive when the finder circles stand up from the map
// (a relief recovered with the light's true sign), negative when they sink.
double finder_polarity(const FeatureMap& map, const RingPlacement& placement);
// Centre, scale and grid angle sharpened on another map of the same image.
RingPlacement refine_placement(const FeatureMap& map, const RingPlacement& placement);

// The cell grid repeats every column, so align_grid knows the grid angle only up to a
// column: the sync cells tell which of the three phases is the sectors' own.
struct RingPhase {
    RingPlacement placement;
    RingSample sample;
    double sync_agreement = 0;  // code/ring.hpp ring_sync_agreement of the sample
};
RingPhase choose_phase(const FeatureMap& map, const RingPlacement& placement);

// Centre and scale climbed on how well the sync cells agree with their pattern (at the
// best phase and rotation) instead of on the finder circles. On a relief recovered from
// shading the finders' walls can pull centre and scale off together (a photograph
// located 5% large, refined to 2.6% large and 7.6 px off along the light; a worn one
// 3% large and 6-8 px off), where no cell reads right. How well the cells split into
// two classes peaks off the truth on worn photographs (the relief's level drifts around
// the ring); the sync cells' agreement does not (0.5-0.8 at the truth, 0.15-0.3 there).
RingPlacement climb_on_sync_cells(const FeatureMap& map, const RingPlacement& start);

// Image position of a point of the reference layout (um, y up) under a placement.
cv::Point2d image_point(const RingPlacement& placement, double layout_x_um, double layout_y_um);

} // namespace microstamp
