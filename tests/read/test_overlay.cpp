// The overlay shows an examiner what the reader saw: checked by what is drawn, counted
// in the decoded PNG, not by how it is drawn.

#include "physics/fire.hpp"
#include "read/overlay.hpp"

#include <cmath>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace microstamp {
namespace {

Shot fired_shot() {
    DieDesign design;
    design.designs = {Design::ring, Design::text};
    const Die die = encode(default_catalog().identity("SIG Sauer", "P320", "58A-104233"), design);
    FireOptions options;
    options.seed = 3;
    Shot saved;
    fire(die, load_firearm("service-9mm-striker"), load_ammunition("standard-small-pistol"), options,
         [&](Shot&& shot) { saved = std::move(shot); });
    return saved;
}

cv::Mat pixels_of(const cv::Mat& picture, cv::Vec3b colour) {
    cv::Mat mask;
    cv::inRange(picture, colour, colour, mask);
    return mask;
}

// Separate marks of one colour (a filled square, or a square's outline).
int marks_of(const cv::Mat& picture, cv::Vec3b colour) {
    cv::Mat labels;
    return cv::connectedComponents(pixels_of(picture, colour), labels, 8) - 1;
}

struct CellCounts {
    int printed = 0, flat = 0, unsure = 0;
};

CellCounts cells_as_read(const Reading& reading) {
    CellCounts counts;
    for (const auto& symbol : reading.observation->cells)
        for (const float value : symbol) {
            if (value >= 0.35f) ++counts.printed;
            else if (value <= -0.35f) ++counts.flat;
            else ++counts.unsure;
        }
    return counts;
}

const cv::Vec3b green(0, 200, 0), blue(200, 80, 0), red(0, 0, 230), cyan(255, 255, 0), white(255, 255, 255);

TEST(Overlay, DrawsTheLocatedRingEveryCellAsReadAndTheResultAbove) {
    const Shot shot = fired_shot();
    FeatureMap map;
    const Reading reading = read(shot.topography, {}, default_catalog(), &map);
    ASSERT_EQ(reading.status, ReadStatus::decoded);
    ASSERT_TRUE(reading.observation.has_value());
    const cv::Mat overlay = cv::imdecode(overlay_png(topography_picture(map), reading), cv::IMREAD_COLOR);
    ASSERT_FALSE(overlay.empty());
    EXPECT_EQ(overlay.cols, overlay_width_px);

    // The result in a band above the picture, and no mark in it.
    const cv::Mat band = overlay.rowRange(0, 40);
    EXPECT_GT(cv::countNonZero(pixels_of(band, white)), 200) << "the result's text";
    for (const cv::Vec3b& mark : {green, blue, red, cyan}) EXPECT_EQ(cv::countNonZero(pixels_of(band, mark)), 0);

    // One mark for every cell, in the colour of its value as read.
    const CellCounts cells = cells_as_read(reading);
    EXPECT_EQ(cells.printed + cells.flat + cells.unsure, ring_symbols * ring_cells_per_symbol);
    EXPECT_GT(cells.printed, 100);
    EXPECT_EQ(marks_of(overlay, green), cells.printed);
    EXPECT_EQ(marks_of(overlay, blue), cells.flat);
    EXPECT_EQ(marks_of(overlay, red), cells.unsure);

    // The two finder circles around the ring of cells, the impression in the middle:
    // the cyan pixels' centroid is where the cell marks' is.
    const cv::Moments finders = cv::moments(pixels_of(overlay, cyan), true);
    const cv::Moments marks = cv::moments(pixels_of(overlay, green) | pixels_of(overlay, blue) | pixels_of(overlay, red), true);
    ASSERT_GT(finders.m00, 500);
    EXPECT_NEAR(finders.m10 / finders.m00, marks.m10 / marks.m00, 3);
    EXPECT_NEAR(finders.m01 / finders.m00, marks.m01 / marks.m00, 3);
    EXPECT_NEAR(finders.m10 / finders.m00, overlay_width_px / 2.0, overlay_width_px / 10.0);
}

TEST(Overlay, WithNothingLocatedShowsTheWholePictureAndWhy) {
    Image blank{1200, 900, 16, std::vector<std::uint16_t>(1200 * 900, 30000), 2.0};
    ReadOptions options;
    options.um_per_px = 2.0;
    const Reading reading = read(blank, options);
    ASSERT_FALSE(reading.identity.has_value());
    const cv::Mat overlay = cv::imdecode(overlay_png(blank, reading), cv::IMREAD_COLOR);
    ASSERT_FALSE(overlay.empty());
    EXPECT_EQ(overlay.cols, overlay_width_px);
    EXPECT_GE(overlay.rows, 900 * overlay_width_px / 1200) << "the whole picture, its shape kept";
    EXPECT_GT(cv::countNonZero(pixels_of(overlay.rowRange(0, 40), white)), 100) << "the status and why";
    EXPECT_EQ(marks_of(overlay, green) + marks_of(overlay, blue), 0);
    EXPECT_THROW(overlay_png(Image{}, reading), FileError);

    // A placement far off the picture, without a scale, or not a number, still draws the
    // picture and why.
    const double nan = std::nan("");
    for (const RingPlacement& placement : {RingPlacement{-1e12, 3e11, 0.5, 0, 0, 0}, RingPlacement{600, 450, -1, 0, 0, 0},
                                           RingPlacement{nan, nan, nan, 0, 0, 0}}) {
        Reading placed = reading;
        placed.placement = placement;
        const cv::Mat drawn = cv::imdecode(overlay_png(blank, placed), cv::IMREAD_COLOR);
        ASSERT_FALSE(drawn.empty()) << placement.centre_column;
        EXPECT_EQ(drawn.cols, overlay_width_px) << placement.centre_column;
    }
}

} // namespace
} // namespace microstamp
