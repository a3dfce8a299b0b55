#pragma once
// The text and number formats of an x3p file, shared by its reader and writer:
// decimal text scaled between metres and micrometres without a binary rounding,
// little-endian values, and main.xml's elements found by local name.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

namespace microstamp::x3p_detail {

inline constexpr double micrometres_per_metre = 1e6;

// SurfaceMetadata holds the probing system in one string; x3p splits it into
// Type and Identification. Joining with this separator and splitting at its
// first occurrence (only when something follows) gives back every string.
inline constexpr std::string_view probing_separator = "; ";

std::string_view trim(std::string_view text);
std::string lowercase(std::string_view text);
// Quoting keeps a message on one line whatever the file put in its XML.
std::string quote_for_message(std::string_view text);
// Throws FileError "name: what".
[[noreturn]] void fail(const std::string& name, const std::string& what);
bool is_hex_md5(std::string_view text);
std::optional<long long> parse_integer(std::string_view text);
// Parses a decimal number and multiplies it by 10^shift exactly, by moving the
// exponent before the one rounding to binary. Accepts what xsd:double allows
// except INF and NaN.
std::optional<double> parse_scaled_decimal(std::string_view text, int shift);
// The shortest decimal that reads back as `value`, times 10^shift, as text.
std::string format_scaled_decimal(double value, int shift);

// Little-endian numbers, independent of the host's byte order.
template <class Unsigned>
Unsigned load_little_endian(const std::uint8_t* bytes) {
    Unsigned value = 0;
    for (std::size_t i = 0; i < sizeof(Unsigned); ++i) value |= static_cast<Unsigned>(Unsigned{bytes[i]} << (8 * i));
    return value;
}

template <class Unsigned>
void append_little_endian(std::vector<std::uint8_t>& bytes, Unsigned value) {
    for (std::size_t i = 0; i < sizeof(Unsigned); ++i) bytes.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

// main.xml access by local name: real files spell the root p:ISO5436_2,
// ISO5436_2 or ISO5436, and the records carry no prefix.
std::string_view local_name(const char* qualified);
pugi::xml_node child(pugi::xml_node parent, std::string_view name);
std::string text_of(pugi::xml_node node);

} // namespace microstamp::x3p_detail
