#include "code/stamp_key.hpp"

#include <fmt/core.h>
#include <sodium.h>
#include <stdexcept>

namespace microstamp {

std::string stamp_key(const Identity& identity) {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
    const std::string canonical =
        fmt::format("{}:{}:{}", identity.manufacturer_code, identity.model_code, identity.serial);
    static constexpr unsigned char key[] = "microstamp text key v1";
    std::array<unsigned char, crypto_generichash_BYTES_MIN> digest{};
    crypto_generichash(digest.data(), digest.size(), reinterpret_cast<const unsigned char*>(canonical.data()),
                       canonical.size(), key, sizeof key - 1);
    std::uint64_t bits = 0;
    for (int i = 0; i < 5; ++i) bits = (bits << 8) | digest[static_cast<std::size_t>(i)];
    std::string result(key_length, '0');
    for (std::size_t i = key_length; i-- > 0;) {
        result[i] = key_alphabet[bits & 31U];
        bits >>= 5;
    }
    return result;
}

int key_digit(char character) {
    const auto position = key_alphabet.find(character);
    return position == std::string_view::npos ? -1 : static_cast<int>(position);
}

bool KeyDirectory::add(const Identity& identity) {
    const std::string key = stamp_key(identity);
    bool unique = true;
    for (auto [first, last] = entries_.equal_range(key); first != last; ++first) {
        if (first->second == identity) return true;
        unique = false;
    }
    if (!unique) ++collisions_;
    entries_.emplace(key, identity);
    return unique;
}

std::vector<Identity> KeyDirectory::find(const std::string& key) const {
    std::vector<Identity> found;
    for (auto [first, last] = entries_.equal_range(key); first != last; ++first) found.push_back(first->second);
    return found;
}

} // namespace microstamp
