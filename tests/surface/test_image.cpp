#include "surface/image.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <string>
#include <vector>

namespace microstamp {
namespace {

std::vector<std::uint8_t> encoded(const std::string& extension, int width, int height, int type = CV_8U) {
    std::vector<std::uint8_t> bytes;
    cv::imencode(extension, cv::Mat(height, width, type, cv::Scalar(40)), bytes);
    return bytes;
}

TEST(ImageHeader, GivesTheSizeEachFormatDeclaresWithoutDecoding) {
    for (const std::string extension : {".png", ".jpg", ".tiff"}) {
        SCOPED_TRACE(extension);
        const auto size = declared_image_size(encoded(extension, 53, 37));
        ASSERT_TRUE(size);
        EXPECT_EQ(size->width, 53u);
        EXPECT_EQ(size->height, 37u);
    }
    const auto sixteen_bit = declared_image_size(encoded(".tiff", 300, 7, CV_16U));
    ASSERT_TRUE(sixteen_bit);
    EXPECT_EQ(sixteen_bit->width, 300u);
    EXPECT_FALSE(declared_image_size(std::vector<std::uint8_t>{'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm'}));
    std::vector<std::uint8_t> cut = encoded(".png", 53, 37);
    cut.resize(20);
    EXPECT_FALSE(declared_image_size(cut)) << "a header cut short names no size";
}

TEST(ImageHeader, DecodingRefusesAnImageOverItsPixelLimitBeforeDecodingIt) {
    const std::vector<std::uint8_t> png = encoded(".png", 53, 37);
    EXPECT_EQ(decode_image(png, "casing.png", 53 * 37).width, 53);
    try {
        decode_image(png, "casing.png", 53 * 37 - 1);
        FAIL() << "decoded past its limit";
    } catch (const FileError& error) {
        EXPECT_EQ(std::string(error.what()), "casing.png: a 53x37 image is over the 1960 pixels allowed");
    }
    // A PNG header claiming 60000 x 60000 over a few bytes: refused by its header alone.
    std::vector<std::uint8_t> claims = png;
    for (const std::size_t at : {16u, 20u}) {
        claims[at] = 0;
        claims[at + 1] = 0;
        claims[at + 2] = 0xEA;
        claims[at + 3] = 0x60;
    }
    EXPECT_THROW(decode_image(claims, "claims.png"), FileError);
}

} // namespace
} // namespace microstamp
