#include "surface/indexed_png.hpp"

#include "surface/surface.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <random>
#include <vector>

namespace microstamp {
namespace {

TEST(IndexedPng, DecodesToThePaletteColoursOfEveryPixel) {
    const std::vector<PaletteColour> palette = {{0, 0, 0}, {255, 255, 255}, {0, 200, 0}, {230, 0, 0}, {17, 99, 201}};
    cv::Mat indices(37, 53, CV_8U);  // odd sizes; many rows, so every row filter meets a row above
    std::mt19937 random(5);
    for (int row = 0; row < indices.rows; ++row)
        for (int column = 0; column < indices.cols; ++column)
            indices.at<std::uint8_t>(row, column) = static_cast<std::uint8_t>(random() % palette.size());
    const std::vector<std::uint8_t> png = indexed_png(indices, palette);
    const cv::Mat decoded = cv::imdecode(png, cv::IMREAD_COLOR);
    ASSERT_EQ(decoded.size(), indices.size());
    for (int row = 0; row < indices.rows; ++row)
        for (int column = 0; column < indices.cols; ++column) {
            const PaletteColour& expected = palette[indices.at<std::uint8_t>(row, column)];
            const cv::Vec3b pixel = decoded.at<cv::Vec3b>(row, column);
            ASSERT_EQ(pixel, cv::Vec3b(expected.blue, expected.green, expected.red)) << row << ", " << column;
        }
}

TEST(IndexedPng, RefusesWhatNoDecoderWouldRead) {
    const std::vector<PaletteColour> two = {{0, 0, 0}, {255, 255, 255}};
    EXPECT_THROW(indexed_png(cv::Mat(), two), FileError);
    EXPECT_THROW(indexed_png(cv::Mat(4, 4, CV_16U, cv::Scalar(0)), two), FileError);
    EXPECT_THROW(indexed_png(cv::Mat(4, 4, CV_8U, cv::Scalar(2)), two), FileError) << "an index past the palette";
    EXPECT_THROW(indexed_png(cv::Mat(4, 4, CV_8U, cv::Scalar(0)), std::vector<PaletteColour>(257)), FileError);
    EXPECT_THROW(indexed_png(cv::Mat(4, 4, CV_8U, cv::Scalar(0)), std::vector<PaletteColour>{}), FileError);
}

} // namespace
} // namespace microstamp
