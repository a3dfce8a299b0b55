// The simulator's phenomena each move the impression the way physics says.

#include "code/gear.hpp"
#include "physics/face_filters.hpp"
#include "physics/fire.hpp"
#include "surface/filters.hpp"
#include "support/identities.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <numbers>

namespace microstamp {
namespace {

const PhysicsConstants& constants() { return default_physics_constants(); }

const Die& test_die() {
    static const Die die = [] {
        DieDesign design;
        design.designs = {Design::ring, Design::text, Design::gear};
        return encode(default_catalog().identity("SIG Sauer", "P320", "58A-104233"), design);
    }();
    return die;
}

const PinFace& fresh_face() {
    static const PinFace face = pin_face(test_die());
    return face;
}

struct Shooting {
    Firearm firearm = load_firearm("service-9mm-striker");
    Ammunition ammunition = load_ammunition("standard-small-pistol");
    CasingGrid grid;
    StrikePose pose;
    Shooting() {
        pose = sample_pose(firearm, ammunition, constants(), 1);
        pose.offset_x_um = pose.offset_y_um = 0;
        pose.tilt_x = pose.tilt_y = 0;
        pose.rotation_rad = 0.3;
        pose.drag = false;
        pose.double_strike = false;
        pose.energy_mj = firearm.strike_energy_mj;
    }
    Surface fire(const PinFace& face) const {
        return strike(prepare_transfer(face, ammunition, constants(), grid.spacing_um), firearm, ammunition, pose,
                      constants(), grid);
    }
    // What the code added: the strike minus the same strike by an unstamped pin, so
    // the crater's curvature and the surface finish cancel.
    Surface printed(const PinFace& face) const {
        Surface result = fire(face);
        const Surface plain = fire(blank_face(face));
        for (std::size_t i = 0; i < result.size(); ++i) result.heights_um[i] -= plain.heights_um[i];
        return result;
    }
};

cv::Point2d cell_centre(const Cell& cell) {
    if (const auto* box = std::get_if<Box>(&cell.shape)) return {box->centre_x_um, box->centre_y_um};
    const auto& sector = std::get<AnnularSector>(cell.shape);
    const double radius = (sector.inner_radius_um + sector.outer_radius_um) / 2;
    const double angle = (sector.start_angle + sector.end_angle) / 2;
    return {radius * std::cos(angle), radius * std::sin(angle)};
}

double height_at(const Surface& surface, const StrikePose& pose, cv::Point2d layout_point) {
    const double c = std::cos(pose.rotation_rad), s = std::sin(pose.rotation_rad);
    const double x = pose.offset_x_um + c * layout_point.x - s * layout_point.y;
    const double y = pose.offset_y_um + s * layout_point.x + c * layout_point.y;
    const auto column = static_cast<long>(std::lround(x / surface.spacing_x_um + static_cast<double>(surface.width) / 2 - 0.5));
    const auto row = static_cast<long>(std::lround(static_cast<double>(surface.height) / 2 - 0.5 - y / surface.spacing_y_um));
    if (column < 0 || row < 0 || column >= static_cast<long>(surface.width) || row >= static_cast<long>(surface.height))
        return std::nan("");
    return surface.at(static_cast<std::size_t>(column), static_cast<std::size_t>(row));
}

// Mean height over engraved cells minus mean over flat cells: how strongly the code printed.
double contrast(const Surface& casing, const StrikePose& pose, Design design, int symbol_from = 0, int symbol_to = 1 << 30) {
    double engraved = 0, flat = 0;
    int engraved_count = 0, flat_count = 0;
    for (const Cell& cell : test_die().layout.cells) {
        if (cell.design != design || cell.role == CellRole::finder || cell.symbol < symbol_from || cell.symbol >= symbol_to)
            continue;
        const double height = height_at(casing, pose, cell_centre(cell));
        if (std::isnan(height)) continue;
        if (cell.engraved) {
            engraved += height;
            ++engraved_count;
        } else {
            flat += height;
            ++flat_count;
        }
    }
    return engraved / std::max(engraved_count, 1) - flat / std::max(flat_count, 1);
}

double mean_recess_depth(const PinFace& face, Design design) {
    // Die-frame sampling of the relief at the layout's engraved cell centres.
    double sum = 0;
    int count = 0;
    for (const Cell& cell : test_die().layout.cells) {
        if (cell.design != design || !cell.engraved || cell.role == CellRole::finder) continue;
        const auto point = cell_centre(cell);
        const int column = static_cast<int>(std::lround(point.x / face.spacing_um + face.relief.cols / 2.0 - 0.5));
        const int row = static_cast<int>(std::lround(face.relief.rows / 2.0 - 0.5 - point.y / face.spacing_um));
        sum += face.relief.at<float>(row, column);
        ++count;
    }
    return sum / count;
}

TEST(PinFace, MatchesTheDieEngraving) {
    EXPECT_NEAR(mean_recess_depth(fresh_face(), Design::ring), test_die().layout.geometry.engraving_depth_um, 0.5);
}

TEST(Wear, MoreRoundsGiveShallowerFeatures) {
    double previous = mean_recess_depth(fresh_face(), Design::ring);
    for (const long rounds : {1000L, 5000L, 10000L, 30000L}) {
        const double depth = mean_recess_depth(wear(fresh_face(), rounds, constants(), 1), Design::ring);
        EXPECT_LT(depth, previous) << rounds << " rounds";
        previous = depth;
    }
}

TEST(Wear, FineFeaturesWearFirst) {
    const PinFace worn = wear(fresh_face(), 5000, constants(), 1);
    const double ring_kept = mean_recess_depth(worn, Design::ring) / mean_recess_depth(fresh_face(), Design::ring);
    const double text_kept = mean_recess_depth(worn, Design::text) / mean_recess_depth(fresh_face(), Design::text);
    EXPECT_LT(text_kept, ring_kept);  // 12 um strokes lose more of their depth than 27 um cells
}

// Wear works on the engraved area only and applies the box passes' kernel at once while
// it is narrow: the face must be what the box passes over the whole face give.
TEST(Wear, EdgeRoundingIsTheBoxPassesOverTheWholeFace) {
    for (const long rounds : {0L, 1000L, 20000L}) {  // no rounding, direct kernel, box passes
        const PinFace worn = wear(fresh_face(), ChipSites{}, rounds, constants());
        cv::Mat expected = fresh_face().relief.clone();
        box_gaussian_blur(expected, worn.wear.edge_rounding_um / fresh_face().spacing_um, cv::BORDER_CONSTANT);
        expected -= static_cast<float>(worn.wear.face_wear_um + worn.wear.fouling_um);
        expected = cv::max(expected, 0.0f);
        EXPECT_LT(cv::norm(worn.relief, expected, cv::NORM_INF), 1e-4) << rounds << " rounds";
    }
}

TEST(Wear, ChipsAccumulateAndFoulingSaturates) {
    int previous_chips = 0;
    for (const long rounds : {0L, 10000L, 50000L, 200000L}) {
        const PinFace worn = wear(fresh_face(), rounds, constants(), 7);
        EXPECT_GE(worn.wear.chips, previous_chips);
        previous_chips = worn.wear.chips;
    }
    EXPECT_GT(previous_chips, 0);
    const double early = wear(fresh_face(), 3000, constants(), 1).wear.fouling_um;
    const double late = wear(fresh_face(), 100000, constants(), 1).wear.fouling_um;
    EXPECT_GT(late, early);
    EXPECT_LE(late, constants().get("wear", "fouling_max_um") + 1e-9);
    EXPECT_THROW(wear(fresh_face(), -1, constants(), 1), InputError);
}

// Each shot finds the engraving within the rectangle the face carries: the fresh face,
// worn faces (chips carved past the rounded area included), defeated and blank ones
// must give what a look at the whole face gives.
TEST(Wear, EngravedAreaIsTheWholeFacesNonzeroArea) {
    std::vector<PinFace> faces{fresh_face(), blank_face(fresh_face())};
    for (const long rounds : {0L, 1000L, 200000L, 1000000L}) faces.push_back(wear(fresh_face(), rounds, constants(), 7));
    EXPECT_GT(faces.back().wear.chips, 0);
    for (const char* text : {"stone:2", "hammer:3"})
        faces.push_back(defeat(faces[3], parse_defeat(text), constants(), 5));
    for (const PinFace& face : faces)
        for (const int margin : {0, 3, 40})
            EXPECT_EQ(engraved_area(face, margin), nonzero_area(face.relief, margin))
                << face.wear.rounds << " rounds, " << face.defeats.size() << " defeats, margin " << margin;
}

// The transfer map is made from the engraved area of the face only: a face whose area
// is the whole face (a trace of relief in its corners) must give the same map inside.
TEST(Strike, TransferMapOfTheEngravedAreaIsThatOfTheWholeFace) {
    const Ammunition ammunition = load_ammunition("standard-small-pistol");
    const PinFace worn = wear(fresh_face(), 1000, constants(), 1);
    PinFace traced = worn;
    traced.relief = worn.relief.clone();
    traced.engraved_within = {};  // relief edited by hand: where it lies is no longer known
    const int last_column = traced.relief.cols - 1, last_row = traced.relief.rows - 1;
    for (const cv::Point corner : {cv::Point(0, 0), cv::Point(last_column, 0), cv::Point(0, last_row),
                                   cv::Point(last_column, last_row)})
        traced.relief.at<float>(corner) = 0.01f;
    for (const double spacing_um : {0.0, 2.0, 2.5}) {  // the face's own, whole blocks, not whole blocks
        const cv::Mat engraved = prepare_transfer(worn, ammunition, constants(), spacing_um).relief_and_fillability;
        const cv::Mat whole = prepare_transfer(traced, ammunition, constants(), spacing_um).relief_and_fillability;
        ASSERT_EQ(engraved.size(), whole.size());
        const int margin = engraved.cols / 20;
        const cv::Rect inside(margin, margin, engraved.cols - 2 * margin, engraved.rows - 2 * margin);
        EXPECT_LT(cv::norm(engraved(inside), whole(inside), cv::NORM_INF), 1e-5) << spacing_um << " um";
    }
}

TEST(Strike, DeeperStrikeTransfersBetter) {
    Shooting light, heavy;
    light.pose.energy_mj = 35;
    heavy.pose.energy_mj = 90;
    EXPECT_LT(indentation_depth_um(light.firearm, light.ammunition, constants(), 35),
              indentation_depth_um(heavy.firearm, heavy.ammunition, constants(), 90));
    const double weak = contrast(light.printed(fresh_face()), light.pose, Design::ring);
    const double strong = contrast(heavy.printed(fresh_face()), heavy.pose, Design::ring);
    EXPECT_GT(weak, 0.5);
    EXPECT_GT(strong, weak * 1.1);
}

TEST(Strike, LightStrikeLosesTheOuterTrack) {
    Shooting light;
    light.pose.energy_mj = 6;  // a light strike: the contact patch shrinks inside the outer track
    const Surface casing = light.printed(fresh_face());
    const double inner = contrast(casing, light.pose, Design::ring, 0, 24);
    const double outer = contrast(casing, light.pose, Design::ring, 24, 48);
    EXPECT_LT(outer, 0.2 * std::max(inner, 0.1));
}

TEST(Strike, HarderPrimerTransfersLess) {
    Shooting soft, standard, hard, nickel;
    soft.ammunition = load_ammunition("soft-small-pistol");
    hard.ammunition = load_ammunition("hard-small-pistol");
    nickel.ammunition = load_ammunition("nickel-small-pistol");
    const double soft_contrast = contrast(soft.printed(fresh_face()), soft.pose, Design::ring);
    const double standard_contrast = contrast(standard.printed(fresh_face()), standard.pose, Design::ring);
    const double hard_contrast = contrast(hard.printed(fresh_face()), hard.pose, Design::ring);
    const double nickel_contrast = contrast(nickel.printed(fresh_face()), nickel.pose, Design::ring);
    EXPECT_GT(soft_contrast, standard_contrast);
    EXPECT_GT(standard_contrast, hard_contrast);
    EXPECT_GT(standard_contrast, nickel_contrast);
}

TEST(Strike, RimOfAHemisphericalTipPrintsLessThanItsCentre) {
    Shooting setup;
    const Surface casing = setup.printed(fresh_face());
    const double inner = contrast(casing, setup.pose, Design::ring, 0, 24);
    const double outer = contrast(casing, setup.pose, Design::ring, 24, 48);
    EXPECT_GT(inner, outer);
    EXPECT_GT(contrast(casing, setup.pose, Design::text), 0.5);
}

TEST(Strike, TiltMovesTheContactAndOneSidePrintsLess) {
    Shooting tilted;
    tilted.pose.rotation_rad = 0;
    tilted.pose.tilt_x = 4 * std::numbers::pi / 180;  // contact moves towards +x
    const Surface casing = tilted.printed(fresh_face());
    // Ring sectors 0..5 and 18..23 lie at +x; 6..17 at -x (pin not rotated).
    double plus = 0, minus = 0;
    for (int sector = 0; sector < 24; ++sector) {
        const double value = contrast(casing, tilted.pose, Design::ring, 24 + sector, 25 + sector);
        (sector < 6 || sector >= 18 ? plus : minus) += value;
    }
    EXPECT_GT(plus, minus);
}

TEST(Strike, OffCentreStrikeMovesTheImpression) {
    Shooting centred, shifted;
    shifted.pose.offset_x_um = 150;
    const Surface a = centred.fire(fresh_face());
    const Surface b = shifted.fire(fresh_face());
    // The deepest point moves with the pin.
    auto deepest_column = [](const Surface& s) {
        std::size_t best = 0;
        for (std::size_t i = 0; i < s.size(); ++i)
            if (s.heights_um[i] < s.heights_um[best]) best = i;
        return static_cast<double>(best % s.width);
    };
    EXPECT_NEAR(deepest_column(b) - deepest_column(a), 150 / centred.grid.spacing_um, 15);
    EXPECT_GT(contrast(b, shifted.pose, Design::ring), 0.5);  // the code travels with the pin
}

TEST(Strike, DragSmearsAlongItsDirection) {
    Shooting plain, dragged;
    dragged.pose.drag = true;
    dragged.pose.drag_direction_rad = std::numbers::pi / 2;  // towards +y
    dragged.pose.drag_length_um = 150;
    plain.pose.rotation_rad = dragged.pose.rotation_rad = 0;
    const Surface clean = plain.printed(fresh_face());
    const Surface smeared = dragged.printed(fresh_face());
    // Sectors around +y (6..11 of a track at rotation 0 span 90..180 deg; use 4..8 ~ 60..120 deg) are smeared,
    // sectors around -y (16..20) are not.
    auto track_contrast = [&](const Surface& s, const StrikePose& pose, int from, int to) {
        double sum = 0;
        for (int sector = from; sector < to; ++sector) sum += contrast(s, pose, Design::ring, 24 + sector, 25 + sector);
        return sum / (to - from);
    };
    EXPECT_LT(track_contrast(smeared, dragged.pose, 4, 9), 0.7 * track_contrast(clean, plain.pose, 4, 9));
    EXPECT_NEAR(track_contrast(smeared, dragged.pose, 16, 21), track_contrast(clean, plain.pose, 16, 21), 0.3);
    // A trench runs on beyond the crater in the drag direction.
    const double beyond = plain.pose.contact_radius_um + 60;
    const Surface clean_surface = plain.fire(fresh_face()), smeared_surface = dragged.fire(fresh_face());
    EXPECT_LT(height_at(smeared_surface, dragged.pose, {0, beyond}), height_at(clean_surface, plain.pose, {0, beyond}) - 5);
    EXPECT_NEAR(height_at(smeared_surface, dragged.pose, {0, -beyond - 100}),
                height_at(clean_surface, plain.pose, {0, -beyond - 100}), 2);
}

TEST(Strike, DoubleStrikeAddsASecondImpressionAndBlursTheCode) {
    Shooting single, twice;
    twice.pose.double_strike = true;
    twice.pose.second_offset_x_um = 70;
    twice.pose.second_offset_y_um = 0;
    twice.pose.second_rotation_rad = twice.pose.rotation_rad + 0.15;
    twice.pose.second_energy_mj = 0.9 * twice.pose.energy_mj;  // a re-strike after a misfire
    const Surface once = single.printed(fresh_face());
    const Surface again = twice.printed(fresh_face());
    EXPECT_LT(contrast(again, twice.pose, Design::ring), contrast(once, single.pose, Design::ring));
}

TEST(Strike, FlowbackRaisesALipAroundTheCrater) {
    Shooting setup;
    setup.pose.flowback_height_um = 15;
    setup.pose.flowback_direction_rad = 0;
    const Surface casing = setup.fire(fresh_face());
    const double lip = height_at(casing, setup.pose, {setup.pose.contact_radius_um + constants().get("flowback", "gap_um"), 0});
    Shooting none;
    none.pose.flowback_height_um = 0;
    const double flat = height_at(none.fire(fresh_face()), none.pose,
                                  {none.pose.contact_radius_um + constants().get("flowback", "gap_um"), 0});
    EXPECT_GT(lip, flat + 5);
}

TEST(Strike, RimfireContactIsABandAndHardBrassPrintsLittle) {
    Shooting centrefire, rimfire;
    rimfire.firearm = load_firearm("rimfire-22");
    rimfire.ammunition = load_ammunition("rimfire-22lr");
    rimfire.pose = sample_pose(rimfire.firearm, rimfire.ammunition, constants(), 1);
    rimfire.pose.offset_x_um = rimfire.pose.offset_y_um = 0;
    rimfire.pose.rotation_rad = 0.3;
    rimfire.pose.rim_band_direction_rad = 0;  // band along x
    EXPECT_LT(contrast(rimfire.printed(fresh_face()), rimfire.pose, Design::ring),
              0.5 * contrast(centrefire.printed(fresh_face()), centrefire.pose, Design::ring));
    const Surface rim = rimfire.fire(fresh_face());
    EXPECT_NEAR(height_at(rim, rimfire.pose, {0, 500}), 0, 2);  // outside the band: untouched
    EXPECT_LT(height_at(rim, rimfire.pose, {0, 0}), -50);        // inside: crushed
}

TEST(Strike, LacquerSoftensFineDetailAndRoughnessShowsOnTheFace) {
    Shooting bare, lacquered;
    bare.ammunition.lacquer_um = 0;
    lacquered.ammunition.lacquer_um = 6;
    EXPECT_LT(contrast(lacquered.printed(fresh_face()), lacquered.pose, Design::text),
              0.8 * contrast(bare.printed(fresh_face()), bare.pose, Design::text));
    Shooting smooth, rough;
    smooth.ammunition.roughness_ra_um = 0.05;
    rough.ammunition.roughness_ra_um = 1.0;
    auto face_ra = [](const Surface& surface) {  // mean |height| in a corner far from the crater
        double sum = 0;
        for (std::size_t row = 0; row < 100; ++row)
            for (std::size_t column = 0; column < 100; ++column) sum += std::fabs(surface.at(column, row));
        return sum / 10000;
    };
    EXPECT_NEAR(face_ra(rough.fire(fresh_face())), 1.0, 0.25);
    EXPECT_NEAR(face_ra(smooth.fire(fresh_face())), 0.05, 0.02);
}

TEST(Breech, MorePressurePrintsMoreAndExcessHeadspaceLess) {
    Shooting standard;
    const TransferMap transfer = prepare_transfer(fresh_face(), standard.ammunition, constants(), standard.grid.spacing_um);
    Firearm low = standard.firearm, high = standard.firearm, loose = standard.firearm;
    low.chamber_pressure_mpa = 145;
    high.chamber_pressure_mpa = 241;
    loose.chamber_pressure_mpa = 241;
    loose.headspace_um = 400;
    auto breech_contrast = [&](const Firearm& firearm) {
        StrikePose centred;
        centred.rotation_rad = standard.pose.rotation_rad;
        return contrast(breech_impression(transfer, firearm, standard.ammunition, standard.pose, constants(), standard.grid),
                        centred, Design::ring);
    };
    EXPECT_GT(breech_contrast(high), breech_contrast(low));
    EXPECT_GT(breech_contrast(high), breech_contrast(loose));
    EXPECT_GT(breech_contrast(low), 0.1);
}

TEST(Defeat, ThirtySecondsOnAStoneDestroysTheCode) {
    const PinFace stoned = defeat(fresh_face(), parse_defeat("stone:30"), constants(), 1);
    Shooting setup;
    const Surface casing = setup.printed(stoned);
    EXPECT_LT(std::fabs(contrast(casing, setup.pose, Design::ring)), 0.3);
    EXPECT_LT(std::fabs(contrast(casing, setup.pose, Design::text)), 0.3);
    // A few seconds only dull it.
    const PinFace touched = defeat(fresh_face(), parse_defeat("stone:3"), constants(), 1);
    EXPECT_GT(contrast(setup.printed(touched), setup.pose, Design::ring), 0.5);
}

TEST(Defeat, HammerFlattensFileCutsFasterThanEmery) {
    Shooting setup;
    const double intact = contrast(setup.printed(fresh_face()), setup.pose, Design::ring);
    const double hammered = contrast(setup.printed(defeat(fresh_face(), parse_defeat("hammer:15"), constants(), 2)), setup.pose, Design::ring);
    EXPECT_LT(std::fabs(hammered), 0.15 * intact);
    const double filed = mean_recess_depth(defeat(fresh_face(), parse_defeat("file:3"), constants(), 3), Design::ring);
    const double emery = mean_recess_depth(defeat(fresh_face(), parse_defeat("emery:3"), constants(), 3), Design::ring);
    EXPECT_LT(filed, emery);
}

TEST(Defeat, SwappedBlankPinCarriesNoCode) {
    const PinFace blank = blank_face(fresh_face());
    const PinFace swapped = defeat(fresh_face(), parse_defeat("swap:blank"), constants(), 1, &blank);
    Shooting setup;
    EXPECT_LT(std::fabs(contrast(setup.printed(swapped), setup.pose, Design::ring)), 0.2);
    EXPECT_EQ(swapped.defeats.size(), 1u);
}

TEST(Defeat, ParsesAndRejects) {
    EXPECT_EQ(parse_defeat("hammer:15").kind, DefeatKind::hammer);
    EXPECT_EQ(parse_defeat("swap:/tmp/die").replacement, "/tmp/die");
    EXPECT_THROW(parse_defeat("sand:10"), InputError);
    EXPECT_THROW(parse_defeat("stone"), InputError);
    EXPECT_THROW(parse_defeat("stone:-4"), InputError);
    EXPECT_THROW(parse_defeat("stone:abc"), InputError);
}

TEST(Scan, TopographyHasNoiseDropoutsAndLosesSteepWalls) {
    Shooting setup;
    const Surface casing = setup.fire(fresh_face());
    Scanner scanner;
    scanner.tilt_sd_deg = 0;
    const Surface scan = scan_topography(casing, scanner, 5);
    std::size_t invalid = 0;
    double squared = 0;
    std::size_t valid = 0;
    for (std::size_t i = 0; i < scan.size(); ++i) {
        if (!scan.valid[i]) {
            ++invalid;
            continue;
        }
        squared += std::pow(scan.heights_um[i] - casing.heights_um[i], 2);
        ++valid;
    }
    EXPECT_NEAR(std::sqrt(squared / static_cast<double>(valid)), scanner.height_noise_um, 0.01);
    EXPECT_GT(invalid, static_cast<std::size_t>(scanner.dropout_fraction * 0.9 * static_cast<double>(scan.size())));
    Scanner strict = scanner;
    strict.max_slope_deg = 20;  // the crater wall is steeper than this
    const Surface steep = scan_topography(casing, strict, 5);
    EXPECT_GT(statistics(steep).invalid_points, 2 * invalid);
}

// Bit for bit, NaNs and all.
bool same_surface(const Surface& a, const Surface& b) {
    return a.width == b.width && a.height == b.height && a.valid == b.valid &&
           std::memcmp(a.heights_um.data(), b.heights_um.data(), a.size() * sizeof(double)) == 0;
}

// The scan that works the slopes out a row at a time is the scan from the slope maps,
// on a struck casing with invalid points, and on fields of one and two rows or columns.
TEST(Scan, TopographyWithoutSlopeMapsIsTheScanWithThem) {
    Shooting setup;
    Surface casing = setup.fire(fresh_face());
    for (std::size_t index = 0; index < casing.size(); index += 97) casing.valid[index] = 0;
    const Scanner scanner;
    EXPECT_TRUE(same_surface(scan_topography(casing, scanner, 5), scan_topography(casing, surface_slopes(casing), scanner, 5)));
    for (const auto& [width, height] : {std::pair<std::size_t, std::size_t>{1, 7}, {7, 1}, {2, 2}, {5, 3}}) {
        Surface small(width, height, 2.0);
        for (std::size_t index = 0; index < small.size(); ++index) small.heights_um[index] = std::sin(3.0 * static_cast<double>(index));
        EXPECT_TRUE(same_surface(scan_topography(small, scanner, 8), scan_topography(small, surface_slopes(small), scanner, 8)))
            << width << " x " << height;
    }
}

double mean_grey(const Image& image, int x0, int y0, int size) {
    double sum = 0;
    for (int y = y0; y < y0 + size; ++y)
        for (int x = x0; x < x0 + size; ++x) sum += image.pixels[static_cast<std::size_t>(y * image.width + x)];
    return sum / (size * size);
}

double local_contrast(const Image& image) {  // mean absolute difference of neighbours
    double sum = 0;
    for (int y = 0; y < image.height; ++y)
        for (int x = 1; x < image.width; ++x)
            sum += std::abs(static_cast<int>(image.pixels[static_cast<std::size_t>(y * image.width + x)]) -
                            static_cast<int>(image.pixels[static_cast<std::size_t>(y * image.width + x - 1)]));
    return sum / (image.height * (image.width - 1));
}

TEST(Scan, SampleTiltShowsAsAPlane) {
    Surface flat(200, 200, 2.0, 0.0);
    Scanner tilted;
    tilted.tilt_sd_deg = 2;
    tilted.height_noise_um = 0;
    tilted.dropout_fraction = 0;
    const Surface scan = scan_topography(flat, tilted, 9);
    // A plane: the difference across the field is far above zero and linear.
    const double left = scan.at(0, 100), right = scan.at(199, 100), middle = scan.at(100, 100);
    EXPECT_GT(std::fabs(right - left) + std::fabs(scan.at(100, 0) - scan.at(100, 199)), 1.0);
    EXPECT_NEAR(middle, (left + right) / 2, 0.05);
}

TEST(Scan, RingLightShadesSymmetricallyObliqueLightDoesNot) {
    Shooting setup;
    const Surface casing = setup.fire(blank_face(fresh_face()));
    Microscope oblique, ring;
    oblique.noise_grey = ring.noise_grey = 0;
    oblique.vignetting = ring.vignetting = 0;
    ring.lighting = Lighting::ring;
    const int centre = static_cast<int>(casing.width) / 2;
    const int wall = static_cast<int>(0.8 * setup.pose.contact_radius_um / casing.spacing_x_um);
    auto wall_difference = [&](const Image& image) {
        return std::fabs(mean_grey(image, centre - wall - 5, centre - 5, 10) - mean_grey(image, centre + wall - 5, centre - 5, 10));
    };
    EXPECT_LT(wall_difference(photograph(casing, ring, 1)), 0.2 * wall_difference(photograph(casing, oblique, 1)));
    Microscope dull = oblique;
    dull.specular = 0;
    EXPECT_NE(photograph(casing, dull, 1).pixels, photograph(casing, oblique, 1).pixels);  // highlights are there
}

TEST(Scan, PhotographRespondsToItsKnobs) {
    Shooting setup;
    const Surface casing = setup.fire(fresh_face());
    Microscope base;
    base.noise_grey = 0;
    base.vignetting = 0;
    const Image reference = photograph(casing, base, 1);
    Microscope blurred = base;
    blurred.defocus_px = 3;
    EXPECT_LT(local_contrast(photograph(casing, blurred, 1)), local_contrast(reference));
    Microscope noisy = base;
    noisy.noise_grey = 15;
    EXPECT_GT(local_contrast(photograph(casing, noisy, 1)), local_contrast(reference));
    Microscope bright = base;
    bright.exposure = 1.4;
    EXPECT_GT(mean_grey(photograph(casing, bright, 1), 10, 10, 50), mean_grey(reference, 10, 10, 50));
    Microscope vignetted = base;
    vignetted.vignetting = 0.4;
    const Image dark_corners = photograph(casing, vignetted, 1);
    EXPECT_LT(mean_grey(dark_corners, 0, 0, 40), 0.8 * mean_grey(reference, 0, 0, 40));
    Microscope deep = base;
    deep.bits = 16;
    const Image sixteen = photograph(casing, deep, 1);
    EXPECT_GT(mean_grey(sixteen, 10, 10, 50), 200 * mean_grey(reference, 10, 10, 50));
    Microscope compressed = base;
    compressed.jpeg_quality = 30;
    EXPECT_NE(photograph(casing, compressed, 1).pixels, reference.pixels);
    // Oblique light from the upper left lights the crater wall that faces it: the
    // lower-right inner wall is brighter than the upper-left one.
    const int centre = casing.width > 0 ? static_cast<int>(casing.width) / 2 : 0;
    const int inside = static_cast<int>(0.8 * setup.pose.contact_radius_um / casing.spacing_x_um / std::sqrt(2.0));
    EXPECT_GT(mean_grey(reference, centre + inside - 5, centre + inside - 5, 10),
              mean_grey(reference, centre - inside - 5, centre - inside - 5, 10));
}

TEST(Fire, SameSeedSameBytesDifferentSeedDiffers) {
    const Firearm firearm = load_firearm("duty-40-tilting");
    const Ammunition ammunition = load_ammunition("standard-small-pistol");
    auto run = [&](std::uint64_t seed) {
        FireOptions options;
        options.rounds = 2500;
        options.shots = {1, 2500};
        options.seed = seed;
        options.grid = {400, 400, 4.0};
        std::vector<Shot> shots;
        fire(test_die(), firearm, ammunition, options, [&](Shot&& shot) { shots.push_back(std::move(shot)); });
        return shots;
    };
    const auto first = run(11), again = run(11), other = run(12);
    ASSERT_EQ(first.size(), 2u);
    for (std::size_t i = 0; i < first.size(); ++i) {
        EXPECT_EQ(first[i].photograph.pixels, again[i].photograph.pixels);
        EXPECT_EQ(std::memcmp(first[i].topography.heights_um.data(), again[i].topography.heights_um.data(),
                              first[i].topography.size() * sizeof(double)), 0);
        EXPECT_EQ(first[i].truth.dump(), again[i].truth.dump());
        EXPECT_NE(first[i].photograph.pixels, other[i].photograph.pixels);
    }
    EXPECT_EQ(first[1].truth["wear"]["rounds_before_shot"], 2499);
}

// 100 rounds of the service pistol at seed 5 on a coarse grid: quick to fire.
FireOptions quick_firing() {
    FireOptions options;
    options.rounds = 100;
    options.seed = 5;
    options.grid = {300, 300, 4.0};
    return options;
}

std::vector<Shot> fire_service_pistol(const FireOptions& options) {
    std::vector<Shot> shots;
    fire(test_die(), load_firearm("service-9mm-striker"), load_ammunition("standard-small-pistol"), options,
         [&](Shot&& shot) { shots.push_back(std::move(shot)); });
    return shots;
}

TEST(Fire, ASubsetOfShotsReproducesTheSameShots) {
    FireOptions options = quick_firing();
    options.shots = {3, 50, 100};
    const std::vector<Shot> all = fire_service_pistol(options);
    options.shots = {50};
    const std::vector<Shot> one = fire_service_pistol(options);
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].photograph.pixels, all[1].photograph.pixels);
}

TEST(Fire, OnlyTheScansAskedForAndTheSameOnesAsWithBoth) {
    FireOptions options = quick_firing();
    options.breech_face = true;
    const Shot both = fire_service_pistol(options).at(0);
    FireOptions topography_only = options;
    topography_only.photograph = false;
    const Shot topography = fire_service_pistol(topography_only).at(0);
    EXPECT_TRUE(topography.photograph.pixels.empty());
    EXPECT_FALSE(topography.breech_photograph.has_value());
    EXPECT_EQ(topography.topography.heights_um.size(), both.topography.heights_um.size());
    EXPECT_EQ(std::memcmp(topography.topography.heights_um.data(), both.topography.heights_um.data(),
                          both.topography.size() * sizeof(double)), 0);
    ASSERT_TRUE(topography.breech_topography.has_value());
    FireOptions photograph_only = options;
    photograph_only.topography = false;
    const Shot photograph = fire_service_pistol(photograph_only).at(0);
    EXPECT_TRUE(photograph.topography.empty());
    EXPECT_EQ(photograph.photograph.pixels, both.photograph.pixels);
    ASSERT_TRUE(photograph.breech_photograph.has_value());
    EXPECT_EQ(photograph.breech_photograph->pixels, both.breech_photograph->pixels);
}

TEST(Fire, APinMadeBeforehandGivesTheSameShotsAndMustFitTheSeed) {
    const Firearm firearm = load_firearm("duty-40-tilting");
    const Ammunition ammunition = load_ammunition("standard-small-pistol");
    FireOptions options;
    options.rounds = 20000;
    options.seed = 9;
    options.grid = {300, 300, 4.0};
    options.shots = {20000};
    std::vector<Shot> made_here, made_before;
    fire(test_die(), firearm, ammunition, options, [&](Shot&& shot) { made_here.push_back(std::move(shot)); });
    const PistolPin pin = pistol_pin(test_die(), options.seed);
    EXPECT_GT(pin.chips.points.size(), 0u);
    fire(test_die(), pin, firearm, ammunition, options, [&](Shot&& shot) { made_before.push_back(std::move(shot)); });
    ASSERT_EQ(made_here.size(), 1u);
    ASSERT_EQ(made_before.size(), 1u);
    EXPECT_EQ(made_here[0].photograph.pixels, made_before[0].photograph.pixels);
    EXPECT_EQ(made_here[0].truth.dump(), made_before[0].truth.dump());
    EXPECT_GT(made_here[0].truth["wear"]["chips"].get<int>(), 0);
    options.seed = 10;
    EXPECT_THROW(fire(test_die(), pin, firearm, ammunition, options, [](Shot&&) {}), std::invalid_argument);
}

TEST(Fire, RejectsBadRequests) {
    const Firearm firearm = load_firearm("service-9mm-striker");
    const Ammunition ammunition = load_ammunition("standard-small-pistol");
    FireOptions options;
    options.rounds = 0;
    EXPECT_THROW(fire(test_die(), firearm, ammunition, options, [](Shot&&) {}), InputError);
    options.rounds = 10;
    options.shots = {11};
    EXPECT_THROW(fire(test_die(), firearm, ammunition, options, [](Shot&&) {}), InputError);
    EXPECT_THROW(parse_shots("1,5-3", 10), InputError);
    EXPECT_THROW(parse_shots("0", 10), InputError);
    EXPECT_THROW(parse_shots("x", 10), InputError);
    EXPECT_EQ(parse_shots("1,2,9-10,2", 10), (std::vector<long>{1, 2, 9, 10}));
}

TEST(Profiles, ShippedProfilesLoadAndBadOnesAreNamed) {
    for (const auto& name : known_firearms()) EXPECT_NO_THROW(load_firearm(name)) << name;
    for (const auto& name : known_ammunition()) EXPECT_NO_THROW(load_ammunition(name)) << name;
    EXPECT_GE(known_firearms().size(), 5u);
    EXPECT_GE(known_ammunition().size(), 5u);
    try {
        load_firearm("ak-47");
        FAIL();
    } catch (const InputError& error) {
        EXPECT_NE(std::string(error.what()).find("service-9mm-striker"), std::string::npos) << error.what();
    }
    EXPECT_THROW(parse_firearm(nlohmann::json{{"name", "x"}, {"strike_energy_mj", -3}}, "test"), InputError);
    EXPECT_THROW(parse_firearm(nlohmann::json{{"name", "x"}, {"pin_shape", "square"}}, "test"), InputError);
    EXPECT_THROW(parse_firearm(nlohmann::json{{"name", "x"}, {"barrel", 3}}, "test"), InputError);
    EXPECT_THROW(parse_ammunition(nlohmann::json{{"name", "x"}, {"primer", "shotshell"}}, "test"), InputError);
    EXPECT_THROW(parse_firearm(nlohmann::json::array(), "test"), InputError);
}

} // namespace
} // namespace microstamp
