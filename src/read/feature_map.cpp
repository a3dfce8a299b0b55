#include "read/feature_map.hpp"

#include "code/identity.hpp"
#include "read/order_statistics.hpp"
#include "surface/filters.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <fmt/core.h>
#include <opencv2/imgproc.hpp>

namespace microstamp {
namespace {

// Gaussian blur of `values` that ignores unknown points (normalised convolution).
cv::Mat masked_blur(const cv::Mat& values, const cv::Mat& known, double sigma_px) {
    cv::Mat weight;
    known.convertTo(weight, CV_32F, 1.0 / 255.0);
    cv::Mat weighted = values.mul(weight);
    box_gaussian_blur(weighted, sigma_px);
    box_gaussian_blur(weight, sigma_px);
    cv::Mat result;
    cv::divide(weighted, cv::max(weight, 1e-6f), result);
    return result;
}

// Blurs wide enough to be computed on coarser pixels and interpolated back: the result
// is smooth at that scale, so little of it is lost, and the blur costs a quarter or less.
// `ratio` coarse pixels per side; the padding to whole coarse pixels is `padding`
// (an edge repeated, or 0 for weights that must weigh nothing).
struct CoarseGrid {
    int ratio;
    cv::Size size;  // of the full-resolution image

    cv::Mat down(const cv::Mat& values, int padding) const {
        const cv::Size coarse((size.width + ratio - 1) / ratio, (size.height + ratio - 1) / ratio);
        cv::Mat padded = values, result;  // padded only when the size is not whole coarse pixels
        if (coarse.height * ratio != size.height || coarse.width * ratio != size.width)
            cv::copyMakeBorder(values, padded, 0, coarse.height * ratio - size.height, 0, coarse.width * ratio - size.width,
                               padding, 0);
        cv::resize(padded, result, coarse, 0, 0, cv::INTER_AREA);  // whole pixels: OpenCV's fast area path
        return result;
    }
    cv::Mat up(const cv::Mat& coarse) const {
        cv::Mat result;
        cv::resize(coarse, result, cv::Size(coarse.cols * ratio, coarse.rows * ratio), 0, 0, cv::INTER_LINEAR);
        if (result.size() == size) return result;
        return result(cv::Rect(cv::Point(0, 0), size)).clone();
    }
};

// A plain blur on pixels twice as wide, for a sigma of 5 pixels or more (or at `ratio`
// coarse pixels per side, when given).
cv::Mat wide_blur(const cv::Mat& values, double sigma_px, int ratio = 0) {
    const CoarseGrid grid{ratio > 0 ? ratio : sigma_px >= 5 ? 2 : 1, values.size()};
    cv::Mat result = grid.ratio == 1 ? values.clone() : grid.down(values, cv::BORDER_REPLICATE);
    box_gaussian_blur(result, sigma_px / grid.ratio);
    return grid.ratio == 1 ? result : grid.up(result);
}

// Area-averaged down to `size`: by whole pixels first (OpenCV's fast area path; up to
// ratio - 1 pixels of the right and bottom edges are dropped), the fractional rest by
// interpolation (the area path at a fractional ratio costs ten times as much).
cv::Mat shrink(const cv::Mat& image, cv::Size size) {
    const int ratio = std::min(image.cols / size.width, image.rows / size.height);
    cv::Mat result = image;
    if (ratio >= 2) {
        const cv::Size whole(image.cols / ratio, image.rows / ratio);
        cv::resize(image(cv::Rect(0, 0, whole.width * ratio, whole.height * ratio)), result, whole, 0, 0, cv::INTER_AREA);
    }
    if (result.size() != size) cv::resize(result, result, size, 0, 0, cv::INTER_LINEAR);
    return result;
}

// Missing points take a Gaussian-weighted mean (sigma 2 px) of the known points within
// 3 px, so that they neither print nor hide a cell. Done point by point: dropouts are a
// few per cent of a scan. Returns the points farther into a hole (255), which have no
// height to give; empty when there are none (most scans).
cv::Mat fill_missing(cv::Mat& heights, const cv::Mat& known) {
    cv::Mat deep;
    constexpr int reach = 3;
    float weights[2 * reach + 1][2 * reach + 1];
    for (int dy = -reach; dy <= reach; ++dy)
        for (int dx = -reach; dx <= reach; ++dx)
            weights[dy + reach][dx + reach] = std::exp(-static_cast<float>(dx * dx + dy * dy) / 8.0f);
    for (int row = 0; row < heights.rows; ++row) {
        const std::uint8_t* known_line = known.ptr<std::uint8_t>(row);
        // The missing points found at memchr's speed (a byte-by-byte scan of every known
        // point cost more than filling the missing ones).
        for (const std::uint8_t* next = known_line; ; ++next) {
            next = static_cast<const std::uint8_t*>(
                std::memchr(next, 0, static_cast<std::size_t>(known_line + heights.cols - next)));
            if (!next) break;
            const int column = static_cast<int>(next - known_line);
            float sum = 0, weight = 0;
            for (int y = std::max(0, row - reach); y <= std::min(heights.rows - 1, row + reach); ++y) {
                const float* values = heights.ptr<float>(y);
                const std::uint8_t* known_here = known.ptr<std::uint8_t>(y);
                for (int x = std::max(0, column - reach); x <= std::min(heights.cols - 1, column + reach); ++x)
                    if (known_here[x]) {
                        sum += weights[y - row + reach][x - column + reach] * values[x];
                        weight += weights[y - row + reach][x - column + reach];
                    }
            }
            heights.at<float>(row, column) = weight > 0 ? sum / weight : 0.0f;
            if (weight > 0) continue;
            if (deep.empty()) deep = cv::Mat(heights.size(), CV_8U, cv::Scalar(0));
            deep.at<std::uint8_t>(row, column) = 255;
        }
    }
    return deep;
}

// The unknown areas that hold a disc of `radius` pixels (a blot, not a speck of saturated
// pixels), spread by `margin` pixels; empty if there are none. Fewer unknown points than
// such a disc has cannot hold one: the morphology (milliseconds on a whole photograph)
// is skipped, with the same result.
cv::Mat large_unknown_areas(const cv::Mat& unknown, int radius, int margin) {
    const cv::Mat disc = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * radius + 1, 2 * radius + 1));
    if (cv::countNonZero(unknown) < cv::countNonZero(disc)) return {};
    cv::Mat large;
    cv::morphologyEx(unknown, large, cv::MORPH_OPEN, disc);
    if (cv::countNonZero(large) == 0) return {};
    cv::dilate(large, large, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * margin + 1, 2 * margin + 1)));
    return large;
}

} // namespace

// The scan's heights as floats (0 where unknown) with their known mask, and, for a
// background wide enough to be blurred on coarser pixels, the heights (0 where unknown)
// and the known points' weights (0 or 1) averaged over blocks of `ratio` x `ratio`
// points, the blocks past the scan's edge padded with 0: what OpenCV's area average of
// the padded maps gives, to the bit at a ratio of 2 (each block's rows summed in order,
// then the rows' sums), made in the same read of the scan as the rest. One read, no
// full-size weights map: the scan is the largest thing a read touches.
struct ScanPoints {
    cv::Mat heights;          // CV_32F
    cv::Mat known;            // CV_8U, 0 or 255
    cv::Mat coarse_heights;   // CV_32F, empty when ratio < 2
    cv::Mat coarse_weights;   // CV_32F, empty when ratio < 2
};

ScanPoints scan_points(const Surface& topography, int ratio) {
    const int width = static_cast<int>(topography.width), height = static_cast<int>(topography.height);
    ScanPoints points{cv::Mat(height, width, CV_32F), cv::Mat(height, width, CV_8U), {}, {}};
    const bool coarse = ratio >= 2;
    const int coarse_width = coarse ? (width + ratio - 1) / ratio : 0;
    if (coarse) {
        const cv::Size size(coarse_width, (height + ratio - 1) / ratio);
        points.coarse_heights = cv::Mat(size, CV_32F);
        points.coarse_weights = cv::Mat(size, CV_32F);
    }
    std::vector<float> height_sums(coarse_width), weight_sums(coarse_width), row_heights(coarse_width),
        row_weights(coarse_width);
    const auto scale = coarse ? 1.0f / static_cast<float>(ratio * ratio) : 1.0f;
    constexpr double largest = std::numeric_limits<double>::max();
    for (int row = 0; row < height; ++row) {
        float* height_line = points.heights.ptr<float>(row);
        std::uint8_t* known_line = points.known.ptr<std::uint8_t>(row);
        const std::size_t start = static_cast<std::size_t>(row) * topography.width;
        const double* source = topography.heights_um.data() + start;
        const std::uint8_t* measured = topography.valid.data() + start;
        for (int column = 0; column < width; ++column) {
            const double value = source[column];
            const bool valid = (measured[column] != 0) & (std::fabs(value) <= largest);
            height_line[column] = valid ? static_cast<float>(value) : 0.0f;
            known_line[column] = valid ? 255 : 0;
        }
        if (!coarse) continue;
        // Each block's sum along this row, then added to the rows above it: loops without
        // branches over whole blocks, which the compiler vectorises.
        const int whole = width / ratio;
        int block = 0;
        if (ratio == 2) {
            for (; block < whole; ++block) {
                row_heights[block] = height_line[2 * block] + height_line[2 * block + 1];
                row_weights[block] = static_cast<float>((known_line[2 * block] & 1) + (known_line[2 * block + 1] & 1));
            }
        }
        for (; block < coarse_width; ++block) {
            const int first = block * ratio, last = block < whole ? first + ratio : width;
            float height_sum = height_line[first], weight_sum = known_line[first] ? 1.0f : 0.0f;
            for (int column = first + 1; column < last; ++column) {
                height_sum += height_line[column];
                weight_sum += known_line[column] ? 1.0f : 0.0f;
            }
            row_heights[block] = height_sum;
            row_weights[block] = weight_sum;
        }
        if (row % ratio != 0) {
            for (block = 0; block < coarse_width; ++block) {
                row_heights[block] = height_sums[block] + row_heights[block];
                row_weights[block] = weight_sums[block] + row_weights[block];
            }
        }
        std::swap(height_sums, row_heights);
        std::swap(weight_sums, row_weights);
        if (row % ratio == ratio - 1 || row == height - 1) {
            float* coarse_heights = points.coarse_heights.ptr<float>(row / ratio);
            float* coarse_weights = points.coarse_weights.ptr<float>(row / ratio);
            for (block = 0; block < coarse_width; ++block) {
                coarse_heights[block] = height_sums[block] * scale;
                coarse_weights[block] = weight_sums[block] * scale;
            }
        }
    }
    return points;
}

// The smooth background under the heights: their masked Gaussian blur of `sigma_px`
// (unknown points weigh nothing), on pixels a sixth of sigma wide at most when sigma is
// wide (a third lost one casing in six of a dragged, worn duty pistol:
// Read.DutyPistolWithDragAfterFiveThousandRounds), interpolated back. The heights are
// taken with 0 at unknown points, so they need no product with the weights.
int background_ratio(double sigma_px) { return static_cast<int>(sigma_px / 6); }

cv::Mat scan_background(ScanPoints& points, double sigma_px) {
    const CoarseGrid grid{background_ratio(sigma_px), points.heights.size()};
    if (grid.ratio < 2) return masked_blur(points.heights, points.known, sigma_px);
    box_gaussian_blur(points.coarse_heights, sigma_px / grid.ratio);
    box_gaussian_blur(points.coarse_weights, sigma_px / grid.ratio);
    cv::Mat coarse_result;
    cv::divide(points.coarse_heights, cv::max(points.coarse_weights, 1e-6f), coarse_result);
    return grid.up(coarse_result);
}

FeatureMap feature_map(const Surface& topography, double background_um) {
    if (topography.empty()) throw InputError("the scan is empty");
    FeatureMap map;
    map.um_per_px = topography.spacing_x_um;
    map.kind = FeatureKind::height;
    const double sigma_px = background_um / map.um_per_px;
    ScanPoints points = scan_points(topography, background_ratio(sigma_px));
    map.known = points.known;
    // The background first: the holes' filled heights must weigh nothing in it.
    map.background = scan_background(points, sigma_px);
    const cv::Mat deep_in_holes = fill_missing(points.heights, map.known);
    cv::subtract(points.heights, map.background, points.heights);
    map.values = points.heights;
    // Deep in a hole, level with the background: a large hole's rim must not stand out as
    // an edge a hundred micrometres high that the searches and samples next to it pick up.
    if (!deep_in_holes.empty()) map.values.setTo(0, deep_in_holes);
    return map;
}

namespace {

// The photograph at exactly half its pixels each way, in one pass over the pixels: each
// grey level the mean of a two-by-two block (what a float copy and OpenCV's area average
// give, to float rounding), known where at least three of the block's four pixels lie
// within [lowest, highest] (the in-range mask, 0 or 255, averaged over the block and kept
// above 128: three of four make 191, two 127.5).
struct HalvedGrey {
    cv::Mat grey;   // CV_32F
    cv::Mat known;  // CV_8U
};

HalvedGrey halved_grey_levels(const cv::Mat& pixels, double top, std::uint16_t lowest, std::uint16_t highest) {
    const cv::Size size(pixels.cols / 2, pixels.rows / 2);
    HalvedGrey result{cv::Mat(size, CV_32F), cv::Mat(size, CV_8U)};
    const float scale = static_cast<float>(0.25 / top);
    const auto inside = [&](std::uint16_t value) { return static_cast<int>(value >= lowest && value <= highest); };
    for (int row = 0; row < size.height; ++row) {
        const std::uint16_t* upper = pixels.ptr<std::uint16_t>(2 * row);
        const std::uint16_t* lower = pixels.ptr<std::uint16_t>(2 * row + 1);
        float* grey = result.grey.ptr<float>(row);
        std::uint8_t* known = result.known.ptr<std::uint8_t>(row);
        for (int column = 0; column < size.width; ++column) {
            const std::uint16_t a = upper[2 * column], b = upper[2 * column + 1], c = lower[2 * column], d = lower[2 * column + 1];
            grey[column] = static_cast<float>(a + b + c + d) * scale;
            known[column] = inside(a) + inside(b) + inside(c) + inside(d) >= 3 ? 255 : 0;
        }
    }
    return result;
}

// The photograph as grey levels in [0, 1] on pixels of about `working_um_per_px` (when
// the photograph's are finer), saturated black or white unknown: it has no shading to
// read. Cells span many pixels: averaging pixels first costs nothing in what can be read.
// Pixels within [lowest, highest] (255) and, with `scattered` saturated pixels known, those
// outside it too unless they fill a 3 x 3 block: noise that pushes a pixel past full scale
// leaves it on its own, and its clipped level still says which way it was pushed; a glare,
// a fill or a blot saturates every pixel of an area, which shows nothing.
cv::Mat known_levels(const cv::Mat& pixels, std::uint16_t lowest, std::uint16_t highest, SaturatedPixels saturated) {
    cv::Mat known;
    cv::inRange(pixels, lowest, highest, known);
    if (saturated == SaturatedPixels::known_where_scattered) {
        cv::Mat areas;
        cv::morphologyEx(known == 0, areas, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_RECT, {3, 3}));
        known = areas == 0;
    }
    return known;
}

FeatureMap grey_levels(const Image& photograph, double um_per_px, double working_um_per_px, SaturatedPixels saturated) {
    if (photograph.width <= 0 || photograph.height <= 0) throw InputError("the image is empty");
    if (!(um_per_px > 0)) throw InputError("the image scale (um per pixel) must be positive");
    FeatureMap map;
    map.um_per_px = um_per_px;
    map.kind = FeatureKind::shading;
    const double top = photograph.bits == 16 ? 65535.0 : 255.0;
    // The pixels as they are (the image is not written to).
    const cv::Mat pixels(photograph.height, photograph.width, CV_16U, const_cast<std::uint16_t*>(photograph.pixels.data()));
    // Above 0.004 and below 0.996 of full scale, in whole levels (2..253 of 8 bits).
    const auto lowest = static_cast<std::uint16_t>(std::floor(0.004 * top) + 1);
    const auto highest = static_cast<std::uint16_t>(std::ceil(0.996 * top) - 1);
    cv::Mat grey;
    if (working_um_per_px > um_per_px * 1.25) {
        const double factor = um_per_px / working_um_per_px;
        const cv::Size size(std::max(16, static_cast<int>(std::lround(photograph.width * factor))),
                            std::max(16, static_cast<int>(std::lround(photograph.height * factor))));
        if (pixels.cols / 2 == size.width && pixels.rows / 2 == size.height && saturated == SaturatedPixels::unknown) {
            HalvedGrey halved = halved_grey_levels(pixels, top, lowest, highest);
            grey = halved.grey;
            map.known = halved.known;
        } else {
            pixels.convertTo(grey, CV_32F, 1.0 / top);
            grey = shrink(grey, size);
            map.known = shrink(known_levels(pixels, lowest, highest, saturated), size) > 128;
        }
        map.um_per_px = um_per_px * photograph.width / size.width;
    } else {
        pixels.convertTo(grey, CV_32F, 1.0 / top);
        map.known = known_levels(pixels, lowest, highest, saturated);
    }
    map.values = grey;
    return map;
}

// A flat area found over a window wider than a cell stops short of its edge by up to
// `reach` pixels (the window's reach twice: the local mean's, then the spread's): the
// window there straddles textured ground. Pixels flat at
// their own scale (no grey level differs in their 3 x 3 neighbourhood, as in an editor's
// fill, never under a sensor's noise) within that reach of the area take it out to its
// edge; a flat speck farther from any area (a block flattened by JPEG) stays as it is.
cv::Mat flat_to_its_edge(const cv::Mat& grey, const cv::Mat& flat_areas, int reach) {
    cv::Mat highest, lowest;
    cv::dilate(grey, highest, cv::Mat());
    cv::erode(grey, lowest, cv::Mat());
    const cv::Mat flat_pixels = (highest - lowest) <= 1e-6f;
    cv::Mat near_areas;
    cv::dilate(flat_areas, near_areas, cv::getStructuringElement(cv::MORPH_RECT, {2 * reach + 1, 2 * reach + 1}));
    return flat_areas | (flat_pixels & near_areas);
}

} // namespace

FeatureMap shading_detail(const Image& photograph, double um_per_px, double background_um, double working_um_per_px,
                          SaturatedPixels saturated) {
    FeatureMap map = grey_levels(photograph, um_per_px, working_um_per_px, saturated);
    const cv::Mat grey = map.values;
    // No texture at all (an opaque blot, a paint fill) carries no shading: unknown, so
    // that what is under it is erased rather than misread.
    const double texture_sigma = 12.0 / map.um_per_px;  // wider than a cell: a flat cell top is not a blot
    // The spread about the local mean, not the mean square less the squared mean: at mid
    // grey those two round to within 5e-8 of each other, and a flat grey fill passed for texture.
    const cv::Mat departure = grey - wide_blur(grey, texture_sigma);
    const cv::Mat variance = wide_blur(departure.mul(departure), texture_sigma);
    const cv::Mat flat_areas = variance <= 2e-8f;  // flat to within a twentieth of a grey level in 256: nothing there
    if (cv::countNonZero(flat_areas) > 0) map.known &= ~flat_to_its_edge(grey, flat_areas, static_cast<int>(std::ceil(6 * texture_sigma)));
    map.values = grey - wide_blur(grey, background_um / map.um_per_px / 2);
    return map;
}

FeatureMap quick_shading_detail(const Image& photograph, double um_per_px, double background_um, double working_um_per_px) {
    FeatureMap map = grey_levels(photograph, um_per_px, working_um_per_px, SaturatedPixels::unknown);
    map.values = map.values - wide_blur(map.values, background_um / map.um_per_px / 2, 2);
    return map;
}

FeatureMap feature_map(const Image& photograph, double um_per_px, double background_um) {
    return edge_energy(shading_detail(photograph, um_per_px, background_um, 0));
}

FeatureMap smoothed(const FeatureMap& map, double sigma_um) {
    FeatureMap result = map;
    result.values = masked_blur(map.values, map.known, sigma_um / map.um_per_px);
    result.averaged_um = sigma_um;
    return result;
}

double pixel_noise(const FeatureMap& map) {
    std::vector<float> differences;
    differences.reserve(map.values.total() / 4 + 1);
    for (int row = 0; row < map.values.rows; row += 2) {
        const float* line = map.values.ptr<float>(row);
        const std::uint8_t* known = map.known.ptr<std::uint8_t>(row);
        for (int column = 0; column + 1 < map.values.cols; column += 2)
            if (known[column] && known[column + 1]) differences.push_back(std::fabs(line[column + 1] - line[column]));
    }
    if (differences.empty()) return 0;
    return kth_smallest(differences, differences.size() / 2) * 1.4826 / std::numbers::sqrt2;
}

FeatureMap edge_energy(const FeatureMap& shading) {
    FeatureMap map = shading;
    const double um_per_px = shading.um_per_px;
    // Contrast relative to the neighbourhood, squared, then gathered over about a
    // third of a cell: edges inside a cell add up, flat ground does not.
    cv::Mat energy = map.values.mul(map.values);
    box_gaussian_blur(energy, std::max(0.7, 4.0 / um_per_px));
    map.values = cv::Mat();  // the copy shares the shading's pixels: write new ones
    cv::sqrt(energy, map.values);
    map.kind = FeatureKind::edge_energy;
    // Next to a large unknown area the shading's windows straddle its edge, which then
    // stands out like a strong circle of the surface (a round blot's rim outvoted a dragged
    // ring's finder circles): unknown too, out to the texture window (shading_detail).
    // Specks smaller than the window (glints) are left alone.
    const int window = std::max(1, static_cast<int>(std::lround(12.0 / um_per_px)));
    const cv::Mat large_unknown = large_unknown_areas(map.known == 0, window, window);
    if (!large_unknown.empty()) {
        map.known = map.known.clone();  // shared with the shading
        map.known.setTo(0, large_unknown);
    }
    return map;
}

FeatureMap relief_from_shading(const FeatureMap& detail, double light_azimuth, cv::Point2d centre, double radius_px,
                               double reach_um) {
    // Lambertian shading under a low light: brightness ~ -(slope towards the light), so
    // a raised cell is bright on its side towards the light and dark on the other. The
    // shading summed over `reach_um` towards the light minus the same away from it is
    // high at the middle of a raised cell and near zero at a flat one (a correlation
    // with a cell's own shading; unlike a full integral it cannot drift).
    const int reach = std::max(1, static_cast<int>(std::lround(reach_um / detail.um_per_px)));
    // Only the box around the code: the turns cost most of the time, and area is all they cost.
    const int half = static_cast<int>(std::ceil(radius_px)) + 2 * reach + 2;
    const cv::Rect box = cv::Rect(static_cast<int>(centre.x) - half, static_cast<int>(centre.y) - half, 2 * half + 1, 2 * half + 1) &
                         cv::Rect(0, 0, detail.values.cols, detail.values.rows);
    FeatureMap relief = detail;
    relief.kind = FeatureKind::relief;
    // The copy shares the detail's pixels: new ones (assigning Mat::zeros would write into them).
    relief.values = cv::Mat(detail.values.size(), CV_32F, cv::Scalar(0));
    relief.known = cv::Mat(detail.values.size(), CV_8U, cv::Scalar(0));
    if (box.empty()) return relief;
    const double degrees = light_azimuth * 180 / std::numbers::pi;
    const cv::Point2f pivot(static_cast<float>(centre.x - box.x), static_cast<float>(centre.y - box.y));
    const cv::Mat turn = cv::getRotationMatrix2D(pivot, -degrees, 1.0);
    const cv::Mat unknown = detail.known(box) == 0;
    cv::Mat values = detail.values(box).clone(), turned;
    values.setTo(0, unknown);
    cv::warpAffine(values, turned, turn, box.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
    std::vector<double> running(static_cast<std::size_t>(turned.cols) + 1);
    for (int row = 0; row < turned.rows; ++row) {
        float* line = turned.ptr<float>(row);
        for (int column = 0; column < turned.cols; ++column)
            running[static_cast<std::size_t>(column) + 1] = running[static_cast<std::size_t>(column)] + line[column];
        const auto sum = [&](int from, int to) {  // columns [from, to), clipped
            from = std::clamp(from, 0, turned.cols);
            to = std::clamp(to, 0, turned.cols);
            return running[static_cast<std::size_t>(to)] - running[static_cast<std::size_t>(from)];
        };
        for (int column = 0; column < turned.cols; ++column)
            line[column] = static_cast<float>((sum(column + 1, column + 1 + reach) - sum(column - reach, column)) / reach);
    }
    cv::Mat box_relief = relief.values(box);
    cv::warpAffine(turned, box_relief, turn, box.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, 0);
    // Near a large unknown area (a blot, not a speck of saturated pixels) the filter and
    // the background both see its edge: unknown too.
    const cv::Mat spread_unknown = large_unknown_areas(unknown, reach, 2 * reach);
    cv::Mat box_known = relief.known(box);
    detail.known(box).copyTo(box_known);
    if (!spread_unknown.empty()) box_known.setTo(0, spread_unknown);
    return relief;
}

TwoClasses split_two_classes(std::vector<float> values, std::size_t minimum_count) {
    std::erase_if(values, [](float value) { return !std::isfinite(value); });
    TwoClasses result;
    if (values.size() < std::max<std::size_t>(2, minimum_count)) return result;
    sort_floats(values);
    const std::size_t count = values.size();
    // Sums below each cut, then every cut's spread between the classes apart from the
    // search for the best: with no step waiting on the one before, the divisions run
    // several at a time (the same operations in the same order, so the same bits).
    // One buffer per thread for both, as the split runs thousands of times in a read.
    thread_local std::vector<double> scratch;
    scratch.resize(2 * count);
    double* const below = scratch.data();
    double* const between = below + count;
    double sum = 0;
    for (std::size_t cut = 1; cut < count; ++cut) below[cut] = sum += values[cut - 1];
    const double total = sum + values[count - 1];
    const int cuts = static_cast<int>(count);  // int: its conversions to double vectorise
    for (int cut = 1; cut < cuts; ++cut) {
        const auto at = static_cast<std::size_t>(cut);
        const double n0 = cut, n1 = cuts - cut;
        const double mean0 = below[at] / n0, mean1 = (total - below[at]) / n1;
        between[at] = n0 * n1 * (mean1 - mean0) * (mean1 - mean0);
    }
    std::size_t best = 0;
    for (std::size_t cut = 1; cut < count; ++cut)
        if (best == 0 ? between[cut] > -1 : between[cut] > between[best]) best = cut;
    if (best == 0) return result;
    const double n0 = static_cast<double>(best), n1 = static_cast<double>(count - best);
    return {(values[best - 1] + values[best]) / 2.0, below[best] / n0, (total - below[best]) / n1, true};
}

} // namespace microstamp
