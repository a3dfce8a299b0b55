#pragma once
// A firearm trace request as ATF Form 3312.1 asks for it, ready for the National
// Tracing Center. It names the gun and the case, never a person who bought it: the
// store holds no purchaser data (18 USC 926(a)); finding the first retail purchaser is
// the NTC's job, through dealer records.

#include <cstdint>
#include <string>

namespace microstamp {

struct TraceRequest {
    std::int64_t id = 0;
    std::string priority;           // "routine" or "urgent"
    std::string offense_code;       // NCIC offense code of the case
    std::string agency_ori;         // requesting agency
    std::string officer;            // requesting officer
    std::string case_number;
    std::string item_number;        // the exhibit the identity was read from
    std::string serial;
    bool obliterated = false;       // serial obliterated or altered on the gun itself
    std::string manufacturer;
    std::string firearm_type;       // e.g. "pistol"
    std::string caliber;
    std::string model;
    std::string country_of_origin;
    std::string importer;
    std::string created_at;
    std::string created_by;
};

// One JSON object, field names as above.
std::string trace_request_json(const TraceRequest& request);
// A header line and one row, RFC 4180 quoting, CRLF line ends.
std::string trace_request_csv(const TraceRequest& request);

} // namespace microstamp
