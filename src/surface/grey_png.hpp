#pragma once
// Grey PNG photographs (colour type 0, 8 or 16 bit, not interlaced), decoded with
// libdeflate: microscope cameras write exactly these, and inflating them whole into a
// buffer of the size the header promises is two to three times faster than libpng's
// streaming zlib (a 1000 x 1000 casing photograph: docs/read.md). Every other PNG is
// left to OpenCV.

#include "surface/image.hpp"

#include <optional>
#include <span>
#include <string>

namespace microstamp {

// Whether the bytes start with PNG's signature.
bool is_png(std::span<const std::uint8_t> bytes);

// nullopt when the bytes are a PNG of another kind (colour, palette, interlaced, a
// transparent grey) or not a PNG; throws FileError, naming `name`, for a grey PNG that
// is damaged: a chunk failing its CRC, data cut short or too long, an unknown filter.
std::optional<Image> decode_grey_png(std::span<const std::uint8_t> bytes, const std::string& name);

} // namespace microstamp
