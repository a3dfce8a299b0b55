#pragma once
// `ring`: the project's own machine-readable design for the firing-pin face.
//
// Why it looks like this (see docs/code.md for the full argument):
// - 48 Reed-Solomon symbols (one byte each) over GF(256): RS(48, 15) carries the
//   15-byte protected payload with 33 parity symbols, so any 33 erased symbols, or
//   e errors and f erasures with 2e + f <= 33, are corrected.
// - Each symbol is one contiguous angular sector of 3 x 3 cells, so damage that is
//   physically correlated in angle (drag, an off-centre strike, a chipped arc)
//   erases whole symbols instead of corrupting many.
// - Two concentric tracks of 24 sectors: a shallow rim loses the outer track, i.e.
//   exactly half of the symbols, never a part of every symbol.
// - A single arc of 60% of the circle touches at most 16 sectors per track (32
//   symbols) and random sector sets totalling 60% erase 29: both within 33.
// - The centre cell of every sector is a sync bit; the 48 sync bits form two
//   sequences whose cyclic correlation is at most 4/48 off peak, so the rotation
//   (in whole sectors) comes from the code itself; the reader recovers the
//   sub-sector angle and the centre and scale from the two finder circles.
// - Codeword bytes are whitened (XOR with a fixed sequence) so that no sector is
//   blank by design: a blank arc means damage or defacement, never data.

#include "code/catalog.hpp"
#include "code/layout.hpp"
#include "code/payload.hpp"

#include <array>
#include <cstdint>
#include <optional>

namespace microstamp {

inline constexpr int ring_tracks = 2;
inline constexpr int ring_sectors_per_track = 24;
inline constexpr int ring_symbols = ring_tracks * ring_sectors_per_track;  // 48
inline constexpr int ring_data_symbols = static_cast<int>(protected_payload_bytes);  // 15
inline constexpr int ring_parity_symbols = ring_symbols - ring_data_symbols;  // 33
inline constexpr int ring_rows = 3;     // radial, 0 = innermost
inline constexpr int ring_columns = 3;  // angular, 0 = smallest angle
inline constexpr int ring_cells_per_symbol = ring_rows * ring_columns;
inline constexpr int ring_sync_cell = 4;  // the centre cell survives partial damage longest

using RingCodeword = std::array<std::uint8_t, ring_symbols>;  // before whitening

RingCodeword ring_codeword(const Identity& identity);
// Sync bit of symbol `symbol` (track * 24 + sector).
bool ring_sync_bit(int symbol);
// The byte engraved in sector `symbol` for codeword byte `value` (whitening is its own inverse).
std::uint8_t ring_whiten(int symbol, std::uint8_t value);
// Cell `cell` (0..8, row-major from the inner radius and smallest angle) of a sector.
bool ring_cell_engraved(int symbol, std::uint8_t codeword_byte, int cell);

std::vector<Cell> ring_cells(const RingCodeword& codeword, const FaceGeometry& geometry);

// What a reader saw, in its own angular frame: sector 0 of each track starts at the
// reader's angle 0 (after the sub-sector angle has been recovered). Soft values:
// +1 certainly engraved, -1 certainly flat, 0 unknown; anything in between is
// proportionally unsure.
struct RingObservation {
    std::array<std::array<float, ring_cells_per_symbol>, ring_symbols> cells{};
};

struct RingReadOptions {
    // A cell whose |soft value| is below this makes its whole symbol an erasure:
    // higher values trade correctable errors for erasures (each error costs two).
    float erasure_threshold = 0.2f;
    // How many rotation hypotheses, in order of sync agreement, may be decoded.
    // Each attempt is one 2^-32 chance of a false identity; see payload.hpp.
    int max_rotation_attempts = 3;
    // Per rotation, after the unsure symbols: this many more trials erasing the least
    // reliable 33, 31, 29, ... symbols (generalised minimum-distance decoding).
    int extra_erasure_trials = 3;
};

enum class RingStatus { decoded, failed };

struct RingDecoding {
    RingStatus status = RingStatus::failed;
    std::optional<PayloadFields> fields;
    int rotation_sectors = 0;    // observed sector j = engraved sector (j + rotation) mod 24
    int errors = 0;              // symbols corrected that were not erasures
    int erasures = 0;
    int unused_capacity = 0;     // 33 - (2 errors + erasures): margin left, as DPM readers report
    int attempts = 0;            // rotation hypotheses decoded
    double sync_agreement = 0;   // best rotation's sync score, -1..1
    double sync_margin = 0;      // best minus second best sync score
    std::string failure;         // why, when failed
};

RingDecoding decode_ring(const RingObservation& observation, const RingReadOptions& options = {});

// The best sync agreement over all rotations (-1..1), without decoding: lets a reader
// choose between sampling hypotheses without spending decode attempts.
double ring_sync_agreement(const RingObservation& observation);

// Leads from a ring that did not decode, for the examiner to confirm: never an identity,
// since nothing checks them. The code is systematic: the payload's bytes are engraved
// as they are (whitened) in the inner track's sectors 0-10, so where the sync cells fix
// the rotation and those sectors were read whole from sector 0 on, the manufacturer,
// the model and the serial's first characters can be named from them alone
// (payload.hpp, read_payload_prefix). The least sure of the cells used, read either
// way, give the alternatives; a lead's likelihood is relative to the others (they sum
// to 1), from the cells' soft values taken as P(read right) = (1 + |v|) / 2.
struct RingLead {
    std::uint16_t manufacturer_code = 0;
    std::uint16_t model_code = 0;
    std::string serial_pattern;  // '?' for characters not read; empty when even the length is open
    double likelihood = 0;
    int bytes_read = 0;          // payload bytes the lead rests on (3 give the codes alone)
};
std::vector<RingLead> ring_leads(const RingObservation& observation, std::size_t max_leads = 5);

// Observation of an undamaged layout in its own frame (soft values +-1), rotated by
// `rotation_sectors`: what a perfect reader would see.
RingObservation ideal_ring_observation(const std::vector<Cell>& cells, int rotation_sectors = 0);

} // namespace microstamp
