#pragma once
// Grey images: microscope photographs, previews, overlays. 8 or 16 bit.

#include "surface/surface.hpp"

#include <cstdint>
#include <filesystem>
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
Image decode_image(const std::vector<std::uint8_t>& bytes, const std::string& name);

// Writes bytes to `path` through a temporary file in the same folder and a rename,
// so a reader never sees half a file. Throws FileError.
void write_file_atomically(const std::filesystem::path& path, const void* data, std::size_t size);

} // namespace microstamp
