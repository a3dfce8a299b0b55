#pragma once
// Reading the designs other than the ring (`text`, `gear`, `datamatrix`): what they
// share. Each reader is locate -> sample -> decode on a relief map (printed metal
// positive, or of unknown sign for a photograph), starting from the located
// firing-pin impression, and returns a DesignReading: the code as read, its quality
// and the pose at which it was read.
//
//   DesignRelief relief = design_relief(topography_map);       // or design_relief(photograph, hint)
//   Impression impression = locate_impression(relief);         // impression_locator.hpp
//   DesignReading text = read_text(relief, impression, search); // text_reader.hpp, gear_, datamatrix_
//   std::vector<DesignReading> all = read_designs(relief, {Design::text, Design::gear}, search);

#include "code/catalog.hpp"
#include "code/layout.hpp"
#include "code/payload.hpp"
#include "code/stamp_key.hpp"
#include "read/feature_map.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace microstamp {

// The relief the design readers sample, printed metal positive: a topography's
// heights above the crater, or a photograph's shading turned back into relief. A
// photograph does not say from which side of its axis the light came: `alternative`
// holds the relief for the other side, and each reader tries both.
struct DesignRelief {
    cv::Mat values;             // CV_32F
    cv::Mat known;              // CV_8U, 0 where nothing was measured
    double um_per_px = 1;       // exact for a topography; the caller's hint for a photograph
    bool topography = true;
    cv::Mat background;         // topography: the crater shape (CV_32F); else empty
    cv::Mat alternative;        // photographs: the relief if the light came from the other side
    double light_axis_rad = 0;  // photographs: the light's axis, radians in the image frame
    double light_directionality = 0;  // photographs: 0 (ring light) .. 1 (one low side light)
    cv::Mat photograph;         // photographs: the grey levels (CV_32F, 0..1), where the crater's rim shows
};

DesignRelief design_relief(const FeatureMap& topography_map);
// `spread_um`: how far each edge is spread across the feature it bounds (about a
// stroke or module wide); `grain_levels`: shading below this many standard deviations
// of the image's detail is the primer's grain, not an engraved wall.
DesignRelief design_relief(const Image& photograph, double um_per_px, double spread_um = 15, double grain_levels = 1.5);
// Whether one low light shades the photograph from one side, so that a wall's shading says
// which way it faces: simulated oblique light 0.37-0.47, ring light at most 0.08 (every
// design, first shots and 5,000 rounds; docs/read.md), measured over the
// whole photograph. The ring reader measures its own on the code's annulus, at this level.
inline constexpr double min_wall_light_directionality = 0.15;
bool light_has_direction(const DesignRelief& relief);
// The relief as each reader should try it: itself, or both light hypotheses.
std::vector<DesignRelief> relief_hypotheses(const DesignRelief& relief);

// Where to look: the range of image pixels per micrometre of the reference (1.6 mm)
// layout, from the scan spacing or the photograph's hint, and the pin sizes the
// catalog allows.
struct DesignSearch {
    double min_px_per_um = 0.4;
    double max_px_per_um = 0.6;
    const Catalog* catalog = nullptr;            // resolves Data Matrix codes to names
    const KeyDirectory* key_directory = nullptr; // resolves text and gear keys to identities
};

enum class DesignStatus {
    decoded,     // the whole code was read (a text/gear key may still be unknown to the directory)
    partial,     // the design was found but some of it could not be read
    unreadable,  // not found
};
std::string_view design_status_name(DesignStatus status);

struct DesignReading {
    Design design = Design::text;
    DesignStatus status = DesignStatus::unreadable;
    std::string code;                       // the key (text, gear) or the Data Matrix content; '?' where unsure
    std::vector<double> character_confidence;  // text: per character, 0..1 (margin over the next glyph)
    double confidence = 0;                  // 0..1: the weakest part of the code
    double score = 0;                       // how well the design's pattern matched where it was found
    std::optional<Identity> identity;       // resolved (key directory or Data Matrix content with the catalog)
    std::optional<PayloadFields> fields;    // datamatrix: what the code says even if the catalog does not know it
    std::vector<Identity> key_holders;      // text/gear: every identity the directory holds for the key
    // Geometry in the image.
    double centre_column = 0;
    double centre_row = 0;
    double rotation_deg = 0;                // of the design on the image, counter-clockwise
    double px_per_um = 0;                   // image pixels per reference micrometre
    double pin_diameter_um = 0;             // estimated from the pattern's size
    std::string failure;
};

// A reading of `design` that found nothing, and why.
DesignReading unread(Design design, std::string failure);

// Resolves a text/gear key through the directory into the reading.
void resolve_key(DesignReading& reading, const KeyDirectory* directory);

nlohmann::json to_json(const DesignReading& reading);

// The designs wanted, each read from one relief (the impression located once).
std::vector<DesignReading> read_designs(const DesignRelief& relief, const std::vector<Design>& designs,
                                        const DesignSearch& search);

// Shared by the readers: bilinear sample (NaN outside or unknown), and the
// two-class split (Otsu) of a set of values.
float relief_at(const DesignRelief& relief, double column, double row);
using ValueClasses = TwoClasses;
ValueClasses split_values(std::vector<float> values);
// Coordinate ascent with shrinking steps: `nudged(pose, parameter, step)` moves one of
// `parameters` by `step` (+-1, then +-1/2, ... over `levels` levels, in the caller's
// units); a move is kept while `score_of` improves. `score` holds the pose's score.
template <typename Pose, typename Score, typename Nudge>
Pose ascend(Pose pose, double& score, int parameters, int levels, Score&& score_of, Nudge&& nudged) {
    double step = 1;
    for (int level = 0; level < levels; ++level, step /= 2)
        for (bool moved = true; moved;) {
            moved = false;
            for (int parameter = 0; parameter < parameters; ++parameter)
                for (const double direction : {-1.0, 1.0}) {
                    const Pose trial = nudged(pose, parameter, direction * step);
                    const double trial_score = score_of(trial);
                    if (trial_score > score + 1e-9) {
                        score = trial_score;
                        pose = trial;
                        moved = true;
                    }
                }
        }
    return pose;
}

// Values scaled to soft -1..+1 about the split (NaN -> 0).
std::vector<float> soft_values(const std::vector<float>& values, const ValueClasses& classes);

} // namespace microstamp
