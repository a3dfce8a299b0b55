#pragma once
// Step 1 of reading: a scan or a photograph -> a feature map on which printed
// (raised) code cells stand out, whatever the crater's shape and the lighting.
// - Topography: heights with missing points filled from their neighbours, minus a
//   smooth background (the crater and any tilt): printed cells are positive.
// - Photograph: local contrast energy. Under oblique or ring light a raised cell
//   shows its edges (bright towards the light, dark away from it) while a flat cell
//   shows nothing, so the energy inside a cell says whether it was printed.

#include "surface/image.hpp"
#include "surface/surface.hpp"

#include <cmath>
#include <cstdint>
#include <opencv2/core.hpp>
#include <vector>

namespace microstamp {

enum class FeatureKind {
    height,       // topography: printed cells are positive heights
    shading,      // photograph minus its local mean: relief seen through the light
    edge_energy,  // photograph: local contrast, whatever its sign
    relief,       // photograph: relief recovered from oblique shading, like height
};

struct FeatureMap {
    cv::Mat values;          // CV_32F
    cv::Mat known;           // CV_8U, 0 where nothing was measured
    double um_per_px = 1.0;  // as far as the caller knows it
    FeatureKind kind = FeatureKind::height;
    cv::Mat background;      // topography: the smooth shape removed (the crater), CV_32F; else empty
    double averaged_um = 0;  // the sigma of the Gaussian it was averaged over against noise (`smoothed`), or 0
};

// `background_um`: the scale above which shape is background, not code (cells are ~30 um).
FeatureMap feature_map(const Surface& topography, double background_um = 25);
FeatureMap feature_map(const Image& photograph, double um_per_px, double background_um = 25);
// What a pixel at full scale (black or white) is: unknown, having no shading to read (a
// glare, a blot, a fill), or, on a photograph whose noise pushes single pixels past full
// scale, known with its clipped level unless it belongs to a saturated 3 x 3 block. Taking
// the scattered ones as unknown drops the brightest and darkest draws of the noise and
// biases every cell they fall in (docs/read.md: under noise of 75 grey levels, 81 of 200
// first-shot rings decoded that way).
enum class SaturatedPixels { unknown, known_where_scattered };
// The photograph's grey levels minus their local mean (kind `shading`), on pixels of
// about `working_um_per_px` when the photograph's are finer (0: as they are).
FeatureMap shading_detail(const Image& photograph, double um_per_px, double background_um = 25, double working_um_per_px = 0,
                          SaturatedPixels saturated = SaturatedPixels::unknown);
// The same for a quick look (read.hpp, ReadOptions::quick_look_um_per_px), at a third of
// the cost: the background blurred on pixels twice as wide, and textureless ground (a
// blot) not looked for, so that cells under a blot come out unsure or wrong, not erased,
// and the decode fails over to the thorough read.
FeatureMap quick_shading_detail(const Image& photograph, double um_per_px, double background_um = 25,
                                double working_um_per_px = 0);
// The map averaged over a Gaussian of `sigma_um` (unknown points weigh nothing and stay
// unknown): a noisy photograph's shading averaged over part of a cell, so that location,
// the light's axis and the cells all see the cell's area rather than single pixels.
FeatureMap smoothed(const FeatureMap& map, double sigma_um);
// The spread of the map's pixel-to-pixel noise (robust: the median absolute difference
// of horizontal neighbours, as a standard deviation of one pixel), in map units.
double pixel_noise(const FeatureMap& map);
// Local contrast of the shading, whatever its sign (kind `edge_energy`).
FeatureMap edge_energy(const FeatureMap& shading);
// Relief (its sign and rough size) from the shading of a low light from `light_azimuth` (radians, counter-clockwise
// from the image's +x with y up), integrated towards the light; `centre` is where the
// code is: the relief is recovered within `radius_px` of it (unknown beyond).
// `reach_um`: about half the smallest cell.
FeatureMap relief_from_shading(const FeatureMap& detail, double light_azimuth, cv::Point2d centre, double radius_px,
                               double reach_um = 12);

// Shared by every reader of a map:
// a bilinear sample of `values`, NaN outside them or where `known` is 0 (inline: the
// searches take millions a read);
// with the map's pointers and size taken once, for the loops that take thousands from
// one map (bilinear_sample below, for a single sample);
class MapSampler {
public:
    MapSampler(const cv::Mat& values, const cv::Mat& known)
        : values_(values.ptr<float>()), known_(known.ptr<std::uint8_t>()), value_step_(values.step1()), known_step_(known.step1()),
          columns_(values.cols), rows_(values.rows) {}
    float operator()(double column, double row) const {
        const int x = static_cast<int>(std::floor(column)), y = static_cast<int>(std::floor(row));
        if (x < 0 || y < 0 || x + 1 >= columns_ || y + 1 >= rows_) return std::nanf("");
        if (!known_[static_cast<std::size_t>(y) * known_step_ + static_cast<std::size_t>(x)]) return std::nanf("");
        const auto fx = static_cast<float>(column - x), fy = static_cast<float>(row - y);
        const float* top = values_ + static_cast<std::size_t>(y) * value_step_ + x;
        const float* bottom = top + value_step_;
        return (1 - fy) * ((1 - fx) * top[0] + fx * top[1]) + fy * ((1 - fx) * bottom[0] + fx * bottom[1]);
    }

private:
    const float* values_;
    const std::uint8_t* known_;
    std::size_t value_step_, known_step_;
    int columns_, rows_;
};
inline float bilinear_sample(const cv::Mat& values, const cv::Mat& known, double column, double row) {
    return MapSampler(values, known)(column, row);
}
// and the split of values into two classes (Otsu): the threshold between them and their
// means, ignoring values that are not finite; invalid with fewer than `minimum_count`.
struct TwoClasses {
    double threshold = 0, low = 0, high = 0;
    bool valid = false;
};
TwoClasses split_two_classes(std::vector<float> values, std::size_t minimum_count);

} // namespace microstamp
