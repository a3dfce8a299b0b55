// Leads: the check a reading gets on arrival, the leads it raises or settles, and an
// examiner's confirmation (a link) or rejection.
//
// The exact check is one descent of the covering identity index per full reading; the
// partial checks rank in memory (search_partial's index for a partial reading, an index
// of the partial readings alone for a full one), so none of them scans the readings table.

#include "evidence/store_state.hpp"

#include <fmt/core.h>

#include <cmath>
#include <map>
#include <set>

namespace microstamp {

namespace {

// At most this many partial leads per reading, the best first: a partial reading that
// fits hundreds of stored serials says little about any one of them.
constexpr std::size_t partial_leads_per_reading = 20;

constexpr std::string_view lead_select =
    "SELECT l.id, l.reading_id, l.exhibit_id, c1.agency_ori, c1.case_number, e1.item_number, l.other_exhibit_id, "
    "c2.agency_ori, c2.case_number, e2.item_number, l.kind, l.manufacturer_code, l.model_code, l.serial, "
    "l.partial_serial, l.log10_likelihood_ratio, l.found_at, l.status, l.decided_at, l.decided_by, l.resolution, "
    "l.link_id, l.other_reading_id, l.location FROM leads l JOIN exhibits e1 ON e1.id = l.exhibit_id JOIN cases c1 ON c1.id = e1.case_id "
    "JOIN exhibits e2 ON e2.id = l.other_exhibit_id JOIN cases c2 ON c2.id = e2.case_id ";

LeadRecord lead_from_row(const Row& row) {
    LeadRecord lead;
    lead.id = as_integer(row[0]);
    lead.reading_id = as_integer(row[1]);
    lead.found_for = {as_integer(row[2]), as_text(row[3]), as_text(row[4]), as_text(row[5])};
    lead.other = {as_integer(row[6]), as_text(row[7]), as_text(row[8]), as_text(row[9])};
    lead.kind = as_text(row[10]);
    lead.manufacturer_code = static_cast<std::uint16_t>(as_integer(row[11]));
    lead.model_code = static_cast<std::uint16_t>(as_integer(row[12]));
    lead.serial = as_text(row[13]);
    lead.partial_serial = as_text(row[14]);
    if (!is_null(row[15])) lead.log10_likelihood_ratio = as_real(row[15]);
    lead.found_at = as_text(row[16]);
    lead.status = as_text(row[17]);
    lead.decided_at = as_text(row[18]);
    lead.decided_by = as_text(row[19]);
    lead.resolution = as_text(row[20]);
    if (!is_null(row[21])) lead.link_id = as_integer(row[21]);
    lead.other_reading_id = as_integer(row[22]);
    lead.location = as_text(row[23]);
    return lead;
}

std::string side_label(const LeadSide& side) {
    return "case " + case_label(side.agency_ori, side.case_number) + " item " + side.item_number;
}

std::string lead_object(const LeadRecord& lead) { return fmt::format("lead {}", lead.id); }

std::string lead_detail(const LeadRecord& lead) {
    std::string detail = fmt::format("{} lead: {} ~ {}, identity {}/{}/{}", lead.kind, side_label(lead.found_for),
                                     side_label(lead.other), lead.manufacturer_code, lead.model_code, lead.serial);
    if (!lead.partial_serial.empty()) detail += ", partial reading " + lead.partial_serial;
    if (!lead.location.empty()) detail += ", named by the " + lead.location + " location of a casing whose locations disagree";
    if (lead.log10_likelihood_ratio) detail += fmt::format(", log10 likelihood ratio {:.2f}", *lead.log10_likelihood_ratio);
    return detail;
}

// The items a lead already stands with (either way round) unless a full reading settled
// it: the same pair is not raised twice.
std::set<std::int64_t> standing_partners(Transaction& transaction, std::int64_t exhibit_id) {
    std::set<std::int64_t> partners;
    for (const Row& row : transaction.query("SELECT exhibit_id, other_exhibit_id FROM leads WHERE (exhibit_id = $1 OR "
                                            "other_exhibit_id = $1) AND status <> 'resolved'",
                                            {exhibit_id}))
        partners.insert(as_integer(row[0]) == exhibit_id ? as_integer(row[1]) : as_integer(row[0]));
    return partners;
}

// Agency, case and item of each of a few items, in one query.
std::map<std::int64_t, LeadSide> lead_sides(Transaction& transaction, const std::set<std::int64_t>& exhibit_ids) {
    std::map<std::int64_t, LeadSide> sides;
    if (exhibit_ids.empty()) return sides;
    std::string sql = "SELECT e.id, c.agency_ori, c.case_number, e.item_number FROM exhibits e JOIN cases c ON "
                      "c.id = e.case_id WHERE e.id IN (";
    Parameters parameters;
    for (const std::int64_t id : exhibit_ids) {
        parameters.emplace_back(id);
        sql += fmt::format("{}${}", parameters.size() == 1 ? "" : ", ", parameters.size());
    }
    for (const Row& row : transaction.query(sql + ")", parameters))
        sides[as_integer(row[0])] = {as_integer(row[0]), as_text(row[1]), as_text(row[2]), as_text(row[3])};
    return sides;
}

struct NewLead {
    std::int64_t other_exhibit_id = 0, other_reading_id = 0;
    std::string kind;
    std::optional<std::int64_t> partial_exhibit_id;
    std::uint16_t manufacturer_code = 0, model_code = 0;
    std::string serial, partial_serial;
    std::optional<double> log10_likelihood_ratio;
    std::string location = {};
};

// The leads as listed later, without reading them back (every field is known here), in
// one multi-row insert: one round trip however many leads a reading raises. Each names
// another item once, so the item says which id came back for which lead.
std::vector<LeadRecord> insert_leads(Transaction& transaction, const ReadingRecord& reading,
                                     const std::vector<NewLead>& found, const std::string& at,
                                     const std::map<std::int64_t, LeadSide>& sides) {
    std::string sql = "INSERT INTO leads (reading_id, exhibit_id, other_exhibit_id, other_reading_id, kind, "
                      "partial_exhibit_id, manufacturer_code, model_code, serial, partial_serial, "
                      "log10_likelihood_ratio, found_at, status, decided_at, decided_by, resolution, location) VALUES ";
    Parameters parameters{reading.id, reading.exhibit_id, at};
    for (const NewLead& lead : found) {
        const std::size_t p = parameters.size();
        sql += fmt::format("{}($1, $2, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, $3, 'open', '', '', '', ${})",
                           p == 3 ? "" : ", ", p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7, p + 8, p + 9, p + 10);
        parameters.insert(parameters.end(),
                          {lead.other_exhibit_id, lead.other_reading_id, lead.kind,
                           lead.partial_exhibit_id ? Value(*lead.partial_exhibit_id) : Value(std::monostate{}),
                           std::int64_t{lead.manufacturer_code}, std::int64_t{lead.model_code}, lead.serial,
                           lead.partial_serial,
                           lead.log10_likelihood_ratio ? Value(*lead.log10_likelihood_ratio) : Value(std::monostate{}),
                           lead.location});
    }
    std::map<std::int64_t, std::int64_t> id_of_other;
    for (const Row& row : transaction.query(sql + " RETURNING id, other_exhibit_id", parameters))
        id_of_other[as_integer(row[1])] = as_integer(row[0]);
    std::vector<LeadRecord> records;
    for (const NewLead& lead : found) {
        LeadRecord record;
        record.id = id_of_other.at(lead.other_exhibit_id);
        record.reading_id = reading.id;
        record.found_for = sides.at(reading.exhibit_id);
        record.other = sides.at(lead.other_exhibit_id);
        record.other_reading_id = lead.other_reading_id;
        record.kind = lead.kind;
        record.manufacturer_code = lead.manufacturer_code;
        record.model_code = lead.model_code;
        record.serial = lead.serial;
        record.partial_serial = lead.partial_serial;
        record.log10_likelihood_ratio = lead.log10_likelihood_ratio;
        record.found_at = at;
        record.status = "open";
        record.location = lead.location;
        records.push_back(std::move(record));
    }
    return records;
}

bool has_identity(const ReadingRecord& reading) {
    return reading.manufacturer_code && reading.model_code && reading.serial && !reading.serial->empty();
}

} // namespace

void Store::State::refresh_partial_index(Transaction& transaction, std::int64_t through) {
    // Up to `through` only (the reading being checked: every reading below it is
    // committed or in this transaction), so none is added twice.
    for (const Row& row : transaction.query("SELECT exhibit_id, manufacturer_code, model_code, serial, id FROM readings "
                                            "WHERE id > $1 AND id <= $2 AND status = 'partial' AND serial IS NOT NULL "
                                            "AND manufacturer_code IS NOT NULL AND model_code IS NOT NULL ORDER BY id",
                                            {partial_index_through, through}))
        partial_index.add(as_integer(row[0]), static_cast<std::uint16_t>(as_integer(row[1])),
                          static_cast<std::uint16_t>(as_integer(row[2])), as_text(row[3]), as_integer(row[4]));
    partial_index_through = std::max(partial_index_through, through);
}

LeadRecord Store::State::lead_by_id(Transaction& transaction, std::int64_t id) const {
    const Rows rows = transaction.query(std::string(lead_select) + "WHERE l.id = $1", {id});
    if (rows.empty()) throw InputError(fmt::format("no lead {} in the store", id));
    return lead_from_row(rows[0]);
}

LeadRecord Store::State::open_lead(Transaction& transaction, const Session& session, std::int64_t id,
                                   const std::string& note_text) const {
    require_optional_text("lead note", note_text);
    LeadRecord lead = lead_by_id(transaction, id);
    require_agency(session, lead.found_for.agency_ori);
    require_agency(session, lead.other.agency_ori);
    if (lead.status != "open") throw InputError(fmt::format("lead {} is {}, not open", id, lead.status));
    return lead;
}

std::vector<LeadRecord> Store::State::raise_leads(Transaction& transaction, const ReadingRecord& reading,
                                                  const std::string& user, AuditNote& note) {
    if (!options.leads_on_arrival) return {};
    const bool disagreeing = reading.status == "locations_disagree";
    if (!has_identity(reading) && !(reading.status == "partial" && reading.serial) && !disagreeing) return {};
    const std::string at = now();
    std::vector<NewLead> found;
    std::set<std::int64_t> named;  // items already given a lead by this reading
    // Read once, after this reading's partial leads are settled below.
    std::optional<std::set<std::int64_t>> standing;
    const auto stands = [&](std::int64_t other) {
        if (!standing) standing = standing_partners(transaction, reading.exhibit_id);
        return standing->contains(other);
    };
    // Partial leads from an index's ranking: the partial side is this reading's item when
    // the reading is the partial one, else the ranked item's.
    const auto add_partial = [&](const SerialIndex& index, bool this_is_partial) {
        for (const auto& ranked : index.rank(*reading.serial, PartialMatchModel{}, partial_leads_per_reading + 1,
                                             reading.manufacturer_code, reading.model_code)) {
            if (ranked.exhibit_id == reading.exhibit_id || stands(ranked.exhibit_id) ||
                !named.insert(ranked.exhibit_id).second)
                continue;
            const std::string& full = this_is_partial ? ranked.serial : *reading.serial;
            const std::string& partial = this_is_partial ? *reading.serial : ranked.serial;
            found.push_back({ranked.exhibit_id, ranked.reading_id, "partial",
                             this_is_partial ? reading.exhibit_id : ranked.exhibit_id, ranked.manufacturer_code,
                             ranked.model_code, full, partial, ranked.score.log10_likelihood_ratio});
        }
    };
    // Every other item that names an identity, each once: its decoded readings, and the
    // locations of swapped-pin casings. `through` is this reading's location that named it
    // (a swapped-pin casing's), else empty.
    const auto add_named = [&](std::uint16_t manufacturer_code, std::uint16_t model_code, const std::string& serial,
                               const std::string& through) {
        const Parameters identity{std::int64_t{manufacturer_code}, std::int64_t{model_code}, serial, reading.exhibit_id,
                                  reading.id};
        for (const Row& row : transaction.query(
                 "SELECT id, exhibit_id FROM readings WHERE manufacturer_code = $1 AND model_code = $2 AND serial = $3 "
                 "AND status = 'decoded' AND exhibit_id <> $4 AND id < $5 ORDER BY id",
                 identity)) {
            const std::int64_t other = as_integer(row[1]);
            if (stands(other) || !named.insert(other).second) continue;
            found.push_back({other, as_integer(row[0]), through.empty() ? "exact" : "location", std::nullopt,
                             manufacturer_code, model_code, serial, "", std::nullopt, through});
        }
        for (const Row& row : transaction.query(
                 "SELECT reading_id, exhibit_id, location FROM location_identities WHERE manufacturer_code = $1 AND "
                 "model_code = $2 AND serial = $3 AND exhibit_id <> $4 AND reading_id < $5 ORDER BY reading_id",
                 identity)) {
            const std::int64_t other = as_integer(row[1]);
            if (stands(other) || !named.insert(other).second) continue;
            found.push_back({other, as_integer(row[0]), "location", std::nullopt, manufacturer_code, model_code, serial,
                             "", std::nullopt, through.empty() ? as_text(row[2]) : through});
        }
    };
    if (disagreeing) {
        for (const Row& row : transaction.query("SELECT location, manufacturer_code, model_code, serial FROM "
                                                "location_identities WHERE reading_id = $1 ORDER BY location",
                                                {reading.id}))
            add_named(static_cast<std::uint16_t>(as_integer(row[1])), static_cast<std::uint16_t>(as_integer(row[2])),
                      as_text(row[3]), as_text(row[0]));
    } else if (reading.status == "decoded" && has_identity(reading)) {
        // This item's open partial leads are settled first (its serial is now read in full),
        // so that the exact lead that replaces an agreeing one is raised below.
        for (const Row& row : transaction.query("SELECT id, manufacturer_code, model_code, serial FROM leads WHERE "
                                                "partial_exhibit_id = $1 AND status = 'open' ORDER BY id",
                                                {reading.exhibit_id})) {
            const auto score = score_serial(as_text(row[3]), *reading.serial, PartialMatchModel{});
            const bool agrees = as_integer(row[1]) == *reading.manufacturer_code &&
                                as_integer(row[2]) == *reading.model_code && score && score->mismatched == 0;
            const std::string resolution =
                fmt::format("reading {} reads the item in full as {}/{}/{}: {}", reading.id, *reading.manufacturer_code,
                            *reading.model_code, *reading.serial, agrees ? "it agrees" : "ruled out");
            transaction.query("UPDATE leads SET status = 'resolved', decided_at = $1, decided_by = $2, resolution = $3 "
                              "WHERE id = $4",
                              {at, user, resolution, as_integer(row[0])});
            note.also.push_back({"lead.resolve", fmt::format("lead {}", as_integer(row[0])), resolution});
        }
        add_named(*reading.manufacturer_code, *reading.model_code, *reading.serial, "");
        // Items read only in part whose serials this full reading fits.
        refresh_partial_index(transaction, reading.id);
        add_partial(partial_index, false);
    } else if (reading.status == "partial") {
        // As search_partial ranks: every stored serial this partial reading fits, best first.
        refresh_serial_index(transaction);
        add_partial(serial_index, true);
    }
    std::vector<LeadRecord> leads;
    if (found.empty()) return leads;
    named.insert(reading.exhibit_id);
    const std::map<std::int64_t, LeadSide> sides = lead_sides(transaction, named);
    leads = insert_leads(transaction, reading, found, at, sides);
    for (const LeadRecord& lead : leads) note.also.push_back({"lead.found", lead_object(lead), lead_detail(lead)});
    return leads;
}

std::vector<LeadRecord> Store::list_leads(const Session& session, const LeadQuery& query) {
    return state_->perform(
        session, Permission::read_evidence, "lead.list",
        session.agency().empty() ? "leads of every agency" : "leads of " + session.agency(),
        [&](Transaction& transaction, AuditNote& note) {
            if (query.limit < 1 || query.limit > 10000) throw InputError("a lead listing holds 1 to 10000 leads");
            if (!query.status.empty() && query.status != "open" && query.status != "confirmed" &&
                query.status != "rejected" && query.status != "resolved")
                throw InputError("lead status '" + query.status + "' must be open, confirmed, rejected or resolved");
            if (!query.since.empty()) require_iso_time("--since", query.since);
            std::string sql = std::string(lead_select) + "WHERE 1 = 1";
            Parameters parameters;
            const auto next = [&] { return fmt::format("${}", parameters.size()); };
            if (!session.agency().empty()) {
                parameters.emplace_back(session.agency());
                sql += " AND (c1.agency_ori = " + next() + " OR c2.agency_ori = " + next() + ")";
            }
            if (query.case_key) {
                const CaseRecord case_record = state_->find_case(transaction, session, *query.case_key);
                parameters.emplace_back(case_record.id);
                sql += " AND (e1.case_id = " + next() + " OR e2.case_id = " + next() + ")";
                note.object = "leads of case " + case_label(case_record.agency_ori, case_record.case_number);
            }
            if (!query.since.empty()) {
                parameters.emplace_back(query.since);
                sql += " AND l.found_at >= " + next();
            }
            if (!query.status.empty()) {
                parameters.emplace_back(query.status);
                sql += " AND l.status = " + next();
            }
            parameters.emplace_back(static_cast<std::int64_t>(query.limit));
            sql += " ORDER BY l.id LIMIT " + next();
            std::vector<LeadRecord> leads;
            for (const Row& row : transaction.query(sql, parameters)) leads.push_back(lead_from_row(row));
            note.detail = fmt::format("{} leads", leads.size());
            return leads;
        });
}

LeadRecord Store::confirm_lead(const Session& session, std::int64_t lead_id, const std::string& note_text) {
    return state_->perform(
        session, Permission::handle_evidence, "lead.confirm", fmt::format("lead {}", lead_id),
        [&](Transaction& transaction, AuditNote& note) {
            const LeadRecord lead = state_->open_lead(transaction, session, lead_id, note_text);
            const bool exact = lead.kind != "partial";  // exact, or through a location: one identity
            std::optional<double> ratio;
            if (!exact && lead.log10_likelihood_ratio) ratio = std::pow(10.0, *lead.log10_likelihood_ratio);
            const std::string link_note =
                note_text.empty() ? fmt::format("confirmed lead {}", lead_id) : note_text;
            const LinkRecord link =
                state_->insert_link(transaction, lead.found_for.exhibit_id, lead.other.exhibit_id,
                                    exact ? "identical_identity" : "likelihood_ratio", ratio, link_note, session.user());
            transaction.query("UPDATE leads SET status = 'confirmed', decided_at = $1, decided_by = $2, resolution = $3, "
                              "link_id = $4 WHERE id = $5",
                              {link.created_at, session.user(), link_note, link.id, lead_id});
            note.detail = lead_detail(lead) + fmt::format("; link {}", link.id);
            note.also.push_back({"link.add", side_label(lead.found_for) + " ~ " + side_label(lead.other),
                                 fmt::format("link {} from lead {}", link.id, lead_id)});
            return state_->lead_by_id(transaction, lead_id);
        });
}

LeadRecord Store::reject_lead(const Session& session, std::int64_t lead_id, const std::string& note_text) {
    return state_->perform(
        session, Permission::handle_evidence, "lead.reject", fmt::format("lead {}", lead_id),
        [&](Transaction& transaction, AuditNote& note) {
            const LeadRecord lead = state_->open_lead(transaction, session, lead_id, note_text);
            transaction.query("UPDATE leads SET status = 'rejected', decided_at = $1, decided_by = $2, resolution = $3 "
                              "WHERE id = $4",
                              {state_->now(), session.user(), note_text.empty() ? "rejected" : note_text, lead_id});
            note.detail = lead_detail(lead);
            return state_->lead_by_id(transaction, lead_id);
        });
}

} // namespace microstamp
