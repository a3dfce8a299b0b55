#pragma once
// PNG of a picture drawn in at most 256 colours (colour type 3: a palette and one index
// a pixel). An overlay is a grey scan with a few coloured marks: as an indexed PNG it
// is a third of the bytes of a colour one to write, send and base64-encode. OpenCV
// writes no indexed PNGs, so the few chunks are written here (zlib frames the data).

#include <cstdint>
#include <opencv2/core.hpp>
#include <span>
#include <vector>

namespace microstamp {

struct PaletteColour {
    std::uint8_t red = 0, green = 0, blue = 0;
};

// `indices`: CV_8U, each pixel an index into `palette` (1 to 256 colours; an index past
// the palette is refused by decoders, so it is refused here first).
std::vector<std::uint8_t> indexed_png(const cv::Mat& indices, std::span<const PaletteColour> palette);

} // namespace microstamp
