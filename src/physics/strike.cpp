#include "physics/strike.hpp"

#include "code/identity.hpp"
#include "physics/face_filters.hpp"
#include "physics/random.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/core.h>
#include <numbers>
#include <opencv2/imgproc.hpp>

namespace microstamp {
namespace {

constexpr std::uint64_t pose_purpose = 0x9053;
constexpr int roughness_side = 1024;

// A fixed, tileable texture of unit arithmetic-mean roughness (Ra = 1), made once:
// every shot reads it at a random offset, which costs nothing per shot and is as
// random as the surface finish of a primer cup needs to be.
const cv::Mat& roughness_texture() {
    static const cv::Mat texture = [] {
        cv::Mat noise(roughness_side, roughness_side, CV_32F);
        Random random(0x7E57);
        random.fill_normal(std::span<float>(noise.ptr<float>(), noise.total()), 1.0f);
        // Blur a wrapped copy and crop it, so the texture tiles without seams.
        constexpr int margin = 8;
        cv::Mat wrapped;
        cv::copyMakeBorder(noise, wrapped, margin, margin, margin, margin, cv::BORDER_WRAP);
        cv::GaussianBlur(wrapped, wrapped, cv::Size(), 1.5, 1.5);
        noise = wrapped(cv::Rect(margin, margin, roughness_side, roughness_side)).clone();
        const double mean_absolute = cv::mean(cv::abs(noise))[0];
        noise /= mean_absolute;
        return noise;
    }();
    return texture;
}

// Everything one impression needs, in the scan frame.
struct ImpressionGeometry {
    PinShape shape = PinShape::hemispherical;
    double axis_x = 0, axis_y = 0;        // pin axis
    double contact_x = 0, contact_y = 0;  // where a spherical tip touches (axis moved by tilt)
    double rotation = 0;
    double rotation_cosine = 1, rotation_sine = 0;
    double depth = 0;
    double contact_radius = 0;            // hemispherical: of the contact patch; flat: pin radius
    double tip_radius = 0;
    double half_width = 0, half_height = 0;  // rectangular face
    double edge_radius = 0;               // rounded edge of flat and rectangular faces
    double tilt_x = 0, tilt_y = 0;
    double drive = 0;                     // S at full pressure
    double rim_exponent = 0.5;
    double band_half_width = 0;           // rimfire: > 0 limits contact to a band
    double band_normal_x = 0, band_normal_y = 1;
    double flowback_height = 0, flowback_gap = 0, flowback_width = 1;
    double flowback_direction_x = 1, flowback_direction_y = 0;
};

// Crater depth (<= 0) and contact pressure share (0..1) at a point of the scan frame.
struct Contact {
    float crater = 0;
    float pressure = 0;
};

Contact contact_at(const ImpressionGeometry& g, double x, double y) {
    Contact result;
    const double dx = x - g.axis_x, dy = y - g.axis_y;
    if (g.band_half_width > 0 && std::fabs(dx * g.band_normal_x + dy * g.band_normal_y) > g.band_half_width)
        return result;
    switch (g.shape) {
    case PinShape::hemispherical: {
        const double cx = x - g.contact_x, cy = y - g.contact_y;
        const double squared = cx * cx + cy * cy;
        const double a2 = g.contact_radius * g.contact_radius;
        if (squared >= a2) return result;
        const double cap = g.tip_radius - std::sqrt(std::max(0.0, g.tip_radius * g.tip_radius - squared));
        result.crater = static_cast<float>(-(g.depth - cap));
        const double share = 1.0 - squared / a2;
        result.pressure = static_cast<float>(g.rim_exponent == 0.5 ? std::sqrt(share) : std::pow(share, g.rim_exponent));
        return result;
    }
    case PinShape::flat:
    case PinShape::rectangular: {
        double inside = 0;  // distance from the face's edge, positive inside
        if (g.shape == PinShape::flat) {
            inside = g.contact_radius - std::hypot(dx, dy);
        } else {
            const double px = g.rotation_cosine * dx + g.rotation_sine * dy;
            const double py = -g.rotation_sine * dx + g.rotation_cosine * dy;
            inside = std::min(g.half_width - std::fabs(px), g.half_height - std::fabs(py));
        }
        if (inside <= 0) return result;
        const double local_depth = std::max(0.0, g.depth + g.tilt_x * dx + g.tilt_y * dy);
        const double edge = std::min(1.0, inside / g.edge_radius);
        result.crater = static_cast<float>(-local_depth * (1.0 - (1.0 - edge) * (1.0 - edge)));
        result.pressure = static_cast<float>(edge * std::clamp(local_depth / g.depth, 0.0, 2.0));
        return result;
    }
    }
    return result;
}

double flowback_at(const ImpressionGeometry& g, double x, double y) {
    const double cx = x - g.contact_x, cy = y - g.contact_y;
    const double squared = cx * cx + cy * cy;
    const double inner = std::max(0.0, g.contact_radius + g.flowback_gap - g.flowback_width);
    const double outer = g.contact_radius + g.flowback_gap + g.flowback_width;
    if (squared <= inner * inner || squared >= outer * outer) return 0;
    const double radius = std::sqrt(squared);
    const double offset = (radius - g.contact_radius - g.flowback_gap) / g.flowback_width;
    const double bump = (1 - offset * offset) * (1 - offset * offset);
    const double facing = 0.5 * (1 + (cx * g.flowback_direction_x + cy * g.flowback_direction_y) / radius);
    return g.flowback_height * bump * facing * facing;
}

// The affine map from scan-grid pixels to pin-face pixels (for warpAffine with WARP_INVERSE_MAP).
cv::Mat grid_to_face(const CasingGrid& grid, const TransferMap& transfer, double axis_x, double axis_y, double rotation) {
    const double s = grid.spacing_um, f = transfer.spacing_um;
    const double x0 = (0.5 - grid.width / 2.0) * s - axis_x;
    const double y0 = (grid.height / 2.0 - 0.5) * s - axis_y;
    const double cosine = std::cos(rotation), sine = std::sin(rotation);
    const double centre_u = transfer.relief_and_fillability.cols / 2.0 - 0.5,
                 centre_v = transfer.relief_and_fillability.rows / 2.0 - 0.5;
    cv::Mat map = (cv::Mat_<double>(2, 3) << s * cosine / f, -s * sine / f, (cosine * x0 + sine * y0) / f + centre_u,
                   s * sine / f, s * cosine / f, (sine * x0 - cosine * y0) / f + centre_v);
    return map;
}

double scan_x(const CasingGrid& grid, int column) { return (column + 0.5 - grid.width / 2.0) * grid.spacing_um; }
double scan_y(const CasingGrid& grid, int row) { return (grid.height / 2.0 - row - 0.5) * grid.spacing_um; }

// The part of the grid the pin face can reach (pin footprint plus `margin_um`).
cv::Rect reach_of(const CasingGrid& grid, double centre_x, double centre_y, double radius_um) {
    const int first_column = static_cast<int>(std::floor((centre_x - radius_um) / grid.spacing_um + grid.width / 2.0));
    const int last_column = static_cast<int>(std::ceil((centre_x + radius_um) / grid.spacing_um + grid.width / 2.0));
    const int first_row = static_cast<int>(std::floor(grid.height / 2.0 - (centre_y + radius_um) / grid.spacing_um));
    const int last_row = static_cast<int>(std::ceil(grid.height / 2.0 - (centre_y - radius_um) / grid.spacing_um));
    return cv::Rect(first_column, first_row, last_column - first_column + 1, last_row - first_row + 1) &
           cv::Rect(0, 0, grid.width, grid.height);
}

// The part of the grid the pin touches: a hemispherical tip only its contact patch.
cv::Rect contact_reach(const ImpressionGeometry& g, const CasingGrid& grid) {
    if (g.shape == PinShape::hemispherical)
        return reach_of(grid, g.contact_x, g.contact_y, g.contact_radius + 2 * grid.spacing_um);
    return cv::Rect(0, 0, grid.width, grid.height);
}

// Crater and raised relief of a hemispherical tip (with the square-root rim law and no
// rim band) along columns [first, last) of one row: contact_at's arithmetic without its
// per-pixel switch and early returns, which took half of the loop's time. source[i] is
// the warped relief and fillability of column source_first + i.
void impress_hemisphere_row(const ImpressionGeometry& g, const CasingGrid& grid, double y, int area_x, int first,
                            int last, const cv::Vec2f* source, int source_first, float* crater_line, float* raised_line) {
    const double cy = y - g.contact_y;
    const double cy_squared = cy * cy;
    const double a2 = g.contact_radius * g.contact_radius;
    const double tip_squared = g.tip_radius * g.tip_radius;
    const auto drive_scale = static_cast<float>(g.drive);
    for (int column = first; column < last; ++column) {
        const double cx = scan_x(grid, area_x + column) - g.contact_x;
        const double squared = cx * cx + cy_squared;
        const double left = tip_squared - squared;
        const double cap = g.tip_radius - std::sqrt(left > 0.0 ? left : 0.0);
        const double share = 1.0 - squared / a2;
        const auto crater = static_cast<float>(-(g.depth - cap));
        const auto pressure = static_cast<float>(std::sqrt(share > 0.0 ? share : 0.0));
        const cv::Vec2f& sample = source[column - source_first];
        const float drive = drive_scale * pressure * sample[1];
        const float lifted = sample[0] * drive / (1.0f + drive);
        const bool inside = squared < a2;
        crater_line[column] = inside ? crater : 0.0f;
        raised_line[column] = inside ? lifted : 0.0f;
    }
}

// Columns [first, last) of `area` that a circle of `radius` around (centre_x, centre_y)
// may cover on the grid row at height y (a column to spare on each side); empty when
// the row misses it.
std::pair<int, int> circle_columns(const CasingGrid& grid, const cv::Rect& area, double y, double centre_x,
                                   double centre_y, double radius) {
    const double squared = radius * radius - (y - centre_y) * (y - centre_y);
    if (squared < 0) return {0, 0};
    const double half = std::sqrt(squared);
    const int first = static_cast<int>(std::floor((centre_x - half) / grid.spacing_um + grid.width / 2.0 - 0.5)) - 1;
    const int last = static_cast<int>(std::ceil((centre_x + half) / grid.spacing_um + grid.width / 2.0 - 0.5)) + 2;
    return {std::clamp(first - area.x, 0, area.width), std::clamp(last - area.x, 0, area.width)};
}

// Columns [first, last) of `area` that lie inside a circle on the row at height y, a
// column clear of its edge on each side; empty when none do.
std::pair<int, int> columns_inside_circle(const CasingGrid& grid, const cv::Rect& area, double y, double centre_x,
                                          double centre_y, double radius) {
    const double squared = radius * radius - (y - centre_y) * (y - centre_y);
    if (squared <= 0) return {0, 0};
    const double half = std::sqrt(squared);
    const int first = static_cast<int>(std::ceil((centre_x - half) / grid.spacing_um + grid.width / 2.0 - 0.5)) + 1;
    const int last = static_cast<int>(std::floor((centre_x + half) / grid.spacing_um + grid.width / 2.0 - 0.5));
    if (first >= last) return {0, 0};
    return {std::clamp(first - area.x, 0, area.width), std::clamp(last - area.x, 0, area.width)};
}

// The columns of `area` a strike may touch on the row at height y: all of them for a
// flat face, those inside the contact patch for a hemispherical tip.
std::pair<int, int> contact_columns(const ImpressionGeometry& g, const CasingGrid& grid, double y, const cv::Rect& area) {
    if (g.shape != PinShape::hemispherical) return {0, area.width};
    return circle_columns(grid, area, y, g.contact_x, g.contact_y, g.contact_radius);
}

// Crater and transferred relief of one impression; both zero where the pin never reaches.
// Returns the area it reaches.
cv::Rect impress(const TransferMap& transfer, const ImpressionGeometry& g, const CasingGrid& grid, cv::Mat& crater,
                 cv::Mat& raised) {
    crater = cv::Mat::zeros(grid.height, grid.width, CV_32F);
    raised = cv::Mat::zeros(grid.height, grid.width, CV_32F);
    // The warp starts where it started when it covered the pin's whole square, even for a
    // hemispherical tip's smaller contact patch: its fixed-point (1/32 px) coordinates round
    // by the pixel's place in the warped area, so starting elsewhere would move casings by up
    // to 0.1 um at steep edges, enough to flip marginal text reads of the calibrated studies.
    // It ends where the patch ends.
    const double footprint = std::max({transfer.pin_diameter_um / 2, g.contact_radius, g.half_width, g.half_height}) +
                             std::hypot(g.contact_x - g.axis_x, g.contact_y - g.axis_y) + 2 * grid.spacing_um;
    const cv::Rect square = reach_of(grid, g.axis_x, g.axis_y, footprint);
    const cv::Rect reach = contact_reach(g, grid);
    const cv::Rect area(square.tl(), cv::Point(std::min(square.br().x, reach.br().x), std::min(square.br().y, reach.br().y)));
    if (area.empty() || reach.empty()) return {};
    // Relief and fillability travel together through one warp. Only the part the pin
    // touches (its contact patch for a hemispherical tip) is warped, as the warp of the
    // whole area would have warped it.
    cv::Mat map = grid_to_face(grid, transfer, g.axis_x, g.axis_y, g.rotation);
    map.at<double>(0, 2) += map.at<double>(0, 0) * area.x + map.at<double>(0, 1) * area.y;
    map.at<double>(1, 2) += map.at<double>(1, 0) * area.x + map.at<double>(1, 1) * area.y;
    const cv::Rect touched = (reach & area) - area.tl();  // in the area's pixels
    if (touched.empty()) return area;
    // The columns each row touches, and a band of rows at a time warped over the columns
    // any of its rows touches (a disc's corners are left out).
    std::vector<std::pair<int, int>> columns(static_cast<std::size_t>(touched.height));
    for (int row = 0; row < touched.height; ++row) {
        auto [first, last] = contact_columns(g, grid, scan_y(grid, area.y + touched.y + row), area);
        first = std::max(first, touched.x);
        last = std::min(last, touched.x + touched.width);
        columns[static_cast<std::size_t>(row)] = first < last ? std::pair<int, int>{first, last} : std::pair<int, int>{0, 0};
    }
    thread_local cv::Mat warped;
    warped.create(touched.size(), transfer.relief_and_fillability.type());
    constexpr int band = 16;
    for (int band_start = 0; band_start < touched.height; band_start += band) {
        const int band_end = std::min(band_start + band, touched.height);
        int first = touched.x + touched.width, last = touched.x;
        for (int row = band_start; row < band_end; ++row) {
            const auto [row_first, row_last] = columns[static_cast<std::size_t>(row)];
            if (row_first >= row_last) continue;
            first = std::min(first, row_first);
            last = std::max(last, row_last);
        }
        if (first >= last) continue;
        cv::Mat target = warped(cv::Rect(first - touched.x, band_start, last - first, band_end - band_start));
        warp_affine_part(transfer.relief_and_fillability, map, cv::Rect(first, touched.y + band_start, last - first, band_end - band_start),
                         target);
    }
    const bool plain_hemisphere = g.shape == PinShape::hemispherical && g.band_half_width <= 0 && g.rim_exponent == 0.5;
    for (int row = touched.y; row < touched.y + touched.height; ++row) {
        const double y = scan_y(grid, area.y + row);
        // source[i] is the area's column touched.x + i.
        const auto* source = warped.ptr<cv::Vec2f>(row - touched.y);
        const int source_first = touched.x;
        auto* crater_line = crater.ptr<float>(area.y + row) + area.x;
        auto* raised_line = raised.ptr<float>(area.y + row) + area.x;
        const auto [first, last] = columns[static_cast<std::size_t>(row - touched.y)];
        if (plain_hemisphere) {
            impress_hemisphere_row(g, grid, y, area.x, first, last, source, source_first, crater_line, raised_line);
            continue;
        }
        for (int column = first; column < last; ++column) {
            const Contact contact = contact_at(g, scan_x(grid, area.x + column), y);
            if (contact.pressure <= 0 && contact.crater == 0) continue;
            const cv::Vec2f& sample = source[column - source_first];
            const float drive = static_cast<float>(g.drive) * contact.pressure * sample[1];
            crater_line[column] = contact.crater;
            raised_line[column] = sample[0] * drive / (1.0f + drive);
        }
    }
    return area;
}

// The lip of primer metal pushed back around the pin, added where it can be.
void add_flowback(const ImpressionGeometry& g, const CasingGrid& grid, cv::Mat& surface) {
    if (g.flowback_height <= 0) return;
    // The lip is a ring: nothing to add outside it or in the crater it surrounds.
    const double outer = g.contact_radius + g.flowback_gap + g.flowback_width;
    const double inner = std::max(0.0, g.contact_radius + g.flowback_gap - g.flowback_width);
    const cv::Rect area = reach_of(grid, g.contact_x, g.contact_y, outer);
    for (int row = area.y; row < area.y + area.height; ++row) {
        const double y = scan_y(grid, row);
        auto* line = surface.ptr<float>(row) + area.x;
        const auto [first, last] = circle_columns(grid, area, y, g.contact_x, g.contact_y, outer);
        auto [hole_first, hole_last] = columns_inside_circle(grid, area, y, g.contact_x, g.contact_y, inner);
        if (hole_first >= hole_last) hole_first = hole_last = last;
        for (int column = first; column < std::min(hole_first, last); ++column)
            line[column] += static_cast<float>(flowback_at(g, scan_x(grid, area.x + column), y));
        for (int column = std::max(hole_last, first); column < last; ++column)
            line[column] += static_cast<float>(flowback_at(g, scan_x(grid, area.x + column), y));
    }
}

// Heights plus the primer's surface finish, read from the texture at the shot's offset.
Surface with_roughness(const cv::Mat& heights, const Ammunition& ammunition, const StrikePose& pose, const CasingGrid& grid) {
    const cv::Mat& texture = roughness_texture();
    const auto ra = static_cast<float>(ammunition.roughness_ra_um);
    Surface result;
    result.width = static_cast<std::size_t>(grid.width);
    result.height = static_cast<std::size_t>(grid.height);
    result.spacing_x_um = result.spacing_y_um = grid.spacing_um;
    result.valid.assign(result.size(), 1);
    // Appended a row at a time rather than written twice (zeros, then values).
    result.heights_um.reserve(result.size());
    std::vector<double> row_heights(result.width);
    for (int row = 0; row < grid.height; ++row) {
        const auto* line = heights.ptr<float>(row);
        const auto* texture_line = texture.ptr<float>((row + pose.roughness_offset_y) % roughness_side);
        double* target = row_heights.data();
        int column = 0;
        while (column < grid.width) {
            // Runs of columns that do not wrap around the texture's edge.
            const int start = (column + pose.roughness_offset_x) % roughness_side;
            const int run = std::min(grid.width - column, roughness_side - start);
            for (int i = 0; i < run; ++i) target[column + i] = line[column + i] + ra * texture_line[start + i];
            column += run;
        }
        result.heights_um.insert(result.heights_um.end(), row_heights.begin(), row_heights.end());
    }
    return result;
}

// Drag: the tip ploughs on along `direction` while it withdraws, deepening a trench,
// and slides over the code it has just printed on that side.
cv::Rect drag(const ImpressionGeometry& g, const StrikePose& pose, const PhysicsConstants& constants,
              const CasingGrid& grid, cv::Mat& crater, cv::Mat& raised) {
    const double ux = std::cos(pose.drag_direction_rad), uy = std::sin(pose.drag_direction_rad);
    const double length = pose.drag_length_um;
    const double trench = constants.get("drag", "trench_depth_fraction");
    const int samples = std::max(2, static_cast<int>(constants.get("drag", "smear_samples")));
    const double reach = std::max(g.contact_radius, 1.0);
    // Only the pin's footprint carries relief; the smear and the trench stay within it
    // plus the drag length (for a hemispherical tip, its contact patch plus the length),
    // so that area is all that needs the work.
    const double footprint = std::max(g.contact_radius, g.half_width + g.half_height) +
                             std::hypot(g.contact_x - g.axis_x, g.contact_y - g.axis_y) + length + 4 * grid.spacing_um;
    const bool hemispherical = g.shape == PinShape::hemispherical;
    const double swept_radius = g.contact_radius + length;
    const cv::Rect area = hemispherical ? reach_of(grid, g.contact_x, g.contact_y, swept_radius + 4 * grid.spacing_um)
                                        : reach_of(grid, g.axis_x, g.axis_y, footprint);
    if (area.empty()) return area;
    const cv::Mat source = raised(area);  // read before the blend below writes into raised
    cv::Mat smeared = cv::Mat::zeros(area.size(), CV_32F);
    for (int sample = 0; sample < samples; ++sample) {
        const double along = length * sample / (samples - 1);
        // Image rows grow downwards while y grows upwards.
        const int shift_x = static_cast<int>(std::lround(along * ux / grid.spacing_um));
        const int shift_y = static_cast<int>(std::lround(-along * uy / grid.spacing_um));
        const cv::Rect target = cv::Rect(shift_x, shift_y, area.width, area.height) & cv::Rect(0, 0, area.width, area.height);
        if (target.empty()) continue;
        cv::Mat destination = smeared(target);
        cv::add(destination, source(target - cv::Point(shift_x, shift_y)), destination);
    }
    smeared /= samples;
    for (int row = 0; row < area.height; ++row) {
        const double y = scan_y(grid, area.y + row);
        auto* crater_line = crater.ptr<float>(area.y + row) + area.x;
        auto* raised_line = raised.ptr<float>(area.y + row) + area.x;
        const auto* smeared_line = smeared.ptr<float>(row);
        const auto [first, last] = hemispherical ? circle_columns(grid, area, y, g.contact_x, g.contact_y, swept_radius)
                                                 : std::pair<int, int>{0, area.width};
        for (int column = first; column < last; ++column) {
            const double x = scan_x(grid, area.x + column);
            const double along = (x - g.axis_x) * ux + (y - g.axis_y) * uy;
            if (along <= -0.2 * reach) continue;
            const double weight = std::clamp((along / reach + 0.2) / 0.8, 0.0, 1.0);
            raised_line[column] = static_cast<float>((1 - weight) * raised_line[column] + weight * smeared_line[column]);
            if (along > 0) {
                const double travel = std::min(along, length);
                const Contact swept = contact_at(g, x - travel * ux, y - travel * uy);
                const auto trench_depth = static_cast<float>(swept.crater * (1.0 - trench * travel / std::max(length, 1.0)));
                crater_line[column] = std::min(crater_line[column], trench_depth);
            }
        }
    }
    return area;
}

ImpressionGeometry geometry_for(const Firearm& firearm, const Ammunition& ammunition, const PhysicsConstants& constants,
                                double energy_mj, double axis_x, double axis_y, double rotation, double tilt_x,
                                double tilt_y) {
    ImpressionGeometry g;
    g.shape = firearm.pin_shape;
    g.axis_x = axis_x;
    g.axis_y = axis_y;
    g.rotation = rotation;
    g.rotation_cosine = std::cos(rotation);
    g.rotation_sine = std::sin(rotation);
    g.depth = indentation_depth_um(firearm, ammunition, constants, energy_mj);
    g.tip_radius = firearm.tip_radius_um;
    g.tilt_x = tilt_x;
    g.tilt_y = tilt_y;
    g.edge_radius = constants.get("indentation", "flat_edge_radius_um");
    if (g.shape == PinShape::hemispherical) {
        // A tilted sphere touches off its axis, by R times the tilt.
        g.contact_x = axis_x + g.tip_radius * std::tan(tilt_x);
        g.contact_y = axis_y + g.tip_radius * std::tan(tilt_y);
        const double cap_radius = std::sqrt(std::max(0.0, 2 * g.tip_radius * g.depth - g.depth * g.depth));
        g.contact_radius = std::min(cap_radius, firearm.pin_diameter_um / 2);
    } else {
        g.contact_x = axis_x;
        g.contact_y = axis_y;
        g.contact_radius = firearm.pin_diameter_um / 2;
        g.half_width = firearm.striker_width_um / 2;
        g.half_height = firearm.striker_height_um / 2;
        g.edge_radius = std::min(g.edge_radius, 0.5 * std::min(g.half_width, g.half_height));
    }
    g.rim_exponent = constants.get("transfer", "rim_exponent");
    const double hardness = constants.get("transfer", "reference_hardness_hv") / ammunition.primer_hardness_hv;
    g.drive = constants.get("transfer", "drive") * std::sqrt(energy_mj / constants.get("transfer", "reference_energy_mj")) *
              hardness * (ammunition.nickel_plated ? constants.get("transfer", "nickel_factor") : 1.0);
    if (firearm.rim_contact_um > 0) g.band_half_width = firearm.rim_contact_um / 2;
    return g;
}

// Side of the tiles whose blank ones the face filters skip.
constexpr int blank_tile = 160;

// Below this blur (pixels) the rounding of the transferred relief is left out.
constexpr double minimum_rounding_px = 0.3;

// Relief softened by edge rounding and lacquer, and the fillability g, over `area` of the face.
struct TransferArea {
    cv::Mat relief, fillability;
};

TransferArea transfer_area(const PinFace& face, const cv::Rect& area, double rounding_px, int reach,
                           double width_depth_ratio) {
    const cv::Mat face_area = face.relief(area);
    TransferArea maps;
    if (rounding_px > minimum_rounding_px) {
        // OpenCV's Gaussian reaches ((8 sigma + 1) rounded, made odd) / 2 <= 4 sigma + 1 pixels.
        maps.relief.create(area.size(), CV_32F);
        filter_nonblank_tiles(face_area, maps.relief, static_cast<int>(std::ceil(4 * rounding_px)) + 1, blank_tile,
                              [&](const cv::Mat& part, cv::Mat& out) {
                                  cv::GaussianBlur(part, out, cv::Size(), rounding_px, 0, cv::BORDER_CONSTANT);
                              });
    } else {
        maps.relief = face_area.clone();
    }
    // Feature width: twice the largest distance to the face found within `reach` of each
    // point, so a whole cell gets its own width rather than each point its distance to an edge.
    const cv::Mat widest = disc_maximum(chamfer_distance(face_area > 0.5f), reach);
    const auto width_per_px = static_cast<float>(2 * face.spacing_um);
    const auto ratio = static_cast<float>(width_depth_ratio);
    maps.fillability = cv::Mat(area.size(), CV_32F);
    for (int row = 0; row < area.height; ++row) {
        const auto* widest_line = widest.ptr<float>(row);
        const auto* depth_line = maps.relief.ptr<float>(row);
        auto* fill_line = maps.fillability.ptr<float>(row);
        for (int column = 0; column < area.width; ++column) {
            const float w = widest_line[column] * width_per_px;
            fill_line[column] = w > 0 ? w / (w + ratio * std::max(depth_line[column], 0.0f)) : 0.0f;
        }
    }
    return maps;
}

// Both maps interleaved in `target` (which one warp per strike reads), area-averaged to
// its size if smaller. One map at a time: OpenCV's area averaging of two channels is ten
// times slower than of one.
void interleave(const TransferArea& maps, cv::Mat& target) {
    if (maps.relief.size() == target.size()) {
        cv::merge(std::vector<cv::Mat>{maps.relief, maps.fillability}, target);
        return;
    }
    cv::Mat relief, fillability;
    cv::resize(maps.relief, relief, target.size(), 0, 0, cv::INTER_AREA);
    cv::resize(maps.fillability, fillability, target.size(), 0, 0, cv::INTER_AREA);
    cv::merge(std::vector<cv::Mat>{relief, fillability}, target);
}

// Face pixels per scan sample when the face is a whole number of samples each way (1 when
// not resampled), else 0.
int whole_block(const cv::Size& face, const cv::Size& scan) {
    const int block = face.width / scan.width;
    return block * scan.width == face.width && block * scan.height == face.height ? block : 0;
}

// `area` grown to whole blocks; inside the face when the face is whole blocks.
cv::Rect whole_blocks(const cv::Rect& area, int block) {
    const int left = area.x / block * block, top = area.y / block * block;
    const int right = (area.x + area.width + block - 1) / block * block;
    const int bottom = (area.y + area.height + block - 1) / block * block;
    return {left, top, right - left, bottom - top};
}

} // namespace

double indentation_depth_um(const Firearm& firearm, const Ammunition& ammunition, const PhysicsConstants& constants,
                            double energy_mj) {
    // Flow pressure of the cup in MPa (N/mm^2); lengths in mm so energy comes out in mJ (N mm).
    const double flow = constants.get("indentation", "cup_flow_pressure_mpa_per_hv") * ammunition.primer_hardness_hv *
                        ammunition.cup_thickness_um / constants.get("indentation", "reference_cup_thickness_um");
    double depth_mm = 0;
    if (firearm.pin_shape == PinShape::hemispherical) {
        depth_mm = std::sqrt(energy_mj / (std::numbers::pi * firearm.tip_radius_um / 1000 * flow));
    } else {
        double area_mm2 = firearm.pin_shape == PinShape::flat
                              ? std::numbers::pi * std::pow(firearm.pin_diameter_um / 2000, 2)
                              : firearm.striker_width_um / 1000 * firearm.striker_height_um / 1000;
        if (firearm.rim_contact_um > 0) area_mm2 = std::min(area_mm2, firearm.rim_contact_um / 1000 * firearm.striker_width_um / 1000);
        depth_mm = energy_mj / (flow * area_mm2);
    }
    return std::min(depth_mm * 1000, ammunition.cup_thickness_um * 1.5);
}

StrikePose sample_pose(const Firearm& firearm, const Ammunition& ammunition, const PhysicsConstants& constants,
                       std::uint64_t shot_seed) {
    Random random(derive_seed(shot_seed, pose_purpose));
    StrikePose pose;
    pose.energy_mj = firearm.strike_energy_mj *
                     std::max(0.2, 1.0 + random.normal() * constants.get("indentation", "energy_sd_fraction"));
    pose.depth_um = indentation_depth_um(firearm, ammunition, constants, pose.energy_mj);
    pose.offset_x_um = random.normal() * firearm.strike_offset_sd_um;
    pose.offset_y_um = random.normal() * firearm.strike_offset_sd_um;
    // The casing lies at any angle under the microscope; a pin that turns in its
    // channel adds its own angle, one that does not keeps the drag direction fixed to it.
    const double casing_angle = random.uniform(0, 2 * std::numbers::pi);
    const double pin_angle = firearm.pin_rotates ? random.uniform(0, 2 * std::numbers::pi) : 0.0;
    pose.rotation_rad = std::fmod(casing_angle + pin_angle, 2 * std::numbers::pi);
    const double tilt_sd = firearm.tilt_sd_deg * std::numbers::pi / 180;
    pose.tilt_x = random.normal() * tilt_sd;
    pose.tilt_y = random.normal() * tilt_sd;
    pose.drag = random.chance(firearm.drag_probability) && firearm.drag_length_um > 0;
    pose.drag_direction_rad = std::fmod(casing_angle + firearm.drag_direction_deg * std::numbers::pi / 180 +
                                            2 * std::numbers::pi, 2 * std::numbers::pi);
    pose.drag_length_um = pose.drag ? firearm.drag_length_um * random.uniform(0.6, 1.2) : 0.0;
    pose.double_strike = random.chance(firearm.double_strike_probability);
    const double second_angle = random.uniform(0, 2 * std::numbers::pi);
    const double second_distance = constants.get("double_strike", "offset_um") * random.uniform(0.5, 1.5);
    pose.second_offset_x_um = pose.offset_x_um + second_distance * std::cos(second_angle);
    pose.second_offset_y_um = pose.offset_y_um + second_distance * std::sin(second_angle);
    pose.second_rotation_rad = pose.rotation_rad + random.normal() * constants.get("double_strike", "rotation_deg") *
                                                       std::numbers::pi / 180 * (firearm.pin_rotates ? 1.0 : 0.0);
    pose.second_energy_mj = pose.energy_mj * constants.get("double_strike", "energy_fraction");
    pose.flowback_height_um = constants.get("flowback", "height_um_per_mpa") * firearm.chamber_pressure_mpa *
                              ammunition.pressure_factor *
                              constants.get("transfer", "reference_hardness_hv") / ammunition.primer_hardness_hv *
                              random.uniform(0.5, 1.0);
    pose.flowback_direction_rad = random.uniform(0, 2 * std::numbers::pi);
    pose.rim_band_direction_rad = casing_angle;
    pose.roughness_offset_x = static_cast<int>(random.next() % roughness_side);
    pose.roughness_offset_y = static_cast<int>(random.next() % roughness_side);
    const ImpressionGeometry geometry = geometry_for(firearm, ammunition, constants, pose.energy_mj, 0, 0, 0,
                                                     pose.tilt_x, pose.tilt_y);
    pose.contact_radius_um = geometry.contact_radius;
    return pose;
}

nlohmann::json to_json(const StrikePose& pose) {
    return {{"energy_mj", pose.energy_mj},
            {"depth_um", pose.depth_um},
            {"contact_radius_um", pose.contact_radius_um},
            {"offset_um", {pose.offset_x_um, pose.offset_y_um}},
            {"rotation_deg", pose.rotation_rad * 180 / std::numbers::pi},
            {"tilt_deg", {pose.tilt_x * 180 / std::numbers::pi, pose.tilt_y * 180 / std::numbers::pi}},
            {"drag", pose.drag},
            {"drag_direction_deg", pose.drag_direction_rad * 180 / std::numbers::pi},
            {"drag_length_um", pose.drag_length_um},
            {"double_strike", pose.double_strike},
            {"second_offset_um", {pose.second_offset_x_um, pose.second_offset_y_um}},
            {"second_rotation_deg", pose.second_rotation_rad * 180 / std::numbers::pi},
            {"second_energy_mj", pose.second_energy_mj},
            {"flowback_height_um", pose.flowback_height_um}};
}

TransferMap prepare_transfer(const PinFace& face, const Ammunition& ammunition, const PhysicsConstants& constants,
                             double scan_spacing_um) {
    TransferMap transfer;
    transfer.spacing_um = face.spacing_um;
    transfer.pin_diameter_um = face.pin_diameter_um;
    const cv::Size face_size = face.relief.size();
    const double shrink = face.spacing_um / scan_spacing_um;
    const bool resampled = scan_spacing_um > 0 && shrink < 0.75;
    const cv::Size size = resampled ? cv::Size(static_cast<int>(std::lround(face_size.width * shrink)),
                                               static_cast<int>(std::lround(face_size.height * shrink)))
                                    : face_size;
    if (resampled) transfer.spacing_um = face.spacing_um * face_size.width / size.width;
    const int block = whole_block(face_size, size);

    // Metal does not fill the sharp corners of a recess, and lacquer blurs what it covers.
    const double rounding_px = std::hypot(constants.get("transfer", "edge_rounding_um"), ammunition.lacquer_um) / face.spacing_um;
    const int reach = std::max(1, static_cast<int>(std::lround(10.0 / face.spacing_um)));
    // Both maps are zero further than the blur and the width's reach from any recess, so
    // only the engraved part of the face (the code covers under half of it) is worked on.
    const int blur_reach = rounding_px > minimum_rounding_px ? static_cast<int>(std::ceil(4 * rounding_px)) + 1 : 0;
    cv::Rect area = engraved_area(face, blur_reach + reach + 2);
    if (block > 0) area = whole_blocks(area, block);
    transfer.relief_and_fillability = cv::Mat(size, CV_32FC2, cv::Scalar::all(0));
    if (area.empty()) return transfer;
    const TransferArea maps = transfer_area(face, area, rounding_px, reach, constants.get("transfer", "width_depth_ratio"));
    if (block > 0) {
        // Each scan sample averages a block of face pixels, which lies inside the area or
        // is blank: only the area is resampled.
        cv::Mat target = transfer.relief_and_fillability(
            cv::Rect(area.x / block, area.y / block, area.width / block, area.height / block));
        interleave(maps, target);
    } else {
        TransferArea whole{cv::Mat(face_size, CV_32F, cv::Scalar(0)), cv::Mat(face_size, CV_32F, cv::Scalar(0))};
        maps.relief.copyTo(whole.relief(area));
        maps.fillability.copyTo(whole.fillability(area));
        interleave(whole, transfer.relief_and_fillability);
    }
    return transfer;
}

Surface strike(const TransferMap& transfer, const Firearm& firearm, const Ammunition& ammunition, const StrikePose& pose,
               const PhysicsConstants& constants, const CasingGrid& grid) {
    if (grid.width <= 0 || grid.height <= 0 || !(grid.spacing_um > 0))
        throw InputError("the scan grid must have a positive size and spacing");
    ImpressionGeometry g = geometry_for(firearm, ammunition, constants, pose.energy_mj, pose.offset_x_um,
                                        pose.offset_y_um, pose.rotation_rad, pose.tilt_x, pose.tilt_y);
    g.band_normal_x = -std::sin(pose.rim_band_direction_rad);
    g.band_normal_y = std::cos(pose.rim_band_direction_rad);
    g.flowback_height = pose.flowback_height_um;
    g.flowback_gap = constants.get("flowback", "gap_um");
    g.flowback_width = constants.get("flowback", "width_um");
    g.flowback_direction_x = std::cos(pose.flowback_direction_rad);
    g.flowback_direction_y = std::sin(pose.flowback_direction_rad);

    cv::Mat crater, raised;
    cv::Rect footprint = impress(transfer, g, grid, crater, raised);
    // Outside the reached area raised relief is zero, except where a drag smeared it on.
    if (pose.drag) footprint |= drag(g, pose, constants, grid, crater, raised);
    cv::Mat& surface = crater;
    if (!footprint.empty()) surface(footprint) += raised(footprint);
    if (pose.double_strike) {
        ImpressionGeometry second = geometry_for(firearm, ammunition, constants, pose.second_energy_mj,
                                                 pose.second_offset_x_um, pose.second_offset_y_um,
                                                 pose.second_rotation_rad, pose.tilt_x, pose.tilt_y);
        second.band_half_width = g.band_half_width;
        second.band_normal_x = g.band_normal_x;
        second.band_normal_y = g.band_normal_y;
        cv::Mat second_crater, second_raised;
        impress(transfer, second, grid, second_crater, second_raised);
        // The lighter strike only reshapes metal where it reaches below what is there.
        const cv::Mat second_surface = second_crater + second_raised;
        const cv::Mat reached = second_crater < 0;
        cv::Mat lower = cv::min(surface, second_surface);
        lower.copyTo(surface, reached);
    }

    add_flowback(g, grid, surface);
    return with_roughness(surface, ammunition, pose, grid);
}

Surface breech_impression(const TransferMap& transfer, const Firearm& firearm, const Ammunition& ammunition,
                          const StrikePose& pose, const PhysicsConstants& constants, const CasingGrid& grid) {
    // The case head is pressed flat against the breech face: uniform pressure over
    // the whole stamp, no crater.
    const double pressure = firearm.chamber_pressure_mpa * ammunition.pressure_factor;
    const double headspace = constants.get("breech", "reference_headspace_um") / std::max(firearm.headspace_um, 10.0);
    const double drive = constants.get("breech", "drive") * pressure / constants.get("breech", "reference_pressure_mpa") *
                         constants.get("breech", "reference_head_hardness_hv") / ammunition.head_hardness_hv *
                         std::min(1.5, std::sqrt(headspace));
    const cv::Mat map = grid_to_face(grid, transfer, 0, 0, pose.rotation_rad);
    cv::Mat warped;
    cv::warpAffine(transfer.relief_and_fillability, warped, map, cv::Size(grid.width, grid.height), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                   cv::BORDER_CONSTANT, 0);
    cv::Mat heights(grid.height, grid.width, CV_32F);
    for (int row = 0; row < grid.height; ++row) {
        const auto* source = warped.ptr<cv::Vec2f>(row);
        auto* line = heights.ptr<float>(row);
        for (int column = 0; column < grid.width; ++column) {
            const float s = static_cast<float>(drive) * source[column][1];
            line[column] = source[column][0] * s / (1 + s);
        }
    }
    return with_roughness(heights, ammunition, pose, grid);
}

} // namespace microstamp
