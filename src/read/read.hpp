#pragma once
// The reader behind one call:
//
//   Reading reading = read(read_x3p("casing.x3p").surface, ReadOptions{});
//   Reading reading = read(read_image("casing.png"), ReadOptions{.um_per_px = 2.0});
//
// feature map -> locate the ring (finder circles: centre and scale; cell grid: angle)
// -> soft cell values, unreadable sectors erased -> errors-and-erasures decode ->
// integrity check. The answer travels with its quality (as AprilTag and industrial
// direct-part-mark readers report it): unused error correction, decision margin,
// erasures, decode attempts (each a 2^-32 chance of a false identity) and geometry.

#include "code/catalog.hpp"
#include "read/design_reading.hpp"
#include "read/ring_reader.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace microstamp {

enum class ReadStatus {
    decoded,     // identity read and its integrity check passed
    partial,     // a stamp is there, its code could not be completed
    defaced,     // the code area was abraded or peened
    no_stamp,    // an impression with no code (an unstamped pin)
    unreadable,  // no impression found, or too damaged to say more
    // The firing pin and the breech face each decoded, to different pistols: a swapped
    // pin (locations.hpp). Never one identity; `Reading::locations` names both.
    locations_disagree,
};
std::string_view status_name(ReadStatus status);

// The failure of a reading asked for the other designs alone (ReadOptions::look_for_ring off)
// when none of them decoded.
inline constexpr std::string_view ring_not_sought = "the ring was not looked for; no other design decoded";

struct ReadOptions {
    // Photographs: micrometres per pixel from the microscope calibration (0 = unknown:
    // refused). Topography takes its spacing from the file.
    double um_per_px = 0;
    // The hint may be off by this share; the finder circles measure the true scale.
    double scale_tolerance = 0.3;
    // The quick look trusts the hint to this share: a microscope's calibration is good to
    // a few per cent, and the search's cost grows with the range of scales (centre votes
    // at every radius, finder contrast at every scale). A hint further off fails the quick
    // look over to the thorough read, which searches the whole `scale_tolerance`.
    double quick_look_scale_tolerance = 0.05;
    // Pin diameters the catalog allows scale the layout by this range around 1.6 mm.
    double min_pin_scale = 0.85;
    double max_pin_scale = 1.15;
    // Finder contrast (in noise units) below which no ring is taken to be present.
    double min_finder_score = 3.0;
    // With no ring: scratches running one way (coherence above this) mean abrasion; texture
    // this many times rougher than the primer around the impression means peening or
    // other damage. Below both, the pin carried no code. Measured on simulated casings
    // (docs/read.md); topography.
    double min_scratch_coherence = 0.04;
    double min_damage_texture_ratio = 1.2;
    // Neither verdict (defaced, never stamped) where more than this share of the code area,
    // or of the whole map, is unmeasured (a topography's missing points, a photograph's
    // saturated or textureless ones): what remains of an intact code, seen from one side,
    // scores as scratched and rough.
    double max_unmeasured_share = 0.2;
    // Photographs with no ring: scratches across the impression turn its shading's main
    // axis away from the one the light gives the primer around it (`scratch_coherence`
    // is that departure, in the structure tensor's double-angle plane, from the
    // impression a blank pin leaves, whose shading is `blank_photograph_coherence` times
    // as one-sided as the primer's). Firing-pin drag smears a blank impression one way
    // too (up to 0.12 on simulated dragged .40s), so only a departure above
    // `min_photograph_scratch` is called abraded; one below `max_blank_photograph_scratch`
    // with texture below `max_blank_photograph_texture_ratio` is called unstamped; the
    // rest stays unreadable (the topography tells them apart far better). Measured on
    // simulated casings (docs/read.md).
    double min_photograph_scratch = 0.13;
    double max_blank_photograph_scratch = 0.04;
    double max_blank_photograph_texture_ratio = 1.045;
    double blank_photograph_coherence = 0.82;
    // Photographs: how one-sided the light must be (feature_map.hpp, LightEstimate) for
    // the relief to be recovered from the shading before edge contrast is tried.
    double min_light_directionality = 0.15;
    // A photograph whose shading varies from one pixel to the next by more than this
    // (a standard deviation, in the shading's units) and whose ring did not decode is
    // read again from its shading averaged over a Gaussian of `smoothing_um`.
    double min_smoothing_noise = 0.1;
    double smoothing_um = 4;
    // No verdict of absence (defaced, never stamped) from a photograph whose pixel noise is
    // above this (as `min_smoothing_noise` measures it): there the noise can hide a ring's
    // finder circles (3 first-shot photographs of 200 at 75 grey levels), and the texture
    // compared inside and outside the impression is the noise's own.
    double max_noise_for_blank_verdict = 0.1;
    // Photographs finer than this (um per pixel) are averaged down to it first: a cell
    // (~27 um) still spans ten pixels, and every later step costs less.
    double working_um_per_px = 2.5;
    // A quick look first: one centre searched, no climb past the search's grid, and
    // photographs at `quick_look_um_per_px`; the thorough read runs only when it does
    // not decode (and counts its attempts). Most casings decode at the first look.
    bool quick_look = true;
    double quick_look_um_per_px = 4;
    RingReadOptions ring;
    // The other designs to look for (text, gear, Data Matrix: design_reading.hpp), read when
    // the ring did not decode; each costs tens of milliseconds. With `designs_alongside_ring`
    // they are read even when it did.
    std::vector<Design> designs = {Design::text, Design::gear, Design::datamatrix};
    bool designs_alongside_ring = false;
    // Look for the ring. Off, only `designs` are read: for a pin known to carry none (a
    // text and gear pin), whose ring read would fail at the cost of every fallback.
    bool look_for_ring = true;
    // A measured topography whose ring does not decode is read again through the drag that
    // explains its cells best (ring_drag.hpp): one fit and at most one more decode attempt.
    bool read_through_drag = true;
    // Resolves the 8-character keys of `text` and `gear` (the manufacturer's records);
    // without it a key is reported but names no pistol.
    const KeyDirectory* key_directory = nullptr;
};

// What one location of a casing (the firing pin's impression, the breech face's stamp)
// read on its own, kept in the reading that compares them (locations.hpp).
struct LocationReading {
    std::string location;                   // "firing_pin" or "breech_face"
    ReadStatus status = ReadStatus::unreadable;
    Design design = Design::ring;
    std::optional<Identity> identity;
    std::optional<PayloadFields> fields;
    double false_identity_bound = 0;
    std::string failure;
};

struct Reading {
    ReadStatus status = ReadStatus::unreadable;
    std::optional<Identity> identity;
    std::optional<PayloadFields> fields;    // what the stamp says, even if the catalog does not know it
    double confidence = 0;                  // 1 - bound on a false identity, for a decoded stamp
    double false_identity_bound = 0;        // attempts x 2^-32
    int unused_capacity = 0;                // of 33 parity symbols
    double decision_margin = 0;             // unused capacity / 33
    int errors = 0;
    int erasures = 0;
    int erased_sectors = 0;
    int attempts = 0;
    double sync_agreement = 0;
    double sync_margin = 0;
    std::optional<RingPlacement> placement;
    std::optional<RingObservation> observation;  // the soft cells as sampled, for fusion
    double rotation_deg = 0;                // of the stamp on the image, counter-clockwise
    double pin_diameter_um = 0;             // estimated from the measured scale
    double um_per_px = 0;                   // the scale actually used
    // Photographs: how one-sided the light was, and which map gave the final reading
    // ("relief" from the shading, or "edge_energy"); topography: "height".
    double light_directionality = 0;
    std::string feature;
    // Where no ring is found: texture inside the impression relative to the primer
    // around it, how much of it runs in one direction (scratches), and the share of it
    // (a disc the code's size) that was not measured.
    double texture_ratio = 0;
    double scratch_coherence = 0;
    double unmeasured_share = 0;
    std::string failure;
    // A partial ring read: what its first sectors say on their own (code/ring.hpp,
    // ring_leads), ranked, only makes and models the catalog knows; leads, not identities.
    std::vector<RingLead> leads;
    Design design = Design::ring;             // the design the status and identity come from
    std::vector<DesignReading> designs;       // what each other design's reader saw
    // Wall time of each stage the read went through, in the order run (milliseconds).
    std::vector<std::pair<std::string, double>> stage_ms;
    // Both locations of the casing, when both were read (compare_locations).
    std::vector<LocationReading> locations;
};

// `map`, when given, receives the feature map the topography was read on (the overlay
// draws it, so it is not made twice).
Reading read(const Surface& topography, const ReadOptions& options = {}, const Catalog& catalog = default_catalog(),
             FeatureMap* map = nullptr);
Reading read(const Image& photograph, const ReadOptions& options, const Catalog& catalog = default_catalog());
Reading read(const FeatureMap& map, const LocateOptions& locate, const ReadOptions& options, const Catalog& catalog);

nlohmann::json to_json(const Reading& reading);

} // namespace microstamp
