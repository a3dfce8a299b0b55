// The three baselines (text, gear, datamatrix) and design parsing.

#include "code/datamatrix.hpp"
#include "code/gear.hpp"
#include "code/stamp_key.hpp"
#include "code/text.hpp"
#include "support/identities.hpp"

#include <gtest/gtest.h>

#include <set>

namespace microstamp {
namespace {

constexpr int identities = 10000;

TEST(Designs, ParseCombinationsAndRejectConflicts) {
    EXPECT_EQ(parse_designs("ring+text"), (std::vector<Design>{Design::ring, Design::text}));
    EXPECT_EQ(designs_name(parse_designs("gear+ring+datamatrix")), "gear+ring+datamatrix");
    EXPECT_THROW(parse_designs("ring+ring"), InputError);
    EXPECT_THROW(parse_designs("text+datamatrix"), InputError);
    EXPECT_THROW(parse_designs("barcode"), InputError);
    EXPECT_THROW(parse_designs(""), InputError);
}

TEST(StampKey, EightCharactersOfTheCrockfordAlphabet) {
    std::mt19937_64 random(20);
    std::set<std::string> keys, distinct;
    for (int trial = 0; trial < identities; ++trial) {
        const Identity identity = testing::random_identity(random);
        const std::string key = stamp_key(identity);
        ASSERT_EQ(key.size(), key_length);
        for (const char character : key) ASSERT_GE(key_digit(character), 0) << key;
        keys.insert(key);
        distinct.insert(describe(identity));
    }
    // 2^40 keys: a collision among 10,000 pistols (chance ~5e-5) would point to a bug.
    EXPECT_EQ(keys.size(), distinct.size());
}

TEST(Text, MicrofontGlyphsDifferInAtLeastThreeDots) {
    // Distance 3 means one misread dot still leaves the right glyph nearest.
    EXPECT_GE(minimum_glyph_distance(), 3);
}

TEST(Text, MicrofontMeetsTheEngravingLimits) {
    const FaceGeometry geometry;
    EXPECT_GE(geometry.character_width_um / glyph_columns, 5.0);  // REFERENCE.md: features >= 5 um
    EXPECT_GE(geometry.character_height_um, 100.0);               // REFERENCE.md: ~100-150 um
    // Eight characters fit inside the centre disc, inside the ring.
    const double half_width = 3.5 * geometry.character_pitch_um + geometry.character_width_um / 2;
    EXPECT_LE(std::hypot(half_width, geometry.character_height_um / 2), geometry.centre_radius_um);
}

TEST(Text, TenThousandIdentitiesReadBackThroughTheKeyDirectory) {
    std::mt19937_64 random(21);
    std::vector<Identity> stamped;
    KeyDirectory directory;
    for (int trial = 0; trial < identities; ++trial) {
        stamped.push_back(testing::random_identity(random));
        directory.add(stamped.back());
    }
    for (const Identity& identity : stamped) {
        const std::string read = ideal_text_reading(text_cells(stamp_key(identity), FaceGeometry{}));
        const auto found = directory.find(read);
        ASSERT_EQ(found.size(), 1u) << read;
        ASSERT_EQ(found.front(), identity);
    }
}

TEST(Text, OneMisreadDotPerCharacterIsStillRecognised) {
    std::mt19937_64 random(22);
    for (const char character : key_alphabet)
        for (int dot = 0; dot < glyph_dots; ++dot) {
            std::array<float, glyph_dots> dots{};
            for (int i = 0; i < glyph_dots; ++i) dots[static_cast<std::size_t>(i)] = glyph_dot(character, i) ? 1.0f : -1.0f;
            dots[static_cast<std::size_t>(dot)] = -dots[static_cast<std::size_t>(dot)];
            EXPECT_EQ(recognise_character(dots).character, character) << "dot " << dot;
        }
}

TEST(Gear, TenThousandIdentitiesReadBackAtEveryRotation) {
    std::mt19937_64 random(23);
    for (int trial = 0; trial < identities; ++trial) {
        const Identity identity = testing::random_identity(random);
        const std::string key = stamp_key(identity);
        const int rotation = static_cast<int>(random() % gear_slots);
        const GearReading reading = decode_gear(ideal_gear_observation(gear_cells(key, FaceGeometry{}), rotation));
        ASSERT_TRUE(reading.key.has_value());
        ASSERT_EQ(*reading.key, key);
        ASSERT_EQ(reading.rotation_slots, rotation);
        ASSERT_EQ(reading.marker_mismatches, 0);
    }
}

TEST(Gear, HasNoErrorCorrection) {
    // The published gear code is plain binary: one unseen bar slot loses its character.
    std::mt19937_64 random(24);
    const std::string key = stamp_key(testing::random_identity(random));
    auto slots = ideal_gear_observation(gear_cells(key, FaceGeometry{}));
    slots[9] = 0.0f;
    EXPECT_FALSE(decode_gear(slots).key.has_value());
    slots[9] = -ideal_gear_observation(gear_cells(key, FaceGeometry{}))[9];
    const auto wrong = decode_gear(slots);
    ASSERT_TRUE(wrong.key.has_value());
    EXPECT_NE(*wrong.key, key);  // a flipped bar is a silently wrong character
}

TEST(DataMatrix, TenThousandIdentitiesDecodeWithZxing) {
    std::mt19937_64 random(25);
    for (int trial = 0; trial < identities; ++trial) {
        const Identity identity = testing::random_identity(random);
        const std::string content = datamatrix_content(identity);
        const auto grid = datamatrix_modules(content);
        ASSERT_GE(grid.columns * grid.rows, 8 * 18);
        const auto read = ideal_datamatrix_reading(datamatrix_cells(grid, FaceGeometry{}));
        ASSERT_TRUE(read.has_value()) << content;
        const auto fields = parse_datamatrix_content(*read);
        ASSERT_TRUE(fields.has_value()) << *read;
        ASSERT_EQ(fields->manufacturer_code, identity.manufacturer_code);
        ASSERT_EQ(fields->model_code, identity.model_code);
        ASSERT_EQ(fields->serial, identity.serial);
    }
}

TEST(DataMatrix, ForeignContentIsNotAnIdentity) {
    EXPECT_FALSE(parse_datamatrix_content("HELLO").has_value());
    EXPECT_FALSE(parse_datamatrix_content("MS1:0:1:A").has_value());
    EXPECT_FALSE(parse_datamatrix_content("MS1:1:17:a_b").has_value());
    EXPECT_FALSE(parse_datamatrix_content("MS1:1:17").has_value());
}

} // namespace
} // namespace microstamp
