#pragma once
// A reading: what a reader made of one scan, kept as the reader's own JSON plus the
// reader's version. Readings are appended, never replaced: a better reader adds a new
// reading beside the old one, and both stay in the record.
//
// The store indexes a few fields of the JSON so it can search them:
//   {"reader_version": "0.3.0",                 (or given separately)
//    "status": "decoded" | "partial" | "failed" | "locations_disagree",
//    "identity": {"manufacturer_code": 412, "model_code": 7, "serial": "58A-104233"}}
// A partial reading writes '?' for each serial character it could not read
// ("58A-1?4233"); a failed one may omit the identity. A casing whose firing pin and
// breech face named different pistols (`locations_disagree`, a swapped pin) has no
// identity and lists each location's in "locations".

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace microstamp {

struct AcquiredScan;

// One location of a casing whose firing pin and breech face named different pistols, and
// the identity it named (a swapped pin's signature: each identity may match other items).
struct LocationIdentity {
    std::string location;  // "firing_pin" or "breech_face", as the reader names it
    std::uint16_t manufacturer_code = 0, model_code = 0;
    std::string serial;
};

struct NewReading {
    std::string scan_sha256;      // the scan it was read from; empty when not from a stored scan
    std::string reader_version;
    std::string json;             // the reader's output, verbatim
    std::string status;
    std::optional<std::uint16_t> manufacturer_code;
    std::optional<std::uint16_t> model_code;
    std::optional<std::string> serial;  // upper case; '?' marks an unread character
    std::vector<LocationIdentity> location_identities = {};  // locations_disagree: each decoded location's
};

// Parses and checks a reader's JSON; `reader_version` overrides the one inside.
// Throws InputError naming the missing or malformed field.
NewReading parse_reading(std::string_view json_text, std::string_view reader_version = {});

// What ingest calls on each scan once a reader exists (src/read/). Until then the
// command line passes none and records readings only when one is supplied.
using ScanReader = std::function<std::optional<NewReading>(const AcquiredScan&)>;

// A serial as readings and searches write it: 1..12 of 0-9, A-Z, '-' and '?'.
// Throws InputError.
std::string normalise_serial_pattern(std::string_view serial);

} // namespace microstamp
