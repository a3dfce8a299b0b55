// The ring design against its promises: every identity decodes, any 60% of the
// code may be lost, rotation comes from the code, and damage beyond the limit
// fails instead of naming a wrong pistol.

#include "code/ring.hpp"
#include "support/identities.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

namespace microstamp {
namespace {

constexpr double full_turn = 2 * std::numbers::pi;

std::vector<Cell> cells_of(const Identity& identity) {
    return ring_cells(ring_codeword(identity), FaceGeometry{});
}

bool decodes_to(const RingDecoding& decoding, const Identity& identity) {
    return decoding.status == RingStatus::decoded && decoding.fields &&
           decoding.fields->manufacturer_code == identity.manufacturer_code &&
           decoding.fields->model_code == identity.model_code && decoding.fields->serial == identity.serial;
}

// Does a cell's angular extent touch the arc [start, start + length)?
bool touches_arc(const AnnularSector& cell, double start, double length) {
    auto offset = [&](double angle) {
        double value = std::fmod(angle - start, full_turn);
        return value < 0 ? value + full_turn : value;
    };
    const double cell_start = offset(cell.start_angle);
    const double cell_span = cell.end_angle - cell.start_angle;
    return cell_start < length || cell_start + cell_span > full_turn;
}

// Every cell touched by the arc becomes unknown (0): a conservative model of
// physical loss, in which a sliver of damage costs its whole cell.
RingObservation with_arc_erased(const std::vector<Cell>& cells, double start, double length, int rotation) {
    std::vector<Cell> damaged = cells;
    RingObservation observation = ideal_ring_observation(cells, rotation);
    for (const Cell& cell : cells) {
        if (cell.symbol < 0) continue;
        if (!touches_arc(std::get<AnnularSector>(cell.shape), start, length)) continue;
        const int track = cell.symbol / ring_sectors_per_track;
        const int sector = cell.symbol % ring_sectors_per_track;
        const int observed = ((sector - rotation) % ring_sectors_per_track + ring_sectors_per_track) % ring_sectors_per_track;
        observation.cells[static_cast<std::size_t>(track * ring_sectors_per_track + observed)][static_cast<std::size_t>(cell.bit)] = 0;
    }
    return observation;
}

TEST(Ring, DesignArithmetic) {
    EXPECT_EQ(ring_symbols, 48);
    EXPECT_EQ(ring_data_symbols, 15);
    // A 60% arc touches at most ceil(0.6 * 24) + 1 sectors per track; both tracks within the parity.
    const int touched_per_track = static_cast<int>(std::ceil(0.6 * ring_sectors_per_track)) + 1;
    EXPECT_LE(ring_tracks * touched_per_track, ring_parity_symbols);
}

TEST(Ring, SyncSequencesHaveLowCyclicCorrelation) {
    for (int shift = 1; shift < ring_sectors_per_track; ++shift) {
        int correlation = 0;
        for (int symbol = 0; symbol < ring_symbols; ++symbol) {
            const int track = symbol / ring_sectors_per_track;
            const int shifted = track * ring_sectors_per_track + (symbol % ring_sectors_per_track + shift) % ring_sectors_per_track;
            correlation += ring_sync_bit(symbol) == ring_sync_bit(shifted) ? 1 : -1;
        }
        EXPECT_LE(std::abs(correlation), 4) << "shift " << shift;
    }
}

TEST(Ring, EverySectorHasEngravedAndFlatCellsOnAverage) {
    // Whitening spreads engraved cells evenly: a blank pin is never a valid code.
    std::mt19937_64 random(1);
    int engraved = 0, total = 0;
    for (int trial = 0; trial < 200; ++trial)
        for (const Cell& cell : cells_of(testing::random_identity(random)))
            if (cell.role == CellRole::data) {
                engraved += cell.engraved;
                ++total;
            }
    EXPECT_NEAR(static_cast<double>(engraved) / total, 0.5, 0.02);
}

TEST(Ring, TenThousandIdentitiesDecodeFromIdealCellsAtEveryRotation) {
    std::mt19937_64 random(2);
    for (int trial = 0; trial < 10000; ++trial) {
        const Identity identity = testing::random_identity(random);
        const int rotation = static_cast<int>(random() % ring_sectors_per_track);
        const RingDecoding decoding = decode_ring(ideal_ring_observation(cells_of(identity), rotation));
        ASSERT_TRUE(decodes_to(decoding, identity)) << describe(identity) << " rotation " << rotation << ": " << decoding.failure;
        ASSERT_EQ(decoding.rotation_sectors, rotation);
        ASSERT_EQ(decoding.attempts, 1);
        ASSERT_EQ(decoding.unused_capacity, ring_parity_symbols);
    }
}

TEST(Ring, AnySingleArcOfSixtyPercentErasedDecodes) {
    std::mt19937_64 random(3);
    std::uniform_real_distribution<double> angle(0, full_turn);
    int worst_capacity = ring_parity_symbols;
    for (int trial = 0; trial < 10000; ++trial) {
        const Identity identity = testing::random_identity(random);
        const auto cells = cells_of(identity);
        const int rotation = static_cast<int>(random() % ring_sectors_per_track);
        const double length = trial % 2 ? 0.6 * full_turn : std::uniform_real_distribution<double>(0, 0.6)(random) * full_turn;
        const RingDecoding decoding = decode_ring(with_arc_erased(cells, angle(random), length, rotation));
        ASSERT_TRUE(decodes_to(decoding, identity)) << "trial " << trial << ": " << decoding.failure;
        worst_capacity = std::min(worst_capacity, decoding.unused_capacity);
    }
    EXPECT_GE(worst_capacity, 0);
}

TEST(Ring, RandomSectorSetsTotallingSixtyPercentDecode) {
    std::mt19937_64 random(4);
    const int erased = static_cast<int>(std::ceil(0.6 * ring_symbols));  // 29 of 48 sectors
    std::vector<int> symbols(ring_symbols);
    for (int trial = 0; trial < 10000; ++trial) {
        const Identity identity = testing::random_identity(random);
        const int rotation = static_cast<int>(random() % ring_sectors_per_track);
        RingObservation observation = ideal_ring_observation(cells_of(identity), rotation);
        std::iota(symbols.begin(), symbols.end(), 0);
        std::shuffle(symbols.begin(), symbols.end(), random);
        for (int i = 0; i < erased; ++i) observation.cells[static_cast<std::size_t>(symbols[static_cast<std::size_t>(i)])].fill(0.0f);
        const RingDecoding decoding = decode_ring(observation);
        ASSERT_TRUE(decodes_to(decoding, identity)) << "trial " << trial << ": " << decoding.failure;
        ASSERT_EQ(decoding.erasures, erased);
    }
}

TEST(Ring, ErrorsAndErasuresTogetherWithinTheBoundDecode) {
    std::mt19937_64 random(5);
    for (int trial = 0; trial < 2000; ++trial) {
        const Identity identity = testing::random_identity(random);
        RingObservation observation = ideal_ring_observation(cells_of(identity));
        const int errors = static_cast<int>(random() % 17);
        const int erasures = static_cast<int>(random() % static_cast<unsigned>(ring_parity_symbols - 2 * errors + 1));
        std::vector<int> symbols(ring_symbols);
        std::iota(symbols.begin(), symbols.end(), 0);
        std::shuffle(symbols.begin(), symbols.end(), random);
        for (int i = 0; i < erasures; ++i) observation.cells[static_cast<std::size_t>(symbols[static_cast<std::size_t>(i)])].fill(0.0f);
        for (int i = erasures; i < erasures + errors; ++i) {
            auto& cells = observation.cells[static_cast<std::size_t>(symbols[static_cast<std::size_t>(i)])];
            const int flipped = static_cast<int>(random() % 8);
            const int cell = flipped < ring_sync_cell ? flipped : flipped + 1;  // data cells, confidently wrong
            cells[static_cast<std::size_t>(cell)] = -cells[static_cast<std::size_t>(cell)];
        }
        const RingDecoding decoding = decode_ring(observation);
        ASSERT_TRUE(decodes_to(decoding, identity)) << errors << " errors, " << erasures << " erasures: " << decoding.failure;
        ASSERT_EQ(decoding.errors, errors);
        ASSERT_EQ(decoding.unused_capacity, ring_parity_symbols - 2 * errors - erasures);
    }
}

TEST(Ring, BeyondTheDesignLimitReportsFailure) {
    std::mt19937_64 random(6);
    for (int trial = 0; trial < 1000; ++trial) {
        const Identity identity = testing::random_identity(random);
        RingObservation observation = ideal_ring_observation(cells_of(identity));
        std::vector<int> symbols(ring_symbols);
        std::iota(symbols.begin(), symbols.end(), 0);
        std::shuffle(symbols.begin(), symbols.end(), random);
        const int erased = ring_parity_symbols + 1 + static_cast<int>(random() % 10);
        for (int i = 0; i < erased; ++i) observation.cells[static_cast<std::size_t>(symbols[static_cast<std::size_t>(i)])].fill(0.0f);
        const RingDecoding decoding = decode_ring(observation);
        ASSERT_EQ(decoding.status, RingStatus::failed);
        ASSERT_FALSE(decoding.fields.has_value());
    }
    // An arc of 80% leaves too little.
    const Identity identity = testing::random_identity(random);
    EXPECT_EQ(decode_ring(with_arc_erased(cells_of(identity), 1.0, 0.8 * full_turn, 0)).status, RingStatus::failed);
    // Nothing at all visible.
    EXPECT_EQ(decode_ring(RingObservation{}).status, RingStatus::failed);
}

// How far an observation is from an identity's stamp at a rotation, counted
// independently of the decoder: sectors with an unsure cell (erasures) and sure
// sectors that disagree (errors).
int excess_over_capacity(const RingObservation& observation, const Identity& identity, int rotation,
                         const RingReadOptions& options) {
    const RingObservation truth = ideal_ring_observation(cells_of(identity), rotation);
    int errors = 0, erasures = 0;
    for (std::size_t symbol = 0; symbol < ring_symbols; ++symbol) {
        bool unsure = false, differs = false;
        for (std::size_t cell = 0; cell < ring_cells_per_symbol; ++cell) {
            if (cell == ring_sync_cell) continue;
            const float value = observation.cells[symbol][cell];
            if (!(std::fabs(value) >= options.erasure_threshold)) unsure = true;
            if ((value > 0) != (truth.cells[symbol][cell] > 0)) differs = true;
        }
        if (unsure) ++erasures;
        else if (differs) ++errors;
    }
    return 2 * errors + erasures - ring_parity_symbols;
}

// One million damaged observations beyond correction: none may name a wrong pistol.
// "Wrong" is a pistol whose stamp is not within the code's correction radius of what
// was observed, i.e. a miscorrection that slipped past the integrity check. When two
// stamps are mixed (a double strike by two pins), the observation can lie within the
// radius of the second stamp; reading that stamp is right, and is counted apart.
TEST(Ring, NoWrongIdentityInAMillionCorruptedCodewords) {
    std::mt19937_64 random(7);
    std::uniform_real_distribution<float> soft(-1, 1);
    std::vector<int> symbols(ring_symbols);
    const RingReadOptions options;
    long wrong = 0, decoded_true = 0, decoded_second_stamp = 0, attempts = 0;
    constexpr int trials = 1'000'000;
    for (int trial = 0; trial < trials; ++trial) {
        const Identity identity = testing::random_identity(random);
        const auto cells = cells_of(identity);
        RingObservation observation = ideal_ring_observation(cells, static_cast<int>(random() % ring_sectors_per_track));
        std::iota(symbols.begin(), symbols.end(), 0);
        std::shuffle(symbols.begin(), symbols.end(), random);
        std::optional<Identity> second_stamp;
        switch (trial % 4) {
        case 0:  // pure noise
            for (auto& sector : observation.cells)
                for (auto& value : sector) value = soft(random);
            break;
        case 1: {  // many confident errors, beyond 16
            const int errors = 17 + static_cast<int>(random() % 20);
            for (int i = 0; i < errors; ++i)
                for (auto& value : observation.cells[static_cast<std::size_t>(symbols[static_cast<std::size_t>(i)])])
                    value = random() % 2 ? 1.0f : -1.0f;
            break;
        }
        case 2: {  // just past the bound: 2e + f in 34..40, where miscorrection is likeliest
            const int excess = 34 + static_cast<int>(random() % 7);
            const int errors = 1 + static_cast<int>(random() % static_cast<unsigned>(excess / 2));
            const int erasures = std::min(excess - 2 * errors, ring_symbols - errors);
            for (int i = 0; i < erasures; ++i) observation.cells[static_cast<std::size_t>(symbols[static_cast<std::size_t>(i)])].fill(0.0f);
            for (int i = erasures; i < erasures + errors; ++i)
                for (std::size_t cell = 0; cell < ring_cells_per_symbol; ++cell)
                    if (cell != ring_sync_cell) observation.cells[static_cast<std::size_t>(symbols[static_cast<std::size_t>(i)])][cell] = random() % 2 ? 1.0f : -1.0f;
            break;
        }
        default: {  // two stamps mixed sector by sector (double strike, swapped pins)
            second_stamp = testing::random_identity(random);
            const auto other = ideal_ring_observation(cells_of(*second_stamp),
                                                      static_cast<int>(random() % ring_sectors_per_track));
            for (int i = 0; i < ring_symbols / 2; ++i)
                observation.cells[static_cast<std::size_t>(symbols[static_cast<std::size_t>(i)])] =
                    other.cells[static_cast<std::size_t>(symbols[static_cast<std::size_t>(i)])];
            break;
        }
        }
        const RingDecoding decoding = decode_ring(observation, options);
        attempts += decoding.attempts;
        if (decoding.status != RingStatus::decoded) continue;
        if (decodes_to(decoding, identity)) {
            ++decoded_true;
        } else if (second_stamp && decodes_to(decoding, *second_stamp) &&
                   excess_over_capacity(observation, *second_stamp, decoding.rotation_sectors, options) <= 0) {
            ++decoded_second_stamp;
        } else {
            ++wrong;
            ADD_FAILURE() << "trial " << trial << " (kind " << trial % 4 << "): " << describe(identity) << " read as "
                          << decoding.fields->manufacturer_code << ":" << decoding.fields->model_code << ":"
                          << decoding.fields->serial << " errors " << decoding.errors << " erasures "
                          << decoding.erasures << " attempts " << decoding.attempts;
        }
    }
    EXPECT_EQ(wrong, 0) << "of " << trials << " corrupted observations (" << attempts << " decode attempts)";
    EXPECT_LT(decoded_second_stamp, 100);  // needs two stamps at one rotation sharing many symbols: rare
    RecordProperty("decode_attempts", std::to_string(attempts));
    RecordProperty("decoded_true", std::to_string(decoded_true));
    RecordProperty("decoded_second_stamp", std::to_string(decoded_second_stamp));
}

} // namespace
} // namespace microstamp
