// The ring of a dragged pin read through its smear (read/ring_drag.hpp), on measured
// topography: the fitted drag is the one that smeared the casing, and a topography that
// has lost part of its ring to an unmeasured wedge decodes only through it.
#include "physics/fire.hpp"
#include "read/read.hpp"
#include "read/ring_drag.hpp"
#include "support/sample_dies.hpp"
#include "support/unmeasured_wedge.hpp"

#include <cmath>
#include <gtest/gtest.h>
#include <numbers>

namespace microstamp {
namespace {

// bench_read_robustness casing 9: a first shot from a striker pistol, dragged 39 um
// towards 168 degrees (in the casing's frame, which is the reader's layout frame too).
Shot dragged_first_shot() {
    FireOptions options;
    options.seed = 20261134;
    options.photograph = false;
    Shot result;
    fire(samples::glock_ring_die(), load_firearm("service-9mm-striker"), load_ammunition("standard-small-pistol"), options,
         [&](Shot&& shot) { result = std::move(shot); });
    return result;
}

double turn_difference_deg(double a, double b) {
    const double difference = std::fmod(std::fabs(a - b), 360.0);
    return std::min(difference, 360.0 - difference);
}

TEST(RingDrag, TheFittedDragIsTheOneThatSmearedTheCasing) {
    const Shot shot = dragged_first_shot();
    const auto& pose = shot.truth.at("pose");
    ASSERT_TRUE(pose.at("drag").get<bool>());
    FeatureMap map;
    const Reading reading = read(shot.topography, ReadOptions{}, default_catalog(), &map);
    ASSERT_TRUE(reading.placement && reading.observation);
    const DraggedRing dragged =
        read_through_drag(map, *reading.placement, RingSample{*reading.observation, reading.erased_sectors, 0});
    EXPECT_LT(turn_difference_deg(dragged.drag.direction * 180 / std::numbers::pi, pose.at("drag_direction_deg").get<double>()), 10);
    EXPECT_NEAR(dragged.drag.length_um, pose.at("drag_length_um").get<double>(), 12);
    EXPECT_LT(dragged.misfit, 0.5);
}

// Half the ring unmeasured from 225 degrees on: what is left holds the smeared arc,
// which the plain reading spends too much of the remaining correction on.
TEST(RingDrag, AHalfUnmeasuredDraggedTopographyDecodesOnlyThroughTheDrag) {
    const Shot shot = dragged_first_shot();
    const Surface scan = samples::without_wedge(shot, 225 * std::numbers::pi / 180, 0.5);
    ReadOptions plain_options;
    plain_options.read_through_drag = false;
    const Reading plain = read(scan, plain_options);
    EXPECT_EQ(plain.status, ReadStatus::partial);
    EXPECT_FALSE(plain.identity.has_value());

    const Reading reading = read(scan, ReadOptions{});
    ASSERT_TRUE(reading.identity.has_value()) << reading.failure;
    EXPECT_EQ(*reading.identity, samples::glock_ring_die().identity);
    EXPECT_EQ(reading.feature, "height_through_drag");
    // The fit's decode attempts count towards the bound on a false identity like any other.
    EXPECT_GT(reading.attempts, plain.attempts);
    EXPECT_DOUBLE_EQ(reading.false_identity_bound, reading.attempts * std::ldexp(1.0, -32));
}

// The same casing with half its impression unmeasured from 300 degrees: the ring is not
// found, and what remains of the intact code is one-sided and rough, as an abraded pin's
// impression is. Too much of the code area is unmeasured to call it defaced.
TEST(RingDrag, AHalfUnmeasuredCodeIsNeverCalledDefaced) {
    const Shot shot = dragged_first_shot();
    const Reading reading = read(samples::without_wedge(shot, 300 * std::numbers::pi / 180, 0.5), ReadOptions{});
    EXPECT_FALSE(reading.identity.has_value());
    EXPECT_NE(reading.status, ReadStatus::defaced) << reading.failure;
    EXPECT_NE(reading.status, ReadStatus::no_stamp) << reading.failure;
    if (reading.status == ReadStatus::unreadable) {
        EXPECT_GT(reading.unmeasured_share, ReadOptions{}.max_unmeasured_share);
        EXPECT_NE(reading.failure.find("unmeasured"), std::string::npos) << reading.failure;
    }
}

} // namespace
} // namespace microstamp
