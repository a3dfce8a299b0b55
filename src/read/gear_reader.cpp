#include "read/gear_reader.hpp"

#include "code/gear.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <tuple>

namespace microstamp {
namespace {

constexpr double full_turn = 2 * std::numbers::pi;
constexpr double slot_angle = full_turn / gear_slots;
const FaceGeometry reference_geometry{};
const double band_middle_um = (reference_geometry.gear_um[0] + reference_geometry.gear_um[1]) / 2;
const double band_half_um = (reference_geometry.gear_um[1] - reference_geometry.gear_um[0]) / 2;

struct GearPose {
    double column = 0, row = 0, px_per_um = 1;
};

cv::Point2d polar_point(const GearPose& pose, double radius_um, double angle) {
    return {pose.column + pose.px_per_um * radius_um * std::cos(angle), pose.row - pose.px_per_um * radius_um * std::sin(angle)};
}

// The relief around the band (mean over `radii` radii across it) at `per_slot` angles
// per slot, and its repetition once per slot: amplitude relative to the profile's
// spread (about 1 for bars, near 0 without), and phase.
struct Repetition {
    double strength = 0;
    std::complex<double> component;
};

Repetition slot_repetition(const DesignRelief& relief, const GearPose& pose, int per_slot, int radii) {
    const int samples = gear_slots * per_slot;
    std::complex<double> component = 0;
    double sum = 0, sum_squares = 0;
    int known = 0;
    for (int step = 0; step < samples; ++step) {
        const double angle = full_turn * step / samples;
        double value = 0;
        int count = 0;
        for (int ring = 0; ring < radii; ++ring) {
            const double radius = band_middle_um + band_half_um * 0.5 * (radii == 1 ? 0.0 : 2.0 * ring / (radii - 1) - 1);
            const cv::Point2d at = polar_point(pose, radius, angle);
            const float sample = relief_at(relief, at.x, at.y);
            if (!std::isfinite(sample)) continue;
            value += sample;
            ++count;
        }
        if (count == 0) continue;
        value /= count;
        component += value * std::polar(1.0, -gear_slots * angle);
        sum += value;
        sum_squares += value * value;
        ++known;
    }
    Repetition repetition;
    if (known < samples / 2) return repetition;
    const double variance = sum_squares / known - (sum / known) * (sum / known);
    repetition.component = component;
    repetition.strength = variance > 0 ? 2 * std::abs(component) / known / std::sqrt(2 * variance) : 0;
    return repetition;
}

// Coarse grid over centre and scale, then hill-climbing, on the slot repetition.
GearPose locate_gear(const DesignRelief& relief, const Impression& impression, const DesignSearch& search, double& strength) {
    const double typical = std::sqrt(search.min_px_per_um * search.max_px_per_um);
    const double reach_um = relief.topography ? 48 : 64, grid_um = 8;
    GearPose best{impression.centre_column, impression.centre_row, typical};
    strength = -1;
    for (double scale = search.min_px_per_um; scale <= search.max_px_per_um * 1.0001; scale *= 1.025)
        for (double dy = -reach_um; dy <= reach_um; dy += grid_um)
            for (double dx = -reach_um; dx <= reach_um; dx += grid_um) {
                const GearPose trial{impression.centre_column + dx * typical, impression.centre_row + dy * typical, scale};
                const double trial_strength = slot_repetition(relief, trial, 4, 1).strength;
                if (trial_strength > strength) {
                    strength = trial_strength;
                    best = trial;
                }
            }
    strength = slot_repetition(relief, best, 8, 3).strength;
    // Steps from 4 um and 1% down to an eighth of them.
    const double position_step = 4 * best.px_per_um, scale_step = 0.01;
    best = ascend(best, strength, 3, 4, [&](const GearPose& trial) { return slot_repetition(relief, trial, 8, 3).strength; },
                  [&](GearPose trial, int parameter, double step) {
                      if (parameter == 0) trial.column += step * position_step;
                      else if (parameter == 1) trial.row += step * position_step;
                      else trial.px_per_um *= 1 + step * scale_step;
                      return trial;
                  });
    // Radial bars repeat once per slot at every radius of the band, so the repetition
    // hardly fixes the scale: the band's two edges do. The repetition's strength
    // radius by radius; the band is where it stays above half its peak.
    std::vector<std::pair<double, double>> profile;  // radius px, strength
    const double middle_px = band_middle_um * best.px_per_um;
    for (double radius = 0.8 * middle_px; radius <= 1.2 * middle_px; radius += 1.0) {
        const GearPose ring{best.column, best.row, radius / band_middle_um};
        profile.emplace_back(radius, slot_repetition(relief, ring, 8, 1).strength);
    }
    const auto peak = std::max_element(profile.begin(), profile.end(),
                                       [](const auto& a, const auto& b) { return a.second < b.second; });
    auto inner = peak, outer = peak;
    while (inner != profile.begin() && std::prev(inner)->second > peak->second / 2) --inner;
    while (std::next(outer) != profile.end() && std::next(outer)->second > peak->second / 2) ++outer;
    const double band_px = (inner->first + outer->first) / 2;
    if (outer->first - inner->first > 0.5 * band_half_um * best.px_per_um)
        best.px_per_um = std::clamp(band_px / band_middle_um, search.min_px_per_um, search.max_px_per_um);
    strength = slot_repetition(relief, best, 8, 3).strength;
    return best;
}

// Mean relief over the middle of each slot (a third of the slot wide, across the band).
std::vector<float> slot_values(const DesignRelief& relief, const GearPose& pose, double first_slot_angle) {
    std::vector<float> values(gear_slots);
    for (int slot = 0; slot < gear_slots; ++slot) {
        double sum = 0;
        int count = 0;
        for (const double along : {-0.15, 0.0, 0.15})
            // Out to the bars' ends: under oblique light a bar lying along the light shows
            // little but its ends.
            for (const double across : {-0.85, -0.6, -0.3, 0.0, 0.3, 0.6, 0.85}) {
                const cv::Point2d at =
                    polar_point(pose, band_middle_um + across * band_half_um, first_slot_angle + (slot + along) * slot_angle);
                const float sample = relief_at(relief, at.x, at.y);
                if (!std::isfinite(sample)) continue;
                sum += sample;
                ++count;
            }
        values[static_cast<std::size_t>(slot)] = count >= 7 ? static_cast<float>(sum / count) : std::nanf("");
    }
    return values;
}

// Soft slot values, bars against gaps judged over +-7 slots: the contrast falls
// where the band nears the crater's rim.
std::vector<float> soft_slots(const std::vector<float>& values) {
    constexpr int window = 7;
    std::vector<float> soft(values.size(), 0.0f);
    for (int slot = 0; slot < gear_slots; ++slot) {
        std::vector<float> neighbourhood;
        for (int offset = -window; offset <= window; ++offset)
            neighbourhood.push_back(values[static_cast<std::size_t>((slot + offset + gear_slots) % gear_slots)]);
        soft[static_cast<std::size_t>(slot)] =
            soft_values({values[static_cast<std::size_t>(slot)]}, split_values(neighbourhood)).front();
    }
    return soft;
}

// One relief hypothesis: the located ring of bars and its decoded slots.
DesignReading read_gear_on(const DesignRelief& relief, const Impression& impression, const DesignSearch& search) {
    DesignReading reading;
    reading.design = Design::gear;
    double strength = 0;
    const GearPose pose = locate_gear(relief, impression, search, strength);
    reading.score = strength;
    reading.centre_column = pose.column;
    reading.centre_row = pose.row;
    reading.px_per_um = pose.px_per_um;
    reading.pin_diameter_um = reference_geometry.pin_diameter_um * pose.px_per_um * relief.um_per_px;
    // Relief with no bars repeats once per slot at ~0.1 of its spread; the bars at 0.6 and
    // more on a topography, 0.3 on a photograph (a bar along the light shows only its ends).
    constexpr double min_strength = 0.2;
    if (strength < min_strength) {
        reading.failure = "no ring of bars found";
        return reading;
    }
    // Bars are where the repetition peaks.
    const Repetition repetition = slot_repetition(relief, pose, 8, 3);
    const double first_slot_angle = -std::arg(repetition.component) / gear_slots;
    const std::vector<float> soft = soft_slots(slot_values(relief, pose, first_slot_angle));
    const GearReading decoded = decode_gear(soft);
    const double rotation = first_slot_angle - (decoded.rotation_slots + 0.5) * slot_angle;
    reading.rotation_deg = std::fmod(std::fmod(rotation * 180 / std::numbers::pi, 360.0) + 360.0, 360.0);
    // The marker and separators are 15 fixed slots: more than two of them wrong means the
    // slots were not found where the format puts them.
    constexpr int max_marker_mismatches = 2;
    if (!decoded.key || decoded.marker_mismatches > max_marker_mismatches) {
        reading.status = DesignStatus::partial;
        reading.failure = "bars found, but not the start marker and its gaps";
        return reading;
    }
    double weakest = 1;
    for (const float value : soft) weakest = std::min(weakest, static_cast<double>(std::fabs(value)));
    reading.code = *decoded.key;
    reading.confidence = weakest;
    reading.status = DesignStatus::decoded;
    return reading;
}

} // namespace

DesignReading read_gear(const DesignRelief& relief, const Impression& impression, const DesignSearch& search) {
    if (!impression.found) return unread(Design::gear, "no firing-pin impression found");
    std::optional<DesignReading> best;
    for (const DesignRelief& hypothesis : relief_hypotheses(relief)) {
        DesignReading reading = read_gear_on(hypothesis, impression, search);
        // The wrong light hypothesis puts the slots on the gaps: the marker then fails, or a
        // key comes out with less certain slots.
        const auto rank = [](const DesignReading& r) {
            return std::tuple{r.status == DesignStatus::decoded, r.confidence, r.score};
        };
        if (!best || rank(reading) > rank(*best)) best = std::move(reading);
    }
    resolve_key(*best, search.key_directory);
    return *best;
}

} // namespace microstamp
