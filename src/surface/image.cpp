#include "surface/image.hpp"

#include "surface/grey_png.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fmt/core.h>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <unistd.h>

namespace microstamp {
namespace {

cv::Mat to_mat(const Image& image) {
    cv::Mat mat(image.height, image.width, image.bits == 16 ? CV_16UC1 : CV_8UC1);
    for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x) {
            const auto value = image.pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(image.width) +
                                            static_cast<std::size_t>(x)];
            if (image.bits == 16) mat.at<std::uint16_t>(y, x) = value;
            else mat.at<std::uint8_t>(y, x) = static_cast<std::uint8_t>(value);
        }
    return mat;
}

std::uint64_t big_endian(std::span<const std::uint8_t> bytes, std::size_t at, int count) {
    std::uint64_t value = 0;
    for (int i = 0; i < count; ++i) value = value << 8 | bytes[at + static_cast<std::size_t>(i)];
    return value;
}

std::uint64_t little_endian(std::span<const std::uint8_t> bytes, std::size_t at, int count) {
    std::uint64_t value = 0;
    for (int i = count - 1; i >= 0; --i) value = value << 8 | bytes[at + static_cast<std::size_t>(i)];
    return value;
}

// PNG: the IHDR chunk comes first, right after the 8-byte signature.
std::optional<ImageSize> png_size(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < 24 || big_endian(bytes, 12, 4) != 0x49484452) return std::nullopt;  // "IHDR"
    return ImageSize{big_endian(bytes, 16, 4), big_endian(bytes, 20, 4)};
}

// JPEG: segments until a start-of-frame marker (any coding but the DHT, JPG and DAC
// markers that share its range), which holds precision, height, width.
std::optional<ImageSize> jpeg_size(std::span<const std::uint8_t> bytes) {
    std::size_t at = 2;
    while (at + 4 <= bytes.size()) {
        if (bytes[at] != 0xFF) return std::nullopt;
        const std::uint8_t marker = bytes[at + 1];
        if (marker == 0xFF) {  // fill byte
            ++at;
            continue;
        }
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length follows
            at += 2;
            continue;
        }
        const std::uint64_t length = big_endian(bytes, at + 2, 2);
        const bool frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (frame) {
            if (at + 9 > bytes.size()) return std::nullopt;
            return ImageSize{big_endian(bytes, at + 7, 2), big_endian(bytes, at + 5, 2)};
        }
        if (marker == 0xDA || length < 2) return std::nullopt;  // image data before any frame
        at += 2 + static_cast<std::size_t>(length);
    }
    return std::nullopt;
}

// TIFF: ImageWidth (256) and ImageLength (257) in the first image file directory.
std::optional<ImageSize> tiff_size(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < 8) return std::nullopt;
    const bool little = bytes[0] == 'I';
    const auto number = [&](std::size_t at, int count) {
        return little ? little_endian(bytes, at, count) : big_endian(bytes, at, count);
    };
    if (number(2, 2) != 42) return std::nullopt;  // BigTIFF (43) is not taken
    const std::uint64_t directory = number(4, 4);
    if (directory + 2 > bytes.size()) return std::nullopt;
    const std::uint64_t entries = number(directory, 2);
    std::optional<std::uint64_t> width, height;
    for (std::uint64_t entry = 0; entry < entries; ++entry) {
        const std::uint64_t at = directory + 2 + 12 * entry;
        if (at + 12 > bytes.size()) return std::nullopt;
        const std::uint64_t tag = number(at, 2), type = number(at + 2, 2);
        if (tag != 256 && tag != 257) continue;
        if (type != 3 && type != 4) return std::nullopt;  // SHORT or LONG
        const std::uint64_t value = number(at + 8, type == 3 ? 2 : 4);
        (tag == 256 ? width : height) = value;
    }
    if (!width || !height) return std::nullopt;
    return ImageSize{*width, *height};
}

} // namespace

std::optional<ImageSize> declared_image_size(std::span<const std::uint8_t> bytes) {
    if (is_png(bytes)) return png_size(bytes);
    if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) return jpeg_size(bytes);
    if (bytes.size() >= 4 && ((bytes[0] == 'I' && bytes[1] == 'I') || (bytes[0] == 'M' && bytes[1] == 'M')))
        return tiff_size(bytes);
    return std::nullopt;
}

Image height_image(const Surface& surface, double low_um, double high_um, int bits) {
    Image image{static_cast<int>(surface.width), static_cast<int>(surface.height), bits, {}, surface.spacing_x_um};
    image.pixels.resize(surface.size());
    const double top = bits == 16 ? 65535.0 : 255.0;
    const double range = high_um > low_um ? high_um - low_um : 1.0;
    for (std::size_t i = 0; i < surface.size(); ++i) {
        if (!surface.valid[i]) continue;
        const double level = std::clamp((surface.heights_um[i] - low_um) / range, 0.0, 1.0);
        image.pixels[i] = static_cast<std::uint16_t>(std::lround(level * top));
    }
    return image;
}

Image downsample(const Image& image, int max_side) {
    const int factor = std::max(1, (std::max(image.width, image.height) + max_side - 1) / max_side);
    if (factor == 1) return image;
    Image result{image.width / factor, image.height / factor, image.bits, {}, image.um_per_px * factor};
    result.pixels.resize(static_cast<std::size_t>(result.width) * static_cast<std::size_t>(result.height));
    for (int y = 0; y < result.height; ++y)
        for (int x = 0; x < result.width; ++x) {
            std::uint64_t sum = 0;
            for (int dy = 0; dy < factor; ++dy)
                for (int dx = 0; dx < factor; ++dx)
                    sum += image.pixels[static_cast<std::size_t>(y * factor + dy) * static_cast<std::size_t>(image.width) +
                                        static_cast<std::size_t>(x * factor + dx)];
            result.pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(result.width) + static_cast<std::size_t>(x)] =
                static_cast<std::uint16_t>(sum / static_cast<std::uint64_t>(factor * factor));
        }
    return result;
}

std::vector<std::uint8_t> png_bytes(const Image& image) {
    if (image.width <= 0 || image.height <= 0) throw FileError("cannot encode an empty image as PNG");
    std::vector<std::uint8_t> bytes;
    if (!cv::imencode(".png", to_mat(image), bytes)) throw FileError("PNG encoding failed");
    return bytes;
}

void write_png(const std::filesystem::path& path, const Image& image) {
    const auto bytes = png_bytes(image);
    write_file_atomically(path, bytes.data(), bytes.size());
}

namespace {

Image from_mat(const cv::Mat& mat, const std::string& name) {
    if (mat.empty()) throw FileError(fmt::format("{}: not a readable PNG, TIFF or JPEG image", name));
    if (mat.depth() != CV_8U && mat.depth() != CV_16U)
        throw FileError(fmt::format("{}: only 8- and 16-bit images are supported", name));
    Image image{mat.cols, mat.rows, mat.depth() == CV_16U ? 16 : 8, {}, 0};
    image.pixels.resize(static_cast<std::size_t>(mat.cols) * static_cast<std::size_t>(mat.rows));
    cv::Mat pixels(mat.rows, mat.cols, CV_16U, image.pixels.data());  // written in place
    mat.convertTo(pixels, CV_16U);
    return image;
}

} // namespace

Image read_image(const std::filesystem::path& path) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error))
        throw FileError(fmt::format("{}: no such file", path.string()));
    // PNGs through decode_image, for its grey fast path; other formats as OpenCV reads
    // files (a TIFF or JPEG header this library cannot parse is still OpenCV's to judge),
    // so only a PNG is read into memory here.
    std::ifstream file(path, std::ios::binary);
    std::vector<std::uint8_t> bytes(8);
    file.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    bytes.resize(static_cast<std::size_t>(file.gcount()));
    if (is_png(bytes)) {
        bytes.insert(bytes.end(), std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
        if (file.bad()) throw FileError(fmt::format("{}: cannot be read", path.string()));
        return decode_image(bytes, path.string());
    }
    return from_mat(cv::imread(path.string(), cv::IMREAD_ANYDEPTH | cv::IMREAD_GRAYSCALE), path.string());
}

Image decode_image(const std::vector<std::uint8_t>& bytes, const std::string& name, std::uint64_t max_pixels) {
    if (bytes.empty()) throw FileError(fmt::format("{}: empty file", name));
    const std::optional<ImageSize> size = declared_image_size(bytes);
    if (!size) throw FileError(fmt::format("{}: not a PNG, TIFF or JPEG image whose size can be read", name));
    if (size->width == 0 || size->height == 0) throw FileError(fmt::format("{}: empty image", name));
    if (size->width > max_pixels / size->height)
        throw FileError(fmt::format("{}: a {}x{} image is over the {} pixels allowed", name, size->width, size->height,
                                    max_pixels));
    if (std::optional<Image> grey = decode_grey_png(bytes, name)) return std::move(*grey);
    return from_mat(cv::imdecode(bytes, cv::IMREAD_ANYDEPTH | cv::IMREAD_GRAYSCALE), name);
}

void write_file_atomically(const std::filesystem::path& path, const void* data, std::size_t size) {
    const auto folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    const auto temporary = folder / fmt::format(".{}.partial-{}", path.filename().string(), ::getpid());
    {
        std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
        if (!file) throw FileError(fmt::format("cannot write {}: folder missing or not writable", path.string()));
        file.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
        file.flush();
        if (!file) {
            file.close();
            std::filesystem::remove(temporary);
            throw FileError(fmt::format("cannot write {}: disk full or I/O error", path.string()));
        }
    }
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error) {
        std::filesystem::remove(temporary);
        throw FileError(fmt::format("cannot write {}: {}", path.string(), error.message()));
    }
}

} // namespace microstamp
