#include "read/text_reader.hpp"

#include "code/text.hpp"
#include "read/grid_heights.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <map>
#include <numbers>
#include <optional>
#include <opencv2/imgproc.hpp>

namespace microstamp {
namespace {

constexpr double full_turn = 2 * std::numbers::pi;
const FaceGeometry reference_geometry{};
constexpr int characters = static_cast<int>(key_length);
constexpr int dots = characters * glyph_dots;
// The row from the left edge of the first character to the right edge of the last.
const double row_length_um = (characters - 1) * reference_geometry.character_pitch_um + reference_geometry.character_width_um;

// Where the row sits: centre (px), the direction of its reading axis (radians,
// counter-clockwise on the casing) and the scale.
struct TextPose {
    double column = 0, row = 0, angle = 0, px_per_um = 1;
};

// Layout (um, y up, origin at the row centre) -> image, the angle's cosine and sine
// taken once: a row's 280 dots are placed at every pose the search tries.
class LayoutToImage {
public:
    explicit LayoutToImage(const TextPose& pose) : pose_(pose), cosine_(std::cos(pose.angle)), sine_(std::sin(pose.angle)) {}
    cv::Point2d operator()(double x_um, double y_um) const {
        return {pose_.column + pose_.px_per_um * (x_um * cosine_ - y_um * sine_),
                pose_.row - pose_.px_per_um * (x_um * sine_ + y_um * cosine_)};
    }

private:
    TextPose pose_;
    double cosine_, sine_;
};

cv::Point2d to_image(const TextPose& pose, double x_um, double y_um) { return LayoutToImage(pose)(x_um, y_um); }

// The centre of every dot of every character, in the layout.
const std::array<cv::Point2d, dots>& dot_centres() {
    static const std::array<cv::Point2d, dots> centres = [] {
        std::array<cv::Point2d, dots> result{};
        const double width = reference_geometry.character_width_um / glyph_columns;
        const double height = reference_geometry.character_height_um / glyph_rows;
        for (int character = 0; character < characters; ++character)
            for (int dot = 0; dot < glyph_dots; ++dot) {
                const int row = dot / glyph_columns, column = dot % glyph_columns;
                result[static_cast<std::size_t>(character * glyph_dots + dot)] = {
                    (character - (characters - 1) / 2.0) * reference_geometry.character_pitch_um +
                        (column - (glyph_columns - 1) / 2.0) * width,
                    ((glyph_rows - 1) / 2.0 - row) * height};
            }
        return result;
    }();
    return centres;
}

// Soft dot values (+1 printed .. -1 flat) of every character at a pose; contrast is
// judged over a character and its neighbours, since it varies along the row (tilt,
// the contact pressure falling towards the rim), or, for a quick look, over the row.
std::array<std::array<float, glyph_dots>, characters> soft_dots(const DesignRelief& relief, const TextPose& pose,
                                                                bool per_character = true) {
    std::vector<float> values(dots);
    const LayoutToImage place(pose);
    for (int i = 0; i < dots; ++i) {
        const cv::Point2d at = place(dot_centres()[static_cast<std::size_t>(i)].x, dot_centres()[static_cast<std::size_t>(i)].y);
        values[static_cast<std::size_t>(i)] = relief_at(relief, at.x, at.y);
    }
    std::array<std::array<float, glyph_dots>, characters> result{};
    const ValueClasses row_classes = per_character ? ValueClasses{} : split_values(values);
    for (int character = 0; character < characters; ++character) {
        const int first = std::max(0, character - 1), last = std::min(characters - 1, character + 1);
        const ValueClasses classes =
            per_character ? split_values(std::vector<float>(values.begin() + first * glyph_dots,
                                                            values.begin() + (last + 1) * glyph_dots))
                          : row_classes;
        const std::vector<float> own(values.begin() + character * glyph_dots, values.begin() + (character + 1) * glyph_dots);
        // A character whose own dots barely differ is not there (beyond the row's end,
        // worn or blotted): unknown, so that a row read one character off scores less.
        const auto [lowest, highest] = std::minmax_element(own.begin(), own.end(), [](float a, float b) {
            return (std::isfinite(a) ? a : 0.0f) < (std::isfinite(b) ? b : 0.0f);
        });
        if (!classes.valid || !(*highest - *lowest >= 0.45 * (classes.high - classes.low))) continue;
        const std::vector<float> soft = soft_values(own, classes);
        std::copy(soft.begin(), soft.end(), result[static_cast<std::size_t>(character)].begin());
    }
    return result;
}

// How well the nearest glyphs explain the dots: 1 when every dot matches, about 0.4
// on relief with no text.
using CharacterDots = std::array<std::array<float, glyph_dots>, characters>;

double glyph_score(const CharacterDots& dots_of_characters) {
    double score = 0;
    for (const auto& character : dots_of_characters) score += 1 - 2 * recognise_character(character).distance / glyph_dots;
    return score / characters;
}

double glyph_score(const DesignRelief& relief, const TextPose& pose, bool per_character = true) {
    return glyph_score(soft_dots(relief, pose, per_character));
}

// Printed relief only: what stands above the crater.
float energy_at(const DesignRelief& relief, double column, double row) {
    const float value = relief_at(relief, column, row);
    return std::isfinite(value) ? std::max(0.0f, value) : 0.0f;
}

// First guess from the energy in the centre disc: its centroid, its long axis
// (mod 180 degrees) and its length along that axis.
std::optional<TextPose> row_from_moments(const DesignRelief& relief, const Impression& impression, const DesignSearch& search) {
    const double typical = std::sqrt(search.min_px_per_um * search.max_px_per_um);
    TextPose pose{impression.centre_column, impression.centre_row, 0, typical};
    // The row's corners are 296 um from its centre; a ring's inner finder starts at 312:
    // a disc of 300 um at the typical scale sees the row and not the ring.
    for (int pass = 0; pass < 6; ++pass) {
        // Later passes, centred on the row, look a little less far: an off-centre first
        // disc may have caught an arc of a ring around the text.
        const double radius = (pass == 0 ? 1.0 : 0.92) * reference_geometry.centre_radius_um * typical;
        const double step = std::max(1.0, radius / 150);
        // Only energy above the disc's typical level counts: a photograph's integrated
        // shading has grain everywhere, which would stretch the row to the whole disc.
        std::vector<float> levels;
        for (double dy = -radius; dy <= radius; dy += 2 * step)
            for (double dx = -radius; dx <= radius; dx += 2 * step)
                if (dx * dx + dy * dy <= radius * radius) levels.push_back(energy_at(relief, pose.column + dx, pose.row + dy));
        if (levels.empty()) return std::nullopt;
        std::nth_element(levels.begin(), levels.begin() + static_cast<std::ptrdiff_t>(levels.size() * 3 / 4), levels.end());
        const double floor = levels[levels.size() * 3 / 4];
        double total = 0, sum_x = 0, sum_y = 0, xx = 0, yy = 0, xy = 0;
        for (double dy = -radius; dy <= radius; dy += step)
            for (double dx = -radius; dx <= radius; dx += step) {
                if (dx * dx + dy * dy > radius * radius) continue;
                const double weight = std::max(0.0, energy_at(relief, pose.column + dx, pose.row + dy) - floor);
                total += weight;
                sum_x += weight * dx;
                sum_y += weight * dy;
                xx += weight * dx * dx;
                yy += weight * dy * dy;
                xy += weight * dx * dy;
            }
        if (!(total > 0)) return std::nullopt;
        const double mean_x = sum_x / total, mean_y = sum_y / total;
        xx = xx / total - mean_x * mean_x;
        yy = yy / total - mean_y * mean_y;
        xy = xy / total - mean_x * mean_y;
        pose.column += mean_x;
        pose.row += mean_y;
        // Image rows run down: the casing's counter-clockwise angle is the image's clockwise one.
        pose.angle = -0.5 * std::atan2(2 * xy, xx - yy);
        const double along = 0.5 * (xx + yy) + std::sqrt(0.25 * (xx - yy) * (xx - yy) + xy * xy);
        pose.px_per_um = std::clamp(std::sqrt(12 * along) / row_length_um, search.min_px_per_um, search.max_px_per_um);
    }
    return pose;
}

// The character pitch from the energy profile along the row: the period at which it
// repeats most strongly, and the phase of that repetition,
// which puts the characters' centres.
void refine_by_pitch(const DesignRelief& relief, TextPose& pose, const DesignSearch& search) {
    const double typical = std::sqrt(search.min_px_per_um * search.max_px_per_um);
    const double half_length = reference_geometry.centre_radius_um * typical;
    const double half_height = 0.6 * reference_geometry.character_height_um * pose.px_per_um;
    const int length = static_cast<int>(2 * half_length) + 1;
    std::vector<double> profile(static_cast<std::size_t>(length), 0.0);
    const double c = std::cos(pose.angle), s = std::sin(pose.angle);
    for (int t = 0; t < length; ++t)
        for (double across = -half_height; across <= half_height; across += 1.0) {
            const double along = t - half_length;
            profile[static_cast<std::size_t>(t)] +=
                energy_at(relief, pose.column + along * c - across * s, pose.row - along * s - across * c);
        }
    // Without the row's envelope (a running mean over a typical pitch), which would
    // otherwise leak into every period tried.
    const int window = std::max(1, static_cast<int>(reference_geometry.character_pitch_um * typical / 2));
    std::vector<double> envelope(profile.size(), 0.0);
    for (int t = 0; t < length; ++t) {
        double sum = 0;
        int count = 0;
        for (int u = std::max(0, t - window); u <= std::min(length - 1, t + window); ++u, ++count) sum += profile[static_cast<std::size_t>(u)];
        envelope[static_cast<std::size_t>(t)] = sum / count;
    }
    for (std::size_t t = 0; t < profile.size(); ++t) profile[t] -= envelope[t];
    double best_power = -1, best_period = 0, best_phase = 0;
    // Over every scale allowed: neither the dot columns (a fifth of the pitch) nor
    // pairs of characters fall inside that range.
    for (double period = reference_geometry.character_pitch_um * search.min_px_per_um;
         period <= reference_geometry.character_pitch_um * search.max_px_per_um; period *= 1.004) {
        std::complex<double> component = 0;
        for (int t = 0; t < length; ++t)
            component += profile[static_cast<std::size_t>(t)] * std::polar(1.0, -full_turn * (t - half_length) / period);
        if (std::norm(component) > best_power) {
            best_power = std::norm(component);
            best_period = period;
            best_phase = std::arg(component);
        }
    }
    if (best_period <= 0) return;
    pose.px_per_um = best_period / reference_geometry.character_pitch_um;
    // Character centres sit where the repetition peaks; the row centre half a pitch from one.
    double centre_offset = -best_phase / full_turn * best_period + best_period / 2;
    centre_offset -= best_period * std::round(centre_offset / best_period);
    pose.column += centre_offset * c;
    pose.row -= centre_offset * s;
}

// Hill-climbing on the glyph score of the dots `dots_at` a pose gives, over centre, angle
// and scale with shrinking steps.
template <typename DotsAt>
TextPose climb(TextPose pose, double& score, DotsAt&& dots_at) {
    score = glyph_score(dots_at(pose));
    // Steps from 6 um, 2 degrees and 3% down to an eighth of them.
    const double position_step = 6 * pose.px_per_um, angle_step = 2 * std::numbers::pi / 180, scale_step = 0.03;
    return ascend(pose, score, 4, 4, [&](const TextPose& trial) { return glyph_score(dots_at(trial)); },
                  [&](TextPose trial, int parameter, double step) {
                      const double c = std::cos(trial.angle), s = std::sin(trial.angle);
                      if (parameter == 0) {
                          trial.column += step * position_step * c;
                          trial.row -= step * position_step * s;
                      } else if (parameter == 1) {
                          trial.column -= step * position_step * s;
                          trial.row -= step * position_step * c;
                      } else if (parameter == 2) {
                          trial.angle += step * angle_step;
                      } else {
                          trial.px_per_um *= 1 + step * scale_step;
                      }
                      return trial;
                  });
}

// The best pose for one relief hypothesis and its glyph score.
// `by_pitch`: the scale and character phase from the row's repetition (else the scale
// from the row's length, the phase left to the grid).
std::optional<TextPose> find_row(const DesignRelief& relief, const Impression& impression, const DesignSearch& search,
                                 double& best_score, bool by_pitch = true) {
    const auto guess = row_from_moments(relief, impression, search);
    if (!guess) return std::nullopt;
    TextPose start = *guess;
    if (by_pitch) refine_by_pitch(relief, start, search);
    // The row reads either way along its axis; the pitch's phase puts the centre within
    // a few micrometres, or a character or two off, and the pitch the scale within a few
    // per cent. The glyphs are matched on a grid (3 um along the row, 5 um across, 3%
    // in scale; 6% steps to 12% either side for the scale from the row's length, 8-15%
    // small on photographs where the moments' centroid lay 50-70 um off: bench_designs
    // seeds 18 and 159); the best of each direction and whole-character
    // shift is climbed, since a row read one character off still matches seven glyphs.
    const std::vector<double> scales = by_pitch ? std::vector<double>{0.97, 1.0, 1.03} : std::vector<double>{0.88, 0.94, 1.0, 1.06, 1.12};
    constexpr int shifts = 2;
    const double pitch_um = reference_geometry.character_pitch_um;
    std::map<std::pair<int, int>, std::pair<double, TextPose>> best_per_shift;
    for (int turn = 0; turn < 2; ++turn)
        for (const double scale : scales)
        for (double along = -(shifts + 0.5) * pitch_um; along <= (shifts + 0.5) * pitch_um; along += 3.0)
            for (const double across : {-5.0, 0.0, 5.0}) {
                TextPose trial = start;
                trial.angle += turn * std::numbers::pi;
                trial.px_per_um *= scale;
                const double c = std::cos(trial.angle), s = std::sin(trial.angle);
                trial.column += (along * c - across * s) * trial.px_per_um;
                trial.row -= (along * s + across * c) * trial.px_per_um;
                const double score = glyph_score(relief, trial, false);
                const std::pair key{turn, static_cast<int>(std::lround(along / pitch_um))};
                const auto found = best_per_shift.find(key);
                if (found == best_per_shift.end() || score > found->second.first) best_per_shift[key] = {score, trial};
            }
    TextPose best = start;
    for (const auto& [key, candidate] : best_per_shift) {
        double score = 0;
        const TextPose climbed = climb(candidate.second, score, [&](const TextPose& pose) { return soft_dots(relief, pose); });
        if (score > best_score) {
            best_score = score;
            best = climbed;
        }
    }
    return best;
}

// A photograph's shading detail around the impression (grey minus its blur over three
// dot widths), made once for every pose the text reader tries.
struct ShadingDetail {
    cv::Mat values, known;
    cv::Point2d corner;  // of the crop, in the photograph
};

ShadingDetail detail_around(const DesignRelief& relief, const Impression& impression, const DesignSearch& search) {
    const double reach = (reference_geometry.centre_radius_um + 100) * search.max_px_per_um;
    const cv::Rect crop = cv::Rect(static_cast<int>(impression.centre_column - reach), static_cast<int>(impression.centre_row - reach),
                                   static_cast<int>(2 * reach), static_cast<int>(2 * reach)) &
                          cv::Rect(0, 0, relief.photograph.cols, relief.photograph.rows);
    ShadingDetail detail;
    if (crop.width < 16 || crop.height < 16) return detail;
    const double dot_px = reference_geometry.character_width_um / glyph_columns * std::sqrt(search.min_px_per_um * search.max_px_per_um);
    cv::GaussianBlur(relief.photograph(crop), detail.values, cv::Size(), 3 * dot_px, 0, cv::BORDER_REFLECT);
    detail.values = relief.photograph(crop) - detail.values;
    detail.known = relief.known(crop);
    detail.corner = cv::Point2d(crop.x, crop.y);
    return detail;
}

// Photographs: each character's 5 x 7 dots also from the shading of its walls
// (grid_heights.hpp; the gap around a character is flat ground), per character against
// its neighbours like the relief's, signed to agree with the relief's dots (the light's
// axis leaves the sign open), and added to them with twice their weight: the relief is
// spread along the light, the walls are where the strokes end.
CharacterDots photograph_dots(const DesignRelief& relief, const TextPose& pose, const ShadingDetail& detail) {
    CharacterDots relief_dots = soft_dots(relief, pose);
    if (detail.values.empty()) return relief_dots;
    const cv::Point2d& corner = detail.corner;
    std::vector<float> heights(dots, std::nanf(""));
    for (int character = 0; character < characters; ++character) {
        const double left = (character - (characters - 1) / 2.0) * reference_geometry.character_pitch_um -
                            reference_geometry.character_width_um / 2;
        const double top = reference_geometry.character_height_um / 2;
        const cv::Point2d origin = to_image(pose, left, top);
        const GridFrame frame{origin - corner, to_image(pose, left + reference_geometry.character_width_um, top) - origin,
                              to_image(pose, left, -top) - origin};
        const auto character_heights =
            grid_heights_from_walls(detail.values, detail.known, frame, glyph_rows, glyph_columns, relief.light_axis_rad);
        if (!character_heights) return relief_dots;
        std::copy(character_heights->begin(), character_heights->end(), heights.begin() + character * glyph_dots);
    }
    double agreement = 0;
    for (int i = 0; i < dots; ++i)
        agreement += relief_dots[static_cast<std::size_t>(i / glyph_dots)][static_cast<std::size_t>(i % glyph_dots)] *
                     heights[static_cast<std::size_t>(i)];
    if (agreement < 0)
        for (float& height : heights) height = -height;
    for (int character = 0; character < characters; ++character) {
        const int first = std::max(0, character - 1), last = std::min(characters - 1, character + 1);
        const ValueClasses classes =
            split_values(std::vector<float>(heights.begin() + first * glyph_dots, heights.begin() + (last + 1) * glyph_dots));
        const std::vector<float> own(heights.begin() + character * glyph_dots, heights.begin() + (character + 1) * glyph_dots);
        const std::vector<float> soft = soft_values(own, classes);
        auto& combined = relief_dots[static_cast<std::size_t>(character)];
        for (int dot = 0; dot < glyph_dots; ++dot)
            combined[static_cast<std::size_t>(dot)] =
                std::clamp(0.5f * combined[static_cast<std::size_t>(dot)] + soft[static_cast<std::size_t>(dot)], -1.0f, 1.0f);
    }
    return relief_dots;
}

// Photographs: each character's glyph fitted to the grey levels themselves. A glyph's
// dots are full cells that merge into strokes, so its outline is known exactly; the
// character's grey levels are fitted by least squares as a plane (the crater's shading)
// plus the outline's wall shading (`wall_shading_terms`: a stroke along the light shows
// as two dark lines, which the relief and the walls' integration both miss). The glyph
// leaving the least unexplained is the character; its
// margin is how much more the next glyph leaves, as a share of the character's shading
// variance.
struct GlyphFit {
    char character = '?';
    double margin = 0;
    double explained = 0;  // the share of the character's shading variance the best glyph's walls explain
};

std::array<GlyphFit, characters> glyphs_from_shading(const DesignRelief& relief, const TextPose& pose) {
    const int glyph_count = static_cast<int>(key_alphabet.size());
    const double width = reference_geometry.character_width_um, height = reference_geometry.character_height_um;
    const double dot_width = width / glyph_columns, dot_height = height / glyph_rows;
    // Ground around a character (the gap to the next is 15 um) and a wall's width.
    const double margin_um = 6, edge_um = 2.0;
    const cv::Point2d light(std::cos(relief.light_axis_rad), std::sin(relief.light_axis_rad));
    const double c = std::cos(pose.angle), s = std::sin(pose.angle);
    const auto step = [&](double inside_um) { return wall_step(inside_um, edge_um); };
    const cv::Mat& grey = relief.photograph;
    // Which dots each glyph engraves, in key_alphabet order.
    static const auto engraved = [] {
        std::array<std::array<bool, glyph_dots>, key_alphabet.size()> table{};
        for (std::size_t glyph = 0; glyph < key_alphabet.size(); ++glyph)
            for (int dot = 0; dot < glyph_dots; ++dot) table[glyph][static_cast<std::size_t>(dot)] = glyph_dot(key_alphabet[glyph], dot);
        return table;
    }();
    std::array<GlyphFit, characters> fits{};
    for (int character = 0; character < characters; ++character) {
        const double left = (character - (characters - 1) / 2.0) * reference_geometry.character_pitch_um - width / 2;
        std::vector<WallFit> glyph_fits(static_cast<std::size_t>(glyph_count));
        const cv::Point2d middle = to_image(pose, left + width / 2, 0);
        const double reach_px = (std::hypot(width, height) / 2 + margin_um) * pose.px_per_um + 2;
        for (int y = static_cast<int>(middle.y - reach_px); y <= static_cast<int>(middle.y + reach_px); ++y)
            for (int x = static_cast<int>(middle.x - reach_px); x <= static_cast<int>(middle.x + reach_px); ++x) {
                if (x < 0 || y < 0 || x >= grey.cols || y >= grey.rows || !relief.known.at<std::uint8_t>(y, x)) continue;
                const double east = (x - pose.column) / pose.px_per_um, north = -(y - pose.row) / pose.px_per_um;
                const double along = east * c + north * s, across = -east * s + north * c;
                if (along < left - margin_um || along > left + width + margin_um || std::fabs(across) > height / 2 + margin_um)
                    continue;
                // The slopes of the dots near this point (a wall's reach is a few micrometres).
                std::array<std::pair<int, cv::Point2d>, 9> near{};
                int near_count = 0;
                const int column_at = static_cast<int>(std::floor((along - left) / dot_width));
                const int row_at = static_cast<int>(std::floor((height / 2 - across) / dot_height));
                for (int row = std::max(0, row_at - 1); row <= std::min(glyph_rows - 1, row_at + 1); ++row)
                    for (int column = std::max(0, column_at - 1); column <= std::min(glyph_columns - 1, column_at + 1); ++column) {
                        const double u0 = left + column * dot_width, v1 = height / 2 - row * dot_height;
                        const WallStep from_left = step(along - u0), from_right = step(u0 + dot_width - along);
                        const WallStep from_top = step(v1 - across), from_bottom = step(across - (v1 - dot_height));
                        const double slope_along = (from_left.slope * from_right.value - from_left.value * from_right.slope) *
                                                   from_top.value * from_bottom.value;
                        const double slope_across = (from_bottom.slope * from_top.value - from_bottom.value * from_top.slope) *
                                                    from_left.value * from_right.value;
                        // Per image pixel (x right, y down).
                        near[static_cast<std::size_t>(near_count++)] = {
                            row * glyph_columns + column,
                            cv::Point2d((c * slope_along - s * slope_across) / pose.px_per_um,
                                        (-s * slope_along - c * slope_across) / pose.px_per_um)};
                    }
                const double value = grey.at<float>(y, x);
                for (int glyph = 0; glyph < glyph_count; ++glyph) {
                    cv::Point2d slope(0, 0);
                    for (int i = 0; i < near_count; ++i)
                        if (engraved[static_cast<std::size_t>(glyph)][static_cast<std::size_t>(near[static_cast<std::size_t>(i)].first)])
                            slope += near[static_cast<std::size_t>(i)].second;
                    glyph_fits[static_cast<std::size_t>(glyph)].add(
                        WallFit::terms((x - middle.x) / reach_px, (y - middle.y) / reach_px, wall_shading_terms(slope, light)),
                        value);
                }
            }
        constexpr int min_pixels = 50;
        double best = std::numeric_limits<double>::infinity(), second = best, variance = 0, plane = 0;
        for (int glyph = 0; glyph < glyph_count; ++glyph) {
            const auto left_over = glyph_fits[static_cast<std::size_t>(glyph)].solve(min_pixels);
            if (!left_over) continue;
            variance = left_over->variance;
            plane = left_over->plane;
            if (left_over->whole < best) {
                second = best;
                best = left_over->whole;
                fits[static_cast<std::size_t>(character)].character = key_alphabet[static_cast<std::size_t>(glyph)];
            } else if (left_over->whole < second) {
                second = left_over->whole;
            }
        }
        if (!std::isfinite(best)) continue;
        fits[static_cast<std::size_t>(character)].margin = std::isfinite(second) ? (second - best) / std::max(variance, 1e-12) : 0;
        fits[static_cast<std::size_t>(character)].explained = (plane - best) / std::max(variance, 1e-12);
    }
    return fits;
}

using GlyphFits = std::array<GlyphFit, characters>;

// What the row's middle character's best glyph explains: a character really there
// explains a good share of it.
double median_explained(const GlyphFits& fits) {
    std::array<double, characters> explained{};
    std::transform(fits.begin(), fits.end(), explained.begin(), [](const GlyphFit& fit) { return fit.explained; });
    std::nth_element(explained.begin(), explained.begin() + characters / 2, explained.end());
    return explained[characters / 2];
}

// How decisively the row's glyphs are told from their next best, summed: a row read
// the wrong way round or one character off explains shading too (its glyphs fitted
// freely) but tells its glyphs apart less.
double total_margin(const GlyphFits& fits) {
    double total = 0;
    for (const GlyphFit& fit : fits) total += fit.margin;
    return total;
}

// A row read one character off shows nothing at one end: the whole characters it
// should move along its reading axis to cover the other end (+1 when the first
// character is empty, -1 when the last is; 0 when neither or both are).
int shift_towards_missing_character(const GlyphFits& fits, double min_share) {
    const double floor = min_share * median_explained(fits);
    const bool first_empty = fits.front().explained < floor, last_empty = fits.back().explained < floor;
    return first_empty == last_empty ? 0 : (first_empty ? 1 : -1);
}

TextPose shifted_by_characters(TextPose pose, int shift) {
    const cv::Point2d centre = to_image(pose, shift * reference_geometry.character_pitch_um, 0);
    pose.column = centre.x;
    pose.row = centre.y;
    return pose;
}

} // namespace

DesignReading read_text(const DesignRelief& relief_seen, const Impression& impression, const DesignSearch& search) {
    if (!impression.found) return unread(Design::text, "no firing-pin impression found");
    DesignReading reading;
    reading.design = Design::text;
    struct Row {
        double score = -1;
        TextPose pose;
        DesignRelief relief;
    };
    // Random relief matches the nearest glyphs at ~0.4; a printed row at 0.8 and more.
    constexpr double min_row_score = 0.6;
    // A photograph's row climbed on its walls' dots scores 0.85 and more where it lies
    // under the right light hypothesis; the other hypothesis spreads every stroke the wrong
    // way along the light and can match a row shifted 10-14 um along it at 0.5-0.66
    // (bench_designs, 40 first shots), which still passes `min_row_score`.
    constexpr double sure_photograph_row_score = 0.8;
    // A photograph's row is climbed again on the dots its walls add (a row along the light
    // is spread into one streak on the relief alone), under each light hypothesis.
    const ShadingDetail detail = relief_seen.photograph.empty() ? ShadingDetail{} : detail_around(relief_seen, impression, search);
    const auto dots_at = [&](const Row& row, const TextPose& pose) {
        return detail.values.empty() ? soft_dots(row.relief, pose) : photograph_dots(row.relief, pose, detail);
    };
    std::vector<Row> rows;
    const auto find_rows = [&](bool by_pitch) {
        for (const DesignRelief& hypothesis : relief_hypotheses(relief_seen)) {
            Row row{-1, {}, hypothesis};
            if (const auto pose = find_row(hypothesis, impression, search, row.score, by_pitch)) {
                row.pose = *pose;
                if (!detail.values.empty())
                    row.pose = climb(row.pose, row.score, [&](const TextPose& trial) { return dots_at(row, trial); });
                rows.push_back(std::move(row));
            }
        }
    };
    find_rows(true);
    // A row lying along the light is one streak on a photograph's relief, whose
    // repetition may then give a pitch at the edge of the scales allowed (or, under the
    // right light hypothesis, a pitch that loses to the other hypothesis' shifted row):
    // failing a sure row, the scale is taken from the row's length as well.
    if (!relief_seen.photograph.empty() &&
        std::none_of(rows.begin(), rows.end(), [&](const Row& row) { return row.score >= sure_photograph_row_score; }))
        find_rows(false);
    if (rows.empty()) {
        reading.failure = "no relief in the centre of the impression";
        return reading;
    }
    const Row& chosen = *std::max_element(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.score < b.score; });
    const DesignRelief& relief = chosen.relief;
    TextPose best = chosen.pose;
    double best_score = chosen.score;
    const auto report_geometry = [&] {
        reading.score = best_score;
        reading.centre_column = best.column;
        reading.centre_row = best.row;
        reading.px_per_um = best.px_per_um;
        reading.rotation_deg = std::fmod(std::fmod(best.angle * 180 / std::numbers::pi, 360.0) + 360.0, 360.0);
        reading.pin_diameter_um = reference_geometry.pin_diameter_um * best.px_per_um * relief.um_per_px;
    };
    report_geometry();
    if (best_score < min_row_score) {
        reading.failure = "no row of characters found";
        return reading;
    }
    // A character is taken when its glyph beats the next-best by at least one whole dot;
    // on a photograph by one and a half (bench_designs, 200 first shots and 200 after
    // 5,000 rounds, before the row was climbed on the walls' dots: 99 and 60 right with 1
    // and 10 keys misread, against 108 and 64 with 6 and 18 at one dot; the relief alone,
    // one dot: 56 and 21 with 3 and 13).
    const double min_margin_dots = relief.photograph.empty() ? 1.0 : 1.5;
    const double glyph_distance = minimum_glyph_distance();
    // On a photograph each character's glyph is also fitted to the grey levels
    // (glyphs_from_shading): taken only where it beats the next glyph by 0.005 of the
    // character's shading variance (bench_designs, 40 first shots: the 240 characters
    // fitted at the rows found were all right, the least margin 0.010); where the dots
    // are sure too, the two must agree, or the character is unsure. A character whose
    // best glyph explains under a fifth of what the row's median character does is not
    // there at all (a row read one character off: 0.02 and 0.13 of the median on 110
    // first shots, a character really there 0.28 and more): unsure whatever its dots say.
    constexpr double min_fit_margin = 0.005, full_fit_margin = 0.05, min_explained_share = 0.2;
    std::optional<GlyphFits> fits =
        relief_seen.photograph.empty() ? std::nullopt : std::optional(glyphs_from_shading(relief_seen, best));
    // The row as climbed from another start, kept where its glyph fits tell its glyphs
    // apart more decisively than the row's do (the dots' score alone chose the row; the
    // share of shading explained chose a turned row over the right one on shot 4884).
    const auto keep_if_glyphs_explain_more = [&](const TextPose& start) {
        double trial_score = 0;
        const TextPose trial = climb(start, trial_score, [&](const TextPose& pose) { return dots_at(chosen, pose); });
        GlyphFits trial_fits = glyphs_from_shading(relief_seen, trial);
        if (trial_score >= min_row_score && total_margin(trial_fits) > total_margin(*fits)) {
            best = trial;
            best_score = trial_score;
            fits = trial_fits;
            report_geometry();
        }
    };
    // A row read the wrong way round on the right spot still matches some glyphs (after
    // 5,000 rounds, bench_designs shots 4804 and 4844: 0.65 and 0.62, "??9?ESE?"); a row
    // short of a sure score is tried turned round too.
    if (fits && best_score < sure_photograph_row_score) {
        TextPose turned = best;
        turned.angle += std::numbers::pi;
        keep_if_glyphs_explain_more(turned);
    }
    // A row read one character off matches seven glyphs and climbs as well as the row
    // itself (bench_designs seeds 97 and 108: 0.86 and 0.84); the row one character the
    // other way is climbed too.
    if (fits)
        if (const int shift = shift_towards_missing_character(*fits, min_explained_share); shift != 0)
            keep_if_glyphs_explain_more(shifted_by_characters(best, shift));
    const double median_explained_share = fits ? median_explained(*fits) : 0;
    bool complete = true;
    double weakest = 1;
    int index = 0;
    for (const auto& dots_of_character : dots_at(chosen, best)) {
        const CharacterReading character = recognise_character(dots_of_character);
        const bool dots_sure = character.margin >= min_margin_dots;
        double confidence = dots_sure ? std::clamp(character.margin / glyph_distance, 0.0, 1.0) : 0.0;
        char read_as = dots_sure ? character.character : '?';
        if (fits) {
            const GlyphFit& fit = (*fits)[static_cast<std::size_t>(index)];
            // Where the grey levels do not tell the best glyph from the next, the dots alone
            // do not decide either: after 5,000 rounds an R's diagonal leg shows so faintly
            // that the dots read P on 12 of 200 photographs (bench_designs), their glyph
            // fits giving R or P by under 0.022; a character read right had a fit margin of
            // 0.005 or more on every first shot and worn photograph.
            if (fit.explained < min_explained_share * median_explained_share || fit.margin < min_fit_margin) read_as = '?';
            else read_as = dots_sure && fit.character != character.character ? '?' : fit.character;
            if (read_as == '?') confidence = 0;
            else confidence = std::max(confidence, std::min(1.0, fit.margin / full_fit_margin));
        }
        ++index;
        reading.character_confidence.push_back(confidence);
        weakest = std::min(weakest, confidence);
        reading.code.push_back(read_as);
        if (read_as == '?') complete = false;
    }
    reading.confidence = weakest;
    reading.status = complete ? DesignStatus::decoded : DesignStatus::partial;
    if (!complete) reading.failure = "some characters could not be told from their neighbours in the font";
    resolve_key(reading, search.key_directory);
    return reading;
}

} // namespace microstamp
