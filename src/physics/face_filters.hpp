#pragma once
// Filters over pin-face maps, made cheap for what those maps are: mostly blank (the
// code covers under half of the face's square), and worked on for every shot.

#include <functional>
#include <opencv2/core.hpp>

namespace microstamp {

// The smallest rectangle holding every non-zero value, grown by `margin` pixels on
// each side and kept inside the map; empty when the map is all zero. A filter whose
// reach is within `margin` gives, inside it, what it gives on the whole map, and
// leaves zero outside it. CV_32F or CV_8U; a NaN counts as non-zero (pin faces hold none).
cv::Rect nonzero_area(const cv::Mat& values, int margin);

// At each pixel, the largest value within a disc of `radius` pixels: exactly
// cv::dilate with getStructuringElement(MORPH_ELLIPSE, 2 radius + 1), which compares
// every point of the disc (~3 radius^2 per pixel), for ~3 radius comparisons per pixel:
// running maxima along each row for every half-width the disc has, then the maximum of
// the rows of the disc. CV_32F; what lies beyond the map is left out, as cv::dilate does.
cv::Mat disc_maximum(const cv::Mat& values, int radius);

// The distance of each non-zero pixel of a CV_8U mask to the nearest zero pixel (zero at
// zero pixels): exactly cv::distanceTransform(mask, distance, DIST_L2, 3), the two-pass
// 3x3 chamfer in 16-bit fixed point, with its arithmetic unchanged, but runs of zero
// pixels are filled at once rather than visited pixel by pixel.
cv::Mat chamfer_distance(const cv::Mat& mask);

// The `part` of cv::warpAffine(source, warped, inverse_map, size, INTER_LINEAR |
// WARP_INVERSE_MAP, BORDER_CONSTANT, 0), bit for bit, into `warped` (part's size, source's
// type), without the rest: OpenCV rounds each pixel's source position in fixed point from
// the row's start and the column's offset from the warped area's first column, which this
// repeats, then samples as its warp does (through cv::remap).
void warp_affine_part(const cv::Mat& source, const cv::Mat& inverse_map, const cv::Rect& part, cv::Mat& warped);

// `filter` (source, target) run tile by tile over the tiles of `source` that hold a value
// other than +0 within `reach` pixels (looking into `source`'s parent map where it is a
// region of one), each into the same tile of `target` (source's size); the other tiles of
// `target` are set to +0. Exactly the whole filter's result for a filter of that reach
// that maps +0 to +0 and gives on a region of a map what it gives on the whole map there:
// OpenCV's separable filters (cv::sepFilter2D, cv::GaussianBlur) with BORDER_CONSTANT do.
void filter_nonblank_tiles(const cv::Mat& source, cv::Mat& target, int reach, int tile,
                           const std::function<void(const cv::Mat&, cv::Mat&)>& filter);

} // namespace microstamp
