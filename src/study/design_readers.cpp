#include "study/design_readers.hpp"

#include "read/locations.hpp"

#include <algorithm>
#include <cmath>

namespace microstamp {
namespace {

Outcome outcome_of(ReadStatus status) {
    switch (status) {
    case ReadStatus::decoded: return Outcome::partial;  // decoded, but the catalog does not know it
    case ReadStatus::partial: return Outcome::partial;
    case ReadStatus::defaced: return Outcome::defaced;
    case ReadStatus::no_stamp: return Outcome::no_stamp;
    case ReadStatus::unreadable: return Outcome::unreadable;
    case ReadStatus::locations_disagree: return Outcome::locations_disagree;
    }
    return Outcome::unreadable;
}

// Soft cells in 1/127 steps, two hex digits each: enough for fusion (the reader's own
// erasure threshold is 0.35), and exactly the same whether read from memory or a journal.
std::string quantise_soft_cells(const RingObservation& observation) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string text;
    text.reserve(ring_symbols * ring_cells_per_symbol * 2);
    for (const auto& symbol : observation.cells)
        for (const float value : symbol) {
            const auto level = static_cast<std::uint8_t>(static_cast<std::int8_t>(std::lround(std::clamp(value, -1.0f, 1.0f) * 127)));
            text += digits[level >> 4];
            text += digits[level & 15];
        }
    return text;
}

} // namespace

void judge_ring_reading(const Reading& reading, const Identity& expected, ResultRow& row) {
    row.reader = "ring";
    row.status = std::string(status_name(reading.status));
    row.errors = reading.errors;
    row.erasures = reading.erasures;
    row.erased_sectors = reading.erased_sectors;
    row.unused_capacity = reading.unused_capacity;
    row.decision_margin = reading.decision_margin;
    if (reading.observation) row.soft_cells = quantise_soft_cells(*reading.observation);
    if (reading.identity) {
        row.read = describe(*reading.identity);
        row.outcome = *reading.identity == expected ? Outcome::correct : Outcome::wrong;
    } else if (reading.fields) {
        // Decoded fields the catalog does not know can only be another pistol's.
        row.read = reading.fields->serial;
        row.outcome = Outcome::wrong;
    } else {
        row.outcome = outcome_of(reading.status);
    }
    if (reading.status == ReadStatus::locations_disagree) {
        // Both pistols, firing pin first: never one identity.
        std::string named;
        for (const LocationReading& location : reading.locations)
            if (location.identity) named += (named.empty() ? "" : " | ") + describe(*location.identity);
        row.read = named;
    }
}

void judge_design_reading(const DesignReading& reading, const Die& die, const KeyDirectory& directory, ResultRow& row) {
    row.reader = std::string(design_name(reading.design));
    row.status = std::string(design_status_name(reading.status));
    row.read = reading.code;
    if (reading.status == DesignStatus::unreadable) {
        row.outcome = Outcome::unreadable;
    } else if (reading.status == DesignStatus::partial) {
        row.outcome = Outcome::partial;
    } else if (reading.design == Design::datamatrix) {
        row.outcome = reading.identity && *reading.identity == die.identity ? Outcome::correct : Outcome::wrong;
    } else if (reading.code == die.text_key) {
        row.outcome = Outcome::correct;
    } else {
        // text and gear: a key is looked up in the manufacturer's records. Another pistol's
        // key names that pistol; a key nobody holds names no one (2^40 keys: a misread
        // lands on a registered one about once per 2^40 / pistols registered).
        row.outcome = directory.find(reading.code).empty() ? Outcome::misread_key : Outcome::wrong;
    }
}

std::vector<ResultRow> read_designs(const Die& die, const CasingScan& scan, double um_per_px, const ResultRow& truth,
                                    const KeyDirectory& directory, const std::optional<CasingScan>& breech_face) {
    // One call of the reader, as `microstamp read` makes it, asked for exactly the
    // designs the die carries, every one of them read even when the ring decodes.
    ReadOptions options;
    options.um_per_px = um_per_px;
    options.designs.clear();
    for (const Design design : die.layout.designs)
        if (design != Design::ring) options.designs.push_back(design);
    options.designs_alongside_ring = true;
    // A pin without a ring is not searched for one: what the other designs read is the same,
    // and a ring read that must fail costs more than they do.
    options.look_for_ring = std::find(die.layout.designs.begin(), die.layout.designs.end(), Design::ring) != die.layout.designs.end();
    const auto read_scan = [&](const CasingScan& one) {
        return std::holds_alternative<const Surface*>(one) ? read(*std::get<const Surface*>(one), options)
                                                           : read(*std::get<const Image*>(one), options);
    };
    const Reading reading = breech_face ? compare_locations(read_scan(scan), read_scan(*breech_face)) : read_scan(scan);
    std::vector<ResultRow> rows;
    for (const Design design : die.layout.designs) {
        ResultRow row = truth;
        if (design == Design::ring) {
            Reading ring = reading;
            if (reading.design != Design::ring && reading.status != ReadStatus::locations_disagree) {
                // Another design answered for a ring that did not decode: the ring's own verdict.
                ring.identity.reset();
                ring.fields.reset();
                ring.status = reading.observation ? ReadStatus::partial : ReadStatus::unreadable;
            }
            judge_ring_reading(ring, die.identity, row);
        } else {
            const auto found = std::find_if(reading.designs.begin(), reading.designs.end(),
                                            [&](const DesignReading& one) { return one.design == design; });
            if (found == reading.designs.end()) {
                row.reader = std::string(design_name(design));
                row.status = "unreadable";
                row.outcome = Outcome::unreadable;
            } else {
                judge_design_reading(*found, die, directory, row);
            }
        }
        rows.push_back(std::move(row));
    }
    for (auto& row : rows) row.reads = static_cast<int>(rows.size());
    return rows;
}

} // namespace microstamp
