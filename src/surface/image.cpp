#include "surface/image.hpp"

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

} // namespace

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
    return from_mat(cv::imread(path.string(), cv::IMREAD_ANYDEPTH | cv::IMREAD_GRAYSCALE), path.string());
}

Image decode_image(const std::vector<std::uint8_t>& bytes, const std::string& name) {
    if (bytes.empty()) throw FileError(fmt::format("{}: empty file", name));
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
