#pragma once
// Base64 with padding (RFC 4648, section 4), for bytes that travel inside text: an
// overlay in a JSON answer or in a self-contained HTML report. Not libsodium's, whose
// encoder runs in constant time for secrets and took 0.44 ms of an overlay's 130 KB,
// which are none.

#include <cstdint>
#include <string>
#include <vector>

namespace microstamp {

inline std::string base64(const std::vector<std::uint8_t>& bytes) {
    static constexpr char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out((bytes.size() + 2) / 3 * 4, '=');
    char* next = out.data();
    std::size_t at = 0;
    for (; at + 3 <= bytes.size(); at += 3) {
        const std::uint32_t group = std::uint32_t{bytes[at]} << 16 | std::uint32_t{bytes[at + 1]} << 8 | bytes[at + 2];
        for (const int shift : {18, 12, 6, 0}) *next++ = digits[(group >> shift) & 63];
    }
    // One or two bytes left: two or three digits, the rest of the four padding.
    if (const std::size_t left = bytes.size() - at; left > 0) {
        const std::uint32_t group = std::uint32_t{bytes[at]} << 16 | (left == 2 ? std::uint32_t{bytes[at + 1]} << 8 : 0);
        for (std::size_t digit = 0; digit <= left; ++digit) *next++ = digits[(group >> (18 - 6 * digit)) & 63];
    }
    return out;
}

} // namespace microstamp
