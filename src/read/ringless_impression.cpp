#include "read/ringless_impression.hpp"

#include "read/impression_locator.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/core.h>
#include <opencv2/imgproc.hpp>

namespace microstamp {
namespace {

// Texture statistics of an impression with no readable ring: inside a disc the size
// of the code versus the primer face well outside the crater.
// The centre of the crater: the centroid of its deepest part.
cv::Point crater_centre(const FeatureMap& map) {
    double lowest = 0, highest = 0;
    cv::minMaxLoc(map.background, &lowest, &highest, nullptr, nullptr, map.known);
    const cv::Mat deep = (map.background < lowest + 0.3 * (highest - lowest)) & map.known;
    const cv::Moments moments = cv::moments(deep, true);
    if (moments.m00 <= 0) return {map.values.cols / 2, map.values.rows / 2};
    return {static_cast<int>(std::lround(moments.m10 / moments.m00)), static_cast<int>(std::lround(moments.m01 / moments.m00))};
}

// The structure tensor of a map's gradients over a mask, normalised: (xx - yy, 2 xy) /
// (xx + yy), whose length is how one-sided the gradients are (1 when every gradient
// points one way) and whose angle is twice their main axis.
cv::Point2d gradient_axis(const cv::Mat& values, const cv::Mat& mask) {
    cv::Mat gx, gy;
    cv::Sobel(values, gx, CV_32F, 1, 0);
    cv::Sobel(values, gy, CV_32F, 0, 1);
    const double xx = cv::mean(gx.mul(gx), mask)[0], yy = cv::mean(gy.mul(gy), mask)[0];
    const double xy = cv::mean(gx.mul(gy), mask)[0];
    return cv::Point2d(xx - yy, 2 * xy) / std::max(1e-12, xx + yy);
}

// A disc well inside the crater wall of any full strike (400 um) and the primer beyond
// `outer_um`, both where the map is known, with the texture of the one against the other.
struct ImpressionRegions {
    cv::Mat inside, outside;
    double texture_ratio = 0;
    double unmeasured_share = 0;  // of the inside disc or of the whole map, whichever is more
    bool valid = false;
};

ImpressionRegions impression_regions(const FeatureMap& map, cv::Point centre, double outer_um) {
    ImpressionRegions regions;
    regions.inside = cv::Mat::zeros(map.values.size(), CV_8U);
    regions.outside = cv::Mat(map.values.size(), CV_8U, cv::Scalar(255));
    cv::circle(regions.inside, centre, static_cast<int>(400 / map.um_per_px), 255, -1);
    cv::circle(regions.outside, centre, static_cast<int>(outer_um / map.um_per_px), 0, -1);
    // Unmeasured: of the texture's disc, or of the whole map, whichever is more: an
    // occlusion pulls the crater's centre away from itself, and the disc then misses it.
    const int disc = cv::countNonZero(regions.inside);
    regions.inside &= map.known;
    const double disc_share = disc > 0 ? 1.0 - cv::countNonZero(regions.inside) / static_cast<double>(disc) : 1.0;
    const double map_share = 1.0 - cv::countNonZero(map.known) / static_cast<double>(map.known.total());
    regions.unmeasured_share = std::max(disc_share, map_share);
    regions.outside &= map.known;
    if (cv::countNonZero(regions.inside) < 100 || cv::countNonZero(regions.outside) < 100) return regions;
    cv::Scalar mean_inside, spread_inside, mean_outside, spread_outside;
    cv::meanStdDev(map.values, mean_inside, spread_inside, regions.inside);
    cv::meanStdDev(map.values, mean_outside, spread_outside, regions.outside);
    regions.texture_ratio = spread_inside[0] / std::max(1e-9, spread_outside[0]);
    regions.valid = true;
    return regions;
}

} // namespace

void measure_blank_impression(const FeatureMap& map, Reading& reading) {
    const ImpressionRegions regions = impression_regions(map, crater_centre(map), 850);
    if (!regions.valid) return;
    reading.texture_ratio = regions.texture_ratio;
    reading.unmeasured_share = regions.unmeasured_share;
    const cv::Point2d axis = gradient_axis(map.values, regions.inside);
    reading.scratch_coherence = std::hypot(axis.x, axis.y);
}

// An impression with no readable ring, by its texture statistics: scratched across one
// way is abraded, rougher than the primer is dented or torn (both defaced); the rest is
// unstamped where `blank` allows it (a topography shows what is there; a photograph's
// shading must be clearly smooth).
bool classify_ringless(Reading& reading, const RinglessThresholds& thresholds, bool blank) {
    if (thresholds.pixel_noise > thresholds.max_pixel_noise) {
        reading.failure = fmt::format("no ring finder circles, in a photograph with noise of {:.0f} grey levels in 255 a pixel: "
                                      "too noisy to tell a defaced or blank pin from a ring the noise hides",
                                      255 * thresholds.pixel_noise);
        return false;
    }
    if (reading.unmeasured_share > thresholds.max_unmeasured_share) {
        // Half a code, its other half unmeasured, is one-sided and rougher than the primer
        // as an abraded or dented one is: the texture cannot tell them apart.
        reading.failure = fmt::format("no ring finder circles, and {:.0f}% of the code area or of the scan is unmeasured: "
                                      "too little to tell a defaced or blank pin from a partly hidden code",
                                      100 * reading.unmeasured_share);
        return false;
    }
    if (reading.scratch_coherence > thresholds.min_scratch_coherence) {
        reading.status = ReadStatus::defaced;
        reading.failure = "the code area is scratched across: abraded";
    } else if (reading.texture_ratio > thresholds.min_damage_texture_ratio) {
        reading.status = ReadStatus::defaced;
        reading.failure = "the code area is dented or torn: peened or damaged";
    } else if (blank) {
        reading.status = ReadStatus::no_stamp;
        reading.failure = "an impression with no code: the pin carried no stamp";
    }
    return true;
}


// A photograph with no ring: abraded, never stamped, or neither can be said. The
// impression is found by its crater (impression_locator.hpp); inside it, the shading's
// texture and main axis are compared with the primer's well outside it, which carries
// the light's own signature.
void classify_blank_photograph(const DesignRelief& relief, double hint, const FeatureMap& shading, double shading_noise,
                               const LocateOptions& locate, const ReadOptions& options, Reading& reading) {
    const Impression impression = locate_impression(relief, {locate.min_px_per_um, locate.max_px_per_um});
    if (!impression.found) return;
    const double to_shading = hint / shading.um_per_px;
    const cv::Point centre(static_cast<int>(std::lround(impression.centre_column * to_shading)),
                           static_cast<int>(std::lround(impression.centre_row * to_shading)));
    const ImpressionRegions regions = impression_regions(shading, centre, 900);
    if (!regions.valid) return;
    const cv::Mat& inside = regions.inside;
    const cv::Mat& outside = regions.outside;
    reading.texture_ratio = regions.texture_ratio;
    reading.unmeasured_share = regions.unmeasured_share;
    const cv::Point2d departure =
        gradient_axis(shading.values, inside) - options.blank_photograph_coherence * gradient_axis(shading.values, outside);
    reading.scratch_coherence = std::hypot(departure.x, departure.y);
    const bool clearly_blank = reading.scratch_coherence < options.max_blank_photograph_scratch &&
                               reading.texture_ratio < options.max_blank_photograph_texture_ratio;
    const bool judged = classify_ringless(reading,
                                          {options.min_photograph_scratch, options.min_damage_texture_ratio,
                                           options.max_unmeasured_share, shading_noise, options.max_noise_for_blank_verdict},
                                          clearly_blank);
    if (judged && reading.status == ReadStatus::unreadable)
        reading.failure = "no ring finder circles; the impression is neither clearly blank nor clearly defaced";
}

} // namespace microstamp
