#pragma once
// What the reader saw, drawn for an examiner: the located impression with its finder
// circles, every ring cell as read (green printed, blue flat, red unsure or erased) and,
// in a band above it, the result. The picture is the impression, not the whole field,
// at `overlay_width_px` whatever the scan's resolution, in a 256-colour PNG: drawing
// costs about the same for a 300 x 300 scan as for a 4,000 x 3,000 photograph.

#include "read/read.hpp"
#include "surface/image.hpp"

#include <cstdint>
#include <vector>

namespace microstamp {

// The page shows the overlay 512 CSS pixels wide (web/style.css): one pixel each, and
// cells of the reference ring ~7 px across, room for a mark that leaves the relief seen.
constexpr int overlay_width_px = 512;

// PNG bytes of the overlay on a grey rendering of `base` (a photograph, or a
// topography's picture), in whose pixels the reading's geometry is given.
std::vector<std::uint8_t> overlay_png(const Image& base, const Reading& reading);
// A grey picture of a topography for the overlay from the feature map it was read on
// (`read`'s `map`): printed relief light, the rest dark.
Image topography_picture(const FeatureMap& map);

} // namespace microstamp
