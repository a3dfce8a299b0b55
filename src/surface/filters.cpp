#include "surface/filters.hpp"

#include <array>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace microstamp {
namespace {

// A row index past either edge, mirrored as cv::BORDER_REFLECT mirrors it (..cba|abc..).
int reflected(int index, int size) {
    while (index < 0 || index >= size) index = index < 0 ? -index - 1 : 2 * size - index - 1;
    return index;
}

// One box pass of odd `width` down the columns: a running sum per column, updated a
// whole row at a time (the compiler vectorises the row loops). OpenCV's float box filter
// sums in double, one row element after another; this is about twice as fast, and its
// float sums drift by a few parts in a million over a thousand rows.
void box_down_columns(const cv::Mat& source, cv::Mat& result, int width) {
    const int radius = width / 2, rows = source.rows, columns = source.cols;
    const float scale = 1.0f / static_cast<float>(width);
    std::vector<float> sums(static_cast<std::size_t>(columns), 0.0f);
    float* sum = sums.data();
    for (int offset = -radius; offset <= radius; ++offset) {
        const float* line = source.ptr<float>(reflected(offset, rows));
        for (int column = 0; column < columns; ++column) sum[column] += line[column];
    }
    result.create(source.size(), CV_32F);
    for (int row = 0; row < rows; ++row) {
        float* out = result.ptr<float>(row);
        for (int column = 0; column < columns; ++column) out[column] = sum[column] * scale;
        if (row + 1 == rows) break;
        const float* entering = source.ptr<float>(reflected(row + radius + 1, rows));
        const float* leaving = source.ptr<float>(reflected(row - radius, rows));
        for (int column = 0; column < columns; ++column) sum[column] += entering[column] - leaving[column];
    }
}

// Box passes of the given widths down the columns, in turn, between two buffers.
cv::Mat boxes_down_columns(const cv::Mat& source, const std::vector<int>& widths) {
    cv::Mat buffers[2];
    const cv::Mat* current = &source;
    int next = 0;
    for (const int width : widths) {
        box_down_columns(*current, buffers[next], width);
        current = &buffers[next];
        next ^= 1;
    }
    return *current;
}

} // namespace

std::array<int, box_gaussian_passes> box_gaussian_widths(double sigma_px) {
    constexpr int passes = box_gaussian_passes;
    const double variance = 12.0 * sigma_px * sigma_px / passes;
    int lower = static_cast<int>(std::floor(std::sqrt(variance + 1.0)));
    if (lower % 2 == 0) --lower;
    lower = std::max(lower, 1);
    const int upper = lower + 2;
    // How many passes use the lower width so that the variances add up to sigma^2.
    const double wanted = 12.0 * sigma_px * sigma_px;
    const int lower_passes = std::clamp(
        static_cast<int>(std::lround((wanted - passes * lower * lower - 4.0 * passes * lower - 3.0 * passes) /
                                     (-4.0 * lower - 4.0))),
        0, passes);
    std::array<int, box_gaussian_passes> widths{};
    for (int pass = 0; pass < passes; ++pass) widths[static_cast<std::size_t>(pass)] = pass < lower_passes ? lower : upper;
    return widths;
}

void box_gaussian_blur(cv::Mat& values, double sigma_px, int border) {
    std::vector<int> widths;
    for (const int width : box_gaussian_widths(sigma_px))
        if (width > 1) widths.push_back(width);  // a box one pixel wide leaves every value as it is
    if (border != cv::BORDER_REFLECT || values.type() != CV_32FC1 || values.empty()) {
        for (const int width : widths) cv::blur(values, values, cv::Size(width, width), cv::Point(-1, -1), border);
        return;
    }
    // Each box is separable, and boxes along rows and along columns commute (the border
    // is mirrored per axis): every pass down the columns, then every pass along the rows
    // as passes down the columns of the transpose.
    if (widths.empty()) return;
    cv::Mat across;
    cv::transpose(boxes_down_columns(values, widths), across);
    cv::transpose(boxes_down_columns(across, widths), values);
}
} // namespace microstamp
