#pragma once
// `gear`: the published ring of radial bars around the pin's circumference that
// repeats the 8 text characters in binary (Grieve et al., AFTE J. 45(1), 2013). No
// public source gives its bit layout or any error correction, so ours is plain,
// uncorrected binary: a start marker of seven bars and a gap, then each character
// as 5 bits (most significant first, bar = 1) followed by a gap. Characters never
// hold more than five bars in a row, so the seven-bar marker is unique and fixes the
// rotation. 56 slots in all.

#include "code/layout.hpp"

#include <optional>
#include <string>

namespace microstamp {

inline constexpr int gear_marker_bars = 7;
inline constexpr int gear_slots = 8 + 8 * 6;  // marker + gap, then 8 x (5 bits + gap)

// Bar (true) or gap for every slot, slot 0 first, counter-clockwise.
std::vector<bool> gear_bits(const std::string& key);
std::vector<Cell> gear_cells(const std::string& key, const FaceGeometry& geometry);

struct GearReading {
    std::optional<std::string> key;  // nothing when no marker is found or a character slot is unreadable
    int rotation_slots = 0;
    int marker_mismatches = 0;       // slots of marker and gaps that disagree at the chosen rotation
};
// Soft slot values in the reader's frame (+1 bar .. -1 gap, 0 unknown).
GearReading decode_gear(const std::vector<float>& slots);

std::vector<float> ideal_gear_observation(const std::vector<Cell>& cells, int rotation_slots = 0);

} // namespace microstamp
