#include "surface/filters.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>
#include <random>
#include <vector>

namespace microstamp {
namespace {

// The widths box_gaussian_blur chooses, run through OpenCV's own box filter in turn: the
// definition the reader's faster passes must keep to (OpenCV sums in double).
cv::Mat blurred_by_opencv(const cv::Mat& values, double sigma_px) {
    cv::Mat result = values.clone();
    constexpr int passes = 3;
    int lower = static_cast<int>(std::floor(std::sqrt(12.0 * sigma_px * sigma_px / passes + 1.0)));
    if (lower % 2 == 0) --lower;
    lower = std::max(lower, 1);
    const double wanted = 12.0 * sigma_px * sigma_px;
    const int lower_passes = std::clamp(
        static_cast<int>(std::lround((wanted - passes * lower * lower - 4.0 * passes * lower - 3.0 * passes) /
                                     (-4.0 * lower - 4.0))),
        0, passes);
    for (int pass = 0; pass < passes; ++pass) {
        const int width = pass < lower_passes ? lower : lower + 2;
        cv::blur(result, result, cv::Size(width, width), cv::Point(-1, -1), cv::BORDER_REFLECT);
    }
    return result;
}

cv::Mat random_heights(int rows, int columns, unsigned seed) {
    cv::Mat values(rows, columns, CV_32F);
    std::mt19937 random(seed);
    std::normal_distribution<float> height(0.0f, 1.0f);
    // A deep smooth dent (a crater hundreds of micrometres deep) under fine detail, as a scan has.
    for (int row = 0; row < rows; ++row)
        for (int column = 0; column < columns; ++column) {
            const double x = (column - columns / 2.0) / columns, y = (row - rows / 2.0) / rows;
            values.at<float>(row, column) = static_cast<float>(-350.0 * std::exp(-8 * (x * x + y * y))) + height(random);
        }
    return values;
}

TEST(BoxGaussianBlur, MatchesOpenCVsBoxFilterToFloatRoundingAtEverySizeAndSigma) {
    struct Case {
        int rows, columns;
        double sigma;
    };
    for (const Case& shape : std::vector<Case>{{500, 500, 6.25}, {1000, 700, 2.0}, {37, 5, 4.0}, {3, 2, 9.0}, {64, 64, 0.7}, {1, 40, 3.0}}) {
        const cv::Mat values = random_heights(shape.rows, shape.columns, 7);
        cv::Mat ours = values.clone();
        box_gaussian_blur(ours, shape.sigma);
        const cv::Mat expected = blurred_by_opencv(values, shape.sigma);
        ASSERT_EQ(ours.size(), expected.size());
        // Heights up to 350 um: the float running sums may differ from the double ones by a
        // few parts in a million of that, never by a cell's height (microns).
        EXPECT_LT(cv::norm(ours, expected, cv::NORM_INF), 2e-3)
            << shape.rows << " x " << shape.columns << ", sigma " << shape.sigma;
    }
}

TEST(BoxGaussianBlur, BlursAnImageThatIsAViewIntoALargerOneInPlace) {
    cv::Mat whole = random_heights(80, 90, 3);
    const cv::Mat original = whole.clone();
    cv::Mat view = whole(cv::Rect(10, 20, 50, 40));
    box_gaussian_blur(view, 3.0);
    const cv::Mat expected = blurred_by_opencv(original(cv::Rect(10, 20, 50, 40)), 3.0);
    EXPECT_LT(cv::norm(whole(cv::Rect(10, 20, 50, 40)), expected, cv::NORM_INF), 2e-3);
    // Outside the view nothing moved.
    cv::Mat outside = whole.clone();
    original(cv::Rect(10, 20, 50, 40)).copyTo(outside(cv::Rect(10, 20, 50, 40)));
    EXPECT_EQ(cv::norm(outside, original, cv::NORM_INF), 0.0);
}

} // namespace
} // namespace microstamp
