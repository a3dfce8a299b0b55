#pragma once
// One firing-pin strike: a worn pin face, a firearm and a cartridge -> the
// surface of the struck primer, in micrometres.
//
// The model (docs/physics.md gives every formula and which constants are assumed):
// - indentation depth from strike energy against the primer cup's flow pressure
//   (energy = work of plastic indentation: pi R H d^2 for a sphere, H A d for a flat face);
// - the crater follows the tip shape (hemispherical cap, flat or rectangular face
//   with rounded edges), centred where the tip touches, which a tilt moves;
// - engraved recesses fill with primer metal by a saturating law,
//   fill = S g / (1 + S g), where the drive S grows with strike energy, falls with
//   primer hardness (and nickel plating) and falls towards the rim of the contact
//   (contact pressure of a sphere ~ (1 - (r/a)^2)^k), and g = w / (w + b D) makes
//   narrow, deep features fill less than wide, shallow ones;
// - firing-pin drag sweeps the crater along a direction and smears the code on the
//   side it moves towards; a double strike adds a lighter, shifted second impression;
//   primer flow-back raises a lip around the crater; rimfire contact is limited to a band.

#include "physics/pin_face.hpp"
#include "physics/profiles.hpp"
#include "surface/surface.hpp"

#include <nlohmann/json.hpp>

namespace microstamp {

// The scan field: a grid centred on the primer (and so on the intended strike point).
struct CasingGrid {
    int width = 1000;
    int height = 1000;
    double spacing_um = 2.0;  // REFERENCE.md: 3-D scans at 0.5-3 um
};

// What happened on one shot; sampled from the shot's seed, recorded in truth.json.
struct StrikePose {
    double energy_mj = 0;
    double depth_um = 0;              // indentation depth
    double contact_radius_um = 0;     // hemispherical tips: radius of the contact patch
    double offset_x_um = 0;           // pin axis relative to the scan centre
    double offset_y_um = 0;
    double rotation_rad = 0;          // of the pin face in the scan frame
    double tilt_x = 0;                // tip tilt, radians about y and x
    double tilt_y = 0;
    bool drag = false;
    double drag_direction_rad = 0;    // in the scan frame
    double drag_length_um = 0;
    bool double_strike = false;
    double second_offset_x_um = 0;
    double second_offset_y_um = 0;
    double second_rotation_rad = 0;
    double second_energy_mj = 0;
    double flowback_height_um = 0;
    double flowback_direction_rad = 0;
    double rim_band_direction_rad = 0;  // rimfire: the rim band's direction
    int roughness_offset_x = 0;
    int roughness_offset_y = 0;
};

StrikePose sample_pose(const Firearm& firearm, const Ammunition& ammunition, const PhysicsConstants& constants,
                       std::uint64_t shot_seed);
nlohmann::json to_json(const StrikePose& pose);

// The pin face made ready for one kind of ammunition: relief softened by edge
// rounding and lacquer, and the per-point fillability g.
struct TransferMap {
    // CV_32FC2: the relief (um) and the fillability g (0..1) interleaved, so that one
    // warp per strike carries both.
    cv::Mat relief_and_fillability;
    double spacing_um = 1.0;
    double pin_diameter_um = 1600;
};
// `scan_spacing_um` > the face's spacing: the maps are area-averaged to it once, so
// that every strike samples them without aliasing.
TransferMap prepare_transfer(const PinFace& face, const Ammunition& ammunition, const PhysicsConstants& constants,
                             double scan_spacing_um = 0);

// The struck primer's surface (heights in um, 0 = the undisturbed primer face).
Surface strike(const TransferMap& transfer, const Firearm& firearm, const Ammunition& ammunition,
               const StrikePose& pose, const PhysicsConstants& constants, const CasingGrid& grid);

// The breech-face stamp on the case head: the same transfer law driven by chamber
// pressure against the head's hardness, reduced by excess headspace.
Surface breech_impression(const TransferMap& transfer, const Firearm& firearm, const Ammunition& ammunition,
                          const StrikePose& pose, const PhysicsConstants& constants, const CasingGrid& grid);

// Indentation depth (um) and contact radius (um) for a strike energy.
double indentation_depth_um(const Firearm& firearm, const Ammunition& ammunition, const PhysicsConstants& constants,
                            double energy_mj);

} // namespace microstamp
