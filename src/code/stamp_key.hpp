#pragma once
// The 8-character key that the published stamps carry (e.g. NanoTag "0H5K B4M3").
// Eight characters cannot hold make, model and serial (the Rhode Island finding), so
// the `text` and `gear` designs carry a key derived from the identity, and a lab
// resolves it through the manufacturer's records (KeyDirectory).
//
// Key: 40 bits of keyed BLAKE2b over "manufacturer:model:serial" codes, written as 8
// characters of Crockford base 32 (no I, L, O, U, so no 1/I, 0/O confusion when read
// by eye). 2^40 keys: among N registered pistols about N^2 / 2^41 pairs collide
// (for 10 million pistols, ~45): a real limit of the 8-character design, which the
// directory detects and reports.

#include "code/identity.hpp"

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace microstamp {

inline constexpr std::string_view key_alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
inline constexpr std::size_t key_length = 8;

std::string stamp_key(const Identity& identity);
// Index 0..31 of a key character, or -1.
int key_digit(char character);

// The manufacturer's record of which key was stamped on which pistol.
class KeyDirectory {
public:
    // Returns false (and keeps both) when the key is already taken by another identity.
    bool add(const Identity& identity);
    // Every identity stamped with this key (more than one is a collision).
    std::vector<Identity> find(const std::string& key) const;
    std::size_t collisions() const { return collisions_; }

private:
    std::multimap<std::string, Identity> entries_;
    std::size_t collisions_ = 0;
};

} // namespace microstamp
