// Both locations of one casing, fired by the simulator: the firing pin's impression and
// the breech face's stamp read together. A pin swapped for another pistol's must come
// out as locations_disagree naming both pistols, never as one identity.

#include "physics/fire.hpp"
#include "read/locations.hpp"

#include <cmath>
#include <gtest/gtest.h>

namespace microstamp {
namespace {

Die ring_die(const std::string& serial) {
    DieDesign design;
    design.designs = {Design::ring};
    return encode(default_catalog().identity("SIG Sauer", "P320", serial), design);
}

struct BothLocations {
    Reading firing_pin;
    Reading breech_face;
};

// Fires `pistol`'s die 50 rounds, its pin swapped for `swapped_in`'s when given, and
// reads the last casing's two topography scans apart.
BothLocations fire_both_locations(const Die& pistol, const Die* swapped_in, std::uint64_t seed) {
    FireOptions options;
    options.rounds = 50;
    options.seed = seed;
    options.breech_face = true;
    options.photograph = false;
    if (swapped_in) options.defeats.push_back(parse_defeat("swap:donor"));
    const ReplacementPin replacement = [&](const std::string& name, const PinFace&) {
        EXPECT_EQ(name, "donor");
        return pin_face(*swapped_in);
    };
    BothLocations both;
    fire(pistol, load_firearm("service-9mm-striker"), load_ammunition("standard-small-pistol"), options,
         [&](Shot&& shot) {
             if (!shot.breech_topography) throw std::runtime_error("fire printed no breech face");
             both.firing_pin = read(shot.topography);
             both.breech_face = read(*shot.breech_topography);
         },
         replacement);
    return both;
}

TEST(TwoLocations, APinSwappedForAnotherPistolsReadsLocationsDisagreeNamingBoth) {
    const Die pistol = ring_die("58A-100001"), donor = ring_die("58A-200002");
    for (const std::uint64_t seed : {11u, 12u}) {
        const BothLocations both = fire_both_locations(pistol, &donor, seed);
        ASSERT_TRUE(both.firing_pin.identity) << "seed " << seed;
        ASSERT_TRUE(both.breech_face.identity) << "seed " << seed;
        EXPECT_EQ(*both.firing_pin.identity, donor.identity);   // the pin carries the donor's stamp
        EXPECT_EQ(*both.breech_face.identity, pistol.identity); // the breech face stays the pistol's
        const Reading reading = compare_locations(both.firing_pin, both.breech_face);
        EXPECT_EQ(reading.status, ReadStatus::locations_disagree);
        EXPECT_FALSE(reading.identity);
        EXPECT_FALSE(reading.fields);
        EXPECT_EQ(reading.confidence, 0);
        ASSERT_EQ(reading.locations.size(), 2u);
        EXPECT_EQ(reading.locations[0].location, "firing_pin");
        EXPECT_EQ(reading.locations[0].identity, donor.identity);
        EXPECT_EQ(reading.locations[1].location, "breech_face");
        EXPECT_EQ(reading.locations[1].identity, pistol.identity);
        const nlohmann::json json = to_json(reading);
        EXPECT_EQ(json["status"], "locations_disagree");
        EXPECT_FALSE(json.contains("identity"));
        EXPECT_EQ(json["locations"][0]["identity"]["serial"], "58A-200002");
        EXPECT_EQ(json["locations"][1]["identity"]["serial"], "58A-100001");
    }
}

TEST(TwoLocations, AgreeingLocationsMultiplyTheirBoundsOnAFalseIdentity) {
    const Die pistol = ring_die("58A-100001");
    const BothLocations both = fire_both_locations(pistol, nullptr, 11);
    ASSERT_EQ(both.firing_pin.status, ReadStatus::decoded);
    ASSERT_EQ(both.breech_face.status, ReadStatus::decoded);
    const Reading reading = compare_locations(both.firing_pin, both.breech_face);
    EXPECT_EQ(reading.status, ReadStatus::decoded);
    EXPECT_EQ(reading.identity, pistol.identity);
    const double product = both.firing_pin.false_identity_bound * both.breech_face.false_identity_bound;
    EXPECT_GT(product, 0);
    EXPECT_DOUBLE_EQ(reading.false_identity_bound, product);
    EXPECT_LT(reading.false_identity_bound, std::min(both.firing_pin.false_identity_bound, both.breech_face.false_identity_bound));
    EXPECT_DOUBLE_EQ(reading.confidence, 1 - product);
    EXPECT_EQ(reading.attempts, both.firing_pin.attempts + both.breech_face.attempts);
    ASSERT_EQ(reading.locations.size(), 2u);
    EXPECT_EQ(reading.locations[0].status, ReadStatus::decoded);
    EXPECT_EQ(reading.locations[1].status, ReadStatus::decoded);
}

TEST(TwoLocations, OneLocationDecodedGivesItsIdentityAndItsOwnBound) {
    const Die pistol = ring_die("58A-100001");
    const BothLocations both = fire_both_locations(pistol, nullptr, 11);
    Reading blank;  // a location with nothing on it (a swapped-in unstamped pin reads so)
    blank.status = ReadStatus::no_stamp;
    const Reading breech_only = compare_locations(blank, both.breech_face);
    EXPECT_EQ(breech_only.status, ReadStatus::decoded);
    EXPECT_EQ(breech_only.identity, pistol.identity);
    EXPECT_DOUBLE_EQ(breech_only.false_identity_bound, both.breech_face.false_identity_bound);
    EXPECT_EQ(breech_only.locations[0].status, ReadStatus::no_stamp);
    const Reading pin_only = compare_locations(both.firing_pin, blank);
    EXPECT_EQ(pin_only.status, ReadStatus::decoded);
    EXPECT_DOUBLE_EQ(pin_only.false_identity_bound, both.firing_pin.false_identity_bound);
}

} // namespace
} // namespace microstamp
