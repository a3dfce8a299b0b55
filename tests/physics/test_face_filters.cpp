// The pin-face filters give what the plain OpenCV operations give.

#include "physics/face_filters.hpp"
#include "physics/random.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace microstamp {
namespace {

cv::Mat random_values(int rows, int columns, std::uint64_t seed) {
    cv::Mat values(rows, columns, CV_32F);
    Random random(seed);
    for (int row = 0; row < rows; ++row)
        for (int column = 0; column < columns; ++column)
            values.at<float>(row, column) = static_cast<float>(random.uniform(-1, 4));
    return values;
}

TEST(FaceFilters, DiscMaximumIsDilationByOpenCVsEllipse) {
    for (const int radius : {0, 1, 2, 5, 10})
        for (const cv::Size size : {cv::Size(37, 29), cv::Size(1, 12), cv::Size(15, 1), cv::Size(8, 8)}) {
            const cv::Mat values = random_values(size.height, size.width, static_cast<std::uint64_t>(radius * 100 + size.width));
            cv::Mat expected;
            cv::dilate(values, expected,
                       cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * radius + 1, 2 * radius + 1)));
            EXPECT_EQ(cv::norm(disc_maximum(values, radius), expected, cv::NORM_INF), 0.0)
                << "radius " << radius << ", " << size.width << " x " << size.height;
        }
}

TEST(FaceFilters, NonzeroAreaIsTheGrownBoundingBoxInsideTheMap) {
    cv::Mat values = cv::Mat::zeros(50, 60, CV_32F);
    EXPECT_TRUE(nonzero_area(values, 3).empty());
    values.at<float>(10, 20) = 1.0f;
    values.at<float>(30, 25) = -2.0f;
    EXPECT_EQ(nonzero_area(values, 3), cv::Rect(17, 7, 12, 27));
    EXPECT_EQ(nonzero_area(values, 40), cv::Rect(0, 0, 60, 50));
}

// Maps wider than the blocks the search reads at once, with values at every distance
// from each end and negative zeros (zeros), as floats and bytes.
TEST(FaceFilters, NonzeroAreaIsOpenCVsBoundingRectOfTheNonzeroValues) {
    Random random(0xB0B);
    for (int trial = 0; trial < 200; ++trial) {
        const int rows = 1 + static_cast<int>(random.next() % 40), columns = 1 + static_cast<int>(random.next() % 150);
        cv::Mat values = cv::Mat::zeros(rows, columns, CV_32F);
        const int marks = static_cast<int>(random.next() % 4);
        for (int mark = 0; mark < marks; ++mark) {
            const int row = static_cast<int>(random.next() % static_cast<std::uint64_t>(rows));
            const int column = static_cast<int>(random.next() % static_cast<std::uint64_t>(columns));
            values.at<float>(row, column) = random.next() % 2 == 0 ? -0.0f : 2.5f;
        }
        const cv::Rect tight = cv::boundingRect(values != 0);
        const cv::Rect expected = tight.empty() ? cv::Rect() : cv::Rect(tight.x - 2, tight.y - 2, tight.width + 4, tight.height + 4) &
                                                                    cv::Rect(0, 0, columns, rows);
        EXPECT_EQ(nonzero_area(values, 2), expected) << "trial " << trial;
        const cv::Mat bytes = values != 0;
        EXPECT_EQ(nonzero_area(bytes, 2), expected) << "trial " << trial << " (bytes)";
    }
}

// Masks of filled discs and bars (engraving-like: long runs of set and clear pixels), some
// touching the map's edges, some all set (no zero pixel to measure to), as pin faces
// and worse; the distances must be OpenCV's to the last bit.
TEST(FaceFilters, ChamferDistanceIsOpenCVsDistanceTransform) {
    Random random(0xD157);
    for (int trial = 0; trial < 60; ++trial) {
        const int rows = 1 + static_cast<int>(random.next() % 90), columns = 1 + static_cast<int>(random.next() % 130);
        cv::Mat mask = cv::Mat::zeros(rows, columns, CV_8U);
        if (trial % 15 == 14) mask.setTo(255);
        const int shapes = static_cast<int>(random.next() % 8);
        for (int shape = 0; shape < shapes; ++shape) {
            const cv::Point centre(static_cast<int>(random.next() % static_cast<std::uint64_t>(columns)),
                                   static_cast<int>(random.next() % static_cast<std::uint64_t>(rows)));
            const int size = 1 + static_cast<int>(random.next() % 25);
            if (shape % 2 == 0) cv::circle(mask, centre, size, cv::Scalar(255), cv::FILLED);
            else cv::rectangle(mask, cv::Rect(centre, cv::Size(size * 2, 1 + size / 3)), cv::Scalar(trial % 3 == 0 ? 0 : 1), cv::FILLED);
        }
        cv::Mat expected;
        cv::distanceTransform(mask, expected, cv::DIST_L2, 3);
        const cv::Mat distance = chamfer_distance(mask);
        ASSERT_EQ(distance.size(), mask.size());
        EXPECT_EQ(cv::countNonZero(distance != expected), 0) << "trial " << trial << ", " << columns << " x " << rows;
        EXPECT_EQ(std::memcmp(distance.data, expected.data, distance.total() * sizeof(float)), 0) << "trial " << trial;
    }
}

// Rotated, scaled and shifted warps of a two-channel map, parts anywhere in the warped
// area (at its edges too): each part must be that part of OpenCV's whole warp to the bit.
TEST(FaceFilters, WarpAffinePartIsThatPartOfOpenCVsWarp) {
    Random random(0x3A2F);
    cv::Mat source(83, 97, CV_32FC2);
    for (int row = 0; row < source.rows; ++row)
        for (int column = 0; column < source.cols; ++column)
            source.at<cv::Vec2f>(row, column) = {static_cast<float>(random.uniform(-3, 5)), static_cast<float>(random.uniform())};
    for (int trial = 0; trial < 40; ++trial) {
        const double angle = random.uniform(0, 6.3), scale = random.uniform(0.4, 2.5);
        const cv::Mat map = (cv::Mat_<double>(2, 3) << scale * std::cos(angle), -scale * std::sin(angle), random.uniform(-40, 90),
                             scale * std::sin(angle), scale * std::cos(angle), random.uniform(-40, 90));
        const cv::Size size(30 + static_cast<int>(random.next() % 90), 20 + static_cast<int>(random.next() % 90));
        cv::Mat whole;
        cv::warpAffine(source, whole, map, size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, 0);
        const int x = static_cast<int>(random.next() % static_cast<std::uint64_t>(size.width));
        const int y = static_cast<int>(random.next() % static_cast<std::uint64_t>(size.height));
        const cv::Rect part(x, y, 1 + static_cast<int>(random.next() % static_cast<std::uint64_t>(size.width - x)),
                            1 + static_cast<int>(random.next() % static_cast<std::uint64_t>(size.height - y)));
        cv::Mat warped(part.size(), source.type());
        warp_affine_part(source, map, part, warped);
        const cv::Mat expected = whole(part).clone();
        EXPECT_EQ(std::memcmp(warped.data, expected.data, expected.total() * expected.elemSize()), 0) << "trial " << trial;
    }
}

// A scan draws its noise a row at a time; rows of any width must give the noise one fill
// of the whole field gives, and leave the generator where that fill leaves it.
TEST(FaceFilters, NormalNoiseFilledInRowsIsTheWholeFill) {
    for (const std::size_t width : {std::size_t{1}, std::size_t{3}, std::size_t{4}, std::size_t{7}, std::size_t{1000}}) {
        const std::size_t rows = 9;
        std::vector<float> whole(width * rows), in_rows(width * rows);
        Random at_once(42), by_rows(42);
        at_once.fill_normal(whole, 0.5f);
        Random::NormalCarry carry;
        for (std::size_t row = 0; row < rows; ++row)
            by_rows.fill_normal(std::span<float>(in_rows.data() + row * width, width), 0.5f, carry);
        EXPECT_EQ(std::memcmp(whole.data(), in_rows.data(), whole.size() * sizeof(float)), 0) << "width " << width;
        EXPECT_EQ(at_once.next(), by_rows.next()) << "width " << width;
    }
}

} // namespace
} // namespace microstamp
