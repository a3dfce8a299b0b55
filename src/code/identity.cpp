#include "code/identity.hpp"

#include <cctype>
#include <fmt/core.h>

namespace microstamp {

std::string single_line(std::string_view text) {
    std::string line(text);
    for (char& c : line)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
    return line;
}

std::string normalise_serial(std::string_view serial) {
    if (serial.empty()) throw InputError("serial number is empty");
    if (serial.size() > max_serial_length)
        throw InputError(fmt::format("serial number '{}' has {} characters; at most {} fit the stamp",
                                     serial, serial.size(), max_serial_length));
    std::string result;
    for (const char character : serial) {
        const char upper = static_cast<char>(std::toupper(static_cast<unsigned char>(character)));
        if (serial_alphabet.find(upper) == std::string_view::npos)
            throw InputError(fmt::format("serial number '{}' contains '{}'; allowed are 0-9, A-Z and '-'",
                                         serial, character));
        result.push_back(upper);
    }
    return result;
}

std::string describe(const Identity& identity) {
    return fmt::format("{} {} #{}", identity.manufacturer, identity.model, identity.serial);
}

} // namespace microstamp
