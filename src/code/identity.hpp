#pragma once
// What a stamp says: the make, model and serial number of one pistol
// (California PC 27531, NJ 2C:58-2.13: "identifies the make, model, and serial number").

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace microstamp {

// Serial numbers: 1 to 12 characters of 0-9, A-Z and '-' (upper case).
inline constexpr std::size_t max_serial_length = 12;
inline constexpr std::string_view serial_alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-";

// Names as the catalog spells them; codes as the stamp carries them.
struct Identity {
    std::string manufacturer;      // catalog name, e.g. "Glock"
    std::string model;             // catalog name, e.g. "G17"
    std::string serial;            // e.g. "BXR123"
    std::uint16_t manufacturer_code = 0;  // 1..1023
    std::uint16_t model_code = 0;         // 1..1023, unique within the manufacturer
    bool operator==(const Identity&) const = default;
};

// A user-facing input error: one line the user can act on.
struct InputError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

// Text from a file or a client as a message may quote it: control characters (a line
// break in a JSON key, a carriage return in a CSV field) become '?', so the message
// stays one line.
std::string single_line(std::string_view text);

// Upper-cases and checks a serial number; throws InputError naming the problem.
std::string normalise_serial(std::string_view serial);

// "Glock G17 #BXR123": how people write it.
std::string describe(const Identity& identity);

} // namespace microstamp
