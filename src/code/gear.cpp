#include "code/gear.hpp"

#include "code/identity.hpp"
#include "code/stamp_key.hpp"

#include <cmath>
#include <fmt/core.h>
#include <numbers>

namespace microstamp {
namespace {

constexpr int character_bits = 5;
constexpr int character_slots = character_bits + 1;

// Slots whose value is fixed by the format: the marker, its gap and every separator gap.
std::optional<bool> fixed_slot(int slot) {
    if (slot < gear_marker_bars) return true;
    if (slot == gear_marker_bars) return false;
    if ((slot - 8) % character_slots == character_bits) return false;
    return std::nullopt;
}

} // namespace

std::vector<bool> gear_bits(const std::string& key) {
    if (key.size() != key_length) throw InputError(fmt::format("gear key '{}' is not {} characters", key, key_length));
    std::vector<bool> bits(gear_slots, false);
    for (int slot = 0; slot < gear_slots; ++slot)
        if (auto fixed = fixed_slot(slot)) bits[static_cast<std::size_t>(slot)] = *fixed;
    for (std::size_t index = 0; index < key.size(); ++index) {
        const int digit = key_digit(key[index]);
        if (digit < 0) throw InputError(fmt::format("character '{}' is not in the stamp alphabet", key[index]));
        for (int bit = 0; bit < character_bits; ++bit)
            bits[8 + index * character_slots + static_cast<std::size_t>(bit)] = (digit >> (character_bits - 1 - bit)) & 1;
    }
    return bits;
}

std::vector<Cell> gear_cells(const std::string& key, const FaceGeometry& geometry) {
    const auto bits = gear_bits(key);
    const double slot_angle = 2 * std::numbers::pi / gear_slots;
    const double half_bar = slot_angle * geometry.gear_bar_fill / 2;
    std::vector<Cell> cells;
    for (int slot = 0; slot < gear_slots; ++slot) {
        const double centre = (slot + 0.5) * slot_angle;
        cells.push_back(Cell{AnnularSector{geometry.gear_um[0], geometry.gear_um[1], centre - half_bar, centre + half_bar},
                             Design::gear, fixed_slot(slot) ? CellRole::marker : CellRole::data, 0, slot,
                             bits[static_cast<std::size_t>(slot)]});
    }
    return cells;
}

GearReading decode_gear(const std::vector<float>& slots) {
    GearReading reading;
    if (slots.size() != gear_slots) return reading;
    // Choose the rotation whose fixed slots agree best with the format.
    double best = -std::numeric_limits<double>::infinity();
    for (int rotation = 0; rotation < gear_slots; ++rotation) {
        double score = 0;
        for (int slot = 0; slot < gear_slots; ++slot)
            if (auto fixed = fixed_slot(slot)) {
                const float seen = slots[static_cast<std::size_t>((slot - rotation + gear_slots) % gear_slots)];
                score += (*fixed ? 1.0 : -1.0) * (std::isfinite(seen) ? seen : 0.0);
            }
        if (score > best) {
            best = score;
            reading.rotation_slots = rotation;
        }
    }
    auto seen = [&](int slot) {
        return slots[static_cast<std::size_t>((slot - reading.rotation_slots + gear_slots) % gear_slots)];
    };
    for (int slot = 0; slot < gear_slots; ++slot)
        if (auto fixed = fixed_slot(slot); fixed && ((seen(slot) > 0) != *fixed)) ++reading.marker_mismatches;
    if (best <= 0) return reading;
    std::string key;
    for (std::size_t index = 0; index < key_length; ++index) {
        int digit = 0;
        for (int bit = 0; bit < character_bits; ++bit) {
            const float value = seen(8 + static_cast<int>(index) * character_slots + bit);
            if (!(std::fabs(value) > 0)) return reading;  // unknown slot: with no redundancy, no guess
            digit = (digit << 1) | (value > 0 ? 1 : 0);
        }
        key.push_back(key_alphabet[static_cast<std::size_t>(digit)]);
    }
    reading.key = key;
    return reading;
}

std::vector<float> ideal_gear_observation(const std::vector<Cell>& cells, int rotation_slots) {
    std::vector<float> slots(gear_slots, 0.0f);
    for (const Cell& cell : cells)
        if (cell.design == Design::gear)
            slots[static_cast<std::size_t>(((cell.bit - rotation_slots) % gear_slots + gear_slots) % gear_slots)] =
                cell.engraved ? 1.0f : -1.0f;
    return slots;
}

} // namespace microstamp
