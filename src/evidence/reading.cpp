#include "evidence/reading.hpp"

#include "code/catalog.hpp"
#include "code/identity.hpp"
#include "code/json_depth.hpp"

#include <nlohmann/json.hpp>

namespace microstamp {
namespace {

std::uint16_t code_field(const nlohmann::json& identity, const char* name) {
    const auto found = identity.find(name);
    if (found == identity.end() || !found->is_number_integer())
        throw InputError(std::string("reading: identity.") + name + " is missing or not an integer");
    const auto value = found->get<std::int64_t>();
    if (value < 1 || value > max_catalog_code)
        throw InputError(std::string("reading: identity.") + name + " must be 1..1023");
    return static_cast<std::uint16_t>(value);
}

} // namespace

std::string normalise_serial_pattern(std::string_view serial) {
    if (serial.empty() || serial.size() > max_serial_length)
        throw InputError("serial '" + std::string(serial) + "' must be 1 to 12 characters");
    std::string upper;
    for (char character : serial) {
        if (character >= 'a' && character <= 'z') character = static_cast<char>(character - 'a' + 'A');
        if (character != '?' && serial_alphabet.find(character) == std::string_view::npos)
            throw InputError("serial '" + std::string(serial) + "' has '" + std::string(1, character) +
                             "': use 0-9, A-Z, '-' and '?' for an unread character");
        upper.push_back(character);
    }
    return upper;
}

NewReading parse_reading(std::string_view json_text, std::string_view reader_version) {
    if (json_nesting_depth(json_text) > max_json_file_depth)
        throw InputError("reading is JSON nested deeper than " + std::to_string(max_json_file_depth) + " levels");
    nlohmann::json document;
    try {
        document = nlohmann::json::parse(json_text);
    } catch (const nlohmann::json::parse_error& error) {
        throw InputError(std::string("reading is not valid JSON: ") + error.what());
    }
    if (!document.is_object()) throw InputError("reading must be a JSON object");
    NewReading reading;
    reading.json = document.dump();
    if (!reader_version.empty()) reading.reader_version = reader_version;
    else if (document.contains("reader_version") && document["reader_version"].is_string())
        reading.reader_version = document["reader_version"].get<std::string>();
    else throw InputError("reading has no reader_version: add it to the JSON or give --reader-version");
    if (!document.contains("status") || !document["status"].is_string())
        throw InputError("reading has no status (decoded, partial, failed or locations_disagree)");
    reading.status = document["status"].get<std::string>();
    if (reading.status != "decoded" && reading.status != "partial" && reading.status != "failed" &&
        reading.status != "locations_disagree")
        throw InputError("reading status '" + reading.status + "' is not decoded, partial, failed or locations_disagree");
    const auto identity = document.find("identity");
    if (reading.status == "locations_disagree") {
        // Two pistols named by one casing (a swapped pin): kept with no identity, so no
        // search or link ever takes it for either; the JSON names both.
        if (identity != document.end() && !identity->is_null())
            throw InputError("reading: locations_disagree names two pistols in 'locations', never one identity");
        const auto locations = document.find("locations");
        if (locations == document.end() || !locations->is_array() || locations->size() < 2)
            throw InputError("reading: locations_disagree needs 'locations', the reading of each location");
        for (const auto& location : *locations) {
            if (!location.is_object()) throw InputError("reading: each of 'locations' must be an object");
            const auto named = location.find("identity");
            if (named == location.end() || named->is_null()) continue;  // a location that did not decode
            if (!named->is_object()) throw InputError("reading: a location's identity must be an object");
            const auto where = location.find("location");
            const auto serial = named->find("serial");
            if (where == location.end() || !where->is_string() || serial == named->end() || !serial->is_string())
                throw InputError("reading: a location with an identity needs 'location' and identity.serial as text");
            LocationIdentity location_identity{where->get<std::string>(), code_field(*named, "manufacturer_code"),
                                               code_field(*named, "model_code"),
                                               normalise_serial_pattern(serial->get<std::string>())};
            if (location_identity.location != "firing_pin" && location_identity.location != "breech_face")
                throw InputError("reading: location '" + location_identity.location + "' is not firing_pin or breech_face");
            if (location_identity.serial.find('?') != std::string::npos)
                throw InputError("reading: a location's identity is a decoded one: its serial cannot contain '?'");
            reading.location_identities.push_back(std::move(location_identity));
        }
        return reading;
    }
    if (identity != document.end() && !identity->is_null()) {
        if (!identity->is_object()) throw InputError("reading: identity must be an object");
        reading.manufacturer_code = code_field(*identity, "manufacturer_code");
        reading.model_code = code_field(*identity, "model_code");
        const auto serial = identity->find("serial");
        if (serial == identity->end() || !serial->is_string())
            throw InputError("reading: identity.serial is missing or not text");
        reading.serial = normalise_serial_pattern(serial->get<std::string>());
        if (reading.status == "decoded" && reading.serial->find('?') != std::string::npos)
            throw InputError("reading: a decoded serial cannot contain '?': use status partial");
    } else if (reading.status != "failed") {
        throw InputError("reading with status " + reading.status + " needs an identity");
    }
    return reading;
}

} // namespace microstamp
