#include "evidence/hashing.hpp"

#include "code/identity.hpp"

#include <sodium.h>

namespace microstamp {

Sha256 sha256(std::span<const std::uint8_t> bytes) {
    Sha256 digest{};
    crypto_hash_sha256(digest.data(), bytes.data(), bytes.size());
    return digest;
}

Sha256 sha256(std::string_view text) {
    return sha256(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::string hex(std::span<const std::uint8_t> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string text;
    text.reserve(bytes.size() * 2);
    for (const auto byte : bytes) {
        text.push_back(digits[byte >> 4]);
        text.push_back(digits[byte & 15]);
    }
    return text;
}

std::vector<std::uint8_t> bytes_from_hex(std::string_view text, std::string_view what) {
    auto value = [&](char digit) -> int {
        if (digit >= '0' && digit <= '9') return digit - '0';
        if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
        if (digit >= 'A' && digit <= 'F') return digit - 'A' + 10;
        throw InputError(std::string(what) + " is not hexadecimal");
    };
    if (text.size() % 2 != 0) throw InputError(std::string(what) + " has an odd number of hex digits");
    std::vector<std::uint8_t> bytes;
    bytes.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2)
        bytes.push_back(static_cast<std::uint8_t>(value(text[i]) * 16 + value(text[i + 1])));
    return bytes;
}

Sha256 sha256_from_hex(std::string_view text, std::string_view what) {
    const auto bytes = bytes_from_hex(text, what);
    if (bytes.size() != 32) throw InputError(std::string(what) + " is not a SHA-256 (64 hex digits)");
    Sha256 digest{};
    std::copy(bytes.begin(), bytes.end(), digest.begin());
    return digest;
}

} // namespace microstamp
