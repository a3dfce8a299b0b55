#pragma once
// What the reader saw, drawn for an examiner: the located finder circles, every ring
// cell as read (green printed, blue flat, red unsure or erased) and the result.

#include "read/read.hpp"
#include "surface/image.hpp"

#include <cstdint>
#include <vector>

namespace microstamp {

// PNG bytes of the overlay on a grey rendering of `base` (a photograph, or a
// topography's feature map).
std::vector<std::uint8_t> overlay_png(const Image& base, const Reading& reading);
// A grey picture of a topography for the overlay: printed relief light, the rest dark.
Image topography_picture(const Surface& topography);

} // namespace microstamp
