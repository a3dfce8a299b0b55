// Cases and exhibits: opening, adding, custody, bulk import, listing and showing.

#include "evidence/store_state.hpp"

#include <fmt/core.h>

#include <limits>
#include <map>
#include <set>

namespace microstamp {

CaseRecord Store::open_case(const Session& session, const NewCase& new_case) {
    const std::string label = case_label(new_case.agency_ori, new_case.case_number);
    return state_->perform(session, Permission::handle_evidence, "case.open", "case " + label,
                           [&](Transaction& transaction, AuditNote& note) {
                               require_ori(new_case.agency_ori);
                               State::require_agency(session, new_case.agency_ori);
                               require_text("case number", new_case.case_number, 32);
                               require_offense_code(new_case.offense_code);
                               if (!transaction.query("SELECT 1 FROM cases WHERE agency_ori = $1 AND case_number = $2",
                                                      {new_case.agency_ori, new_case.case_number})
                                        .empty())
                                   throw InputError("case " + label + " is already open");
                               const std::string at = state_->now();
                               const Rows rows = transaction.query(
                                   "INSERT INTO cases (agency_ori, case_number, offense_code, opened_at, opened_by) "
                                   "VALUES ($1, $2, $3, $4, $5) RETURNING id",
                                   {new_case.agency_ori, new_case.case_number, new_case.offense_code, at, session.user()});
                               note.detail = "NCIC offense " + new_case.offense_code;
                               return CaseRecord{as_integer(rows[0][0]), new_case.agency_ori, new_case.case_number,
                                                 new_case.offense_code, at, session.user()};
                           });
}

ExhibitRecord Store::add_exhibit(const Session& session, const NewExhibit& exhibit, const std::vector<AcquiredScan>& scans,
                                 const std::vector<NewReading>& readings) {
    const std::string object = "case " + exhibit.case_key.case_number + " item " + exhibit.item_number;
    return state_->perform(
        session, Permission::handle_evidence, "exhibit.add", object, [&](Transaction& transaction, AuditNote& note) {
            require_text("item number", exhibit.item_number, 32);
            require_iso_time("collection time", exhibit.collected_at);
            require_text("collection place", exhibit.collected_place);
            require_optional_text("description", exhibit.description);
            std::set<std::string> scan_hashes;
            for (const auto& scan : scans) scan_hashes.insert(scan.sha256);
            for (const auto& reading : readings)
                if (!reading.scan_sha256.empty() && !scan_hashes.contains(reading.scan_sha256))
                    throw InputError("a reading names scan " + reading.scan_sha256 + ", which is not among the item's scans");
            const CaseRecord case_record = state_->find_case(transaction, session, exhibit.case_key);
            const std::string label = case_label(case_record.agency_ori, case_record.case_number);
            note.object = "case " + label + " item " + exhibit.item_number;
            const std::string at = state_->now();
            // The unique (case, item) constraint is the duplicate check: one round trip
            // fewer than asking first. Nothing else on this insert can conflict.
            Rows rows;
            try {
                rows = transaction.query(
                    "INSERT INTO exhibits (case_id, item_number, collected_at, collected_place, description, "
                    "created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    {case_record.id, exhibit.item_number, exhibit.collected_at, exhibit.collected_place,
                     exhibit.description, at, session.user()});
            } catch (const ConflictError&) {
                throw InputError("case " + label + " already has item " + exhibit.item_number +
                                 ": item numbers are unique within a case");
            }
            const std::int64_t id = as_integer(rows[0][0]);
            for (const auto& scan : scans) {
                // Identical bytes are one scan, however many items they were filed under.
                transaction.query("INSERT INTO scans (sha256, format, summary, size_bytes, content, acquired_at, "
                                  "acquired_by) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sha256) DO NOTHING",
                                  {scan.sha256, scan.format, scan.summary, static_cast<std::int64_t>(scan.bytes.size()),
                                   BytesView(scan.bytes), at, session.user()});
                transaction.query("INSERT INTO exhibit_scans (exhibit_id, scan_sha256, file_name) VALUES ($1, $2, $3) "
                                  "ON CONFLICT DO NOTHING",
                                  {id, scan.sha256, scan.file_name});
            }
            std::vector<LeadRecord> leads;
            for (const auto& reading : readings) {
                const ReadingRecord record = state_->insert_reading(transaction, id, reading, session.user());
                for (LeadRecord& lead : state_->raise_leads(transaction, record, session.user(), note))
                    leads.push_back(std::move(lead));
            }
            std::string hashes;
            for (const auto& scan : scans) hashes += (hashes.empty() ? "" : ",") + scan.sha256;
            note.detail = fmt::format("{} scan(s) [{}], {} reading(s)", scans.size(), hashes, readings.size());
            return ExhibitRecord{id,  case_record.id, case_record.case_number, case_record.agency_ori,
                                 exhibit.item_number, exhibit.collected_at, exhibit.collected_place,
                                 exhibit.description, at, session.user(), std::move(leads)};
        });
}

CustodyEvent Store::record_custody(const Session& session, const ExhibitKey& key, const NewCustodyEvent& event) {
    return state_->perform(session, Permission::handle_evidence, "custody.record",
                           "case " + key.case_key.case_number + " item " + key.item_number,
                           [&](Transaction& transaction, AuditNote& note) {
                               require_text("custody 'from'", event.from);
                               require_text("custody 'to'", event.to);
                               require_iso_time("custody time", event.happened_at);
                               require_text("custody purpose", event.purpose);
                               const ExhibitRecord exhibit = state_->find_exhibit(transaction, session, key);
                               const std::string at = state_->now();
                               const Rows rows = transaction.query(
                                   "INSERT INTO custody_events (exhibit_id, from_party, to_party, happened_at, purpose, "
                                   "recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                                   {exhibit.id, event.from, event.to, event.happened_at, event.purpose, at, session.user()});
                               note.detail = event.from + " -> " + event.to + " (" + event.purpose + ")";
                               return CustodyEvent{as_integer(rows[0][0]), exhibit.id, event.from, event.to,
                                                   event.happened_at, event.purpose, at, session.user()};
                           });
}

void Store::bulk_import(const Session& session, const CaseKey& case_key, std::span<const BulkExhibit> exhibits) {
    // Multi-row INSERTs: one round trip per batch instead of per row (PostgreSQL) and
    // far fewer statement steps (SQLite). 500 rows x 7 values stays under both limits.
    constexpr std::size_t batch = 500;
    state_->perform(
        session, Permission::handle_evidence, "exhibit.bulk_import", "case " + case_key.case_number,
        [&](Transaction& transaction, AuditNote& note) {
            const CaseRecord case_record = state_->find_case(transaction, session, case_key);
            const std::string at = state_->now();
            std::size_t reading_count = 0, lead_count = 0;
            for (std::size_t start = 0; start < exhibits.size(); start += batch) {
                const std::size_t end = std::min(exhibits.size(), start + batch);
                std::string sql = "INSERT INTO exhibits (case_id, item_number, collected_at, collected_place, "
                                  "description, created_at, created_by) VALUES ";
                Parameters parameters;
                parameters.reserve((end - start) * 6 + 3);
                parameters.insert(parameters.end(), {case_record.id, at, session.user()});
                for (std::size_t i = start; i < end; ++i) {
                    const BulkExhibit& exhibit = exhibits[i];
                    require_text("item number", exhibit.item_number, 32);
                    const std::size_t p = parameters.size();
                    sql += fmt::format("{}($1, ${}, ${}, ${}, '', $2, $3)", i == start ? "" : ", ", p + 1, p + 2, p + 3);
                    parameters.insert(parameters.end(), {exhibit.item_number, exhibit.collected_at, exhibit.collected_place});
                }
                sql += " RETURNING id, item_number";
                std::map<std::string, std::int64_t> ids;
                for (const Row& row : transaction.query(sql, parameters)) ids[as_text(row[1])] = as_integer(row[0]);
                std::string readings_sql = "INSERT INTO readings (exhibit_id, reader_version, reading_json, status, "
                                           "manufacturer_code, model_code, serial, recorded_at, recorded_by) VALUES ";
                Parameters reading_parameters{at, session.user()};
                bool any = false;
                for (std::size_t i = start; i < end; ++i) {
                    if (!exhibits[i].reading) continue;
                    const NewReading& reading = *exhibits[i].reading;
                    const std::size_t p = reading_parameters.size();
                    readings_sql += fmt::format("{}(${}, ${}, ${}, ${}, ${}, ${}, ${}, $1, $2)", any ? ", " : "", p + 1,
                                                p + 2, p + 3, p + 4, p + 5, p + 6, p + 7);
                    reading_parameters.insert(reading_parameters.end(),
                                              {ids.at(exhibits[i].item_number), reading.reader_version, reading.json,
                                               reading.status, optional_integer(reading.manufacturer_code),
                                               optional_integer(reading.model_code), optional_text(reading.serial)});
                    any = true;
                    ++reading_count;
                }
                if (!any) continue;
                // One reading per item here, so the item says which reading came back.
                std::map<std::int64_t, std::size_t> reading_of_exhibit;
                for (std::size_t i = start; i < end; ++i)
                    if (exhibits[i].reading) reading_of_exhibit[ids.at(exhibits[i].item_number)] = i;
                for (const Row& row : transaction.query(readings_sql + " RETURNING id, exhibit_id", reading_parameters)) {
                    const NewReading& reading = *exhibits[reading_of_exhibit.at(as_integer(row[1]))].reading;
                    state_->insert_location_identities(transaction, as_integer(row[0]), as_integer(row[1]), reading);
                    ReadingRecord record;
                    record.id = as_integer(row[0]);
                    record.exhibit_id = as_integer(row[1]);
                    record.status = reading.status;
                    record.manufacturer_code = reading.manufacturer_code;
                    record.model_code = reading.model_code;
                    record.serial = reading.serial;
                    lead_count += state_->raise_leads(transaction, record, session.user(), note).size();
                }
            }
            note.detail = fmt::format("{} exhibits, {} readings, {} leads", exhibits.size(), reading_count, lead_count);
            return 0;
        });
}

std::vector<CaseSummary> Store::list_cases(const Session& session, const CaseListQuery& query) {
    const std::string agency = query.agency_ori.empty() ? session.agency() : query.agency_ori;
    return state_->perform(
        session, Permission::read_evidence, "case.list", agency.empty() ? "cases of every agency" : "cases of " + agency,
        [&](Transaction& transaction, AuditNote& note) {
            State::require_agency(session, agency);
            if (query.limit < 1 || query.limit > 1000) throw InputError("a case listing holds 1 to 1000 cases");
            const std::int64_t before = query.before.value_or(std::numeric_limits<std::int64_t>::max());
            const auto limit = static_cast<std::int64_t>(query.limit);
            const std::string select = "SELECT " + std::string(case_columns) +
                                       ", (SELECT count(*) FROM exhibits e WHERE e.case_id = c.id) FROM cases c ";
            const Rows rows =
                agency.empty()
                    ? transaction.query(select + "WHERE c.id < $1 ORDER BY c.id DESC LIMIT $2", {before, limit})
                    : transaction.query(select + "WHERE c.agency_ori = $1 AND c.id < $2 ORDER BY c.id DESC LIMIT $3",
                                        {agency, before, limit});
            std::vector<CaseSummary> cases;
            cases.reserve(rows.size());
            for (const Row& row : rows) cases.push_back({case_from_row(row), as_integer(row[6])});
            note.detail = fmt::format("{} cases", cases.size());
            return cases;
        });
}

CaseDetail Store::show_case(const Session& session, const CaseKey& case_key) {
    return state_->perform(session, Permission::read_evidence, "case.show", "case " + case_key.case_number,
                           [&](Transaction& transaction, AuditNote& note) {
                               CaseDetail detail{state_->find_case(transaction, session, case_key), {}};
                               note.object = "case " + case_label(detail.case_record.agency_ori,
                                                                  detail.case_record.case_number);
                               for (const Row& row : transaction.query(
                                        "SELECT " + std::string(exhibit_columns) +
                                            " FROM exhibits e JOIN cases c ON c.id = e.case_id WHERE e.case_id = $1 "
                                            "ORDER BY e.id",
                                        {detail.case_record.id}))
                                   detail.exhibits.push_back(state_->exhibit_detail(transaction, exhibit_from_row(row)));
                               note.detail = fmt::format("{} items", detail.exhibits.size());
                               return detail;
                           });
}

ExhibitDetail Store::show_exhibit(const Session& session, const ExhibitKey& key) {
    return state_->perform(session, Permission::read_evidence, "exhibit.show",
                           "case " + key.case_key.case_number + " item " + key.item_number,
                           [&](Transaction& transaction, AuditNote&) {
                               return state_->exhibit_detail(transaction, state_->find_exhibit(transaction, session, key));
                           });
}


} // namespace microstamp
