// A photograph of a fired casing as microscope cameras save it -- colour (RGB, RGBA,
// palette), 16 bits, a tiled TIFF, a JPEG, a file whose extension lies -- reads to the
// same identity as the grey PNG of the same picture.

#include "physics/fire.hpp"
#include "read/read.hpp"
#include "surface/image.hpp"
#include "surface/indexed_png.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace microstamp {
namespace {

struct Photograph {
    Identity identity;
    Image grey;
};

// The first shot of a ring die, photographed (8-bit grey, 2 um per pixel).
const Photograph& photograph() {
    static const Photograph shot = [] {
        DieDesign design;
        design.designs = {Design::ring};
        const Die die = encode(default_catalog().identity("Glock", "19", "BXRT-481"), design);
        FireOptions options;
        options.seed = 20261125;
        options.topography = false;
        Photograph result{die.identity, {}};
        fire(die, load_firearm("service-9mm-striker"), load_ammunition("standard-small-pistol"), options,
             [&](Shot&& fired) { result.grey = std::move(fired.photograph); });
        return result;
    }();
    return shot;
}

cv::Mat grey_mat(const Image& image) {
    cv::Mat mat(image.height, image.width, CV_8U);
    for (std::size_t i = 0; i < image.pixels.size(); ++i) mat.data[i] = static_cast<std::uint8_t>(image.pixels[i]);
    return mat;
}

// Brass under a white light: the grey level spread unevenly over the three channels (BGR).
cv::Mat brass(const cv::Mat& grey, int depth) {
    cv::Mat colour(grey.rows, grey.cols, depth == 16 ? CV_16UC3 : CV_8UC3);
    const double top = depth == 16 ? 257.0 : 1.0;
    for (int y = 0; y < grey.rows; ++y)
        for (int x = 0; x < grey.cols; ++x) {
            const double level = grey.at<std::uint8_t>(y, x) * top;
            const std::array<double, 3> bgr = {0.45 * level, 0.8 * level, level};
            for (int channel = 0; channel < 3; ++channel) {
                if (depth == 16) colour.at<cv::Vec3w>(y, x)[channel] = static_cast<std::uint16_t>(std::lround(bgr[static_cast<std::size_t>(channel)]));
                else colour.at<cv::Vec3b>(y, x)[channel] = static_cast<std::uint8_t>(std::lround(bgr[static_cast<std::size_t>(channel)]));
            }
        }
    return colour;
}

std::vector<std::uint8_t> encoded(const std::string& extension, const cv::Mat& mat, const std::vector<int>& parameters = {}) {
    std::vector<std::uint8_t> bytes;
    EXPECT_TRUE(cv::imencode(extension, mat, bytes, parameters)) << extension;
    return bytes;
}

// A 16-bit grey TIFF stored in 256 x 256 tiles, uncompressed, little-endian, as large
// scans come from microscope software (OpenCV writes strips only).
std::vector<std::uint8_t> tiled_tiff(const cv::Mat& grey16) {
    constexpr int tile = 256;
    const int across = (grey16.cols + tile - 1) / tile, down = (grey16.rows + tile - 1) / tile;
    std::vector<std::uint8_t> bytes = {'I', 'I', 42, 0, 0, 0, 0, 0};
    const auto put = [&](std::uint64_t value, int count) {
        for (int i = 0; i < count; ++i) bytes.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
    };
    std::vector<std::uint32_t> offsets;
    for (int ty = 0; ty < down; ++ty)
        for (int tx = 0; tx < across; ++tx) {
            offsets.push_back(static_cast<std::uint32_t>(bytes.size()));
            for (int y = ty * tile; y < (ty + 1) * tile; ++y)
                for (int x = tx * tile; x < (tx + 1) * tile; ++x)
                    put(x < grey16.cols && y < grey16.rows ? grey16.at<std::uint16_t>(y, x) : 0, 2);
        }
    const auto offsets_at = static_cast<std::uint32_t>(bytes.size());
    for (const std::uint32_t offset : offsets) put(offset, 4);
    const auto counts_at = static_cast<std::uint32_t>(bytes.size());
    for (std::size_t i = 0; i < offsets.size(); ++i) put(tile * tile * 2, 4);
    const auto directory_at = static_cast<std::uint32_t>(bytes.size());
    std::memcpy(bytes.data() + 4, &directory_at, 4);
    const std::array<std::array<std::uint32_t, 4>, 11> entries = {{
        {256, 3, 1, static_cast<std::uint32_t>(grey16.cols)}, {257, 3, 1, static_cast<std::uint32_t>(grey16.rows)},
        {258, 3, 1, 16}, {259, 3, 1, 1}, {262, 3, 1, 1}, {277, 3, 1, 1}, {284, 3, 1, 1}, {322, 3, 1, tile},
        {323, 3, 1, tile}, {324, 4, static_cast<std::uint32_t>(offsets.size()), offsets_at},
        {325, 4, static_cast<std::uint32_t>(offsets.size()), counts_at}}};
    put(entries.size(), 2);
    for (const auto& [tag, type, count, value] : entries) {
        put(tag, 2);
        put(type, 2);
        put(count, 4);
        put(value, 4);
    }
    put(0, 4);
    return bytes;
}

void expect_same_identity(const Image& image, const std::string& what) {
    const Photograph& shot = photograph();
    EXPECT_EQ(image.width, shot.grey.width) << what;
    EXPECT_EQ(image.height, shot.grey.height) << what;
    ReadOptions options;
    options.um_per_px = shot.grey.um_per_px;
    const Reading reading = read(image, options);
    ASSERT_TRUE(reading.identity.has_value()) << what << ": " << status_name(reading.status);
    EXPECT_EQ(*reading.identity, shot.identity) << what;
}

TEST(PhotographFormats, EveryFormatReadsToTheIdentityOfTheGreyPng) {
    const cv::Mat grey = grey_mat(photograph().grey);
    expect_same_identity(decode_image(encoded(".png", grey), "grey.png"), "grey PNG");

    expect_same_identity(decode_image(encoded(".png", brass(grey, 8)), "rgb.png"), "RGB PNG");
    cv::Mat rgba16;
    cv::cvtColor(brass(grey, 16), rgba16, cv::COLOR_BGR2BGRA);
    expect_same_identity(decode_image(encoded(".png", rgba16), "rgba16.png"), "16-bit RGBA PNG");
    cv::Mat grey16;
    grey.convertTo(grey16, CV_16U, 257);
    const Image sixteen = decode_image(encoded(".png", grey16), "grey16.png");
    EXPECT_EQ(sixteen.bits, 16);
    expect_same_identity(sixteen, "16-bit grey PNG");

    std::vector<PaletteColour> palette(256);
    for (int level = 0; level < 256; ++level)
        palette[static_cast<std::size_t>(level)] = {static_cast<std::uint8_t>(level), static_cast<std::uint8_t>(0.8 * level),
                                                    static_cast<std::uint8_t>(0.45 * level)};
    expect_same_identity(decode_image(indexed_png(grey, palette), "palette.png"), "palette PNG");

    const Image tiled = decode_image(tiled_tiff(grey16), "tiled.tif");
    EXPECT_EQ(tiled.bits, 16);
    expect_same_identity(tiled, "tiled 16-bit TIFF");
    expect_same_identity(decode_image(encoded(".jpg", brass(grey, 8), {cv::IMWRITE_JPEG_QUALITY, 90}), "shot.jpg"),
                         "colour JPEG");
}

TEST(PhotographFormats, AFileWhoseExtensionLiesIsReadByItsContent) {
    const cv::Mat grey = grey_mat(photograph().grey);
    const std::filesystem::path folder =
        std::filesystem::temp_directory_path() / ("microstamp-formats-" + std::to_string(::getpid()));
    std::filesystem::create_directories(folder);
    const std::vector<std::pair<std::string, std::vector<std::uint8_t>>> lies = {
        {"jpeg-named.png", encoded(".jpg", grey, {cv::IMWRITE_JPEG_QUALITY, 90})},
        {"png-named.tif", encoded(".png", brass(grey, 8))},
        {"tiff-named.jpg", encoded(".tif", grey)}};
    for (const auto& [name, bytes] : lies) {
        std::ofstream(folder / name, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                               static_cast<std::streamsize>(bytes.size()));
        expect_same_identity(read_image(folder / name), name);
    }
    std::filesystem::remove_all(folder);
}

} // namespace
} // namespace microstamp
