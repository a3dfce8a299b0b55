#include "surface/filters.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <opencv2/imgproc.hpp>
#include <random>
#include <vector>

namespace microstamp {
namespace {

// The widths box_gaussian_blur chooses, run through OpenCV's own box filter in turn: the
// definition the reader's faster passes must keep to (OpenCV sums in double).
cv::Mat blurred_by_opencv(const cv::Mat& values, double sigma_px) {
    cv::Mat result = values.clone();
    for (const int width : box_gaussian_widths(sigma_px))
        cv::blur(result, result, cv::Size(width, width), cv::Point(-1, -1), cv::BORDER_REFLECT);
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

// A box w wide has variance (w^2 - 1) / 12; the passes' variances add up to sigma^2 as
// nearly as odd widths allow (a width step of 2 in one pass moves the sum by (w + 1) / 3).
TEST(BoxGaussianBlur, ThePassesWidthsAddUpToTheGaussiansVariance) {
    for (const double sigma : {0.7, 1.0, 2.0, 3.3, 4.0, 6.25, 9.0, 15.0, 40.0}) {
        const auto widths = box_gaussian_widths(sigma);
        double variance = 0;
        for (const int width : widths) {
            EXPECT_EQ(width % 2, 1) << sigma;
            variance += (width * width - 1) / 12.0;
        }
        const int widest = *std::max_element(widths.begin(), widths.end());
        EXPECT_NEAR(variance, sigma * sigma, (widest + 1) / 6.0 + 1e-9) << sigma;
        EXPECT_LE(widest - *std::min_element(widths.begin(), widths.end()), 2) << sigma;
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
