#include "read/ring_drag.hpp"

#include "read/drag_smear.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace microstamp {
namespace {

constexpr double full_turn = 2 * std::numbers::pi;
constexpr int cell_count = ring_symbols * ring_cells_per_symbol;
constexpr int on_finder = -1, on_bare_face = -2;
const FaceGeometry layout{};

// How far from the pin's axis the smear reaches its full weight is set by the tip's
// contact radius (physics/strike.cpp: none at -0.2 of it behind the axis, all at 0.6 of
// it ahead). Striker tips of the catalogued pistols touch out to 640-680 um of the
// 1.6 mm reference layout; the fit does not depend on it finely (the smear's share
// changes over hundreds of micrometres, a cell over tens).
constexpr double contact_radius_um = 660;
constexpr int smear_samples = 8;

const double* track_radii(int track) { return track == 0 ? layout.ring_inner_track_um : layout.ring_outer_track_um; }

// The cell whose engraved part holds a layout point (um from the ring's centre, y up), or
// `on_finder` / `on_bare_face` (the ridges between cells and the face around them).
int cell_at(double x, double y, double grid_angle) {
    const double radius = std::hypot(x, y);
    for (const double* finder : {layout.ring_inner_finder_um, layout.ring_outer_finder_um})
        if (radius >= finder[0] && radius <= finder[1]) return on_finder;
    const double margin = (1 - layout.cell_fill) / 2;
    for (int track = 0; track < ring_tracks; ++track) {
        const double* radii = track_radii(track);
        if (radius < radii[0] || radius >= radii[1]) continue;
        const double row_position = (radius - radii[0]) / ((radii[1] - radii[0]) / ring_rows);
        const int row = std::min(ring_rows - 1, static_cast<int>(row_position));
        const double across = row_position - row;
        if (across < margin || across > 1 - margin) return on_bare_face;
        double angle = std::fmod(std::atan2(y, x) - grid_angle, full_turn);
        if (angle < 0) angle += full_turn;
        const double column_position = angle / (full_turn / (ring_sectors_per_track * ring_columns));
        const int whole = static_cast<int>(column_position);
        const double along = column_position - whole;
        if (along < margin || along > 1 - margin) return on_bare_face;
        const int column_index = whole % (ring_sectors_per_track * ring_columns);
        const int symbol = track * ring_sectors_per_track + column_index / ring_columns;
        return symbol * ring_cells_per_symbol + row * ring_columns + column_index % ring_columns;
    }
    return on_bare_face;
}

// A cell's expected value as shares of printed relief: `own` of itself, `finder` from the
// finder circles (always printed), and from other cells.
struct Mixture {
    double own = 0, finder = 0;
    std::vector<std::pair<int, double>> sources;
    void add(int source, double share) {
        for (auto& [cell, weight] : sources)
            if (cell == source) {
                weight += share;
                return;
            }
        sources.emplace_back(source, share);
    }
};

struct CellPoint {
    double x, y;
};

// `across` x `across` points over the middle half of each cell (one: its middle), in the
// layout around the ring's centre; cell by cell.
struct CellPoints {
    int per_cell = 1;
    std::vector<CellPoint> points;
    const CellPoint& middle(int cell) const { return points[static_cast<std::size_t>(cell * per_cell + per_cell / 2)]; }
};

CellPoints cell_points(double grid_angle, int across) {
    CellPoints result{across * across, {}};
    result.points.reserve(static_cast<std::size_t>(cell_count * result.per_cell));
    const double sector = full_turn / ring_sectors_per_track;
    for (int index = 0; index < cell_count; ++index) {
        const int symbol = index / ring_cells_per_symbol, cell = index % ring_cells_per_symbol;
        const int track = symbol / ring_sectors_per_track, position = symbol % ring_sectors_per_track;
        const int row = cell / ring_columns, column = cell % ring_columns;
        const double* radii = track_radii(track);
        const double row_height = (radii[1] - radii[0]) / ring_rows;
        for (int i = 0; i < across; ++i)
            for (int j = 0; j < across; ++j) {
                const double radial = (i + 1.0) / (across + 1), angular = (j + 1.0) / (across + 1);
                const double radius = radii[0] + (row + radial) * row_height;
                const double angle = grid_angle + position * sector + sector * (column + angular) / ring_columns;
                result.points.push_back({radius * std::cos(angle), radius * std::sin(angle)});
            }
    }
    return result;
}

std::vector<Mixture> mixtures(const CellPoints& points, double grid_angle, const RingDrag& drag) {
    std::vector<Mixture> result(cell_count);
    const double ux = std::cos(drag.direction), uy = std::sin(drag.direction);
    const double per_point = 1.0 / points.per_cell;
    for (int index = 0; index < cell_count; ++index) {
        Mixture& mixture = result[static_cast<std::size_t>(index)];
        for (int point = 0; point < points.per_cell; ++point) {
            const CellPoint& p = points.points[static_cast<std::size_t>(index * points.per_cell + point)];
            const double smeared = drag.length_um > 0 ? drag_smear_share(p.x * ux + p.y * uy, contact_radius_um) : 0.0;
            mixture.own += (1 - smeared) * per_point;
            if (smeared <= 0) continue;
            const double share = smeared * per_point / smear_samples;
            for (int sample = 0; sample < smear_samples; ++sample) {
                const double back = drag.length_um * sample / (smear_samples - 1);
                const int source = cell_at(p.x - back * ux, p.y - back * uy, grid_angle);
                if (source == index) mixture.own += share;
                else if (source == on_finder) mixture.finder += share;
                else if (source >= 0) mixture.add(source, share);
            }
        }
    }
    return result;
}

struct Line {
    double offset = 0, gain = 0;  // value = offset + gain * printed share
};

// Least squares of values on predicted printed shares over the cells of a symbol's
// track within `window` sectors either side.
Line local_line(const std::vector<float>& values, const std::vector<double>& predicted, const std::vector<bool>& known,
                int symbol, int window) {
    const int track = symbol / ring_sectors_per_track, position = symbol % ring_sectors_per_track;
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int offset = -window; offset <= window; ++offset) {
        const int neighbour = track * ring_sectors_per_track + (position + offset + ring_sectors_per_track) % ring_sectors_per_track;
        for (int cell = 0; cell < ring_cells_per_symbol; ++cell) {
            const auto index = static_cast<std::size_t>(neighbour * ring_cells_per_symbol + cell);
            if (!known[index]) continue;
            const double x = predicted[index], y = values[index];
            n += 1;
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
    }
    const double spread = n * sxx - sx * sx;
    if (n < 6 || spread <= 1e-12) return {};
    const double gain = (n * sxy - sx * sy) / spread;
    return {(sy - gain * sx) / n, gain};
}

struct Equalised {
    RingSample sample;
    double misfit = 0;  // mean squared residual in units of the local gain
};

// What the plain reading gives every hypothesis to start from: which cells are read (not
// in a sector it erased, and sampled), and their hard decisions (0.5 where not read).
struct PlainCells {
    std::vector<bool> known;
    std::vector<double> printed;
};

PlainCells plain_cells(const std::vector<float>& values, const RingSample& plain) {
    PlainCells cells{std::vector<bool>(cell_count), std::vector<double>(cell_count, 0.5)};
    for (int index = 0; index < cell_count; ++index) {
        const int symbol = index / ring_cells_per_symbol, cell = index % ring_cells_per_symbol;
        const auto& soft = plain.observation.cells[static_cast<std::size_t>(symbol)];
        const bool erased = std::all_of(soft.begin(), soft.end(), [](float v) { return v == 0.0f; });
        const auto at = static_cast<std::size_t>(index);
        cells.known[at] = !erased && !std::isnan(values[at]);
        if (cells.known[at]) cells.printed[at] = soft[static_cast<std::size_t>(cell)] > 0 ? 1.0 : 0.0;
    }
    return cells;
}

Equalised equalise(const std::vector<float>& values, const RingSample& plain, const PlainCells& start,
                   const std::vector<Mixture>& model, const std::vector<int>& order) {
    constexpr int window = 3;  // sectors either side, as sample_ring's
    const std::vector<bool>& known = start.known;
    std::vector<double> printed = start.printed;
    const auto others = [&](int index) {
        const Mixture& mixture = model[static_cast<std::size_t>(index)];
        double share = mixture.finder;
        for (const auto& [source, weight] : mixture.sources) share += weight * printed[static_cast<std::size_t>(source)];
        return share;
    };
    std::vector<Line> lines(ring_symbols);
    std::vector<double> predicted(cell_count);
    constexpr int rounds = 3;
    for (int round = 0; round < rounds; ++round) {
        for (int index = 0; index < cell_count; ++index)
            predicted[static_cast<std::size_t>(index)] =
                others(index) + model[static_cast<std::size_t>(index)].own * printed[static_cast<std::size_t>(index)];
        for (int symbol = 0; symbol < ring_symbols; ++symbol)
            lines[static_cast<std::size_t>(symbol)] = local_line(values, predicted, known, symbol, window);
        for (const int index : order) {
            const auto at = static_cast<std::size_t>(index);
            const Line& line = lines[static_cast<std::size_t>(index / ring_cells_per_symbol)];
            if (!known[at] || !(line.gain > 0)) continue;
            const double own = (values[at] - line.offset) / line.gain - others(index);
            printed[at] = own > 0.5 * model[at].own ? 1.0 : 0.0;
        }
    }
    Equalised result;
    result.sample = plain;
    std::vector<double> gains;
    for (const Line& line : lines)
        if (line.gain > 0) gains.push_back(line.gain);
    double typical = 0;
    if (!gains.empty()) {
        std::nth_element(gains.begin(), gains.begin() + static_cast<std::ptrdiff_t>(gains.size() / 2), gains.end());
        typical = gains[gains.size() / 2];
    }
    double squares = 0;
    int counted = 0;
    for (int index = 0; index < cell_count; ++index) {
        const auto at = static_cast<std::size_t>(index);
        const int symbol = index / ring_cells_per_symbol;
        float& soft = result.sample.observation.cells[static_cast<std::size_t>(symbol)][static_cast<std::size_t>(index % ring_cells_per_symbol)];
        const Line& line = lines[static_cast<std::size_t>(symbol)];
        if (!known[at] || !(line.gain > 0)) {
            soft = 0.0f;
            continue;
        }
        const double rest = others(index), own = model[at].own;
        const double threshold = line.offset + line.gain * (rest + 0.5 * own);
        const double scale = 0.5 * std::max(line.gain * own, 0.8 * typical);
        soft = static_cast<float>(std::clamp((values[at] - threshold) / scale, -1.0, 1.0));
        const double residual = (values[at] - line.offset) / line.gain - (rest + own * printed[at]);
        squares += residual * residual;
        ++counted;
    }
    result.misfit = counted > 0 ? squares / counted : 1e30;
    return result;
}

Equalised read_with(const std::vector<float>& values, const RingSample& plain, const PlainCells& start,
                    const RingPlacement& placement, const CellPoints& points, const RingDrag& drag) {
    const std::vector<Mixture> model = mixtures(points, placement.grid_angle, drag);
    // From the least smeared end of the drag: each cell after the cells it was smeared from.
    std::vector<int> order(cell_count);
    std::vector<double> along(cell_count);
    for (int index = 0; index < cell_count; ++index) {
        order[static_cast<std::size_t>(index)] = index;
        const CellPoint& middle = points.middle(index);
        along[static_cast<std::size_t>(index)] = middle.x * std::cos(drag.direction) + middle.y * std::sin(drag.direction);
    }
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return along[static_cast<std::size_t>(a)] < along[static_cast<std::size_t>(b)];
    });
    return equalise(values, plain, start, model, order);
}

} // namespace

DraggedRing read_through_drag(const FeatureMap& map, const RingPlacement& placement, const RingSample& plain) {
    const std::vector<float> values = ring_cell_values(map, placement);
    // The search on each cell's middle alone, the refinement and the reading on nine points
    // a cell (a ninth of the cost where most of the trials are).
    const CellPoints middles = cell_points(placement.grid_angle, 1), points = cell_points(placement.grid_angle, 3);
    const PlainCells start = plain_cells(values, plain);
    const Equalised undragged = read_with(values, plain, start, placement, points, RingDrag{});
    DraggedRing best{RingDrag{}, undragged.sample, 1.0};
    if (!(undragged.misfit > 0) || undragged.misfit >= 1e30) return best;
    constexpr int directions = 24;
    // Striker drags of 25-70 um; a tilting barrel's up to 180 um.
    RingDrag searched;
    double searched_misfit = read_with(values, plain, start, placement, middles, RingDrag{}).misfit;
    for (int step = 0; step < directions; ++step)
        for (const double length : {20.0, 30.0, 40.0, 50.0, 60.0, 80.0, 110.0, 150.0}) {
            const RingDrag drag{full_turn * step / directions, length};
            const double misfit = read_with(values, plain, start, placement, middles, drag).misfit;
            if (misfit < searched_misfit) {
                searched_misfit = misfit;
                searched = drag;
            }
        }
    if (!(searched.length_um > 0)) return best;
    double best_misfit = undragged.misfit;
    const auto consider = [&](const RingDrag& drag) {
        Equalised trial = read_with(values, plain, start, placement, points, drag);
        if (trial.misfit < best_misfit) {
            best_misfit = trial.misfit;
            best = {drag, std::move(trial.sample), trial.misfit / undragged.misfit};
        }
    };
    consider(searched);
    if (!(best.drag.length_um > 0)) return best;
    for (double turn = full_turn / directions / 2, stretch = 0.125 * searched.length_um; turn > full_turn / 360;
         turn /= 2, stretch /= 2) {
        const RingDrag centre = best.drag;
        for (const double direction : {centre.direction - turn, centre.direction + turn})
            consider({direction, centre.length_um});
        for (const double length : {centre.length_um - stretch, centre.length_um + stretch})
            if (length > 5) consider({centre.direction, length});
    }
    return best;
}

} // namespace microstamp
