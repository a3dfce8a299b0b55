// Fusion: casings of one pin that cannot be read alone are read together, and
// casings of two pins are never merged.

#include "code/ring_fusion.hpp"
#include "support/identities.hpp"

#include <gtest/gtest.h>

#include <numeric>

namespace microstamp {
namespace {

// One casing: the ideal cells at a random rotation, `erased` of the 48 sectors unseen,
// and some cells noisy (soft values pulled towards zero or flipped).
RingObservation casing(const Identity& identity, int erased, std::mt19937_64& random) {
    RingObservation observation = ideal_ring_observation(ring_cells(ring_codeword(identity), FaceGeometry{}),
                                                         static_cast<int>(random() % ring_sectors_per_track));
    std::vector<int> symbols(ring_symbols);
    std::iota(symbols.begin(), symbols.end(), 0);
    std::shuffle(symbols.begin(), symbols.end(), random);
    for (int i = 0; i < erased; ++i) observation.cells[static_cast<std::size_t>(symbols[static_cast<std::size_t>(i)])].fill(0.0f);
    std::uniform_real_distribution<float> strength(0.4f, 1.0f);
    for (auto& sector : observation.cells)
        for (auto& value : sector) value *= strength(random);
    return observation;
}

bool names(const RingDecoding& decoding, const Identity& identity) {
    return decoding.status == RingStatus::decoded && decoding.fields->serial == identity.serial &&
           decoding.fields->manufacturer_code == identity.manufacturer_code &&
           decoding.fields->model_code == identity.model_code;
}

TEST(RingFusion, ThreeCasingsWithSeventyPercentUnreadableFuse) {
    std::mt19937_64 random(41);
    const int erased = 34;  // 70% of 48 sectors: none decodes alone (33 parity symbols)
    int fused_right = 0, alone = 0;
    constexpr int trials = 1000;
    for (int trial = 0; trial < trials; ++trial) {
        const Identity identity = testing::random_identity(random);
        std::vector<RingObservation> observations;
        for (int i = 0; i < 3; ++i) {
            observations.push_back(casing(identity, erased, random));
            alone += decode_ring(observations.back()).status == RingStatus::decoded;
        }
        const Fusion fusion = fuse_rings(observations);
        for (const FusedGroup& group : fusion.groups)
            if (group.members.size() == 3 && names(group.decoding, identity)) ++fused_right;
        for (const FusedGroup& group : fusion.groups)
            if (group.decoding.status == RingStatus::decoded) {
                ASSERT_TRUE(names(group.decoding, identity));
            }
    }
    EXPECT_EQ(alone, 0);
    EXPECT_GE(fused_right, 990) << "of " << trials;  // the reader issue asks for 99%
    RecordProperty("fused_right", std::to_string(fused_right));
}

TEST(RingFusion, CasingsOfTwoGunsAreNeverFusedIntoOneIdentity) {
    std::mt19937_64 random(42);
    for (int trial = 0; trial < 1000; ++trial) {
        const Identity first = testing::random_identity(random), second = testing::random_identity(random);
        if (first == second) continue;
        std::vector<RingObservation> observations;
        const int erased = static_cast<int>(random() % 30);
        for (int i = 0; i < 3; ++i) observations.push_back(casing(first, erased, random));
        for (int i = 0; i < 3; ++i) observations.push_back(casing(second, erased, random));
        std::shuffle(observations.begin(), observations.end(), random);
        const Fusion fusion = fuse_rings(observations);
        for (const FusedGroup& group : fusion.groups) {
            // A group never mixes the two guns' casings...
            std::vector<int> members = group.members;
            const auto decoded_alone = [&](int index) {
                return decode_ring(observations[static_cast<std::size_t>(index)]).fields;
            };
            std::optional<std::string> serial;
            for (const int member : members)
                if (auto fields = decoded_alone(member)) {
                    if (serial) {
                        ASSERT_EQ(*serial, fields->serial) << "trial " << trial;
                    }
                    serial = fields->serial;
                }
            // ...and whatever a group decodes to is one of the two.
            if (group.decoding.status == RingStatus::decoded) {
                ASSERT_TRUE(names(group.decoding, first) || names(group.decoding, second)) << "trial " << trial;
            }
        }
    }
}

TEST(RingFusion, ThreeColumnsAreOneSectorAndShiftsUndoEachOther) {
    std::mt19937_64 random(44);
    const std::vector<Cell> cells = ring_cells(ring_codeword(testing::random_identity(random)), FaceGeometry{});
    const RingObservation upright = ideal_ring_observation(cells, 0);
    const RingObservation turned = ideal_ring_observation(cells, 1);
    const bool forward = shifted_by_columns(upright, 3).cells == turned.cells;
    const bool backward = shifted_by_columns(upright, -3).cells == turned.cells;
    EXPECT_TRUE(forward != backward) << "three columns one way are the next sector";
    EXPECT_EQ(shifted_by_columns(shifted_by_columns(upright, 1), -1).cells, upright.cells);
    EXPECT_NE(shifted_by_columns(upright, 1).cells, upright.cells);
}

TEST(RingFusion, ACasingReadAColumnOffJoinsItsGroup) {
    std::mt19937_64 random(45);
    int joined = 0, joined_without_shifts = 0;
    for (int trial = 0; trial < 50; ++trial) {
        const Identity identity = testing::random_identity(random);
        std::vector<RingObservation> observations;
        for (int i = 0; i < 3; ++i) observations.push_back(casing(identity, 34, random));
        observations[2] = shifted_by_columns(observations[2], trial % 2 ? 1 : -1);
        FusionOptions without;
        without.try_column_shifts = false;
        for (const bool shifts : {true, false}) {
            const Fusion fusion = fuse_rings(observations, shifts ? FusionOptions{} : without);
            for (const FusedGroup& group : fusion.groups) {
                if (group.decoding.status == RingStatus::decoded) {
                    ASSERT_TRUE(names(group.decoding, identity));
                }
                if (group.members.size() != 3) continue;
                (shifts ? joined : joined_without_shifts) += 1;
                const auto shifted = std::find(group.members.begin(), group.members.end(), 2) - group.members.begin();
                if (shifts) {
                    EXPECT_NE(group.column_shifts[static_cast<std::size_t>(shifted)], 0);
                }
            }
        }
    }
    EXPECT_GE(joined, 49);
    EXPECT_LE(joined_without_shifts, 5) << "a column off, a casing agrees with its own pattern about as a stranger's";
}

TEST(RingFusion, OneCasingIsItsOwnGroup) {
    std::mt19937_64 random(43);
    const Identity identity = testing::random_identity(random);
    const Fusion fusion = fuse_rings({casing(identity, 10, random)});
    ASSERT_EQ(fusion.groups.size(), 1u);
    EXPECT_TRUE(names(fusion.groups[0].decoding, identity));
}

} // namespace
} // namespace microstamp
