#include "read/overlay.hpp"

#include "surface/indexed_png.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/core.h>
#include <numbers>
#include <opencv2/imgproc.hpp>

namespace microstamp {
namespace {

// Palette indices: a grey ramp, black to white, then the marks' colours. Everything is
// drawn without anti-aliasing, which would blend indices, not colours.
constexpr int grey_levels = 240;
enum Ink : std::uint8_t {
    black = 0,
    white = grey_levels - 1,
    finder_ink = grey_levels,  // cyan
    printed_ink,               // green
    flat_ink,                  // blue
    unsure_ink,                // red: unsure or erased
};

const std::vector<PaletteColour>& palette() {
    static const std::vector<PaletteColour> colours = [] {
        std::vector<PaletteColour> all;
        for (int index = 0; index < grey_levels; ++index) {
            const auto level = static_cast<std::uint8_t>(std::lround(index * 255.0 / (grey_levels - 1)));
            all.push_back({level, level, level});
        }
        all.insert(all.end(), {{0, 255, 255}, {0, 200, 0}, {0, 80, 200}, {230, 0, 0}});
        return all;
    }();
    return colours;
}

// A placement the reader could not have made (no scale, not a number) is not drawn.
bool drawable(const std::optional<RingPlacement>& placement) {
    return placement && placement->px_per_um > 0 &&
           std::isfinite(placement->px_per_um + placement->centre_column + placement->centre_row);
}

// The part of the picture an examiner needs: a square around the located impression
// (the pin and a margin for its crater's rim), or all of it where none was located.
cv::Rect impression_window(const Image& base, const Reading& reading) {
    const cv::Rect whole(0, 0, base.width, base.height);
    if (!drawable(reading.placement)) return whole;
    const RingPlacement& placement = *reading.placement;
    const double half = 1.1 * FaceGeometry{}.pin_diameter_um / 2 * placement.px_per_um;
    // Clamped to the picture before becoming integers, so no placement overflows them.
    const auto within = [](double value, int size) { return static_cast<int>(std::clamp(value, 0.0, static_cast<double>(size))); };
    const cv::Rect inside(cv::Point(within(std::floor(placement.centre_column - half), base.width),
                                    within(std::floor(placement.centre_row - half), base.height)),
                          cv::Point(within(std::ceil(placement.centre_column + half), base.width),
                                    within(std::ceil(placement.centre_row + half), base.height)));
    return inside.area() > 0 ? inside : whole;
}

// The window's grey levels, resized to `size`, as palette indices.
cv::Mat grey_indices(const Image& base, const cv::Rect& window, const cv::Size& size) {
    cv::Mat grey(window.height, window.width, CV_8U);
    const int shift = base.bits == 16 ? 8 : 0;
    for (int row = 0; row < window.height; ++row) {
        const std::uint16_t* pixels =
            base.pixels.data() + static_cast<std::size_t>(window.y + row) * static_cast<std::size_t>(base.width) +
            static_cast<std::size_t>(window.x);
        std::uint8_t* line = grey.ptr<std::uint8_t>(row);
        for (int column = 0; column < window.width; ++column) line[column] = static_cast<std::uint8_t>(pixels[column] >> shift);
    }
    cv::Mat resized;
    cv::resize(grey, resized, size, 0, 0, size.width < window.width ? cv::INTER_AREA : cv::INTER_LINEAR);
    cv::Mat ramp(1, 256, CV_8U);
    for (int level = 0; level < 256; ++level)
        ramp.at<std::uint8_t>(level) = static_cast<std::uint8_t>(std::lround(level * (grey_levels - 1) / 255.0));
    cv::Mat indices;
    cv::LUT(resized, ramp, indices);
    return indices;
}

// From the base picture's pixels to the overlay's (pixel centres map to pixel centres).
struct PictureFrame {
    cv::Point2d origin;
    double scale = 1;
    cv::Point at(cv::Point2d base_point) const {
        return {static_cast<int>(std::lround((base_point.x - origin.x + 0.5) * scale - 0.5)),
                static_cast<int>(std::lround((base_point.y - origin.y + 0.5) * scale - 0.5))};
    }
};

void draw_ring(cv::Mat& picture, const PictureFrame& frame, const Reading& reading) {
    if (!drawable(reading.placement)) return;
    const RingPlacement& placement = *reading.placement;
    const FaceGeometry geometry;
    const double px_per_um = placement.px_per_um * frame.scale;
    const cv::Point centre = frame.at({placement.centre_column, placement.centre_row});
    for (const double* band : {geometry.ring_inner_finder_um, geometry.ring_outer_finder_um})
        cv::circle(picture, centre, static_cast<int>(std::lround((band[0] + band[1]) / 2 * px_per_um)), finder_ink, 1, cv::LINE_8);
    if (!reading.observation) return;
    const double sector = 2 * std::numbers::pi / ring_sectors_per_track;
    const double* tracks[ring_tracks] = {geometry.ring_inner_track_um, geometry.ring_outer_track_um};
    const int half = std::max(1, static_cast<int>(std::lround(4 * px_per_um)));
    for (int symbol = 0; symbol < ring_symbols; ++symbol) {
        const int track = symbol / ring_sectors_per_track, position = symbol % ring_sectors_per_track;
        const double row_height = (tracks[track][1] - tracks[track][0]) / ring_rows;
        for (int cell = 0; cell < ring_cells_per_symbol; ++cell) {
            const double radius = tracks[track][0] + (cell / ring_columns + 0.5) * row_height;
            const double angle = placement.grid_angle + sector * (position + (cell % ring_columns + 0.5) / ring_columns);
            const cv::Point at = frame.at(image_point(placement, radius * std::cos(angle), radius * std::sin(angle)));
            const float value = reading.observation->cells[static_cast<std::size_t>(symbol)][static_cast<std::size_t>(cell)];
            const bool printed = value >= 0.35f;
            const Ink ink = printed ? printed_ink : value <= -0.35f ? flat_ink : unsure_ink;
            cv::rectangle(picture, at - cv::Point(half, half), at + cv::Point(half, half), ink, printed ? cv::FILLED : 1,
                          cv::LINE_8);
        }
    }
}

std::vector<std::string> result_lines(const Reading& reading) {
    std::string headline = std::string(status_name(reading.status));
    if (reading.identity) headline += ": " + describe(*reading.identity);
    else if (!reading.failure.empty()) headline += ": " + reading.failure;
    std::string margin = reading.status == ReadStatus::decoded
                             ? fmt::format("unused error correction {} of {}, erasures {}, errors {}", reading.unused_capacity,
                                           ring_parity_symbols, reading.erasures, reading.errors)
                             : fmt::format("erased sectors {}", reading.erased_sectors);
    return {headline, margin};
}

// The result, white on black above the picture, so it never hides the impression; the
// font shrinks until the longest line fits.
cv::Mat text_band(const std::vector<std::string>& lines, int width) {
    constexpr int font = cv::FONT_HERSHEY_SIMPLEX, margin_px = 8;
    double font_scale = 0.5;
    int baseline = 0, line_height = 0;
    for (const std::string& line : lines) {
        const cv::Size size = cv::getTextSize(line, font, font_scale, 1, &baseline);
        if (size.width > width - 2 * margin_px) font_scale *= static_cast<double>(width - 2 * margin_px) / size.width;
    }
    for (const std::string& line : lines)
        line_height = std::max(line_height, cv::getTextSize(line, font, font_scale, 1, &baseline).height + baseline + 6);
    cv::Mat band(line_height * static_cast<int>(lines.size()) + margin_px, width, CV_8U, cv::Scalar(black));
    for (std::size_t index = 0; index < lines.size(); ++index)
        cv::putText(band, lines[index], cv::Point(margin_px, line_height * static_cast<int>(index + 1) - baseline), font,
                    font_scale, white, 1, cv::LINE_8);
    return band;
}

} // namespace

Image topography_picture(const FeatureMap& map) {
    Image image{map.values.cols, map.values.rows, 8, std::vector<std::uint16_t>(map.values.total()), map.um_per_px};
    std::uint16_t* pixel = image.pixels.data();
    for (int row = 0; row < map.values.rows; ++row) {
        const float* values = map.values.ptr<float>(row);
        for (int column = 0; column < map.values.cols; ++column)
            *pixel++ = static_cast<std::uint16_t>(std::clamp(128.0f + 12.0f * values[column], 0.0f, 255.0f));
    }
    return image;
}

std::vector<std::uint8_t> overlay_png(const Image& base, const Reading& reading) {
    if (base.width <= 0 || base.height <= 0) throw FileError("cannot draw an overlay on an empty image");
    const cv::Rect window = impression_window(base, reading);
    const double scale = static_cast<double>(overlay_width_px) / std::max(window.width, window.height);
    const cv::Size size(std::max(1, static_cast<int>(std::lround(window.width * scale))),
                        std::max(1, static_cast<int>(std::lround(window.height * scale))));
    cv::Mat picture = grey_indices(base, window, size);
    draw_ring(picture, PictureFrame{{static_cast<double>(window.x), static_cast<double>(window.y)}, scale}, reading);
    // A window cut short by the picture's edge keeps the full width, black beside it.
    cv::copyMakeBorder(picture, picture, 0, 0, 0, overlay_width_px - picture.cols, cv::BORDER_CONSTANT, cv::Scalar(black));
    cv::Mat page;
    cv::vconcat(text_band(result_lines(reading), overlay_width_px), picture, page);
    return indexed_png(page, palette());
}

} // namespace microstamp
