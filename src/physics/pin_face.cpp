#include "physics/pin_face.hpp"

#include "code/identity.hpp"
#include "physics/face_filters.hpp"
#include "physics/random.hpp"
#include "surface/filters.hpp"

#include <cmath>
#include <fmt/core.h>
#include <opencv2/imgproc.hpp>

namespace microstamp {
namespace {

constexpr std::uint64_t chip_purpose = 0xC41B;
constexpr std::uint64_t scratch_purpose = 0x5C7A;
constexpr std::uint64_t dent_purpose = 0xDE17;

// Side of the tiles whose blank ones the face filters skip.
constexpr int blank_tile = 160;

// Three box passes of at most sigma + 1 pixels' reach each.
int smoothing_reach(double sigma_px) { return 3 * static_cast<int>(std::ceil(sigma_px + 1)); }

// The separable kernel that box_gaussian_blur amounts to: its response to one point, in
// a row whose rows above and below (the replicated border) are the same row.
cv::Mat smoothing_kernel(double sigma_px) {
    const int reach = smoothing_reach(sigma_px);
    cv::Mat response = cv::Mat::zeros(1, 2 * reach + 1, CV_32F);
    response.at<float>(0, reach) = 1.0f;
    box_gaussian_blur(response, sigma_px, cv::BORDER_REPLICATE);
    int first = 0;
    while (first < reach && response.at<float>(0, first) == 0.0f) ++first;
    return response.colRange(first, response.cols - first).clone();
}

// Edge rounding of `source` into `target` (the same size). Narrow kernels are applied
// at once, which costs a third of the three box passes; a wide one (many rounds) keeps
// the box passes, whose cost does not grow with the width, so the face after a million
// rounds costs what the face after one round costs.
void smooth(const cv::Mat& source, cv::Mat& target, double sigma_px) {
    constexpr int widest_direct_kernel = 31;
    const cv::Mat kernel = smoothing_kernel(sigma_px);
    if (kernel.cols <= widest_direct_kernel) {
        // Blank tiles (the ring's hole, the face between text and gear) stay blank.
        filter_nonblank_tiles(source, target, kernel.cols / 2, blank_tile, [&](const cv::Mat& part, cv::Mat& out) {
            cv::sepFilter2D(part, out, CV_32F, kernel, kernel, cv::Point(-1, -1), 0, cv::BORDER_CONSTANT);
        });
    } else {
        source.copyTo(target);
        box_gaussian_blur(target, sigma_px, cv::BORDER_CONSTANT);
    }
}

// Raises the recess depth inside a disc of `radius_px` around (x, y) to at least
// profile(share), where share is 1 at the centre and 0 at the edge.
// The pixels deepen_disc may write.
cv::Rect disc_bounds(const cv::Mat& relief, double x, double y, double radius_px) {
    const int first_row = std::max(0, static_cast<int>(std::floor(y - radius_px)));
    const int last_row = std::min(relief.rows - 1, static_cast<int>(std::ceil(y + radius_px)));
    const int first_column = std::max(0, static_cast<int>(std::floor(x - radius_px)));
    const int last_column = std::min(relief.cols - 1, static_cast<int>(std::ceil(x + radius_px)));
    if (first_row > last_row || first_column > last_column) return {};
    return {first_column, first_row, last_column - first_column + 1, last_row - first_row + 1};
}

template <typename Profile>
void deepen_disc(cv::Mat& relief, double x, double y, double radius_px, Profile profile) {
    const cv::Rect bounds = disc_bounds(relief, x, y, radius_px);
    for (int row = bounds.y; row < bounds.y + bounds.height; ++row) {
        auto* line = relief.ptr<float>(row);
        for (int column = bounds.x; column < bounds.x + bounds.width; ++column) {
            const double share = 1.0 - ((column - x) * (column - x) + (row - y) * (row - y)) / (radius_px * radius_px);
            if (share >= 0) line[column] = std::max(line[column], static_cast<float>(profile(share)));
        }
    }
}

// A chip: the land breaks away to the full remaining recess depth.
void carve_disc(cv::Mat& relief, double x, double y, double radius_px, float depth) {
    deepen_disc(relief, x, y, radius_px, [depth](double) { return depth; });
}

// A dent from a hammer blow: a spherical-cap depression in the pin face.
void dent(cv::Mat& relief, double x, double y, double radius_px, double depth_um) {
    deepen_disc(relief, x, y, radius_px, [depth_um](double share) { return depth_um * share; });
}

// A CV_32F map of `size` that is zero outside `area` and not yet set inside it.
cv::Mat zeros_outside(const cv::Size& size, const cv::Rect& area) {
    cv::Mat map(size, CV_32F);
    if (area.empty()) {
        map.setTo(0);
        return map;
    }
    map.rowRange(0, area.y).setTo(0);
    map.rowRange(area.y + area.height, size.height).setTo(0);
    map(cv::Rect(0, area.y, area.x, area.height)).setTo(0);
    map(cv::Rect(area.x + area.width, area.y, size.width - area.x - area.width, area.height)).setTo(0);
    return map;
}

bool inside_pin(const PinFace& face, double x, double y) {
    const double centre_x = face.relief.cols / 2.0, centre_y = face.relief.rows / 2.0;
    return std::hypot(x - centre_x, y - centre_y) * face.spacing_um < face.pin_diameter_um / 2;
}

} // namespace

Defeat parse_defeat(const std::string& text) {
    const auto colon = text.find(':');
    if (colon == std::string::npos)
        throw InputError(fmt::format("defeat '{}' must be KIND:AMOUNT, e.g. stone:30, hammer:15 or swap:blank", text));
    const std::string kind = text.substr(0, colon), amount = text.substr(colon + 1);
    Defeat result;
    if (kind == "swap") {
        if (amount.empty()) throw InputError("swap needs a die folder or 'blank', e.g. swap:blank");
        result.kind = DefeatKind::swap;
        result.replacement = amount;
        return result;
    }
    if (kind == "stone") result.kind = DefeatKind::stone;
    else if (kind == "file") result.kind = DefeatKind::file;
    else if (kind == "emery") result.kind = DefeatKind::emery;
    else if (kind == "hammer") result.kind = DefeatKind::hammer;
    else throw InputError(fmt::format("unknown defeat '{}'; known: stone, file, emery, hammer, swap", kind));
    char* end = nullptr;
    result.seconds = std::strtod(amount.c_str(), &end);
    if (amount.empty() || *end != '\0' || !(result.seconds >= 0 && result.seconds <= 3600))
        throw InputError(fmt::format("defeat '{}': the amount must be seconds between 0 and 3600", text));
    return result;
}

std::string describe(const Defeat& defeat) {
    switch (defeat.kind) {
    case DefeatKind::stone: return fmt::format("sharpening stone {} s", defeat.seconds);
    case DefeatKind::file: return fmt::format("file {} s", defeat.seconds);
    case DefeatKind::emery: return fmt::format("emery cloth {} s", defeat.seconds);
    case DefeatKind::hammer: return fmt::format("hammer {} s", defeat.seconds);
    case DefeatKind::swap: return fmt::format("pin swapped for {}", defeat.replacement);
    }
    return "unknown";
}

PinFace pin_face(const Die& die) {
    const Surface& map = die.heightmap;
    PinFace face;
    face.spacing_um = map.spacing_x_um;
    face.engraving_depth_um = die.layout.geometry.engraving_depth_um;
    face.pin_diameter_um = die.layout.geometry.pin_diameter_um;
    face.relief = cv::Mat(static_cast<int>(map.height), static_cast<int>(map.width), CV_32F);
    // The die is the mirror image of the impression: flip x back, and turn heights
    // below the face into positive recess depths.
    for (std::size_t row = 0; row < map.height; ++row) {
        auto* line = face.relief.ptr<float>(static_cast<int>(row));
        for (std::size_t column = 0; column < map.width; ++column) {
            const std::size_t source = row * map.width + (map.width - 1 - column);
            line[column] = map.valid[source] ? static_cast<float>(std::max(0.0, -map.heights_um[source])) : 0.0f;
        }
    }
    face.engraved_within = nonzero_area(face.relief, 0);
    return face;
}

cv::Rect engraved_area(const PinFace& face, int margin) {
    const cv::Rect whole(0, 0, face.relief.cols, face.relief.rows);
    const cv::Rect within = face.engraved_within.empty() ? whole : face.engraved_within & whole;
    const cv::Rect tight = nonzero_area(face.relief(within), 0);
    if (tight.empty()) return {};
    return cv::Rect(tight.x + within.x - margin, tight.y + within.y - margin, tight.width + 2 * margin,
                    tight.height + 2 * margin) &
           whole;
}

PinFace blank_face(const PinFace& like) {
    PinFace face = like;
    // A new buffer: assigning a MatExpr would write zeros into the one `like` shares.
    face.relief = cv::Mat(like.relief.size(), CV_32F, cv::Scalar(0));
    face.wear = {};
    face.defeats.clear();
    face.engraved_within = {};
    return face;
}

ChipSites chip_sites(const PinFace& fresh, const PhysicsConstants& constants, std::uint64_t seed) {
    const int window = std::max(1, static_cast<int>(std::lround(15.0 / fresh.spacing_um)));
    // Sites lie on recess edges, and a site's land width is read within `window` of it,
    // where the nearest recess is at most window * sqrt(2) away: three windows around the
    // recesses hold all that those distances depend on, so only that area is worked on.
    const cv::Mat recess_anywhere = fresh.relief > fresh.engraving_depth_um / 2;
    const cv::Rect area = nonzero_area(recess_anywhere, 3 * window);
    if (area.empty()) return {};
    const cv::Mat recess = recess_anywhere(area);
    cv::Mat land;
    cv::bitwise_not(recess, land);
    cv::Mat distance_to_recess;
    cv::distanceTransform(land, distance_to_recess, cv::DIST_L2, 3);
    cv::Mat eroded;
    cv::erode(recess, eroded, cv::Mat());
    cv::Mat edges = recess & ~eroded;
    std::vector<cv::Point> edge_points;
    cv::findNonZero(edges, edge_points);
    Random random(derive_seed(seed, chip_purpose));
    const double edge_length_mm = static_cast<double>(edge_points.size()) * fresh.spacing_um / 1000.0;
    const auto sites = static_cast<long>(std::lround(constants.get("wear", "chip_sites_per_mm_edge") * edge_length_mm));
    const double mean_at_20um = constants.get("wear", "chip_rounds_at_20um");
    ChipSites chips;
    for (long site = 0; site < sites && !edge_points.empty(); ++site) {
        const cv::Point point = edge_points[random.next() % edge_points.size()];  // in the area
        const double onset_draw = random.exponential(1.0);
        if (!inside_pin(fresh, point.x + area.x, point.y + area.y)) continue;
        // Width of the land beside the site: twice the largest distance to a recess nearby.
        double land_half_width_px = 0;
        for (int dy = -window; dy <= window; ++dy)
            for (int dx = -window; dx <= window; ++dx) {
                const int x = point.x + dx, y = point.y + dy;
                if (x >= 0 && y >= 0 && x < land.cols && y < land.rows)
                    land_half_width_px = std::max(land_half_width_px, static_cast<double>(distance_to_recess.at<float>(y, x)));
            }
        const double land_width_um = 2 * land_half_width_px * fresh.spacing_um;
        chips.points.push_back(point + area.tl());
        chips.onset_rounds.push_back(onset_draw * mean_at_20um * std::pow(land_width_um / 20.0, 2));
    }
    return chips;
}

PinFace wear(const PinFace& fresh, long rounds, const PhysicsConstants& constants, std::uint64_t seed) {
    return wear(fresh, chip_sites(fresh, constants, seed), rounds, constants);
}

PinFace wear(const PinFace& fresh, const ChipSites& chips, long rounds, const PhysicsConstants& constants) {
    if (rounds < 0) throw InputError(fmt::format("rounds fired must be >= 0, not {}", rounds));
    PinFace face = fresh;
    const double thousands = static_cast<double>(rounds) / 1000.0;
    WearState& state = face.wear;
    state.rounds = rounds;
    state.edge_rounding_um = constants.get("wear", "edge_rounding_um_per_sqrt_1000_rounds") * std::sqrt(thousands);
    state.face_wear_um = constants.get("wear", "face_wear_um_per_1000_rounds") * thousands;
    state.fouling_um = constants.get("wear", "fouling_max_um") *
                       (1.0 - std::exp(-static_cast<double>(rounds) / constants.get("wear", "fouling_rounds")));

    // Rounding, wear and fouling leave the face blank further than the rounding reaches
    // from the engraving, so only the engraved part of the face is worked on.
    const double sigma_px = state.edge_rounding_um / fresh.spacing_um;
    const auto lost = static_cast<float>(state.face_wear_um + state.fouling_um);
    // A new buffer: assigning a MatExpr would write zeros into the one `fresh` shares.
    // Only what lies outside the worked-on area is set to zero: the area is written whole.
    const cv::Rect area = engraved_area(fresh, smoothing_reach(sigma_px) + 1);
    face.relief = zeros_outside(fresh.relief.size(), area);
    if (!area.empty()) {
        cv::Mat worn = face.relief(area);
        smooth(fresh.relief(area), worn, sigma_px);
        worn -= lost;
        cv::max(worn, 0.0f, worn);
    }
    const auto remaining = static_cast<float>(std::max(0.0, fresh.engraving_depth_um - lost));
    const double chip_radius_px = constants.get("wear", "chip_radius_um") / fresh.spacing_um;
    cv::Rect chipped;
    for (std::size_t site = 0; site < chips.points.size(); ++site) {
        if (chips.onset_rounds[site] > static_cast<double>(rounds)) continue;
        carve_disc(face.relief, chips.points[site].x, chips.points[site].y, chip_radius_px, remaining);
        ++state.chips;
        chipped |= disc_bounds(face.relief, chips.points[site].x, chips.points[site].y, chip_radius_px);
    }
    // Zero outside the worked-on area and the chips; an empty rectangle says "not known".
    face.engraved_within = area | chipped;
    return face;
}

PinFace defeat(const PinFace& face, const Defeat& defeat, const PhysicsConstants& constants, std::uint64_t seed,
               const PinFace* replacement) {
    PinFace result = face;
    result.relief = face.relief.clone();
    result.engraved_within = {};  // scratches and dents reach anywhere
    result.defeats.push_back(describe(defeat));
    const double centre_x = face.relief.cols / 2.0, centre_y = face.relief.rows / 2.0;
    const double radius_px = face.pin_diameter_um / 2 / face.spacing_um;
    switch (defeat.kind) {
    case DefeatKind::stone:
    case DefeatKind::file:
    case DefeatKind::emery: {
        const char* rate = defeat.kind == DefeatKind::stone ? "stone_um_per_s"
                           : defeat.kind == DefeatKind::file ? "file_um_per_s"
                                                             : "emery_um_per_s";
        const auto removed = static_cast<float>(constants.get("defeat", rate) * defeat.seconds);
        result.relief -= removed;
        result.relief = cv::max(result.relief, 0.0f);
        if (defeat.seconds > 0) {
            // Parallel scratches across the whole face, in one random direction.
            Random random(derive_seed(seed, scratch_purpose));
            const double angle = random.uniform(0, std::numbers::pi);
            const double spacing_px = constants.get("defeat", "scratch_spacing_um") / face.spacing_um;
            const double scratch_depth = constants.get("defeat", "scratch_depth_um");
            const double direction_x = std::cos(angle), direction_y = std::sin(angle);
            std::vector<double> phases(static_cast<std::size_t>(4 * radius_px / spacing_px) + 2);
            for (auto& phase : phases) phase = random.uniform(0.2, 1.0);
            for (int row = 0; row < result.relief.rows; ++row) {
                auto* line = result.relief.ptr<float>(row);
                for (int column = 0; column < result.relief.cols; ++column) {
                    const double across = -(column - centre_x) * direction_y + (row - centre_y) * direction_x;
                    const double position = across / spacing_px + static_cast<double>(phases.size()) / 2;
                    const auto index = static_cast<std::size_t>(std::clamp(position, 0.0, static_cast<double>(phases.size() - 1)));
                    const double fraction = position - std::floor(position);
                    const double groove = std::max(0.0, 1.0 - std::fabs(fraction - 0.5) * 6) * phases[index] * scratch_depth;
                    line[column] = std::max(line[column], static_cast<float>(groove));
                }
            }
        }
        break;
    }
    case DefeatKind::hammer: {
        const double blows = constants.get("defeat", "hammer_blows_per_s") * defeat.seconds;
        result.relief *= std::pow(constants.get("defeat", "hammer_relief_kept_per_blow"), blows);
        Random random(derive_seed(seed, dent_purpose));
        const double dent_radius_px = constants.get("defeat", "hammer_dent_radius_um") / face.spacing_um;
        const double dent_depth = constants.get("defeat", "hammer_dent_depth_um");
        for (long blow = 0; blow < std::lround(blows); ++blow) {
            const double distance = radius_px * std::sqrt(random.uniform()) * 0.8;
            const double angle = random.uniform(0, 2 * std::numbers::pi);
            dent(result.relief, centre_x + distance * std::cos(angle), centre_y + distance * std::sin(angle),
                 dent_radius_px * random.uniform(0.5, 1.0), dent_depth * random.uniform(0.3, 1.0));
        }
        break;
    }
    case DefeatKind::swap: {
        if (!replacement) throw InputError("a pin swap needs the replacement pin");
        PinFace swapped = *replacement;
        swapped.defeats = result.defeats;
        return swapped;
    }
    }
    return result;
}

} // namespace microstamp
