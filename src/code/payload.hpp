#pragma once
// Identity <-> the bytes a machine-readable stamp carries, and the integrity
// check that makes a wrong decode vanishingly unlikely.
//
// Payload layout (88 bits, big-endian bit order):
//   version 4 | manufacturer code 10 | model code 10 | serial index 63 | reserved 1 (= 0)
// The serial index numbers every string of 1..12 characters over serial_alphabet
// (all length-1 strings first, then length 2, ...), so every serial has exactly one
// index and the largest, sum(37^k, k=1..12) - 1 ~ 6.8e18, fits in 63 bits.
//
// Integrity: a 32-bit tag, the first 4 bytes of keyed BLAKE2b over the payload
// (key = "microstamp integrity v1"), is appended: the protected message is 15 bytes.
// Bound: whatever a decoder outputs after damage (a miscorrection, a wrong rotation,
// random noise), the output differs from what was engraved, and BLAKE2b behaves as a
// random function of its input, so a wrong payload carries a matching tag with
// probability 2^-32 per decode attempt, independent of how the error arose (a CRC, being
// linear, would be correlated with the linear Reed-Solomon code's miscorrections; a
// cryptographic hash is not). The version, reserved bit, serial index range and catalog
// lookup reject more wrong payloads still, so 2^-32 is an upper bound. A reader that
// tries A hypotheses on one impression (e.g. A rotations) bounds its per-read
// false-identity probability by A * 2^-32 and must report A.

#include "code/identity.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace microstamp {

inline constexpr std::uint8_t payload_version = 1;
inline constexpr std::size_t payload_bytes = 11;
inline constexpr std::size_t integrity_tag_bytes = 4;
inline constexpr std::size_t protected_payload_bytes = payload_bytes + integrity_tag_bytes;

using Payload = std::array<std::uint8_t, payload_bytes>;
using ProtectedPayload = std::array<std::uint8_t, protected_payload_bytes>;

struct PayloadFields {
    std::uint8_t version = payload_version;
    std::uint16_t manufacturer_code = 0;
    std::uint16_t model_code = 0;
    std::string serial;
    bool operator==(const PayloadFields&) const = default;
};

// Serial <-> its index (see above). serial_from_index returns nothing past the last index.
std::uint64_t serial_index(std::string_view normalised_serial);
std::optional<std::string> serial_from_index(std::uint64_t index);

Payload pack_payload(const Identity& identity);
// Nothing when the bytes cannot be a payload we wrote (version, reserved bit, index range).
std::optional<PayloadFields> unpack_payload(const Payload& payload);

// What the first bytes of a payload say on their own, the rest unseen: the codes once
// the first three are known, and the serial's length and leading characters once enough
// of its index is ('?' for the characters not determined; an empty pattern when even
// the length is open). Nothing when the bytes cannot start a payload we wrote. No
// integrity check covers a prefix: it is a lead, not an identity.
struct PayloadPrefix {
    std::uint16_t manufacturer_code = 0;
    std::uint16_t model_code = 0;
    std::string serial_pattern;
};
std::optional<PayloadPrefix> read_payload_prefix(std::span<const std::uint8_t> first_bytes);

std::array<std::uint8_t, integrity_tag_bytes> integrity_tag(std::span<const std::uint8_t> payload);
ProtectedPayload protect(const Payload& payload);
// The payload if its tag matches, nothing otherwise.
std::optional<Payload> verify(std::span<const std::uint8_t, protected_payload_bytes> message);

} // namespace microstamp
