#pragma once
// SHA-256 (libsodium) and hex text: how scans are addressed and the audit log is chained.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace microstamp {

using Sha256 = std::array<std::uint8_t, 32>;

Sha256 sha256(std::span<const std::uint8_t> bytes);
Sha256 sha256(std::string_view text);

std::string hex(std::span<const std::uint8_t> bytes);
// Throws InputError (naming `what`) for text that is not even-length lowercase or uppercase hex.
std::vector<std::uint8_t> bytes_from_hex(std::string_view text, std::string_view what);
Sha256 sha256_from_hex(std::string_view text, std::string_view what);

} // namespace microstamp
