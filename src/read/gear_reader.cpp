#include "read/gear_reader.hpp"

#include "code/gear.hpp"
#include "read/drag_smear.hpp"
#include "read/grid_heights.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <initializer_list>
#include <numbers>
#include <optional>
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

// The strongest slot repetition (4 samples a slot on the band's middle) over a grid of
// centres within `reach_um` of the impression's, every `grid_um`, and of scales from the
// least allowed in steps of `scale_ratio`.
GearPose best_on_grid(const DesignRelief& relief, const Impression& impression, const DesignSearch& search, double reach_um,
                      double grid_um, double scale_ratio, double& strength) {
    const double typical = std::sqrt(search.min_px_per_um * search.max_px_per_um);
    GearPose best{impression.centre_column, impression.centre_row, typical};
    strength = -1;
    for (double scale = search.min_px_per_um; scale <= search.max_px_per_um * 1.0001; scale *= scale_ratio)
        for (double dy = -reach_um; dy <= reach_um; dy += grid_um)
            for (double dx = -reach_um; dx <= reach_um; dx += grid_um) {
                const GearPose trial{impression.centre_column + dx * typical, impression.centre_row + dy * typical, scale};
                const double trial_strength = slot_repetition(relief, trial, 4, 1).strength;
                if (trial_strength > strength) {
                    strength = trial_strength;
                    best = trial;
                }
            }
    return best;
}

// Hill-climbing on the slot repetition (8 samples a slot on three radii): steps from
// 4 um and 1% down to an eighth of them.
GearPose climb_on_repetition(const DesignRelief& relief, const GearPose& start, double& strength) {
    strength = slot_repetition(relief, start, 8, 3).strength;
    const double position_step = 4 * start.px_per_um, scale_step = 0.01;
    return ascend(start, strength, 3, 4, [&](const GearPose& trial) { return slot_repetition(relief, trial, 8, 3).strength; },
                  [&](GearPose trial, int parameter, double step) {
                      if (parameter == 0) trial.column += step * position_step;
                      else if (parameter == 1) trial.row += step * position_step;
                      else trial.px_per_um *= 1 + step * scale_step;
                      return trial;
                  });
}

// Relief with no bars repeats once per slot at ~0.1 of its spread; the bars at 0.6 and
// more on a topography, 0.3 on a photograph (a bar along the light shows only its ends).
constexpr double min_strength = 0.2;

// Whether a ring of bars may be there, in a tenth of the locate's time: the same
// repetition on a coarser grid (12 um; scales 10% apart: the bars are radial, so a ring
// sampled at a radius up to 5% off still lies on the band, 7% either side of its middle),
// its best climbed, against the locate's own level. Photographs with bars climb to
// 0.28-0.43 there (bench_designs, 109 first shots; 0.19-0.37 after 5,000 rounds), without
// them to 0.09-0.27 (median 0.17: unstamped, defaced and worn ring dies, text and Data
// Matrix dies): most photographs without a gear stop here, before the locate (~75 ms a
// light hypothesis) and the walls' fit (0.2-1 s) run.
bool bars_may_be_there(const DesignRelief& relief, const Impression& impression, const DesignSearch& search) {
    constexpr double reach_um = 64, grid_um = 12, scale_ratio = 1.1;
    double strength = 0;
    const GearPose coarse = best_on_grid(relief, impression, search, reach_um, grid_um, scale_ratio, strength);
    climb_on_repetition(relief, coarse, strength);
    return strength >= min_strength;
}

// Coarse grid over centre and scale, then hill-climbing, on the slot repetition.
GearPose locate_gear(const DesignRelief& relief, const Impression& impression, const DesignSearch& search, double& strength) {
    const double reach_um = relief.topography ? 48 : 64, grid_um = 8;
    const GearPose on_grid = best_on_grid(relief, impression, search, reach_um, grid_um, 1.025, strength);
    GearPose best = climb_on_repetition(relief, on_grid, strength);
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

// The relief summed over radii across the band at one angle (`across`: fractions of the
// band's half-width from its middle), and how many of those samples were known.
struct BandSum {
    double sum = 0;
    int count = 0;
};

BandSum sum_across_band(const DesignRelief& relief, const GearPose& pose, double angle, std::initializer_list<double> across) {
    BandSum band;
    for (const double fraction : across) {
        const cv::Point2d at = polar_point(pose, band_middle_um + fraction * band_half_um, angle);
        const float value = relief_at(relief, at.x, at.y);
        if (!std::isfinite(value)) continue;
        band.sum += value;
        ++band.count;
    }
    return band;
}

// Drag slides the pin over the code it has just printed: on the side it moved towards,
// bars come out smeared and displaced sideways by up to a fifth of a slot (bench_designs
// first shots 102, 120 and 178: bars peaking 13 um off their slot's middle, sampled there
// as gaps; the same casings struck without drag read right). The displacement varies
// slowly around the ring, so each slot's is the phase of the relief's once-per-slot
// component over its nine nearest slots: bars always stand apart on flat ground, so every
// bar repeats. Where those slots hold too few bars to say (a long run of gaps), none.
std::vector<double> slot_shifts(const DesignRelief& relief, const GearPose& pose, double first_slot_angle) {
    constexpr int per_slot = 8, reach = 4;
    constexpr double max_shift = 0.3, min_share_of_typical = 0.25;
    std::vector<std::complex<double>> components(gear_slots);
    for (int slot = 0; slot < gear_slots; ++slot)
        for (int sample = 0; sample < per_slot; ++sample) {
            const double from_middle = static_cast<double>(sample) / per_slot - 0.5;  // in slots
            const BandSum band = sum_across_band(relief, pose, first_slot_angle + (slot + from_middle) * slot_angle, {-0.6, 0.0, 0.6});
            if (band.count > 0)
                components[static_cast<std::size_t>(slot)] += band.sum / band.count * std::polar(1.0, -full_turn * from_middle);
        }
    std::vector<std::complex<double>> windows(gear_slots);
    std::vector<double> sizes;
    for (int slot = 0; slot < gear_slots; ++slot) {
        for (int offset = -reach; offset <= reach; ++offset)
            windows[static_cast<std::size_t>(slot)] += components[static_cast<std::size_t>((slot + offset + gear_slots) % gear_slots)];
        sizes.push_back(std::abs(windows[static_cast<std::size_t>(slot)]));
    }
    std::nth_element(sizes.begin(), sizes.begin() + gear_slots / 2, sizes.end());
    const double typical = sizes[gear_slots / 2];
    std::vector<double> shifts(gear_slots, 0.0);
    for (int slot = 0; slot < gear_slots; ++slot) {
        const std::complex<double> window = windows[static_cast<std::size_t>(slot)];
        if (std::abs(window) >= min_share_of_typical * typical)
            shifts[static_cast<std::size_t>(slot)] = std::clamp(-std::arg(window) / full_turn, -max_shift, max_shift);
    }
    return shifts;
}

// Mean relief over the middle of each slot (a third of the slot wide, across the band),
// moved along the band by the slot's shift (in slots).
std::vector<float> slot_values(const DesignRelief& relief, const GearPose& pose, double first_slot_angle,
                               const std::vector<double>& shifts) {
    std::vector<float> values(gear_slots);
    for (int slot = 0; slot < gear_slots; ++slot) {
        BandSum total;
        const double middle = slot + shifts[static_cast<std::size_t>(slot)];
        for (const double along : {-0.15, 0.0, 0.15}) {
            // Out to the bars' ends: under oblique light a bar lying along the light shows
            // little but its ends.
            const BandSum band = sum_across_band(relief, pose, first_slot_angle + (middle + along) * slot_angle,
                                                 {-0.85, -0.6, -0.3, 0.0, 0.3, 0.6, 0.85});
            total.sum += band.sum;
            total.count += band.count;
        }
        values[static_cast<std::size_t>(slot)] = total.count >= 7 ? static_cast<float>(total.sum / total.count) : std::nanf("");
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

// The crater's rim in a photograph: its shaded wall ends there against the flat primer,
// a step of shading no plane fits. Where the crater is not centred on the pin the rim
// crosses the bars' outer ends and the slots there were left unsure (bench_designs first
// shots 4 and 47: leftover shading 2-5 times the gaps'); beyond it there are no bars to
// read (no contact, no print), so the slots' fits leave that ground out.
struct CraterRim {
    double column = 0, row = 0, radius_px = 0;  // radius 0: not known, nothing left out
};

// The rim's contrast: grey levels just outside the circle against just inside, along 180
// rays (either sign: the rim is dark against the primer on the shadow's side, bright on
// the light's).
double rim_contrast(const cv::Mat& grey, const cv::Mat& known, const CraterRim& rim) {
    constexpr int rays = 180;
    constexpr double reach_px = 2;
    double sum = 0;
    int count = 0;
    for (int ray = 0; ray < rays; ++ray) {
        const double angle = full_turn * ray / rays, x = std::cos(angle), y = std::sin(angle);
        const auto at = [&](double radius) {
            return bilinear_sample(grey, known, rim.column + radius * x, rim.row + radius * y);
        };
        const float outside = at(rim.radius_px + reach_px), inside = at(rim.radius_px - reach_px);
        if (!std::isfinite(outside) || !std::isfinite(inside)) continue;
        sum += std::fabs(outside - inside);
        ++count;
    }
    return count > rays / 2 ? sum / count : 0.0;
}

// The circle Hough transform places the rim on a 6 um grid (impression_locator); climbed
// here on the full photograph to a pixel (steps from 4 px down to half a pixel).
CraterRim crater_rim(const cv::Mat& grey, const cv::Mat& known, const Impression& impression) {
    if (!(impression.radius_px > 0)) return {};
    CraterRim rim{impression.centre_column, impression.centre_row, impression.radius_px};
    double contrast = rim_contrast(grey, known, rim);
    return ascend(rim, contrast, 3, 4, [&](const CraterRim& trial) { return rim_contrast(grey, known, trial); },
                  [](CraterRim trial, int parameter, double step) {
                      constexpr double step_px = 4;
                      if (parameter == 0) trial.column += step * step_px;
                      else if (parameter == 1) trial.row += step * step_px;
                      else trial.radius_px += step * step_px;
                      return trial;
                  });
}

// How a bar's walls show in the photograph's shading across its slot. Between two bars
// there is always flat ground (bars fill half a slot), so each bar stands alone: its
// slot's grey levels are a plane (the band lies on the crater's slope, steep near its
// rim) plus the bar's wall shading (`WallFit`, grid_heights.hpp).
struct SlotHeight {
    double evidence = 0;  // the share of the slot's shading variance the bar's walls explain
    double texture = 0;   // the shading's spread left over: the primer's grain where light reaches, sensor noise in shadow
    double noise = 0;     // the sensor's own noise (neighbouring pixels' differences): all the texture in full shadow
    bool smeared = false; // read with a fitted drag, where it smeared the bar more than it left it
};

// A slot whose bar is more smeared than sharp (`smear_share`) is read by stricter rules
// (soft_slots_from_walls).
constexpr double smeared_share = 0.5;

// A slot's grey levels: a plane, the crater wall's steepening towards its rim, and the
// bar's walls.
using SlotFit = WallFitOf<5>;

// Inside the rim the crater's wall steepens, its shading changing faster than a plane
// follows: two terms falling off over a few and over a dozen micrometres inside it (`x`,
// `y`: an image pixel). Both 0 where the rim is not known or far (the fit holds them at 0).
std::array<double, 2> rim_steepening(const CraterRim& rim, int x, int y, double px_per_um) {
    constexpr double fast_um = 4, slow_um = 12, far_um = 100;
    if (!(rim.radius_px > 0)) return {0.0, 0.0};
    const double inside_um = (rim.radius_px - std::hypot(x - rim.column, y - rim.row)) / px_per_um;
    if (inside_um > far_um) return {0.0, 0.0};
    return {std::exp(-inside_um / fast_um), std::exp(-inside_um / slow_um)};
}

// The bar's evidence is its share of the slot's variance once what the rim's terms
// explain is set aside (where the rim is far, they explain nothing and the share is the
// plain one).
SlotHeight slot_height(const SlotFit::LeftOver& left_over, double noise) {
    const double rim_share = std::max(left_over.plane - left_over.background, 0.0);
    return {(left_over.background - left_over.whole) / std::max(left_over.variance - rim_share, 1e-12),
            std::sqrt(std::max(left_over.whole, 0.0) / left_over.count), noise};
}

// A bar's height (1 on it, 0 on the ground) at a point of the band (`east`, `north`: um
// from the pin's axis) and its slope per micrometre, east and north; `centre`: the
// bar's slot's middle angle. Its walls are smoothed steps `edge_um` wide.
struct BarPoint {
    double height = 0;
    cv::Point2d slope;  // east, north
};

BarPoint bar_at(double east, double north, double centre) {
    constexpr double edge_um = 2.5;
    const double inner_um = reference_geometry.gear_um[0], outer_um = reference_geometry.gear_um[1];
    const double half_bar = slot_angle * reference_geometry.gear_bar_fill / 2;
    const auto step = [&](double inside_um) { return wall_step(inside_um, edge_um); };
    const double radius = std::hypot(east, north);
    const double off = std::remainder(std::atan2(north, east) - centre, full_turn);
    const WallStep inner = step(radius - inner_um), outer = step(outer_um - radius);
    const WallStep side = step((half_bar - std::fabs(off)) * radius);
    const double radial = (inner.slope * outer.value - inner.value * outer.slope) * side.value +
                          inner.value * outer.value * side.slope * (half_bar - std::fabs(off));
    const double tangential = -inner.value * outer.value * side.slope * (off < 0 ? -1.0 : 1.0);
    const double cosine = east / radius, sine = north / radius;
    return {inner.value * outer.value * side.value, {radial * cosine - tangential * sine, radial * sine + tangential * cosine}};
}

// Firing-pin drag (physics/strike.cpp): as the pin withdraws it slides on along one
// direction over the code it has just printed, so on the side it moved towards every bar
// is smeared along that direction over the drag's length (ramps 25-45 um long instead
// of 2.5 um walls, bench_designs first shots) and pushed forward by half of it; on the
// side it left, bars stay sharp, and in between the two blend. The smear's share rises
// from 0 a fifth of the contact's radius behind the pin's axis to 1 three fifths ahead
// of it. One direction and length per shot, fitted on the photograph (`fitted_drag`).
struct Drag {
    double direction = 0;  // radians, east of the band's frame counter-clockwise
    double length_um = 0;  // 0: no drag
    double reach_um = 0;   // the contact's radius: the crater's rim
};

// The smear's share at a point (um from the pin's axis).
double smear_share(const Drag& drag, double east, double north) {
    if (!(drag.length_um > 0 && drag.reach_um > 0)) return 0;
    const double along = east * std::cos(drag.direction) + north * std::sin(drag.direction);
    return drag_smear_share(along, drag.reach_um);
}

// The bar as the dragged pin left it: its height and slope averaged over the points the
// pin slid it from, blended with the sharp bar by the smear's share.
BarPoint dragged_bar_at(double east, double north, double centre, const Drag& drag) {
    constexpr int smear_samples = 8;
    const BarPoint sharp = bar_at(east, north, centre);
    const double share = smear_share(drag, east, north);
    if (share <= 0) return sharp;
    const cv::Point2d along(std::cos(drag.direction), std::sin(drag.direction));
    BarPoint smeared;
    for (int sample = 0; sample < smear_samples; ++sample) {
        const cv::Point2d from = along * (drag.length_um * (sample + 0.5) / smear_samples);
        const BarPoint point = bar_at(east - from.x, north - from.y, centre);
        smeared.height += point.height / smear_samples;
        smeared.slope += point.slope / smear_samples;
    }
    return {(1 - share) * sharp.height + share * smeared.height, (1 - share) * sharp.slope + share * smeared.slope};
}

// What a slot's fit knows of the strike beside the bars: the crater's rim, and the
// pin's drag (none until fitted).
struct SlotModel {
    CraterRim rim;
    Drag drag;
};

// Every slot's bar fitted at a pose (`rotation`: where slot 0 starts); `stride`: every
// stride-th pixel each way (2 or 4 while searching the pose, 1 for the slot values).
// Under drag each slot's window follows its bar forward by the smear's mean shift.
std::vector<SlotHeight> slot_heights(const DesignRelief& relief, const SlotModel& model, const GearPose& pose, double rotation,
                                     double light_axis_rad, int stride = 1) {
    const auto& [rim, drag] = model;
    std::vector<SlotHeight> heights(gear_slots);
    const cv::Mat& grey = relief.photograph;
    const double inner_um = reference_geometry.gear_um[0], outer_um = reference_geometry.gear_um[1];
    // Ground around each bar (16 um: a wall's shading and then flat ground). The crater's
    // rim may come within a few micrometres of the bars' outer ends (the crater is rarely
    // centred on the pin): the fit is also made without the ground beyond them, and used
    // where the rim left more shading unexplained.
    const double margin_um = 16, rim_margin_um = 4, rim_excess = 1.5;
    // The rim's own edge is blurred over a few micrometres: ground that far inside it goes too.
    const double crater_edge_um = 4;
    const double crater_edge_px = crater_edge_um * pose.px_per_um;
    const double inside_rim_px = rim.radius_px - crater_edge_px;
    const cv::Point2d light(std::cos(light_axis_rad), std::sin(light_axis_rad));
    const cv::Point2d drag_along(std::cos(drag.direction), std::sin(drag.direction));
    for (int slot = 0; slot < gear_slots; ++slot) {
        const double centre = rotation + (slot + 0.5) * slot_angle;
        const cv::Point2d middle_um(band_middle_um * std::cos(centre), band_middle_um * std::sin(centre));
        const cv::Point2d shift_um = drag_along * (drag.length_um / 2 * smear_share(drag, middle_um.x, middle_um.y));
        const cv::Point2d middle(pose.column + pose.px_per_um * (middle_um.x + shift_um.x),
                                 pose.row - pose.px_per_um * (middle_um.y + shift_um.y));
        const double reach_px = (band_half_um + margin_um + drag.length_um / 2) * pose.px_per_um + 2;
        SlotFit whole, trimmed;
        double whole_differences = 0, trimmed_differences = 0;  // of neighbouring pixels, squared: the noise
        for (int y = static_cast<int>(middle.y - reach_px); y <= static_cast<int>(middle.y + reach_px); y += stride)
            for (int x = static_cast<int>(middle.x - reach_px); x <= static_cast<int>(middle.x + reach_px); x += stride) {
                if (x < 0 || y < 0 || x + 1 >= grey.cols || y >= grey.rows || !relief.known.at<std::uint8_t>(y, x)) continue;
                if (rim.radius_px > 0 && std::hypot(x - rim.column, y - rim.row) > inside_rim_px) continue;
                const double east = (x - pose.column) / pose.px_per_um, north = -(y - pose.row) / pose.px_per_um;
                // The slot's window, about where its bar was pushed to.
                const double window_east = east - shift_um.x, window_north = north - shift_um.y;
                const double radius = std::hypot(window_east, window_north);
                const double off = std::remainder(std::atan2(window_north, window_east) - centre, full_turn);
                if (radius < inner_um - margin_um || radius > outer_um + margin_um || std::fabs(off) > slot_angle / 2) continue;
                // The bar's slope turned into the image frame (x right, y down) per pixel.
                const BarPoint bar = dragged_bar_at(east, north, centre, drag);
                const cv::Point2d slope(bar.slope.x / pose.px_per_um, -bar.slope.y / pose.px_per_um);
                const std::array<double, 2> steepening = rim_steepening(rim, x, y, pose.px_per_um);
                const SlotFit::Terms terms =
                    SlotFit::terms({1.0, (x - middle.x) / reach_px, (y - middle.y) / reach_px, steepening[0], steepening[1]},
                                   wall_shading_terms(slope, light));
                const double value = grey.at<float>(y, x), next_value = grey.at<float>(y, x + 1);
                const double difference = (value - next_value) * (value - next_value);
                whole.add(terms, value);
                whole_differences += difference;
                if (radius <= outer_um + rim_margin_um) {
                    trimmed.add(terms, value);
                    trimmed_differences += difference;
                }
            }
        constexpr int min_pixels = 20;
        constexpr double steady_weight = 1e-3;
        for (SlotFit* fit : {&whole, &trimmed})
            for (const int rim_term : {3, 4}) fit->steady(rim_term, steady_weight);
        const auto from_whole = whole.solve(min_pixels), from_trimmed = trimmed.solve(min_pixels);
        if (!from_whole) continue;
        const SlotHeight whole_height = slot_height(*from_whole, std::sqrt(whole_differences / (2.0 * whole.count)));
        const auto trimmed_height =
            from_trimmed ? std::optional(slot_height(*from_trimmed, std::sqrt(trimmed_differences / (2.0 * trimmed.count))))
                         : std::nullopt;
        heights[static_cast<std::size_t>(slot)] =
            trimmed_height && whole_height.texture > rim_excess * trimmed_height->texture ? *trimmed_height : whole_height;
        heights[static_cast<std::size_t>(slot)].smeared = smear_share(drag, middle_um.x, middle_um.y) >= smeared_share;
    }
    return heights;
}

// The walls' total evidence at a pose: what the pose refinement climbs.
double wall_evidence(const std::vector<SlotHeight>& heights) {
    double total = 0;
    for (const SlotHeight& height : heights) total += height.evidence;
    return total;
}

struct BandPose {
    GearPose centre;
    double first_slot_angle = 0;  // the centre of the reader's slot 0
};

// The walls' summed evidence at a pose (`stride` as in slot_heights).
double pose_evidence(const DesignRelief& relief, const SlotModel& model, const BandPose& pose, int stride) {
    return wall_evidence(slot_heights(relief, model, pose.centre, pose.first_slot_angle - slot_angle / 2, relief.light_axis_rad, stride));
}

// Hill-climbing on the walls' evidence (every second pixel): steps from 4 um, 0.8% and
// 4 um along the band down to a quarter of them.
BandPose climb_on_walls(const DesignRelief& relief, const SlotModel& model, const BandPose& start, double& evidence) {
    const auto score = [&](const BandPose& trial) { return pose_evidence(relief, model, trial, 2); };
    const double position_step = 4 * start.centre.px_per_um, scale_step = 0.008, angle_step = 4 / band_middle_um;
    evidence = score(start);
    return ascend(start, evidence, 4, 3, score, [&](BandPose trial, int parameter, double step) {
        if (parameter == 0) trial.centre.column += step * position_step;
        else if (parameter == 1) trial.centre.row += step * position_step;
        else if (parameter == 2) trial.centre.px_per_um *= 1 + step * scale_step;
        else trial.first_slot_angle += step * angle_step;
        return trial;
    });
}

// Climbs from `start` and from half a slot on (the repetition's phase may sit on the
// gaps: the light's side is unknown), and keeps the better.
BandPose climb_both_phases(const DesignRelief& relief, const SlotModel& model, const BandPose& start, double& evidence) {
    BandPose shifted = start;
    shifted.first_slot_angle += slot_angle / 2;
    double shifted_evidence = 0;
    const BandPose one = climb_on_walls(relief, model, start, evidence), other = climb_on_walls(relief, model, shifted, shifted_evidence);
    if (shifted_evidence > evidence) {
        evidence = shifted_evidence;
        return other;
    }
    return one;
}

// The relief's locate can settle 30-40 um off along the light's axis (the relief is
// spread along it, each light hypothesis its own way; bench_designs seeds 13, 38, 80),
// beyond the climb's reach. Centres every 3 um along the axis (+-48 um) and 3 um either
// side are scored quickly (every fourth pixel, both phases) for the climb to start from.
BandPose best_start_along_light(const DesignRelief& relief, const SlotModel& model, const GearPose& located) {
    const cv::Point2d along(std::cos(relief.light_axis_rad), std::sin(relief.light_axis_rad));
    const cv::Point2d across(-along.y, along.x);
    BandPose best{located, 0};
    double best_evidence = -1;
    for (double offset = -48; offset <= 48; offset += 3)
        for (const double aside : {-3.0, 0.0, 3.0}) {
            const cv::Point2d shift = (along * offset + across * aside) * located.px_per_um;
            const GearPose centre{located.column + shift.x, located.row + shift.y, located.px_per_um};
            const double phase = -std::arg(slot_repetition(relief, centre, 8, 3).component) / gear_slots;
            for (const double half : {0.0, 0.5}) {
                const BandPose trial{centre, phase + half * slot_angle};
                if (const double evidence = pose_evidence(relief, model, trial, 4); evidence > best_evidence) {
                    best_evidence = evidence;
                    best = trial;
                }
            }
        }
    return best;
}

// Centre, scale and slot phase refined on the walls' evidence: bars located to a
// micrometre or two, which the once-per-slot repetition of the relief does not give.
// Where the bars explain little of the band's shading at the end (under half of what a
// first shot's 28 bars give), the start is searched along the light's axis too.
// A first shot's bars sum to ~19 (dragged ones 11-15); located 30-40 um off, 4-7; a
// photograph with no bars (another design, a worn pin) sums to little, and is not
// searched (it costs a second and more).
constexpr double weak_evidence = 10, some_bars_evidence = 3;

BandPose refine_on_walls(const DesignRelief& relief, const SlotModel& model, const BandPose& start, double& evidence) {
    const BandPose climbed = climb_both_phases(relief, model, start, evidence);
    if (evidence >= weak_evidence || evidence < some_bars_evidence) return climbed;
    double searched_evidence = 0;
    const BandPose searched = climb_both_phases(relief, model, best_start_along_light(relief, model, start.centre), searched_evidence);
    if (searched_evidence <= evidence) return climbed;
    evidence = searched_evidence;
    return searched;
}

// The drag's direction and length as the photograph shows them, at a pose found without
// it: the smeared bars' template explains the band's shading best at the true drag
// (bench_designs first shots: summed evidence 11-15 sharp, 1-4 more at the true drag on
// 13 of 14). Directions every 15 degrees and the service-9mm profile's lengths (24-48 um,
// 0.6-1.2 of a nominal 40) are scored quickly (every fourth pixel), the best climbed; the smear's
// reach is the crater's rim. Nothing (length 0) where no rim is known.
Drag fitted_drag(const DesignRelief& relief, const CraterRim& rim, const BandPose& band) {
    constexpr int directions = 24;
    constexpr double shortest_um = 24, longest_um = 48, length_step_um = 8;
    if (!(rim.radius_px > 0)) return {};
    const double reach_um = rim.radius_px / band.centre.px_per_um;
    const auto score = [&](const Drag& drag, int stride) { return pose_evidence(relief, {rim, drag}, band, stride); };
    Drag best;
    double best_evidence = -1;
    for (int direction = 0; direction < directions; ++direction)
        for (double length = shortest_um; length <= longest_um; length += length_step_um) {
            const Drag trial{full_turn * direction / directions, length, reach_um};
            if (const double evidence = score(trial, 4); evidence > best_evidence) {
                best_evidence = evidence;
                best = trial;
            }
        }
    double evidence = score(best, 2);
    return ascend(best, evidence, 2, 3, [&](const Drag& trial) { return score(trial, 2); },
                  [&](Drag trial, int parameter, double step) {
                      if (parameter == 0) trial.direction += step * full_turn / directions / 2;
                      else trial.length_um = std::clamp(trial.length_um + step * length_step_um / 2, shortest_um / 2, longest_um * 1.25);
                      return trial;
                  });
}

// Soft slot values from the walls (photographs): a bar explains a good share of its
// slot's shading (0.4-0.85 of it on first shots wherever it points, 0.15 and more where
// the crater's shadow or rim dims it), a gap a few hundredths. Between the two a slot
// is unsure; so is a gap whose leftover shading is far above the other gaps' (the rim
// crossing it), and a gap in the crater's full shadow (nothing left there but the
// sensor's noise) with no clear bar within a few slots: deep in the shadow a bar
// pointing at the light shows by its lit end alone, and some show nothing (bench_designs
// seeds 114 and 179), while bars beside them still stand out. A weaker bar (from 0.12)
// counts where no slot within three on either side is itself between gap and weak bar:
// the neighbourhood's gaps are clean there (a ring light, which shades no wall by its
// facing, leaves most bars at 0.2-0.25 beside gaps at 0.00), while near the rim and in
// the shadow on the light's side gaps reach 0.26 among many in-between slots. Likewise a
// gap up to 0.07 counts in such a clean neighbourhood (bench_designs seeds 41 and 44: a
// single gap at 0.051-0.059 beside clear bars, the whole key unread before). Unsure
// slots are 0, and a key with any of them is not decoded: no error correction to guess with.
// Smeared bars (a fitted drag, `Drag`) are read more strictly: their ramps shade less
// than walls, so a smeared bar in the crater's shadow shows nothing at all (tex at the
// sensor's noise, evidence under 0.01, beside clear bars: bench_designs first shots 80,
// 81, 127, 156), and in light some come out at 0.05 and under (147, 159) while gaps next
// to smeared bars reach 0.16 (13, 108). There a bar needs 0.25 and a gap 0.05 whatever its
// neighbours, and a gap in or near shadow is unsure. Their leftover shading is higher
// too (the smear's ramps are fitted less well: gaps 2.5-3.7 times the sensor's noise
// against 1.5-2.5 on the sharp side), so it is judged against the smeared gaps' median;
// every other gap against all gaps', as without drag.
std::vector<float> soft_slots_from_walls(const std::vector<SlotHeight>& heights) {
    constexpr double gap_evidence = 0.05, weak_bar_evidence = 0.12, bar_evidence = 0.25, clear_bar_evidence = 0.4;
    constexpr double clean_gap_evidence = 0.07;
    constexpr int clean_reach = 3;
    constexpr double rim_texture = 2.0;              // times the gaps' median leftover shading
    constexpr double shadow_texture = 1.3;           // times the sensor's noise
    constexpr double smeared_shadow_texture = 1.5;   // times the sensor's noise, for a smeared gap
    constexpr int shadow_reach = 3;                  // slots either side to a clear bar
    const int slots = static_cast<int>(heights.size());
    const auto typical_gap_texture = [&](bool only_smeared) {
        std::vector<float> textures;
        for (const SlotHeight& height : heights)
            if (height.evidence <= gap_evidence && (height.smeared || !only_smeared))
                textures.push_back(static_cast<float>(height.texture));
        if (textures.empty()) return 0.0;
        std::nth_element(textures.begin(), textures.begin() + static_cast<std::ptrdiff_t>(textures.size() / 2), textures.end());
        return static_cast<double>(textures[textures.size() / 2]);
    };
    const double typical_texture = typical_gap_texture(false), typical_smeared_texture = typical_gap_texture(true);
    const auto clear_bar_near = [&](int slot) {
        for (int offset = -shadow_reach; offset <= shadow_reach; ++offset)
            if (heights[static_cast<std::size_t>((slot + offset + slots) % slots)].evidence >= clear_bar_evidence) return true;
        return false;
    };
    const auto clean_around = [&](int slot) {
        if (heights[static_cast<std::size_t>(slot)].smeared) return false;
        for (int offset = -clean_reach; offset <= clean_reach; ++offset) {
            const double evidence = heights[static_cast<std::size_t>((slot + offset + slots) % slots)].evidence;
            if (offset != 0 && evidence > gap_evidence && evidence < weak_bar_evidence) return false;
        }
        return true;
    };
    std::vector<float> soft(heights.size(), 0.0f);
    for (int slot = 0; slot < slots; ++slot) {
        const SlotHeight& height = heights[static_cast<std::size_t>(slot)];
        const bool in_shadow = height.texture <= shadow_texture * height.noise;
        const bool shadow_allowed =
            height.smeared ? height.texture > smeared_shadow_texture * height.noise : !in_shadow || clear_bar_near(slot);
        if (height.evidence >= bar_evidence || (height.evidence >= weak_bar_evidence && clean_around(slot)))
            soft[static_cast<std::size_t>(slot)] = static_cast<float>(std::min(1.0, height.evidence / clear_bar_evidence));
        else if ((height.evidence <= gap_evidence || (height.evidence <= clean_gap_evidence && clean_around(slot))) &&
                 height.texture <= rim_texture * (height.smeared ? typical_smeared_texture : typical_texture) && shadow_allowed)
            soft[static_cast<std::size_t>(slot)] = static_cast<float>(-std::min(1.0, 1 - height.evidence / bar_evidence));
    }
    return soft;
}

// The marker and separators are 15 fixed slots: more than two of them wrong means the
// slots were not found where the format puts them.
constexpr int max_marker_mismatches = 2;

bool key_read(const GearReading& decoded) { return decoded.key && decoded.marker_mismatches <= max_marker_mismatches; }

// A photograph's slots read from the walls, and the pose they were read at.
struct SlotsFromWalls {
    BandPose band;
    std::vector<float> soft;
};

// The slots at a pose refined on the sharp bars' walls; where they give no key, the pin's
// drag is fitted and the pose climbed again on the smeared bars, which are taken where
// they explain the band's shading clearly better (dragged first shots: 15-30% more
// summed evidence; undragged ones 7-18% less, the smear's ramps fitting their steps
// worse). Not where the sharp bars were weak (worn pins, 3-10: the fit and climb cost
// ~1.2 s a light hypothesis, and would run on nearly every one).
SlotsFromWalls slots_from_walls(const DesignRelief& relief, const CraterRim& rim, const BandPose& start) {
    constexpr double drag_gain = 1.1;
    double evidence = 0;
    const SlotModel sharp{rim, {}};
    const BandPose band = refine_on_walls(relief, sharp, start, evidence);
    const auto soft_at = [&](const SlotModel& model, const BandPose& at) {
        return soft_slots_from_walls(slot_heights(relief, model, at.centre, at.first_slot_angle - slot_angle / 2, relief.light_axis_rad));
    };
    SlotsFromWalls read{band, soft_at(sharp, band)};
    if (key_read(decode_gear(read.soft)) || evidence < weak_evidence) return read;
    const SlotModel dragged{rim, fitted_drag(relief, rim, band)};
    if (!(dragged.drag.length_um > 0)) return read;
    double dragged_evidence = 0;
    const BandPose dragged_band = climb_on_walls(relief, dragged, band, dragged_evidence);
    if (dragged_evidence < drag_gain * evidence) return read;
    return {dragged_band, soft_at(dragged, dragged_band)};
}

// One relief hypothesis: the located ring of bars and its decoded slots.
DesignReading read_gear_on(const DesignRelief& relief, const Impression& impression, const DesignSearch& search) {
    DesignReading reading;
    reading.design = Design::gear;
    if (!relief.photograph.empty() && !bars_may_be_there(relief, impression, search)) {
        reading.failure = std::string(no_bars_repeat);
        return reading;
    }
    double strength = 0;
    const GearPose pose = locate_gear(relief, impression, search, strength);
    reading.score = strength;
    reading.centre_column = pose.column;
    reading.centre_row = pose.row;
    reading.px_per_um = pose.px_per_um;
    reading.pin_diameter_um = reference_geometry.pin_diameter_um * pose.px_per_um * relief.um_per_px;
    if (strength < min_strength) {
        reading.failure = "no ring of bars found";
        return reading;
    }
    // Bars are where the repetition peaks.
    const Repetition repetition = slot_repetition(relief, pose, 8, 3);
    double first_slot_angle = -std::arg(repetition.component) / gear_slots;
    std::vector<float> soft;
    if (relief.photograph.empty()) {
        soft = soft_slots(slot_values(relief, pose, first_slot_angle, slot_shifts(relief, pose, first_slot_angle)));
    } else {
        // A photograph's relief shows a bar along the light as little but its ends: the
        // slots are read from the walls' shading instead, at a pose refined on them.
        const SlotsFromWalls slots = slots_from_walls(relief, crater_rim(relief.photograph, relief.known, impression),
                                                      {pose, first_slot_angle});
        first_slot_angle = slots.band.first_slot_angle;
        reading.centre_column = slots.band.centre.column;
        reading.centre_row = slots.band.centre.row;
        reading.px_per_um = slots.band.centre.px_per_um;
        reading.pin_diameter_um = reference_geometry.pin_diameter_um * slots.band.centre.px_per_um * relief.um_per_px;
        soft = slots.soft;
    }
    const GearReading decoded = decode_gear(soft);
    const double rotation = first_slot_angle - (decoded.rotation_slots + 0.5) * slot_angle;
    reading.rotation_deg = std::fmod(std::fmod(rotation * 180 / std::numbers::pi, 360.0) + 360.0, 360.0);
    if (decoded.marker_mismatches > max_marker_mismatches) {
        reading.status = DesignStatus::partial;
        reading.failure = "bars found, but not the start marker and its gaps";
        return reading;
    }
    if (!decoded.key) {
        reading.status = DesignStatus::partial;
        reading.failure = "the start marker found, but some slots unsure";
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
        // A photograph's slots come from the walls, whichever side the light came from:
        // the second hypothesis only locates again.
        if (best && best->status == DesignStatus::decoded && !relief.photograph.empty()) break;
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
