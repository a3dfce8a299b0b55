#include "read/overlay.hpp"

#include <cmath>
#include <fmt/core.h>
#include <numbers>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace microstamp {

Image topography_picture(const Surface& topography) {
    const FeatureMap map = feature_map(topography);
    Image image{map.values.cols, map.values.rows, 8, std::vector<std::uint16_t>(map.values.total()), topography.spacing_x_um};
    for (int row = 0; row < map.values.rows; ++row)
        for (int column = 0; column < map.values.cols; ++column) {
            const double level = std::clamp(128.0 + 12.0 * map.values.at<float>(row, column), 0.0, 255.0);
            image.pixels[static_cast<std::size_t>(row) * static_cast<std::size_t>(image.width) + static_cast<std::size_t>(column)] =
                static_cast<std::uint16_t>(level);
        }
    return image;
}

std::vector<std::uint8_t> overlay_png(const Image& base, const Reading& reading) {
    if (base.width <= 0 || base.height <= 0) throw FileError("cannot draw an overlay on an empty image");
    cv::Mat grey(base.height, base.width, CV_8U);
    const int shift = base.bits == 16 ? 8 : 0;
    for (int row = 0; row < base.height; ++row)
        for (int column = 0; column < base.width; ++column)
            grey.at<std::uint8_t>(row, column) = static_cast<std::uint8_t>(
                base.pixels[static_cast<std::size_t>(row) * static_cast<std::size_t>(base.width) + static_cast<std::size_t>(column)] >> shift);
    cv::Mat picture;
    cv::cvtColor(grey, picture, cv::COLOR_GRAY2BGR);
    const double scale = std::max(1.0, base.width / 700.0);
    if (reading.placement) {
        const RingPlacement& placement = *reading.placement;
        const FaceGeometry geometry;
        const cv::Point centre(static_cast<int>(std::lround(placement.centre_column)), static_cast<int>(std::lround(placement.centre_row)));
        for (const double* band : {geometry.ring_inner_finder_um, geometry.ring_outer_finder_um})
            cv::circle(picture, centre, static_cast<int>(std::lround((band[0] + band[1]) / 2 * placement.px_per_um)),
                       cv::Scalar(255, 255, 0), 1, cv::LINE_AA);
        if (reading.observation) {
            const double sector = 2 * std::numbers::pi / ring_sectors_per_track;
            const double* tracks[ring_tracks] = {geometry.ring_inner_track_um, geometry.ring_outer_track_um};
            const int half = std::max(1, static_cast<int>(std::lround(4 * placement.px_per_um)));
            for (int symbol = 0; symbol < ring_symbols; ++symbol) {
                const int track = symbol / ring_sectors_per_track, position = symbol % ring_sectors_per_track;
                const double row_height = (tracks[track][1] - tracks[track][0]) / ring_rows;
                for (int cell = 0; cell < ring_cells_per_symbol; ++cell) {
                    const double radius = tracks[track][0] + (cell / ring_columns + 0.5) * row_height;
                    const double angle = placement.grid_angle + sector * (position + (cell % ring_columns + 0.5) / ring_columns);
                    const cv::Point2d at = image_point(placement, radius * std::cos(angle), radius * std::sin(angle));
                    const float value = reading.observation->cells[static_cast<std::size_t>(symbol)][static_cast<std::size_t>(cell)];
                    const cv::Scalar colour = value >= 0.35f ? cv::Scalar(0, 200, 0)
                                              : value <= -0.35f ? cv::Scalar(200, 80, 0)
                                                                : cv::Scalar(0, 0, 230);
                    cv::rectangle(picture, cv::Point(static_cast<int>(at.x) - half, static_cast<int>(at.y) - half),
                                  cv::Point(static_cast<int>(at.x) + half, static_cast<int>(at.y) + half), colour,
                                  value >= 0.35f ? cv::FILLED : 1);
                }
            }
        }
    }
    std::string headline = std::string(status_name(reading.status));
    if (reading.identity) headline += ": " + describe(*reading.identity);
    else if (!reading.failure.empty()) headline += ": " + reading.failure;
    const std::string margin = reading.status == ReadStatus::decoded
                                   ? fmt::format("unused error correction {} of {}, erasures {}, errors {}", reading.unused_capacity,
                                                 ring_parity_symbols, reading.erasures, reading.errors)
                                   : fmt::format("erased sectors {}", reading.erased_sectors);
    for (const auto& [text, line] : {std::pair{headline, 1}, std::pair{margin, 2}}) {
        const cv::Point origin(10, static_cast<int>(std::lround(24 * scale * line)));
        cv::putText(picture, text, origin, cv::FONT_HERSHEY_SIMPLEX, 0.6 * scale, cv::Scalar(0, 0, 0), static_cast<int>(3 * scale), cv::LINE_AA);
        cv::putText(picture, text, origin, cv::FONT_HERSHEY_SIMPLEX, 0.6 * scale, cv::Scalar(255, 255, 255), static_cast<int>(1 * scale), cv::LINE_AA);
    }
    std::vector<std::uint8_t> bytes;
    if (!cv::imencode(".png", picture, bytes)) throw FileError("PNG encoding of the overlay failed");
    return bytes;
}

} // namespace microstamp
