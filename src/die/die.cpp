#include "die/die.hpp"

#include "code/datamatrix.hpp"
#include "code/gear.hpp"
#include "code/stamp_key.hpp"
#include "code/text.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/core.h>
#include <numbers>

namespace microstamp {
namespace {

struct Bounds {
    double min_x, max_x, min_y, max_y;
};

Bounds bounds(const Shape& shape) {
    if (const auto* box = std::get_if<Box>(&shape))
        return {box->centre_x_um - box->width_um / 2, box->centre_x_um + box->width_um / 2,
                box->centre_y_um - box->height_um / 2, box->centre_y_um + box->height_um / 2};
    const auto& sector = std::get<AnnularSector>(shape);
    const double r = sector.outer_radius_um;
    return {-r, r, -r, r};  // a tighter box is not worth the trigonometry for ~1000 cells
}

bool contains(const Shape& shape, double x, double y) {
    if (const auto* box = std::get_if<Box>(&shape))
        return std::fabs(x - box->centre_x_um) <= box->width_um / 2 && std::fabs(y - box->centre_y_um) <= box->height_um / 2;
    const auto& sector = std::get<AnnularSector>(shape);
    const double radius = std::hypot(x, y);
    if (radius < sector.inner_radius_um || radius > sector.outer_radius_um) return false;
    const double span = sector.end_angle - sector.start_angle;
    if (span >= 2 * std::numbers::pi) return true;
    double offset = std::atan2(y, x) - sector.start_angle;
    offset -= 2 * std::numbers::pi * std::floor(offset / (2 * std::numbers::pi));
    return offset <= span;
}

// The angular extent of a sector only, for tightening its raster box.
Bounds sector_bounds(const AnnularSector& sector) {
    if (sector.end_angle - sector.start_angle >= 2 * std::numbers::pi) return bounds(Shape{sector});
    Bounds result{1e300, -1e300, 1e300, -1e300};
    auto include = [&](double x, double y) {
        result.min_x = std::min(result.min_x, x);
        result.max_x = std::max(result.max_x, x);
        result.min_y = std::min(result.min_y, y);
        result.max_y = std::max(result.max_y, y);
    };
    constexpr int steps = 16;
    for (int step = 0; step <= steps; ++step) {
        const double angle = sector.start_angle + (sector.end_angle - sector.start_angle) * step / steps;
        include(sector.inner_radius_um * std::cos(angle), sector.inner_radius_um * std::sin(angle));
        include(sector.outer_radius_um * std::cos(angle), sector.outer_radius_um * std::sin(angle));
    }
    // Chords cut inside the arc; pad by the sagitta of one step.
    const double pad = sector.outer_radius_um * (1 - std::cos((sector.end_angle - sector.start_angle) / steps / 2));
    return {result.min_x - pad, result.max_x + pad, result.min_y - pad, result.max_y + pad};
}

} // namespace

Layout layout(const Identity& identity, const std::vector<Design>& designs, const FaceGeometry& geometry) {
    Layout result{geometry, designs, {}};
    const std::string key = stamp_key(identity);
    for (const Design design : designs) {
        std::vector<Cell> cells;
        switch (design) {
        case Design::ring: cells = ring_cells(ring_codeword(identity), geometry); break;
        case Design::text: cells = text_cells(key, geometry); break;
        case Design::gear: cells = gear_cells(key, geometry); break;
        case Design::datamatrix:
            cells = datamatrix_cells(datamatrix_modules(datamatrix_content(identity)), geometry);
            break;
        }
        result.cells.insert(result.cells.end(), cells.begin(), cells.end());
    }
    return result;
}

double die_x_um(const Surface& die, double column) {
    return (column + 0.5 - static_cast<double>(die.width) / 2) * die.spacing_x_um;
}
double die_y_um(const Surface& die, double row) {
    return (static_cast<double>(die.height) / 2 - row - 0.5) * die.spacing_y_um;
}

Surface render_die(const Layout& layout, double spacing_um) {
    if (!(spacing_um >= 0.1 && spacing_um <= 10))
        throw InputError(fmt::format("die spacing {} um is outside 0.1..10 um", spacing_um));
    const double radius = layout.geometry.pin_diameter_um / 2;
    const auto side = static_cast<std::size_t>(std::ceil(2 * radius / spacing_um)) + 2;
    Surface die(side, side, spacing_um, 0.0);
    for (std::size_t row = 0; row < side; ++row)
        for (std::size_t column = 0; column < side; ++column)
            if (std::hypot(die_x_um(die, static_cast<double>(column)), die_y_um(die, static_cast<double>(row))) > radius)
                die.valid[row * side + column] = 0;

    // 4 x 4 samples per point give the engraved area share, so edges that fall
    // between samples render as partial depth instead of aliasing.
    constexpr int samples = 4;
    const double depth = layout.geometry.engraving_depth_um;
    std::vector<float> coverage(die.size(), 0.0f);
    for (const Cell& cell : layout.cells) {
        if (!cell.engraved) continue;
        const Bounds box = std::holds_alternative<AnnularSector>(cell.shape)
                               ? sector_bounds(std::get<AnnularSector>(cell.shape))
                               : bounds(cell.shape);
        // The die is the mirror image (x -> -x) of the impression.
        const double die_min_x = -box.max_x, die_max_x = -box.min_x;
        const auto to_column = [&](double x) { return x / spacing_um + static_cast<double>(side) / 2 - 0.5; };
        const auto to_row = [&](double y) { return static_cast<double>(side) / 2 - 0.5 - y / spacing_um; };
        const auto first_column = static_cast<std::ptrdiff_t>(std::floor(to_column(die_min_x)));
        const auto last_column = static_cast<std::ptrdiff_t>(std::ceil(to_column(die_max_x)));
        const auto first_row = static_cast<std::ptrdiff_t>(std::floor(to_row(box.max_y)));
        const auto last_row = static_cast<std::ptrdiff_t>(std::ceil(to_row(box.min_y)));
        for (auto row = std::max<std::ptrdiff_t>(first_row, 0); row <= std::min<std::ptrdiff_t>(last_row, static_cast<std::ptrdiff_t>(side) - 1); ++row)
            for (auto column = std::max<std::ptrdiff_t>(first_column, 0);
                 column <= std::min<std::ptrdiff_t>(last_column, static_cast<std::ptrdiff_t>(side) - 1); ++column) {
                if (const auto* sector = std::get_if<AnnularSector>(&cell.shape)) {
                    // Far from the band's radii, no sample can fall inside: skip the 16 tests.
                    const double centre_radius = std::hypot(die_x_um(die, static_cast<double>(column)),
                                                     die_y_um(die, static_cast<double>(row)));
                    if (centre_radius < sector->inner_radius_um - spacing_um || centre_radius > sector->outer_radius_um + spacing_um)
                        continue;
                }
                int inside = 0;
                for (int sy = 0; sy < samples; ++sy)
                    for (int sx = 0; sx < samples; ++sx) {
                        const double x = die_x_um(die, static_cast<double>(column) - 0.5 + (sx + 0.5) / samples);
                        const double y = die_y_um(die, static_cast<double>(row) - 0.5 + (sy + 0.5) / samples);
                        inside += contains(cell.shape, -x, y);
                    }
                auto& share = coverage[static_cast<std::size_t>(row) * side + static_cast<std::size_t>(column)];
                share = std::min(1.0f, share + static_cast<float>(inside) / (samples * samples));
            }
    }
    for (std::size_t i = 0; i < die.size(); ++i) die.heights_um[i] = die.valid[i] ? -depth * coverage[i] : 0.0;
    return die;
}

Die plan_die(const Identity& identity, const DieDesign& design, const Catalog& catalog) {
    if (design.designs.empty()) throw InputError("no design chosen: use ring, text, gear, datamatrix or a combination");
    const Model* model = catalog.find_model(identity.manufacturer_code, identity.model_code);
    if (!model) throw InputError(fmt::format("{} is not a catalog model", describe(identity)));
    const FaceGeometry geometry =
        face_geometry(design.pin_diameter_um.value_or(model->pin_diameter_um), design.engraving_depth_um);
    Die die{identity, design, layout(identity, design.designs, geometry), stamp_key(identity), {}, {}, 0, 0, {}};
    die.design.pin_diameter_um = geometry.pin_diameter_um;
    die.ring_codeword = ring_codeword(identity);
    die.datamatrix_content = datamatrix_content(identity);
    if (std::find(design.designs.begin(), design.designs.end(), Design::datamatrix) != design.designs.end())
    {
        const ModuleGrid grid = datamatrix_modules(die.datamatrix_content);
        die.datamatrix_columns = grid.columns;
        die.datamatrix_rows = grid.rows;
    }
    if (!(design.spacing_um >= 0.1 && design.spacing_um <= 10))
        throw InputError(fmt::format("die spacing {} um is outside 0.1..10 um", design.spacing_um));
    return die;
}

Die encode(const Identity& identity, const DieDesign& design, const Catalog& catalog) {
    Die die = plan_die(identity, design, catalog);
    die.heightmap = render_die(die.layout, design.spacing_um);
    return die;
}

} // namespace microstamp
