#pragma once
// Grey images: microscope photographs, previews, overlays. 8 or 16 bit.

#include "surface/surface.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <vector>

namespace microstamp {

struct Image {
    int width = 0;
    int height = 0;
    int bits = 8;                       // 8 or 16
    std::vector<std::uint16_t> pixels;  // row-major; 8-bit images use 0..255
    double um_per_px = 0;               // 0 when unknown
};

// Heights mapped linearly to grey, `low_um` black and `high_um` white; invalid points black.
Image height_image(const Surface& surface, double low_um, double high_um, int bits = 8);
// Shrinks by an integer factor (box average) so the longer side is at most `max_side`.
Image downsample(const Image& image, int max_side);

// PNG through OpenCV; written atomically (temporary file, then rename).
std::vector<std::uint8_t> png_bytes(const Image& image);
void write_png(const std::filesystem::path& path, const Image& image);
// PNG, TIFF, JPEG, 8 or 16 bit, colour converted to grey. Throws FileError.
Image read_image(const std::filesystem::path& path);
// The same from the file's bytes already in memory; `name` appears in errors.
// `max_pixels` is checked against the file's header before anything is decoded: a
// few kilobytes of PNG can honestly hold a gigapixel of zeros.
Image decode_image(const std::vector<std::uint8_t>& bytes, const std::string& name,
                   std::uint64_t max_pixels = std::uint64_t{1} << 30);

struct ImageSize {
    std::uint64_t width = 0;
    std::uint64_t height = 0;
};
// Width and height as a PNG, JPEG or TIFF header declares them, without decoding;
// nullopt when the bytes are none of these or the header is cut short.
std::optional<ImageSize> declared_image_size(std::span<const std::uint8_t> bytes);

// Writes bytes to `path` through a temporary file in the same folder and a rename,
// so a reader never sees half a file. Throws FileError.
void write_file_atomically(const std::filesystem::path& path, const void* data, std::size_t size);

} // namespace microstamp
