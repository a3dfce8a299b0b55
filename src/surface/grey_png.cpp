#include "surface/grey_png.hpp"

#include <algorithm>
#include <cstdlib>
#include <fmt/core.h>
#include <libdeflate.h>
#include <memory>
#include <string_view>
#include <vector>

namespace microstamp {
namespace {

constexpr std::uint8_t signature[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

std::uint32_t big_endian_32(const std::uint8_t* at) {
    return static_cast<std::uint32_t>(at[0]) << 24 | static_cast<std::uint32_t>(at[1]) << 16 |
           static_cast<std::uint32_t>(at[2]) << 8 | at[3];
}

struct Header {
    std::uint32_t width = 0, height = 0;
    int bit_depth = 0, colour_type = 0, interlace = 0;
};

// A chunk type as a message may show it: a damaged file's type bytes can be anything.
std::string printable_type(const std::uint8_t* type) {
    std::string text;
    for (int i = 0; i < 4; ++i) text += type[i] >= 0x21 && type[i] <= 0x7E ? static_cast<char>(type[i]) : '?';
    return text;
}

int paeth_predictor(int left, int above, int above_left) {
    const int estimate = left + above - above_left;
    const int distance_left = std::abs(estimate - left), distance_above = std::abs(estimate - above),
              distance_above_left = std::abs(estimate - above_left);
    if (distance_left <= distance_above && distance_left <= distance_above_left) return left;
    return distance_above <= distance_above_left ? above : above_left;
}

// One filtered row back to its bytes (PNG 1.2, section 6), pixels of `Lanes` bytes each
// (1 or 2). The left neighbours are carried in `left`, whose constant indices keep them
// in registers: read back from the row just written, each byte waited on the store
// before it, and that was half a 1000 x 1000 photograph's decode with the "sub" filter
// libpng chooses for such images.
template <std::size_t Lanes>
void unfilter_row(std::uint8_t filter, std::uint8_t* pixels, const std::uint8_t* above, std::size_t row_bytes) {
    std::uint8_t left[Lanes] = {};
    std::uint8_t above_left[Lanes] = {};
    const std::size_t whole = row_bytes - row_bytes % Lanes;
    switch (filter) {
    case 1:
        for (std::size_t i = 0; i < whole; i += Lanes)
            for (std::size_t lane = 0; lane < Lanes; ++lane) {
                left[lane] = static_cast<std::uint8_t>(pixels[i + lane] + left[lane]);
                pixels[i + lane] = left[lane];
            }
        break;
    case 2:
        for (std::size_t i = 0; i < row_bytes; ++i) pixels[i] = static_cast<std::uint8_t>(pixels[i] + above[i]);
        break;
    case 3:
        for (std::size_t i = 0; i < whole; i += Lanes)
            for (std::size_t lane = 0; lane < Lanes; ++lane) {
                left[lane] = static_cast<std::uint8_t>(pixels[i + lane] + (left[lane] + above[i + lane]) / 2);
                pixels[i + lane] = left[lane];
            }
        break;
    case 4:
        for (std::size_t i = 0; i < whole; i += Lanes)
            for (std::size_t lane = 0; lane < Lanes; ++lane) {
                const std::uint8_t up = above[i + lane];
                left[lane] = static_cast<std::uint8_t>(pixels[i + lane] + paeth_predictor(left[lane], up, above_left[lane]));
                above_left[lane] = up;
                pixels[i + lane] = left[lane];
            }
        break;
    default: break;
    }
}

// The filtered rows: each one filter byte, then the row's bytes.
void unfilter(std::vector<std::uint8_t>& data, std::size_t rows, std::size_t row_bytes, std::size_t bytes_per_pixel,
              const std::string& name) {
    const std::vector<std::uint8_t> blank(row_bytes, 0);  // the row above the first
    const std::uint8_t* above = blank.data();
    for (std::size_t row = 0; row < rows; ++row) {
        std::uint8_t* line = data.data() + row * (row_bytes + 1);
        if (line[0] > 4) throw FileError(fmt::format("{}: PNG row {} has unknown filter type {}", name, row, line[0]));
        if (bytes_per_pixel == 2) unfilter_row<2>(line[0], line + 1, above, row_bytes);
        else unfilter_row<1>(line[0], line + 1, above, row_bytes);
        above = line + 1;
    }
}

} // namespace

bool is_png(std::span<const std::uint8_t> bytes) {
    return bytes.size() >= sizeof signature && std::equal(std::begin(signature), std::end(signature), bytes.begin());
}

std::optional<Image> decode_grey_png(std::span<const std::uint8_t> bytes, const std::string& name) {
    if (!is_png(bytes)) return std::nullopt;
    Header header;
    std::vector<std::uint8_t> compressed;
    bool header_seen = false, ended = false;
    std::size_t at = sizeof signature;
    while (!ended) {
        if (at + 12 > bytes.size()) throw FileError(fmt::format("{}: PNG cut short (no IEND chunk)", name));
        const std::uint32_t length = big_endian_32(&bytes[at]);
        if (length > bytes.size() - at - 12) throw FileError(fmt::format("{}: PNG cut short inside a chunk", name));
        const std::uint8_t* type = &bytes[at + 4];
        const std::uint8_t* data = type + 4;
        if (libdeflate_crc32(0, type, length + 4) != big_endian_32(data + length))
            throw FileError(fmt::format("{}: PNG chunk {} fails its CRC (corrupt file)", name, printable_type(type)));
        const std::string_view kind(reinterpret_cast<const char*>(type), 4);
        if (kind == "IHDR") {
            if (length != 13) throw FileError(fmt::format("{}: PNG header of {} bytes, not 13", name, length));
            header = Header{big_endian_32(data), big_endian_32(data + 4), data[8], data[9], data[12]};
            header_seen = true;
            // Anything but plain grey, and any compression or filter method but the one
            // PNG defines, goes to OpenCV, which knows them or refuses them.
            if (header.colour_type != 0 || (header.bit_depth != 8 && header.bit_depth != 16) || header.interlace != 0 ||
                data[10] != 0 || data[11] != 0)
                return std::nullopt;
        } else if (!header_seen) {
            throw FileError(fmt::format("{}: PNG does not start with its IHDR chunk", name));
        } else if (kind == "tRNS") {
            return std::nullopt;  // a transparent grey level: OpenCV decides what it becomes
        } else if (kind == "IDAT") {
            compressed.insert(compressed.end(), data, data + length);
        } else if (kind == "IEND") {
            ended = true;
        }
        at += 12 + length;
    }
    if (header.width == 0 || header.height == 0) throw FileError(fmt::format("{}: PNG of no pixels", name));
    if (header.width > 1u << 30 || header.height > (1u << 30) / header.width)  // Image counts in int
        throw FileError(fmt::format("{}: a {}x{} PNG is too large", name, header.width, header.height));
    const std::size_t bytes_per_pixel = header.bit_depth / 8;
    const std::size_t row_bytes = static_cast<std::size_t>(header.width) * bytes_per_pixel;
    const std::size_t filtered_bytes = static_cast<std::size_t>(header.height) * (row_bytes + 1);
    // Deflate expands no byte of its stream into more than 1032 (258-byte matches of 2
    // bits each, plus block overhead): data too short for the header's pixels are refused
    // before the buffer for them is taken.
    constexpr std::size_t deflate_max_ratio = 1032;
    if (filtered_bytes / deflate_max_ratio > compressed.size() + 64)
        throw FileError(fmt::format("{}: PNG image data of {} bytes cannot hold its {}x{} pixels (cut short?)", name,
                                    compressed.size(), header.width, header.height));
    std::vector<std::uint8_t> filtered(filtered_bytes);
    const std::unique_ptr<libdeflate_decompressor, decltype(&libdeflate_free_decompressor)> decompressor(
        libdeflate_alloc_decompressor(), libdeflate_free_decompressor);
    if (!decompressor) throw FileError(fmt::format("{}: out of memory decoding the PNG", name));
    std::size_t produced = 0;
    const libdeflate_result result = libdeflate_zlib_decompress(decompressor.get(), compressed.data(), compressed.size(),
                                                                filtered.data(), filtered.size(), &produced);
    if (result == LIBDEFLATE_INSUFFICIENT_SPACE)
        throw FileError(fmt::format("{}: PNG holds more data than its {}x{} pixels", name, header.width, header.height));
    if (result != LIBDEFLATE_SUCCESS || produced != filtered.size())
        throw FileError(fmt::format("{}: PNG image data is corrupt or cut short", name));
    unfilter(filtered, header.height, row_bytes, bytes_per_pixel, name);

    Image image;
    image.width = static_cast<int>(header.width);
    image.height = static_cast<int>(header.height);
    image.bits = header.bit_depth;
    image.pixels.resize(static_cast<std::size_t>(header.width) * header.height);
    for (std::size_t row = 0; row < header.height; ++row) {
        const std::uint8_t* line = filtered.data() + row * (row_bytes + 1) + 1;
        std::uint16_t* out = image.pixels.data() + row * header.width;
        if (header.bit_depth == 8) std::copy_n(line, header.width, out);
        else
            for (std::size_t column = 0; column < header.width; ++column)
                out[column] = static_cast<std::uint16_t>(line[2 * column] << 8 | line[2 * column + 1]);
    }
    return image;
}

} // namespace microstamp
