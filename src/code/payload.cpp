#include "code/payload.hpp"

#include <algorithm>
#include <sodium.h>
#include <stdexcept>
#include <string_view>

namespace microstamp {
namespace {

constexpr std::uint64_t alphabet_size = serial_alphabet.size();

// Number of serials shorter than `length` characters: the index of the first one of that length.
constexpr std::uint64_t first_index_of_length(std::size_t length) {
    std::uint64_t count = 0, power = 1;
    for (std::size_t k = 1; k < length; ++k) {
        power *= alphabet_size;
        count += power;
    }
    return count;
}
constexpr std::uint64_t serial_count = first_index_of_length(max_serial_length + 1);
static_assert(serial_count <= (std::uint64_t{1} << 63), "serial index must fit 63 bits");

class BitWriter {
public:
    explicit BitWriter(std::span<std::uint8_t> bytes) : bytes_(bytes) { std::fill(bytes.begin(), bytes.end(), 0); }
    void put(std::uint64_t value, int bits) {
        for (int bit = bits - 1; bit >= 0; --bit, ++position_)
            if ((value >> bit) & 1U) bytes_[position_ / 8] |= static_cast<std::uint8_t>(0x80U >> (position_ % 8));
    }
private:
    std::span<std::uint8_t> bytes_;
    std::size_t position_ = 0;
};

class BitReader {
public:
    explicit BitReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
    std::uint64_t get(int bits) {
        std::uint64_t value = 0;
        for (int bit = 0; bit < bits; ++bit, ++position_)
            value = (value << 1) | ((bytes_[position_ / 8] >> (7 - position_ % 8)) & 1U);
        return value;
    }
private:
    std::span<const std::uint8_t> bytes_;
    std::size_t position_ = 0;
};

constexpr unsigned char integrity_key[] = "microstamp integrity v1";

} // namespace

std::uint64_t serial_index(std::string_view serial) {
    std::uint64_t value = 0;
    for (const char character : serial) {
        const auto digit = serial_alphabet.find(character);
        if (digit == std::string_view::npos) throw InputError("serial number must be normalised before packing");
        value = value * alphabet_size + digit;
    }
    return first_index_of_length(serial.size()) + value;
}

std::optional<std::string> serial_from_index(std::uint64_t index) {
    if (index >= serial_count) return std::nullopt;
    std::size_t length = 1;
    while (index >= first_index_of_length(length + 1)) ++length;
    std::uint64_t value = index - first_index_of_length(length);
    std::string serial(length, '0');
    for (std::size_t i = length; i-- > 0;) {
        serial[i] = serial_alphabet[value % alphabet_size];
        value /= alphabet_size;
    }
    return serial;
}

Payload pack_payload(const Identity& identity) {
    if (identity.manufacturer_code == 0 || identity.manufacturer_code > 1023 || identity.model_code == 0 ||
        identity.model_code > 1023)
        throw InputError("identity has no catalog codes: resolve it through the catalog first");
    Payload payload{};
    BitWriter writer(payload);
    writer.put(payload_version, 4);
    writer.put(identity.manufacturer_code, 10);
    writer.put(identity.model_code, 10);
    writer.put(serial_index(normalise_serial(identity.serial)), 63);
    writer.put(0, 1);
    return payload;
}

std::optional<PayloadFields> unpack_payload(const Payload& payload) {
    BitReader reader(payload);
    PayloadFields fields;
    fields.version = static_cast<std::uint8_t>(reader.get(4));
    fields.manufacturer_code = static_cast<std::uint16_t>(reader.get(10));
    fields.model_code = static_cast<std::uint16_t>(reader.get(10));
    const std::uint64_t index = reader.get(63);
    const std::uint64_t reserved = reader.get(1);
    if (fields.version != payload_version || reserved != 0 || fields.manufacturer_code == 0 || fields.model_code == 0)
        return std::nullopt;
    auto serial = serial_from_index(index);
    if (!serial) return std::nullopt;
    fields.serial = std::move(*serial);
    return fields;
}

std::optional<PayloadPrefix> read_payload_prefix(std::span<const std::uint8_t> first_bytes) {
    if (first_bytes.size() < 3) return std::nullopt;
    const std::size_t known_bytes = std::min(first_bytes.size(), payload_bytes);
    Payload padded{};  // the unseen bytes as zeros: the index's unknown low bits are 0
    std::copy_n(first_bytes.begin(), known_bytes, padded.begin());
    BitReader reader(padded);
    PayloadPrefix prefix;
    const auto version = reader.get(4);
    prefix.manufacturer_code = static_cast<std::uint16_t>(reader.get(10));
    prefix.model_code = static_cast<std::uint16_t>(reader.get(10));
    if (version != payload_version || prefix.manufacturer_code == 0 || prefix.model_code == 0) return std::nullopt;
    const int known_index_bits = std::clamp(static_cast<int>(known_bytes) * 8 - 24, 0, 63);
    const std::uint64_t lowest = reader.get(63);
    if (lowest >= serial_count) return std::nullopt;
    if (known_bytes == payload_bytes && reader.get(1) != 0) return std::nullopt;
    if (known_index_bits == 0) return prefix;
    const std::uint64_t open_bits = known_index_bits == 63 ? 0 : (std::uint64_t{1} << (63 - known_index_bits)) - 1;
    const std::uint64_t highest = std::min(lowest | open_bits, serial_count - 1);
    const std::string first = *serial_from_index(lowest), last = *serial_from_index(highest);
    if (first.size() != last.size()) return prefix;  // the index range spans serial lengths
    std::size_t common = 0;
    while (common < first.size() && first[common] == last[common]) ++common;
    prefix.serial_pattern = first.substr(0, common) + std::string(first.size() - common, '?');
    return prefix;
}

std::array<std::uint8_t, integrity_tag_bytes> integrity_tag(std::span<const std::uint8_t> payload) {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
    std::array<std::uint8_t, crypto_generichash_BYTES_MIN> digest{};
    crypto_generichash(digest.data(), digest.size(), payload.data(), payload.size(), integrity_key,
                       sizeof integrity_key - 1);
    std::array<std::uint8_t, integrity_tag_bytes> tag{};
    std::copy_n(digest.begin(), tag.size(), tag.begin());
    return tag;
}

ProtectedPayload protect(const Payload& payload) {
    ProtectedPayload message{};
    std::copy(payload.begin(), payload.end(), message.begin());
    const auto tag = integrity_tag(payload);
    std::copy(tag.begin(), tag.end(), message.begin() + payload_bytes);
    return message;
}

std::optional<Payload> verify(std::span<const std::uint8_t, protected_payload_bytes> message) {
    Payload payload{};
    std::copy_n(message.begin(), payload_bytes, payload.begin());
    const auto tag = integrity_tag(payload);
    if (!std::equal(tag.begin(), tag.end(), message.begin() + payload_bytes)) return std::nullopt;
    return payload;
}

} // namespace microstamp
