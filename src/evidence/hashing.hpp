#pragma once
// SHA-256 and hex text: how scans are addressed and the audit log is chained.

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace microstamp {

using Sha256 = std::array<std::uint8_t, 32>;

Sha256 sha256(std::span<const std::uint8_t> bytes);
Sha256 sha256(std::string_view text);
// SHA-256 of the pieces one after another, as if they were one buffer.
Sha256 sha256_of(std::initializer_list<std::span<const std::uint8_t>> pieces);

std::string hex(std::span<const std::uint8_t> bytes);
// Throws InputError (naming `what`) for text that is not even-length lowercase or uppercase hex.
std::vector<std::uint8_t> bytes_from_hex(std::string_view text, std::string_view what);
Sha256 sha256_from_hex(std::string_view text, std::string_view what);

} // namespace microstamp
