#include "surface/x3p_format.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <system_error>

#include "surface/surface.hpp"
#include "surface/x3p.hpp"

namespace microstamp {

// ---------------------------------------------------------------------------
// Height conversion, metres <-> micrometres.
//
// No pair of conversions between binary64 metres and binary64 micrometres can
// be exact both ways for every double: log2(10^6) is not an integer, so in
// part of every octave the micrometre doubles are denser than the images of
// the metre doubles (some micrometre values cannot survive a write) and in the
// rest they are sparser (some metre values cannot survive a read). Measured
// over random doubles, about 4.4% of values fail each way; among the samples,
// 9 of the 115 distinct heights of csafe-logo.x3p share their micrometre
// reading with a neighbouring double.
//
// Both directions are therefore plain correctly rounded operations, which is
// the best possible: the metre values that read as a given micrometre value u
// form an interval centred on u / 10^6, so if any double lies in it, the
// nearest double to u / 10^6 does; the same holds the other way round. Hence,
// bit for bit (tests/surface/test_x3p.cpp checks each over random doubles):
//  - write then read gives u back whenever any metre value would (about 95.6%
//    of arbitrary doubles, and every height that itself came from a file),
//    and is otherwise one ulp away;
//  - read(write(read(file))) has the heights of read(file), for every file;
//  - write(read(write(surface))) has the data.bin of write(surface);
//  - a third-party D file keeps its data.bin bytes through read and write
//    unless it holds metre values that share a reading with a neighbour
//    (pyramid, testing and sample-land keep theirs; csafe-logo changes 4697
//    of 310479 values by one ulp in metres, its micrometre heights unchanged);
//  - NaN keeps its bits (R writes NA and -NaN; sample-land has both).
// Grid spacing does not go through binary metres at all: it is converted as
// decimal text by shifting the exponent, which is exact both ways.

using x3p_detail::micrometres_per_metre;

double micrometres_from_metres(double metres) {
    if (std::isnan(metres)) return metres;
    return metres * micrometres_per_metre;
}

double metres_from_micrometres(double micrometres) {
    if (std::isnan(micrometres)) return micrometres;
    return micrometres / micrometres_per_metre;
}

namespace x3p_detail {

std::string_view trim(std::string_view text) {
    const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
}

std::string lowercase(std::string_view text) {
    std::string result(text);
    for (char& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return result;
}

std::string quote_for_message(std::string_view text) {
    std::string result = "'";
    for (char c : text.substr(0, 80)) result.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
    if (text.size() > 80) result += "...";
    return result + "'";
}

[[noreturn]] void fail(const std::string& name, const std::string& what) { throw FileError(name + ": " + what); }

bool is_hex_md5(std::string_view text) {
    return text.size() == 32 && std::all_of(text.begin(), text.end(), [](char c) {
               return std::isxdigit(static_cast<unsigned char>(c)) != 0;
           });
}

std::optional<long long> parse_integer(std::string_view text) {
    text = trim(text);
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    long long value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

std::optional<double> parse_scaled_decimal(std::string_view text, int shift) {
    text = trim(text);
    const std::size_t exponent_position = text.find_first_of("eE");
    std::string_view mantissa = text.substr(0, exponent_position);
    long long exponent = 0;
    if (exponent_position != std::string_view::npos) {
        const auto parsed = parse_integer(text.substr(exponent_position + 1));
        if (!parsed || *parsed > 100000 || *parsed < -100000) return std::nullopt;
        exponent = *parsed;
    }
    std::string digits;
    if (!mantissa.empty() && (mantissa.front() == '+' || mantissa.front() == '-')) {
        if (mantissa.front() == '-') digits.push_back('-');
        mantissa.remove_prefix(1);
    }
    bool seen_digit = false;
    bool seen_point = false;
    for (char c : mantissa) {
        if (c >= '0' && c <= '9') {
            seen_digit = true;
        } else if (c == '.' && !seen_point) {
            seen_point = true;
        } else {
            return std::nullopt;
        }
    }
    if (!seen_digit) return std::nullopt;
    digits.append(mantissa);
    // Appended apart: GCC 12 warns (-Wrestrict, falsely) on "e" + to_string here.
    digits += 'e';
    digits += std::to_string(exponent + shift);
    double value = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    return value;
}

std::string format_scaled_decimal(double value, int shift) {
    std::array<char, 64> buffer{};
    const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                            std::chars_format::scientific);
    if (error != std::errc{}) throw std::logic_error("cannot format a double");
    const std::string_view text(buffer.data(), static_cast<std::size_t>(end - buffer.data()));
    const std::size_t exponent_position = text.find('e');
    const long long exponent = parse_integer(text.substr(exponent_position + 1)).value() + shift;
    std::string exponent_text = std::to_string(exponent < 0 ? -exponent : exponent);
    if (exponent_text.size() < 2) exponent_text = "0" + exponent_text;
    return std::string(text.substr(0, exponent_position)) + (exponent < 0 ? "e-" : "e+") + exponent_text;
}

std::string_view local_name(const char* qualified) {
    std::string_view name(qualified);
    const std::size_t colon = name.find(':');
    return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child(pugi::xml_node parent, std::string_view name) {
    for (pugi::xml_node node : parent.children())
        if (node.type() == pugi::node_element && local_name(node.name()) == name) return node;
    return {};
}

std::string text_of(pugi::xml_node node) { return node ? std::string(node.text().get()) : std::string(); }

} // namespace x3p_detail
} // namespace microstamp
