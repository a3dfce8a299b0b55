#include "read/ring_reader.hpp"
#include "read/order_statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <opencv2/imgproc.hpp>

namespace microstamp {
namespace {

constexpr double full_turn = 2 * std::numbers::pi;
const FaceGeometry reference_geometry{};

double finder_middle(const double* band) { return (band[0] + band[1]) / 2; }

// Points evenly around the unit circle, computed once per count (the searches ask for
// the same few counts millions of times).
const std::vector<cv::Point2d>& unit_circle(int angles) {
    static thread_local std::vector<std::vector<cv::Point2d>> cache;  // by count
    if (static_cast<std::size_t>(angles) >= cache.size()) cache.resize(static_cast<std::size_t>(angles) + 1);
    auto& points = cache[static_cast<std::size_t>(angles)];
    if (points.empty())
        for (int step = 0; step < angles; ++step)
            points.emplace_back(std::cos(full_turn * step / angles), std::sin(full_turn * step / angles));
    return points;
}

// Finder contrast for one centre and scale: both finder circles against the blank
// bands just inside the inner one and just outside the outer one, compared along the
// same rays only (where a scan lost part of the code area, a circle seen over part of
// its length must not be weighed against one seen whole).
double finder_contrast(const FeatureMap& map, double column, double row, double px_per_um, int angles) {
    constexpr double gap = 11.0;  // um from a finder's middle into the blank band beside it
    const double inner = finder_middle(reference_geometry.ring_inner_finder_um) * px_per_um;
    const double outer = finder_middle(reference_geometry.ring_outer_finder_um) * px_per_um;
    const double inner_band = inner - gap * px_per_um, outer_band = outer + gap * px_per_um;
    double sum = 0;
    int count = 0;
    const MapSampler sample_map(map.values, map.known);
    for (const cv::Point2d& direction : unit_circle(angles)) {
        const auto at = [&](double radius) { return sample_map(column + radius * direction.x, row - radius * direction.y); };
        const float difference = at(inner) - at(inner_band) + at(outer) - at(outer_band);
        if (std::isnan(difference)) continue;
        sum += difference;
        ++count;
    }
    return count > angles / 4 ? sum / count : -1e30;
}

struct Candidate {
    double column, row, px_per_um, score;
};

Candidate best_scale(const FeatureMap& map, double column, double row, double low, double high, int steps, int angles) {
    Candidate best{column, row, low, -1e30};
    for (int step = 0; step <= steps; ++step) {
        const double scale = low * std::pow(high / low, static_cast<double>(step) / steps);
        const double score = finder_contrast(map, column, row, scale, angles);
        if (score > best.score) best = {column, row, scale, score};
    }
    return best;
}

// Robust spread of the map (median absolute deviation), the unit of every score, from
// every `stride`th pixel each way (thousands of pixels settle a median).
double noise_level(const FeatureMap& map, int stride = 4) {
    std::vector<float> values;
    values.reserve(map.values.total() / static_cast<std::size_t>(stride * stride) + 1);
    for (int row = 0; row < map.values.rows; row += stride)
        for (int column = 0; column < map.values.cols; column += stride)
            if (map.known.at<std::uint8_t>(row, column)) values.push_back(map.values.at<float>(row, column));
    if (values.empty()) return 1;
    const std::size_t middle = values.size() / 2;
    const float median = kth_smallest(values, middle);
    for (auto& value : values) value = std::fabs(value - median);
    return std::max(1e-9, static_cast<double>(kth_smallest(values, middle)) * 1.4826);
}

// The map at a coarser pixel, for the searches that need only a first guess:
// area-averaged so thin finder circles fade rather than alias. Whole source pixels per
// coarse pixel (OpenCV's fast area path; a fractional ratio costs ten times as much),
// the nearest whole number to what was asked.
struct CoarseMap {
    FeatureMap map;
    double factor = 1;  // coarse pixels per map pixel
    int ratio = 1;      // map pixels per coarse pixel, each way
    cv::Mat known_share;  // CV_8U: the share of each coarse pixel's map pixels known, of 255
    // Positions between the two pixel grids (pixel centres at whole numbers in both).
    double to_coarse(double position) const { return (position + 0.5) * factor - 0.5; }
    double from_coarse(double position) const { return (position + 0.5) / factor - 0.5; }
};

// The `whole` of the map's values and of its known share area-averaged to `size`, at
// `ratio` map pixels per coarse pixel; `blocks`: whether they are whole blocks of the
// map's pixels (a coarser grid may then be built on them).
CoarseMap area_averaged(const FeatureMap& map, const cv::Mat& known_share, cv::Rect whole, cv::Size size, int ratio,
                        bool blocks) {
    CoarseMap result{map, 1.0 / ratio, blocks ? ratio : 1, {}};
    cv::resize(map.values(whole), result.map.values, size, 0, 0, cv::INTER_AREA);
    cv::resize(known_share(whole), result.known_share, size, 0, 0, cv::INTER_AREA);
    result.map.known = result.known_share > 128;
    result.map.um_per_px = map.um_per_px * ratio;
    return result;
}

// `ratio` x `ratio` blocks of `values` and of the known share averaged; blocks past the
// last whole one dropped.
CoarseMap averaged_blocks(const FeatureMap& map, const cv::Mat& known_share, int ratio) {
    const cv::Size size(map.values.cols / ratio, map.values.rows / ratio);
    return area_averaged(map, known_share, cv::Rect(0, 0, size.width * ratio, size.height * ratio), size, ratio, true);
}

CoarseMap coarse(const FeatureMap& map, double um_per_px) {
    const int ratio = static_cast<int>(std::lround(um_per_px / map.um_per_px));
    if (ratio < 2) return CoarseMap{map, 1.0, 1, map.known};
    if (map.values.cols / ratio < 8 || map.values.rows / ratio < 8) {
        // A map too small for whole blocks: stretched to eight coarse pixels.
        const cv::Size size(std::max(8, map.values.cols / ratio), std::max(8, map.values.rows / ratio));
        const cv::Rect whole(0, 0, std::min(map.values.cols, size.width * ratio), std::min(map.values.rows, size.height * ratio));
        return area_averaged(map, map.known, whole, size, ratio, false);
    }
    return averaged_blocks(map, map.known, ratio);
}

// A coarser grid still, from one already made when its blocks hold whole blocks of it
// (the mean of means of equal blocks is the mean: one pass over the full map saved).
CoarseMap coarser(const FeatureMap& map, const CoarseMap& finer, double um_per_px) {
    const int ratio = static_cast<int>(std::lround(um_per_px / map.um_per_px));
    if (finer.ratio < 2 || ratio <= finer.ratio || ratio % finer.ratio != 0 || map.values.cols / ratio < 8 ||
        map.values.rows / ratio < 8)
        return coarse(map, um_per_px);
    CoarseMap result = averaged_blocks(finer.map, finer.known_share, ratio / finer.ratio);
    result.factor = 1.0 / ratio;
    result.ratio = ratio;
    result.map.um_per_px = map.um_per_px * ratio;
    return result;
}

// Centre votes: every edge of the map votes along its gradient, both ways, at every
// distance the ring's circles may have. Whatever is concentric with the pin (finder
// circles, the cells' tangential edges, the crater rim) votes for one point; text,
// scratches and the primer's grain spread their votes thin.
cv::Mat centre_votes(const FeatureMap& map, double min_radius_px, double max_radius_px) {
    cv::Mat gx, gy;
    cv::Sobel(map.values, gx, CV_32F, 1, 0);
    cv::Sobel(map.values, gy, CV_32F, 0, 1);
    cv::Mat magnitude;
    cv::magnitude(gx, gy, magnitude);
    std::vector<float> known_strengths;
    known_strengths.reserve(magnitude.total());
    for (int row = 1; row + 1 < magnitude.rows; ++row) {
        const float* strengths = magnitude.ptr<float>(row);
        const std::uint8_t* known = map.known.ptr<std::uint8_t>(row);
        for (int column = 1; column + 1 < magnitude.cols; ++column)
            if (known[column]) known_strengths.push_back(strengths[column]);
    }
    cv::Mat votes = cv::Mat::zeros(map.values.size(), CV_32F);
    if (known_strengths.empty()) return votes;
    // The strongest fifth of the edges, each with one vote however strong: a deep crater
    // wall or a scratch must not outshout the finder circles.
    const float threshold = std::max(kth_smallest(known_strengths, known_strengths.size() * 4 / 5), 1e-12f);
    const int first = static_cast<int>(std::floor(min_radius_px)), last = static_cast<int>(std::ceil(max_radius_px));
    // Whole counts: an integer accumulator adds the same as the float one did (exact far
    // beyond any count here), without a float add's latency on every vote.
    cv::Mat counts = cv::Mat::zeros(map.values.size(), CV_32S);
    int* accumulator = counts.ptr<int>();
    const int width = votes.cols, height = votes.rows;
    for (int row = 1; row + 1 < height; ++row) {
        const float* strengths = magnitude.ptr<float>(row);
        const float* gx_line = gx.ptr<float>(row);
        const float* gy_line = gy.ptr<float>(row);
        const std::uint8_t* known = map.known.ptr<std::uint8_t>(row);
        for (int column = 1; column + 1 < width; ++column) {
            const float strength = strengths[column];
            if (strength < threshold || !known[column]) continue;
            const double ux = gx_line[column] / strength, uy = gy_line[column] / strength;
            for (const double sign : {-1.0, 1.0})
                for (int radius = first; radius <= last; ++radius) {
                    // Rounded half away from zero as std::lround rounds, without its call:
                    // past half a pixel below zero the vote is off the map either way.
                    const double x_at = column + sign * radius * ux, y_at = row + sign * radius * uy;
                    if (!(x_at > -0.5 && y_at > -0.5)) break;
                    const int x = static_cast<int>(x_at + 0.5), y = static_cast<int>(y_at + 0.5);
                    if (x >= width || y >= height) break;
                    ++accumulator[y * width + x];
                }
        }
    }
    counts.convertTo(votes, CV_32F);
    return votes;
}

// The strongest few local maxima of the votes, at least `separation` pixels apart from
// each other, and not within a pixel of those already `taken`.
std::vector<cv::Point> vote_peaks(cv::Mat votes, int count, int separation, const std::vector<cv::Point>& taken = {}) {
    for (const cv::Point& at : taken) cv::circle(votes, at, 1, 0.0, -1);
    std::vector<cv::Point> peaks;
    for (int i = 0; i < count; ++i) {
        double highest = 0;
        cv::Point at;
        cv::minMaxLoc(votes, nullptr, &highest, nullptr, &at);
        if (highest <= 0) break;
        peaks.push_back(at);
        cv::circle(votes, at, separation, 0.0, -1);
    }
    return peaks;
}

// Six centre candidates: three peaks of the votes lightly smoothed (a sharp pin's votes
// meet in one point) and three more of the votes smoothed over twice that (a worn pin's
// scatter over some 30 um around the centre, with no one peak near it).
std::vector<cv::Point> centre_candidates(const cv::Mat& votes, int separation, int count) {
    cv::Mat sharp, broad;
    cv::GaussianBlur(votes, sharp, cv::Size(), 1.0);
    cv::GaussianBlur(votes, broad, cv::Size(), 2.0);
    std::vector<cv::Point> candidates = vote_peaks(sharp, count, separation);
    const std::vector<cv::Point> more = vote_peaks(broad, count, separation, candidates);
    candidates.insert(candidates.end(), more.begin(), more.end());
    return candidates;
}

struct CellSampler {
    // Points inside the inner part of each cell, as (radius um, angle offset within the sector) in the layout.
    struct Point {
        double radius_um, cos, sin;  // the angle offset within the sector as its cosine and sine
    };
    std::vector<std::vector<Point>> cells;  // [cell 0..8 of a sector of track t] per track, flattened per track*9+cell

    // `across` x `across` points over the middle `span` of each cell (as a share of its width and height).
    CellSampler(int across, double span) {
        const double sector = full_turn / ring_sectors_per_track;
        const double* tracks[ring_tracks] = {reference_geometry.ring_inner_track_um, reference_geometry.ring_outer_track_um};
        cells.resize(ring_tracks * ring_cells_per_symbol);
        for (int track = 0; track < ring_tracks; ++track) {
            const double row_height = (tracks[track][1] - tracks[track][0]) / ring_rows;
            for (int cell = 0; cell < ring_cells_per_symbol; ++cell) {
                const int row = cell / ring_columns, column = cell % ring_columns;
                auto& points = cells[static_cast<std::size_t>(track * ring_cells_per_symbol + cell)];
                const double step = across > 1 ? span / (across - 1) : 0, first = (1 - span) / 2;
                for (int i = 0; i < across; ++i)
                    for (int j = 0; j < across; ++j) {
                        const double radius = tracks[track][0] + (row + first + step * i) * row_height;
                        const double angle = sector * (column + first + step * j) / ring_columns;
                        points.push_back({radius, std::cos(angle), std::sin(angle)});
                    }
            }
        }
    }
};

// Nine points a cell to read it; four to line up the grid at a quick look; on a map
// averaged against noise (FeatureMap::averaged_um), 25 over more of the cell's area,
// each a little more sure than a single pixel.
const CellSampler& cell_sampler(const FeatureMap& map, bool quick = false) {
    static const CellSampler reading(3, 0.4), aligning(2, 0.4), averaging(5, 0.6);
    if (map.averaged_um > 0) return averaging;
    return quick ? aligning : reading;
}

// Mean map value in every cell of every sector, for a grid angle; NaN where fewer than
// half the cell's points are known.
std::vector<float> cell_values(const FeatureMap& map, const RingPlacement& placement,
                               const CellSampler* chosen = nullptr) {
    const CellSampler& sampler = chosen ? *chosen : cell_sampler(map);
    const double sector = full_turn / ring_sectors_per_track;
    const MapSampler sample_map(map.values, map.known);
    std::vector<float> values(static_cast<std::size_t>(ring_symbols * ring_cells_per_symbol));
    for (int symbol = 0; symbol < ring_symbols; ++symbol) {
        const int track = symbol / ring_sectors_per_track, position = symbol % ring_sectors_per_track;
        const double start = placement.grid_angle + position * sector;
        const double start_cos = std::cos(start), start_sin = std::sin(start);
        for (int cell = 0; cell < ring_cells_per_symbol; ++cell) {
            double sum = 0;
            int count = 0;
            const auto& points = sampler.cells[static_cast<std::size_t>(track * ring_cells_per_symbol + cell)];
            for (const auto& point : points) {
                // The point's own angle added to the sector's start by the angle-sum rule.
                const double x = point.radius_um * (start_cos * point.cos - start_sin * point.sin);
                const double y = point.radius_um * (start_sin * point.cos + start_cos * point.sin);
                const cv::Point2d at = image_point(placement, x, y);
                const float value = sample_map(at.x, at.y);
                if (std::isnan(value)) continue;
                sum += value;
                ++count;
            }
            values[static_cast<std::size_t>(symbol * ring_cells_per_symbol + cell)] =
                2 * static_cast<std::size_t>(count) > points.size() ? static_cast<float>(sum / count) : std::nanf("");
        }
    }
    return values;
}

TwoClasses split(std::vector<float> values) { return split_two_classes(std::move(values), 6); }

// How well the cells separate into two classes at this grid angle.
double grid_alignment(const std::vector<float>& values) {
    double score = 0;
    for (int track = 0; track < ring_tracks; ++track) {
        const auto first = values.begin() + track * ring_sectors_per_track * ring_cells_per_symbol;
        const TwoClasses classes = split(std::vector<float>(first, first + ring_sectors_per_track * ring_cells_per_symbol));
        if (classes.valid) score += classes.high - classes.low;
    }
    return score;
}

} // namespace

cv::Point2d image_point(const RingPlacement& placement, double layout_x_um, double layout_y_um) {
    return {placement.centre_column + placement.px_per_um * layout_x_um,
            placement.centre_row - placement.px_per_um * layout_y_um};
}

// The best finder contrast near a candidate: a small search over centre and scale.
Candidate refine(const FeatureMap& map, Candidate start, double typical_px_per_um) {
    Candidate best = best_scale(map, start.column, start.row, start.px_per_um * 0.97, start.px_per_um * 1.03, 12, 64);
    const double reach = 6 * typical_px_per_um, step = 2 * typical_px_per_um;
    const Candidate centre = best;
    for (double y = centre.row - reach; y <= centre.row + reach + 1e-9; y += step)
        for (double x = centre.column - reach; x <= centre.column + reach + 1e-9; x += step) {
            const Candidate candidate = best_scale(map, x, y, centre.px_per_um * 0.98, centre.px_per_um * 1.02, 8, 64);
            if (candidate.score > best.score) best = candidate;
        }
    return best;
}

// Last, the sharp map, by hill-climbing over centre and scale.
Candidate climb(const FeatureMap& map, Candidate best, double typical_px_per_um) {
    for (double step = 1.0 * typical_px_per_um; step > 0.1; step /= 2) {
        bool moved = true;
        while (moved) {
            moved = false;
            for (const auto& [dx, dy] : {std::pair{1, 0}, std::pair{-1, 0}, std::pair{0, 1}, std::pair{0, -1}}) {
                const Candidate candidate = best_scale(map, best.column + dx * step, best.row + dy * step,
                                                       best.px_per_um * 0.99, best.px_per_um * 1.01, 8, 96);
                if (candidate.score > best.score + 1e-4 * std::fabs(best.score) + 1e-12) {  // strictly better, whatever the sign
                    best = candidate;
                    moved = true;
                }
            }
        }
    }
    best = best_scale(map, best.column, best.row, best.px_per_um * 0.99, best.px_per_um * 1.01, 16, 180);

    return best;
}

std::optional<RingPlacement> locate_ring(const FeatureMap& map, const LocateOptions& options) {
    const double noise = noise_level(map, options.quick ? 8 : 4);
    const double typical_px_per_um = std::sqrt(options.min_px_per_um * options.max_px_per_um);
    const double inner = finder_middle(reference_geometry.ring_inner_finder_um);
    // Centre candidates from votes on an ~8 um grid; centre and scale from the finder
    // contrast on an ~4 um grid around each; then the sharp map decides.
    const auto layout_grid = [&](double layout_um) { return coarse(map, layout_um * typical_px_per_um * map.um_per_px); };
    const CoarseMap searching = layout_grid(4);
    const CoarseMap voting = coarser(map, searching, (options.quick ? 12 : 8) * typical_px_per_um * map.um_per_px);
    const cv::Mat votes = centre_votes(voting.map, inner * options.min_px_per_um * voting.factor,
                                       inner * options.max_px_per_um * voting.factor);
    const double search_px_per_layout_um = typical_px_per_um * searching.factor;
    // Each vote peak: a 5 x 5 grid of centres 4 um apart, every plausible scale, few angles
    // (a climb from the peak stopped at false maxima of the noisy contrast); the two best
    // peaks then a finer look before the sharp map decides.
    // Scale steps of 2% at most: the finder contrast peaks over about that (a finder
    // circle's width against its radius); 48 across the widest range (a hint 30% off).
    const int scale_steps = std::clamp(static_cast<int>(std::ceil(std::log(options.max_px_per_um / options.min_px_per_um) / 0.02)), 8, 48);
    // Every centre and scale on 16 rays first; the eight best centres again on 32 rays,
    // at their scale and a step either side (half the rays cost half as much, and the
    // noisier scores only have to keep the right centre among eight; five lost one casing
    // of reader-wear-5000).
    const auto every_scale = [&](double column, double row) {
        return best_scale(searching.map, column, row, options.min_px_per_um * searching.factor,
                          options.max_px_per_um * searching.factor, scale_steps, 16);
    };
    const double scale_step = std::pow(options.max_px_per_um / options.min_px_per_um, 1.0 / scale_steps);
    constexpr int rescored = 8;
    std::vector<Candidate> at_peaks;
    for (const cv::Point& peak : centre_candidates(votes, static_cast<int>(40 * typical_px_per_um * voting.factor), options.quick ? 1 : 3)) {
        const double step = 4 * search_px_per_layout_um;
        const double column = searching.to_coarse(voting.from_coarse(peak.x));
        const double row = searching.to_coarse(voting.from_coarse(peak.y));
        std::vector<Candidate> here;
        const int reach = options.quick ? 1 : 2;
        for (int dy = -reach; dy <= reach; ++dy)
            for (int dx = -reach; dx <= reach; ++dx) here.push_back(every_scale(column + dx * step, row + dy * step));
        const auto by_score = [](const Candidate& a, const Candidate& b) { return a.score > b.score; };
        const auto kept = here.begin() + std::min<std::ptrdiff_t>(rescored, std::ssize(here));
        std::partial_sort(here.begin(), kept, here.end(), by_score);
        Candidate best_here{column, row, typical_px_per_um * searching.factor, -1e30};
        for (auto candidate = here.begin(); candidate != kept; ++candidate) {
            const Candidate again = best_scale(searching.map, candidate->column, candidate->row, candidate->px_per_um / scale_step,
                                               candidate->px_per_um * scale_step, 2, 32);
            if (again.score > best_here.score) best_here = again;
        }
        at_peaks.push_back(best_here);
    }
    std::sort(at_peaks.begin(), at_peaks.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
    at_peaks.resize(std::min<std::size_t>(at_peaks.size(), options.quick ? 1 : 2));
    Candidate best{map.values.cols / 2.0, map.values.rows / 2.0, typical_px_per_um, -1e30};
    for (const Candidate& start : at_peaks) {
        const double reach = (options.quick ? 2 : 4) * search_px_per_layout_um, step = 2 * search_px_per_layout_um;
        for (double y = start.row - reach; y <= start.row + reach + 1e-9; y += step)
            for (double x = start.column - reach; x <= start.column + reach + 1e-9; x += step) {
                const Candidate candidate =
                    best_scale(searching.map, x, y, start.px_per_um * 0.97, start.px_per_um * 1.03, 12, options.quick ? 32 : 64);
                if (candidate.score <= best.score) continue;
                best = {searching.from_coarse(x), searching.from_coarse(y), candidate.px_per_um / searching.factor, candidate.score};
            }
    }
    if (!options.quick) {
        best = refine(map, best, typical_px_per_um);
        best = climb(map, best, typical_px_per_um);
    }
    return align_grid(map, RingPlacement{best.column, best.row, best.px_per_um, 0, best.score / noise, 0}, noise,
                      options.quick);
}

RingPlacement align_grid(const FeatureMap& map, RingPlacement placement, double noise, bool quick) {
    // The angle within one column at which the cell grid lines up: the cells of a track
    // are the same set whichever column a sector is taken to start at, so the alignment
    // repeats every column (the sync cells settle the phase later).
    const double column = full_turn / ring_sectors_per_track / ring_columns;
    // A quick look tries half the angles, on four points a cell, and stops a step sooner.
    const int coarse_steps = quick ? 10 : 20;
    const CellSampler& sampler = cell_sampler(map, quick);
    double best_alignment = -1;
    for (int step_index = 0; step_index < coarse_steps; ++step_index) {
        RingPlacement trial = placement;
        trial.grid_angle = column * step_index / coarse_steps;
        const double alignment = grid_alignment(cell_values(map, trial, &sampler));
        if (alignment > best_alignment) {
            best_alignment = alignment;
            placement.grid_angle = trial.grid_angle;
        }
    }
    // Halving steps from half a coarse step, to a 700th of a column (a quick look: a 300th).
    for (double fine = column / (2 * coarse_steps); fine > column / (quick ? 300 : 700); fine /= 2)
        for (const double direction : {-1.0, 1.0}) {
            RingPlacement trial = placement;
            trial.grid_angle += direction * fine;
            const double alignment = grid_alignment(cell_values(map, trial, &sampler));
            if (alignment > best_alignment) {
                best_alignment = alignment;
                placement = trial;
            }
        }
    placement.grid_score = best_alignment / noise;
    return placement;
}

LightEstimate estimate_light(const FeatureMap& shading, const RingPlacement& placement) {
    // Under one low light the shading is the relief's slope along the light, so it
    // changes fastest along the light's axis: the structure tensor of the shading over
    // the code annulus points along it (the code's own edges run every way). The axis
    // leaves the sign open; the finder circles settle it (finder_polarity).
    const double inner = (reference_geometry.ring_inner_finder_um[0] - 15) * placement.px_per_um;
    const double outer = (reference_geometry.ring_outer_finder_um[1] + 15) * placement.px_per_um;
    const int first_row = std::max(1, static_cast<int>(placement.centre_row - outer));
    const int last_row = std::min(shading.values.rows - 2, static_cast<int>(placement.centre_row + outer));
    const int first_column = std::max(1, static_cast<int>(placement.centre_column - outer));
    const int last_column = std::min(shading.values.cols - 2, static_cast<int>(placement.centre_column + outer));
    double xx = 0, yy = 0, xy = 0;
    for (int row = first_row; row <= last_row; ++row) {
        const float* above = shading.values.ptr<float>(row - 1);
        const float* line = shading.values.ptr<float>(row);
        const float* below = shading.values.ptr<float>(row + 1);
        const std::uint8_t* known = shading.known.ptr<std::uint8_t>(row);
        const double dy = row - placement.centre_row;
        for (int column = first_column; column <= last_column; ++column) {
            const double dx = column - placement.centre_column, squared = dx * dx + dy * dy;
            if (squared < inner * inner || squared > outer * outer || !known[column]) continue;
            const double gx = (line[column + 1] - line[column - 1]) / 2.0;
            const double gy = -(below[column] - above[column]) / 2.0;  // y up
            xx += gx * gx;
            yy += gy * gy;
            xy += gx * gy;
        }
    }
    LightEstimate estimate;
    if (xx + yy <= 0) return estimate;
    estimate.azimuth = 0.5 * std::atan2(2 * xy, xx - yy);
    estimate.directionality = std::sqrt((xx - yy) * (xx - yy) + 4 * xy * xy) / (xx + yy);
    return estimate;
}

double finder_polarity(const FeatureMap& map, const RingPlacement& placement) {
    return finder_contrast(map, placement.centre_column, placement.centre_row, placement.px_per_um, 180);
}

RingPlacement refine_placement(const FeatureMap& map, const RingPlacement& placement) {
    const double noise = noise_level(map);
    Candidate best = refine(map, {placement.centre_column, placement.centre_row, placement.px_per_um, 0}, placement.px_per_um);
    best = climb(map, best, placement.px_per_um);
    return align_grid(map, RingPlacement{best.column, best.row, best.px_per_um, 0, best.score / noise, 0}, noise);
}

RingPhase choose_phase(const FeatureMap& map, const RingPlacement& placement) {
    RingPhase best{placement, sample_ring(map, placement), 0};
    best.sync_agreement = ring_sync_agreement(best.sample.observation);
    for (int column = 1; column < ring_columns; ++column) {
        RingPlacement trial = placement;
        trial.grid_angle += full_turn / ring_sectors_per_track * column / ring_columns;
        RingSample trial_sample = sample_ring(map, trial);
        const double agreement = ring_sync_agreement(trial_sample.observation);
        if (agreement > best.sync_agreement) best = {trial, std::move(trial_sample), agreement};
    }
    return best;
}

RingPlacement climb_on_sync_cells(const FeatureMap& map, const RingPlacement& start) {
    const double noise = noise_level(map);
    // A scale step moves the code's middle radius as far as a centre step moves its centre.
    const double middle_radius_px =
        start.px_per_um * (reference_geometry.ring_inner_track_um[0] + reference_geometry.ring_outer_track_um[1]) / 2;
    const auto phased = [&](const RingPlacement& trial, bool quick) { return choose_phase(map, align_grid(map, trial, noise, quick)); };
    // The finders can hold scale and centre off together, out of a one-way climb's reach:
    // first a coarse grid over both.
    RingPhase best = phased(start, true);
    for (int scale_step = -4; scale_step <= 4; ++scale_step)
        for (int row_step = -2; row_step <= 2; ++row_step)
            for (int column_step = -2; column_step <= 2; ++column_step) {
                RingPlacement trial = start;
                trial.centre_column += 4 * column_step;
                trial.centre_row += 4 * row_step;
                trial.px_per_um *= 1 + 0.01 * scale_step;
                RingPhase candidate = phased(trial, true);
                if (candidate.sync_agreement > best.sync_agreement) best = std::move(candidate);
            }
    best = phased(best.placement, false);
    for (double step = 2; step >= 0.25; step /= 2) {
        bool moved = true;
        while (moved) {
            moved = false;
            for (int move = 0; move < 6; ++move) {
                RingPlacement trial = best.placement;
                const double sign = move % 2 ? -1 : 1;
                if (move < 2) trial.centre_column += sign * step;
                else if (move < 4) trial.centre_row += sign * step;
                else trial.px_per_um *= 1 + sign * step / middle_radius_px;
                RingPhase candidate = phased(trial, false);
                if (candidate.sync_agreement > best.sync_agreement) {
                    best = std::move(candidate);
                    moved = true;
                }
            }
        }
    }
    return best.placement;
}

std::vector<float> ring_cell_values(const FeatureMap& map, const RingPlacement& placement) {
    return cell_values(map, placement);
}

RingSample sample_ring(const FeatureMap& map, const RingPlacement& placement) {
    RingSample result;
    const std::vector<float> values = cell_values(map, placement);
    constexpr int window = 3;  // sectors either side: contrast varies around the ring (tilt, drag, rim)
    std::vector<TwoClasses> classes(ring_symbols);
    std::vector<double> separations;
    for (int symbol = 0; symbol < ring_symbols; ++symbol) {
        const int track = symbol / ring_sectors_per_track, position = symbol % ring_sectors_per_track;
        std::vector<float> neighbourhood;
        neighbourhood.reserve((2 * window + 1) * ring_cells_per_symbol);
        for (int offset = -window; offset <= window; ++offset) {
            const int neighbour = track * ring_sectors_per_track +
                                  (position + offset + ring_sectors_per_track) % ring_sectors_per_track;
            const auto first = values.begin() + neighbour * ring_cells_per_symbol;
            neighbourhood.insert(neighbourhood.end(), first, first + ring_cells_per_symbol);
        }
        classes[static_cast<std::size_t>(symbol)] = split(neighbourhood);
    }
    // A sector's cells are as sure as its contrast is against the ring's typical one: a
    // smeared (dragged) or shallow arc, split on its own, would read its faint contrast
    // as confidently as a crisp sector and its wrong cells would pass as sure; measured
    // against at least 0.8 of the ring's median split, they come out unsure and are
    // erased first (tried 0.6, 0.8, 1; docs/read.md).
    constexpr double least_share_of_typical = 0.8;
    std::vector<double> splits;
    for (const TwoClasses& local : classes)
        if (local.valid && local.high > local.low) splits.push_back(local.high - local.low);
    double typical = 0;
    if (!splits.empty()) {
        std::nth_element(splits.begin(), splits.begin() + static_cast<std::ptrdiff_t>(splits.size() / 2), splits.end());
        typical = splits[splits.size() / 2];
    }
    for (int symbol = 0; symbol < ring_symbols; ++symbol) {
        const TwoClasses& local = classes[static_cast<std::size_t>(symbol)];
        auto& soft = result.observation.cells[static_cast<std::size_t>(symbol)];
        const auto first = values.begin() + symbol * ring_cells_per_symbol;
        const float lowest = *std::min_element(first, first + ring_cells_per_symbol, [](float a, float b) {
            return std::isnan(b) || (!std::isnan(a) && a < b);
        });
        const float highest = *std::max_element(first, first + ring_cells_per_symbol, [](float a, float b) {
            return std::isnan(a) || (!std::isnan(b) && a < b);
        });
        const double separation = local.high - local.low;
        // A sector whose own cells barely differ is blank, blotted or worn away: erase it
        // rather than read it as all-flat or all-printed.
        if (!local.valid || separation <= 0 || !(highest - lowest >= 0.45 * separation)) {
            soft.fill(0.0f);
            ++result.erased_sectors;
            continue;
        }
        separations.push_back(separation);
        const double scale = 0.5 * std::max(separation, least_share_of_typical * typical);
        for (int cell = 0; cell < ring_cells_per_symbol; ++cell) {
            const float value = first[cell];
            soft[static_cast<std::size_t>(cell)] =
                std::isnan(value) ? 0.0f : static_cast<float>(std::clamp((value - local.threshold) / scale, -1.0, 1.0));
        }
    }
    if (!separations.empty()) {
        std::nth_element(separations.begin(), separations.begin() + static_cast<std::ptrdiff_t>(separations.size() / 2),
                         separations.end());
        result.separation = separations[separations.size() / 2];
    }
    return result;
}

} // namespace microstamp
