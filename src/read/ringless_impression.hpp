#pragma once
// What an impression shows when no ring is read in it: its texture against the primer's
// well outside the crater says abraded (scratched across one way), dented or torn (both
// defaced), or never stamped.

#include "read/design_reading.hpp"
#include "read/feature_map.hpp"
#include "read/read.hpp"
#include "read/ring_reader.hpp"

namespace microstamp {

// A topography's texture statistics around its crater, into `reading`.
void measure_blank_impression(const FeatureMap& map, Reading& reading);
// The verdict from the reading's texture statistics; `blank` allows "never stamped". None
// (unreadable, saying why, and false returned) when the map is too noisy (a photograph's
// `pixel_noise` above `max_pixel_noise`: the noise may hide a ring) or when more of the
// code area or of the map than `max_unmeasured_share` is unmeasured.
struct RinglessThresholds {
    double min_scratch_coherence = 0;
    double min_damage_texture_ratio = 0;
    double max_unmeasured_share = 0;
    double pixel_noise = 0;       // a topography's: none
    double max_pixel_noise = 1;
};
bool classify_ringless(Reading& reading, const RinglessThresholds& thresholds, bool blank);
// A photograph with no ring: its impression found by the crater on `relief`, its shading
// inside compared with the primer's outside; `shading_noise` is its `pixel_noise` (feature_map.hpp).
void classify_blank_photograph(const DesignRelief& relief, double hint, const FeatureMap& shading, double shading_noise,
                               const LocateOptions& locate, const ReadOptions& options, Reading& reading);

} // namespace microstamp
