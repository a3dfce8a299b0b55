#include "surface/grey_png.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <zlib.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace microstamp {
namespace {

using Bytes = std::vector<std::uint8_t>;

void append_big_endian(Bytes& out, std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

void append_chunk(Bytes& out, const std::string& type, const Bytes& data) {
    append_big_endian(out, static_cast<std::uint32_t>(data.size()));
    const std::size_t type_at = out.size();
    out.insert(out.end(), type.begin(), type.end());
    out.insert(out.end(), data.begin(), data.end());
    append_big_endian(out, static_cast<std::uint32_t>(crc32(0, out.data() + type_at, static_cast<uInt>(out.size() - type_at))));
}

int paeth(int a, int b, int c) {
    const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

// A grey PNG written here, each row under the filter `filters` gives it (0-4), so that
// every filter meets every neighbour; IDAT split in two to check chunks are joined.
Bytes grey_png(const cv::Mat& image, const std::vector<int>& filters) {
    const std::size_t bytes_per_pixel = image.elemSize(), row_bytes = image.cols * bytes_per_pixel;
    std::vector<Bytes> raw(static_cast<std::size_t>(image.rows));
    for (int row = 0; row < image.rows; ++row)
        for (int column = 0; column < image.cols; ++column) {
            if (image.depth() == CV_8U) raw[row].push_back(image.at<std::uint8_t>(row, column));
            else {
                raw[row].push_back(static_cast<std::uint8_t>(image.at<std::uint16_t>(row, column) >> 8));
                raw[row].push_back(static_cast<std::uint8_t>(image.at<std::uint16_t>(row, column) & 0xFF));
            }
        }
    Bytes filtered;
    for (int row = 0; row < image.rows; ++row) {
        const int filter = filters[static_cast<std::size_t>(row)];
        filtered.push_back(static_cast<std::uint8_t>(filter));
        for (std::size_t i = 0; i < row_bytes; ++i) {
            const int a = i >= bytes_per_pixel ? raw[row][i - bytes_per_pixel] : 0;
            const int b = row > 0 ? raw[row - 1][i] : 0;
            const int c = row > 0 && i >= bytes_per_pixel ? raw[row - 1][i - bytes_per_pixel] : 0;
            const int predictor = filter == 0 ? 0 : filter == 1 ? a : filter == 2 ? b : filter == 3 ? (a + b) / 2 : paeth(a, b, c);
            filtered.push_back(static_cast<std::uint8_t>(raw[row][i] - predictor));
        }
    }
    uLongf size = compressBound(static_cast<uLong>(filtered.size()));
    Bytes compressed(size);
    compress(compressed.data(), &size, filtered.data(), static_cast<uLong>(filtered.size()));
    compressed.resize(size);

    Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    Bytes header;
    append_big_endian(header, static_cast<std::uint32_t>(image.cols));
    append_big_endian(header, static_cast<std::uint32_t>(image.rows));
    header.insert(header.end(), {static_cast<std::uint8_t>(8 * bytes_per_pixel), 0, 0, 0, 0});
    append_chunk(png, "IHDR", header);
    append_chunk(png, "tEXt", Bytes{'C', 'o', 'm', 'm', 'e', 'n', 't', 0, 'x'});
    const std::size_t half = compressed.size() / 2;
    append_chunk(png, "IDAT", Bytes(compressed.begin(), compressed.begin() + static_cast<std::ptrdiff_t>(half)));
    append_chunk(png, "IDAT", Bytes(compressed.begin() + static_cast<std::ptrdiff_t>(half), compressed.end()));
    append_chunk(png, "IEND", {});
    return png;
}

cv::Mat random_image(int rows, int columns, int depth, std::mt19937& random) {
    cv::Mat image(rows, columns, depth);
    cv::randu(image, 0, depth == CV_8U ? 256 : 65536);
    // Smooth stretches too, where the predictors are exact and the residuals zero.
    for (int row = 0; row < rows / 2; ++row)
        for (int column = 0; column < columns; ++column) {
            const int value = (row * 7 + column * 3 + static_cast<int>(random() % 3)) % 256;
            if (depth == CV_8U) image.at<std::uint8_t>(row, column) = static_cast<std::uint8_t>(value);
            else image.at<std::uint16_t>(row, column) = static_cast<std::uint16_t>(value * 257);
        }
    return image;
}

TEST(GreyPng, EveryFilterDecodesToThePixelsAndToWhatOpenCvReads) {
    std::mt19937 random(2026);
    for (int trial = 0; trial < 40; ++trial) {
        const int depth = trial % 2 ? CV_16U : CV_8U;
        const cv::Mat image = random_image(5 + static_cast<int>(random() % 40), 1 + static_cast<int>(random() % 50), depth, random);
        std::vector<int> filters(static_cast<std::size_t>(image.rows));
        for (int& filter : filters) filter = static_cast<int>(random() % 5);
        const Bytes png = grey_png(image, filters);
        const std::optional<Image> decoded = decode_grey_png(png, "grey.png");
        ASSERT_TRUE(decoded) << "trial " << trial;
        const cv::Mat reference = cv::imdecode(png, cv::IMREAD_ANYDEPTH | cv::IMREAD_GRAYSCALE);
        ASSERT_EQ(reference.size(), image.size());
        ASSERT_EQ(decoded->width, image.cols);
        ASSERT_EQ(decoded->height, image.rows);
        EXPECT_EQ(decoded->bits, depth == CV_16U ? 16 : 8);
        for (int row = 0; row < image.rows; ++row)
            for (int column = 0; column < image.cols; ++column) {
                const std::uint16_t ours = decoded->pixels[static_cast<std::size_t>(row * image.cols + column)];
                const int truth = depth == CV_8U ? image.at<std::uint8_t>(row, column) : image.at<std::uint16_t>(row, column);
                const int theirs = depth == CV_8U ? reference.at<std::uint8_t>(row, column) : reference.at<std::uint16_t>(row, column);
                ASSERT_EQ(ours, truth) << "trial " << trial << " at " << row << ", " << column;
                ASSERT_EQ(ours, theirs);
            }
    }
}

TEST(GreyPng, DamagedGreyPngsAreRefusedAndOtherKindsLeftToOpenCv) {
    std::mt19937 random(7);
    const cv::Mat image = random_image(20, 30, CV_8U, random);
    const Bytes png = grey_png(image, std::vector<int>(20, 4));
    const auto refused = [](const Bytes& bytes, const std::string& expected) {
        try {
            decode_grey_png(bytes, "scan.png");
            ADD_FAILURE() << "decoded: " << expected;
        } catch (const FileError& error) {
            EXPECT_NE(std::string(error.what()).find(expected), std::string::npos) << error.what();
        }
    };
    Bytes flipped = png;
    flipped[flipped.size() - 30] ^= 0x10;  // inside the second IDAT
    refused(flipped, "fails its CRC");
    refused(Bytes(png.begin(), png.end() - 12), "no IEND");
    refused(Bytes(png.begin(), png.begin() + 60), "cut short");
    Bytes unknown_filter = grey_png(image, std::vector<int>(20, 5));
    refused(unknown_filter, "unknown filter type 5");

    EXPECT_FALSE(decode_grey_png(Bytes{'n', 'o', 't'}, "x"));
    Bytes colour;
    cv::imencode(".png", cv::Mat(8, 9, CV_8UC3, cv::Scalar(10, 200, 30)), colour);
    EXPECT_FALSE(decode_grey_png(colour, "colour.png")) << "colour PNGs are OpenCV's";
    const Image through_opencv = decode_image(colour, "colour.png");
    EXPECT_EQ(through_opencv.width, 9);
    EXPECT_EQ(decode_image(png, "grey.png").pixels, decode_grey_png(png, "grey.png")->pixels);
}

} // namespace
} // namespace microstamp
