#include "physics/face_filters.hpp"

#include <algorithm>
#include <bit>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace microstamp {
namespace {

// Half-width of each row of the disc, read from OpenCV's own element so that the disc
// is the very one cv::dilate would use.
std::vector<int> disc_half_widths(int radius) {
    const cv::Mat element = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * radius + 1, 2 * radius + 1));
    std::vector<int> half_widths(static_cast<std::size_t>(element.rows));
    for (int row = 0; row < element.rows; ++row)
        half_widths[static_cast<std::size_t>(row)] = (cv::countNonZero(element.row(row)) - 1) / 2;
    return half_widths;
}

// levels[h][x] = the largest of row[x - h .. x + h] (within the row), for h = 0, 1, ...:
// each from the one before, as the window [x - h, x + h] is the union of the windows
// of half-width h - 1 around x - 1 and x + 1 (with x itself for h = 1).
void row_maxima(const float* row, int width, std::vector<float*>& levels) {
    std::copy(row, row + width, levels[0]);
    for (std::size_t level = 1; level < levels.size(); ++level) {
        const float* previous = levels[level - 1];
        float* current = levels[level];
        if (width == 1) {
            current[0] = previous[0];
            continue;
        }
        current[0] = previous[1] > previous[0] ? previous[1] : previous[0];
        current[width - 1] = previous[width - 2] > previous[width - 1] ? previous[width - 2] : previous[width - 1];
        // Plain ternaries so that the compiler vectorises the loops.
        if (level == 1) {
            for (int x = 1; x + 1 < width; ++x) {
                const float side = previous[x - 1] > previous[x + 1] ? previous[x - 1] : previous[x + 1];
                current[x] = side > previous[x] ? side : previous[x];
            }
        } else {
            for (int x = 1; x + 1 < width; ++x)
                current[x] = previous[x - 1] > previous[x + 1] ? previous[x - 1] : previous[x + 1];
        }
    }
}

// out[x] = the largest of sources[i][x]. Four rows a pass, so that `out` is read and
// written a quarter as often as the rows are.
void column_maxima(const std::vector<const float*>& sources, int width, float* out) {
    std::copy(sources[0], sources[0] + width, out);
    std::size_t next = 1;
    for (; next + 4 <= sources.size(); next += 4) {
        const float *a = sources[next], *b = sources[next + 1], *c = sources[next + 2], *d = sources[next + 3];
        for (int x = 0; x < width; ++x) {
            const float ab = a[x] > b[x] ? a[x] : b[x];
            const float cd = c[x] > d[x] ? c[x] : d[x];
            const float abcd = ab > cd ? ab : cd;
            out[x] = abcd > out[x] ? abcd : out[x];
        }
    }
    for (; next < sources.size(); ++next)
        for (int x = 0; x < width; ++x) out[x] = sources[next][x] > out[x] ? sources[next][x] : out[x];
}

// Whether any of `count` values is != 0, as integer bits (a float is == 0 when all but
// its sign bit are clear, and a NaN is not) in a plain loop, so that the compiler vectorises it.
bool any_nonzero(const float* values, int count) {
    std::uint32_t bits = 0;
    for (int index = 0; index < count; ++index) bits |= std::bit_cast<std::uint32_t>(values[index]) & 0x7FFFFFFFu;
    return bits != 0;
}

bool any_nonzero(const std::uint8_t* values, int count) {
    std::uint32_t bits = 0;
    for (int index = 0; index < count; ++index) bits |= values[index];
    return bits != 0;
}

// The first and one past the last column of a row holding a value != 0 ({width, width}
// for a blank row), found a block at a time from each end.
template <typename Value>
std::pair<int, int> nonzero_columns(const Value* line, int width) {
    constexpr int block = 32;
    int first = 0;
    while (first + block <= width && !any_nonzero(line + first, block)) first += block;
    while (first < width && line[first] == Value(0)) ++first;
    if (first == width) return {width, width};
    int end = width;
    while (end - block >= first && !any_nonzero(line + end - block, block)) end -= block;
    while (line[end - 1] == Value(0)) --end;
    return {first, end};
}

// The smallest rectangle holding every value != 0 (what cv::boundingRect(values != 0)
// gives) without making the mask.
template <typename Value>
cv::Rect nonzero_bounds(const cv::Mat& values) {
    int first_row = -1, last_row = -1, first_column = values.cols, end_column = 0;
    for (int row = 0; row < values.rows; ++row) {
        const auto [first, end] = nonzero_columns(values.ptr<Value>(row), values.cols);
        if (first == values.cols) continue;
        if (first_row < 0) first_row = row;
        last_row = row;
        first_column = std::min(first_column, first);
        end_column = std::max(end_column, end);
    }
    if (first_row < 0) return {};
    return {first_column, first_row, end_column - first_column, last_row - first_row + 1};
}

// The end of the run of equal-to-zero (or, with `nonzero`, not-zero) mask bytes that
// starts at `start`, found eight bytes at a time where it can be.
int run_end(const std::uint8_t* line, int start, int width, bool nonzero) {
    int end = start;
    while (end + 8 <= width) {
        std::uint64_t word = 0;
        std::memcpy(&word, line + end, sizeof word);
        // Any zero byte ends a run of non-zero ones; any non-zero byte one of zeros.
        const std::uint64_t zero_bytes = (word - 0x0101010101010101ull) & ~word & 0x8080808080808080ull;
        if (nonzero ? zero_bytes != 0 : word != 0) break;
        end += 8;
    }
    while (end < width && (line[end] != 0) == nonzero) ++end;
    return end;
}

} // namespace

cv::Rect nonzero_area(const cv::Mat& values, int margin) {
    CV_Assert(values.channels() == 1 && (values.depth() == CV_32F || values.depth() == CV_8U));
    const cv::Rect tight = values.depth() == CV_32F ? nonzero_bounds<float>(values) : nonzero_bounds<std::uint8_t>(values);
    if (tight.empty()) return {};
    return cv::Rect(tight.x - margin, tight.y - margin, tight.width + 2 * margin, tight.height + 2 * margin) &
           cv::Rect(0, 0, values.cols, values.rows);
}

cv::Mat disc_maximum(const cv::Mat& values, int radius) {
    CV_Assert(values.type() == CV_32F && radius >= 0);
    const std::vector<int> half_widths = disc_half_widths(radius);
    const int levels = *std::max_element(half_widths.begin(), half_widths.end()) + 1;
    const int rows = values.rows, width = values.cols, span = 2 * radius + 1;
    // The row maxima of the last `span` source rows, each row's kept in slot row % span.
    std::vector<float> ring(static_cast<std::size_t>(span) * static_cast<std::size_t>(levels) * static_cast<std::size_t>(width));
    auto level_row = [&](int source_row, int level) {
        return ring.data() + (static_cast<std::size_t>(source_row % span) * static_cast<std::size_t>(levels) +
                              static_cast<std::size_t>(level)) * static_cast<std::size_t>(width);
    };
    std::vector<float*> slot(static_cast<std::size_t>(levels));
    auto prepare_row = [&](int source_row) {
        for (int level = 0; level < levels; ++level) slot[static_cast<std::size_t>(level)] = level_row(source_row, level);
        row_maxima(values.ptr<float>(source_row), width, slot);
    };
    cv::Mat result(values.size(), CV_32F);
    std::vector<const float*> sources;
    for (int row = 0; row < std::min(radius, rows); ++row) prepare_row(row);
    for (int row = 0; row < rows; ++row) {
        if (row + radius < rows) prepare_row(row + radius);
        sources.clear();
        for (int offset = -radius; offset <= radius; ++offset)
            if (row + offset >= 0 && row + offset < rows)
                sources.push_back(level_row(row + offset, half_widths[static_cast<std::size_t>(offset + radius)]));
        column_maxima(sources, width, result.ptr<float>(row));
    }
    return result;
}

} // namespace microstamp

namespace microstamp {

void warp_affine_part(const cv::Mat& source, const cv::Mat& inverse_map, const cv::Rect& part, cv::Mat& warped) {
    CV_Assert(inverse_map.type() == CV_64F && inverse_map.rows == 2 && inverse_map.cols == 3);
    CV_Assert(warped.size() == part.size() && warped.type() == source.type());
    if (part.empty()) return;
    const double* m = inverse_map.ptr<double>();
    // OpenCV's fixed point: positions in 1/1024 px, cut to 1/32 px for the bilinear weights.
    constexpr int position_bits = 10, weight_bits = 5, weight_steps = 1 << weight_bits;
    constexpr int position_scale = 1 << position_bits;
    constexpr int round_delta = position_scale / weight_steps / 2;
    // A band of rows at a time, so that its positions and weights stay in cache.
    constexpr int band = 16;
    thread_local std::vector<int> column_x, column_y;
    column_x.resize(static_cast<std::size_t>(part.width));
    column_y.resize(static_cast<std::size_t>(part.width));
    for (int column = 0; column < part.width; ++column) {
        const int x = part.x + column;
        column_x[static_cast<std::size_t>(column)] = cv::saturate_cast<int>(m[0] * x * position_scale);
        column_y[static_cast<std::size_t>(column)] = cv::saturate_cast<int>(m[3] * x * position_scale);
    }
    thread_local cv::Mat positions, weights;
    for (int band_start = 0; band_start < part.height; band_start += band) {
        const int rows = std::min(band, part.height - band_start);
        positions.create(rows, part.width, CV_16SC2);
        weights.create(rows, part.width, CV_16U);
        for (int row = 0; row < rows; ++row) {
            const int y = part.y + band_start + row;
            const int row_x = cv::saturate_cast<int>((m[1] * y + m[2]) * position_scale) + round_delta;
            const int row_y = cv::saturate_cast<int>((m[4] * y + m[5]) * position_scale) + round_delta;
            auto* position = positions.ptr<short>(row);
            auto* weight = weights.ptr<unsigned short>(row);
            for (int column = 0; column < part.width; ++column) {
                const int x = (row_x + column_x[static_cast<std::size_t>(column)]) >> (position_bits - weight_bits);
                const int y_position = (row_y + column_y[static_cast<std::size_t>(column)]) >> (position_bits - weight_bits);
                position[2 * column] = cv::saturate_cast<short>(x >> weight_bits);
                position[2 * column + 1] = cv::saturate_cast<short>(y_position >> weight_bits);
                weight[column] = static_cast<unsigned short>((y_position & (weight_steps - 1)) * weight_steps + (x & (weight_steps - 1)));
            }
        }
        cv::Mat target = warped.rowRange(band_start, band_start + rows);
        cv::remap(source, target, positions, weights, cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
    }
}

void filter_nonblank_tiles(const cv::Mat& source, cv::Mat& target, int reach, int tile,
                           const std::function<void(const cv::Mat&, cv::Mat&)>& filter) {
    CV_Assert(source.type() == CV_32F && target.type() == CV_32F && source.size() == target.size() && tile > 0);
    for (int y = 0; y < source.rows; y += tile)
        for (int x = 0; x < source.cols; x += tile) {
            const cv::Rect part = cv::Rect(x, y, tile, tile) & cv::Rect(0, 0, source.cols, source.rows);
            cv::Mat around = source(part);
            around.adjustROI(reach, reach, reach, reach);  // kept inside the parent map
            bool blank = true;
            for (int row = 0; row < around.rows && blank; ++row) {
                // Every bit, the sign's too: a -0 tile is not left as +0.
                std::uint32_t bits = 0;
                const auto* line = around.ptr<float>(row);
                for (int column = 0; column < around.cols; ++column) bits |= std::bit_cast<std::uint32_t>(line[column]);
                blank = bits == 0;
            }
            cv::Mat out = target(part);
            if (blank) out.setTo(0);
            else filter(source(part), out);
        }
}

cv::Mat chamfer_distance(const cv::Mat& mask) {
    CV_Assert(mask.type() == CV_8U);
    // OpenCV's 3x3 L2 weights (0.955 and 1.3693) in 16-bit fixed point, rounded as it rounds them.
    constexpr int shift = 16;
    const auto straight = static_cast<unsigned>(cvRound(0.955f * (1 << shift)));
    const auto diagonal = static_cast<unsigned>(cvRound(1.3693f * (1 << shift)));
    // Beyond the map: never the nearest; a pixel no zero pixel reaches reads `farthest`.
    const auto far = static_cast<unsigned>(INT_MAX), farthest = static_cast<unsigned>(INT_MAX >> 2);
    const float scale = 1.0f / (1 << shift);
    const int rows = mask.rows, width = mask.cols;
    // One row of `far` above and below and a column each side, as OpenCV's buffer has.
    const auto stride = static_cast<std::size_t>(width) + 2;
    std::vector<unsigned> buffer(stride * static_cast<std::size_t>(rows + 2), far);
    auto line_of = [&](int row) { return buffer.data() + static_cast<std::size_t>(row + 1) * stride + 1; };

    // Forward pass: from above and from the left.
    for (int row = 0; row < rows; ++row) {
        const std::uint8_t* source = mask.ptr<std::uint8_t>(row);
        unsigned* line = line_of(row);
        const unsigned* above = line_of(row - 1);
        int column = 0;
        while (column < width) {
            const bool inside = source[column] != 0;
            const int end = run_end(source, column, width, inside);
            if (!inside) {
                std::fill(line + column, line + end, 0u);
            } else {
                for (; column < end; ++column) {
                    unsigned best = above[column - 1] + diagonal;
                    best = std::min(best, above[column] + straight);
                    best = std::min(best, above[column + 1] + diagonal);
                    best = std::min(best, line[column - 1] + straight);
                    line[column] = best;
                }
            }
            column = end;
        }
    }
    // Backward pass: from below and from the right, and out as float.
    cv::Mat distance(mask.size(), CV_32F);
    for (int row = rows - 1; row >= 0; --row) {
        const std::uint8_t* source = mask.ptr<std::uint8_t>(row);
        unsigned* line = line_of(row);
        const unsigned* below = line_of(row + 1);
        float* out = distance.ptr<float>(row);
        int column = width - 1;
        while (column >= 0) {
            // Runs found left to right from the run's start; walk back to it first.
            const bool inside = source[column] != 0;
            int start = column;
            while (start > 0 && (source[start - 1] != 0) == inside) --start;
            if (!inside) {
                std::fill(out + start, out + column + 1, 0.0f);
            } else {
                for (; column >= start; --column) {
                    unsigned best = line[column];
                    if (best > straight) {
                        best = std::min(best, below[column + 1] + diagonal);
                        best = std::min(best, below[column] + straight);
                        best = std::min(best, below[column - 1] + diagonal);
                        best = std::min(best, line[column + 1] + straight);
                        line[column] = best;
                    }
                    out[column] = static_cast<float>(best > farthest ? farthest : best) * scale;
                }
            }
            column = start - 1;
        }
    }
    return distance;
}

} // namespace microstamp
