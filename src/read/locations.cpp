#include "read/locations.hpp"

#include <fmt/core.h>

namespace microstamp {
namespace {

LocationReading location(std::string_view name, const Reading& reading) {
    LocationReading entry;
    entry.location = std::string(name);
    entry.status = reading.status;
    entry.design = reading.design;
    entry.identity = reading.identity;
    entry.fields = reading.fields;
    entry.false_identity_bound = reading.false_identity_bound;
    entry.failure = reading.failure;
    return entry;
}

bool same_stamp(const PayloadFields& a, const PayloadFields& b) {
    return a.manufacturer_code == b.manufacturer_code && a.model_code == b.model_code && a.serial == b.serial;
}

std::string named(const Reading& reading) {
    if (reading.identity) return describe(*reading.identity);
    return fmt::format("codes {}/{} serial {}", reading.fields->manufacturer_code, reading.fields->model_code,
                       reading.fields->serial);
}

} // namespace

Reading compare_locations(const Reading& firing_pin, const Reading& breech_face) {
    const bool pin_decoded = firing_pin.status == ReadStatus::decoded && firing_pin.fields;
    const bool breech_decoded = breech_face.status == ReadStatus::decoded && breech_face.fields;
    // The answer's geometry, cells and timings are those of the location it comes from.
    Reading combined = !pin_decoded && breech_decoded ? breech_face : firing_pin;
    combined.locations = {location("firing_pin", firing_pin), location("breech_face", breech_face)};
    combined.attempts = firing_pin.attempts + breech_face.attempts;
    if (!pin_decoded || !breech_decoded) return combined;
    if (same_stamp(*firing_pin.fields, *breech_face.fields)) {
        combined.false_identity_bound = firing_pin.false_identity_bound * breech_face.false_identity_bound;
        combined.confidence = 1.0 - combined.false_identity_bound;
        return combined;
    }
    combined.status = ReadStatus::locations_disagree;
    combined.identity.reset();
    combined.fields.reset();
    combined.confidence = 0;
    combined.false_identity_bound = 0;
    combined.leads.clear();
    combined.failure = fmt::format("the firing pin names {} and the breech face {}: the signature of a swapped pin", named(firing_pin),
                                   named(breech_face));
    return combined;
}

} // namespace microstamp
