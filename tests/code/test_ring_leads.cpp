// Leads from a ring that did not decode: the payload's first sectors, read where the
// code could not be completed, name the manufacturer, the model and the serial's first
// characters (ranked alternatives with likelihoods), and never anything when they
// were not seen.

#include "code/ring.hpp"
#include "support/identities.hpp"

#include <gtest/gtest.h>

#include <random>

namespace microstamp {
namespace {

// The ideal observation of `identity` at `rotation` with every sector erased but the
// payload's first `kept` (engraved inner sectors 0..kept-1); the sync cells of every
// sector stay readable (the centre cell survives damage longest).
RingObservation first_sectors_only(const Identity& identity, int rotation, int kept) {
    RingObservation observation = ideal_ring_observation(ring_cells(ring_codeword(identity), FaceGeometry{}), rotation);
    for (int symbol = 0; symbol < ring_symbols; ++symbol) {
        const int track = symbol / ring_sectors_per_track;
        const int engraved_sector = (symbol % ring_sectors_per_track + rotation) % ring_sectors_per_track;
        if (track == 0 && engraved_sector < kept) continue;
        for (int cell = 0; cell < ring_cells_per_symbol; ++cell)
            if (cell != ring_sync_cell) observation.cells[static_cast<std::size_t>(symbol)][static_cast<std::size_t>(cell)] = 0.0f;
    }
    return observation;
}

bool pattern_fits(const std::string& pattern, const std::string& serial) {
    if (pattern.size() != serial.size()) return false;
    for (std::size_t i = 0; i < pattern.size(); ++i)
        if (pattern[i] != '?' && pattern[i] != serial[i]) return false;
    return true;
}

TEST(RingLeads, TheFirstSectorsNameMakeModelAndTheSerialsFirstCharacters) {
    std::mt19937_64 random(41);
    int with_characters = 0;
    for (int trial = 0; trial < 300; ++trial) {
        const Identity identity = testing::random_identity(random);
        const int rotation = static_cast<int>(random() % ring_sectors_per_track);
        const int kept = 3 + static_cast<int>(random() % 8);  // 3..10 of the 11 payload sectors
        const RingObservation observation = first_sectors_only(identity, rotation, kept);
        ASSERT_EQ(decode_ring(observation).status, RingStatus::failed);  // far beyond the code's capacity
        const std::vector<RingLead> leads = ring_leads(observation);
        ASSERT_EQ(leads.size(), 1U) << "every cell read surely: one lead";
        EXPECT_EQ(leads[0].manufacturer_code, identity.manufacturer_code);
        EXPECT_EQ(leads[0].model_code, identity.model_code);
        EXPECT_DOUBLE_EQ(leads[0].likelihood, 1.0);
        EXPECT_EQ(leads[0].bytes_read, kept);
        if (!leads[0].serial_pattern.empty()) {
            EXPECT_TRUE(pattern_fits(leads[0].serial_pattern, identity.serial)) << leads[0].serial_pattern << " " << identity.serial;
            if (leads[0].serial_pattern.find_first_not_of('?') != std::string::npos) ++with_characters;
        }
        if (kept == 3) {
            EXPECT_TRUE(leads[0].serial_pattern.empty());
        }
    }
    EXPECT_GT(with_characters, 100);  // from about 5 bytes on, leading characters are named
}

TEST(RingLeads, AnUnsureCellGivesRankedAlternativesWithTheTruthAmongThem) {
    const Identity identity = default_catalog().identity("Glock", "19", "BXRT-481");
    RingObservation observation = first_sectors_only(identity, 5, 9);
    // One cell of the model's byte read weakly the wrong way.
    const int observed_sector = (2 - 5 + ring_sectors_per_track) % ring_sectors_per_track;
    auto& cell = observation.cells[static_cast<std::size_t>(observed_sector)][0];
    cell = -0.3f * (cell > 0 ? 1.0f : -1.0f);
    const std::vector<RingLead> leads = ring_leads(observation);
    ASSERT_GE(leads.size(), 2U);
    double total = 0;
    for (const RingLead& lead : leads) total += lead.likelihood;
    EXPECT_NEAR(total, 1.0, 1e-9);
    EXPECT_GE(leads[0].likelihood, leads[1].likelihood);
    const auto truth = std::find_if(leads.begin(), leads.end(), [&](const RingLead& lead) {
        return lead.manufacturer_code == identity.manufacturer_code && lead.model_code == identity.model_code &&
               pattern_fits(lead.serial_pattern, identity.serial);
    });
    ASSERT_NE(truth, leads.end());
    // Read as seen, the weak cell is believed: the truth is the runner-up, with (1 - 0.3) / (1 + 0.3) of the odds.
    EXPECT_NEAR(truth->likelihood / leads[0].likelihood, 0.7 / 1.3, 1e-6);
}

TEST(RingLeads, NothingSeenNothingLed) {
    EXPECT_TRUE(ring_leads(RingObservation{}).empty());
    // Sectors 1.. read but sector 0 (the version and the manufacturer's first bits) lost: no lead.
    const Identity identity = default_catalog().identity("Glock", "19", "BXRT-481");
    RingObservation observation = first_sectors_only(identity, 0, 11);
    observation.cells[0].fill(0.0f);
    observation.cells[0][ring_sync_cell] = ring_sync_bit(0) ? 1.0f : -1.0f;
    EXPECT_TRUE(ring_leads(observation).empty());
}

TEST(PayloadPrefix, EveryByteKnownGivesTheWholeSerial) {
    const Identity identity = default_catalog().identity("Glock", "19", "BXRT-481");
    const Payload payload = pack_payload(identity);
    const auto whole = read_payload_prefix(payload);
    ASSERT_TRUE(whole.has_value());
    EXPECT_EQ(whole->serial_pattern, "BXRT-481");
    const auto codes_only = read_payload_prefix(std::span<const std::uint8_t>(payload.data(), 3));
    ASSERT_TRUE(codes_only.has_value());
    EXPECT_EQ(codes_only->manufacturer_code, identity.manufacturer_code);
    EXPECT_EQ(codes_only->model_code, identity.model_code);
    EXPECT_TRUE(codes_only->serial_pattern.empty());
    Payload wrong_version = payload;
    wrong_version[0] ^= 0x80;
    EXPECT_FALSE(read_payload_prefix(wrong_version).has_value());
}

} // namespace
} // namespace microstamp
