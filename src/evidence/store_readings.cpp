// Scans and readings: a reading added to an item, a scan's bytes, ingest at the edge.

#include "evidence/store_state.hpp"

#include <fmt/core.h>

namespace microstamp {

ReadingRecord Store::add_reading(const Session& session, const ExhibitKey& key, const NewReading& reading) {
    return state_->perform(session, Permission::handle_evidence, "reading.add",
                           "case " + key.case_key.case_number + " item " + key.item_number,
                           [&](Transaction& transaction, AuditNote& note) {
                               const ExhibitRecord exhibit = state_->find_exhibit(transaction, session, key);
                               if (!reading.scan_sha256.empty() &&
                                   transaction.query("SELECT 1 FROM exhibit_scans WHERE exhibit_id = $1 AND scan_sha256 = $2",
                                                     {exhibit.id, reading.scan_sha256})
                                       .empty())
                                   throw InputError("item " + key.item_number + " has no scan " + reading.scan_sha256);
                               ReadingRecord record = state_->insert_reading(transaction, exhibit.id, reading, session.user());
                               record.leads = state_->raise_leads(transaction, record, session.user(), note);
                               note.detail = fmt::format("reading {} by reader {}: {}", record.id, reading.reader_version,
                                                         reading.status);
                               return record;
                           });
}

std::vector<std::uint8_t> Store::scan_bytes(const Session& session, const std::string& sha256_hex) {
    return state_->perform(session, Permission::read_evidence, "scan.read", "scan " + sha256_hex,
                           [&](Transaction& transaction, AuditNote&) {
                               const Rows rows = transaction.query("SELECT content FROM scans WHERE sha256 = $1", {sha256_hex});
                               if (rows.empty()) throw InputError("no scan " + sha256_hex + " in the store");
                               if (!session.agency().empty() &&
                                   transaction.query("SELECT 1 FROM exhibit_scans x JOIN exhibits e ON e.id = x.exhibit_id "
                                                     "JOIN cases c ON c.id = e.case_id WHERE x.scan_sha256 = $1 AND "
                                                     "c.agency_ori = $2",
                                                     {sha256_hex, session.agency()})
                                       .empty())
                                   throw AccessError("scan " + sha256_hex + " belongs to no case of agency " +
                                                     session.agency());
                               return database::as_bytes(rows[0][0]);
                           });
}

ExhibitRecord ingest_exhibit(Store& store, const Session& session, const NewExhibit& exhibit,
                             const std::vector<std::filesystem::path>& scan_files, const ScanReader& reader,
                             std::vector<NewReading> extra_readings) {
    std::vector<AcquiredScan> scans;
    for (const auto& file : scan_files) scans.push_back(acquire_scan(file));
    std::vector<NewReading> readings;
    if (reader)
        for (const auto& scan : scans)
            if (auto reading = reader(scan)) {
                reading->scan_sha256 = scan.sha256;
                readings.push_back(std::move(*reading));
            }
    for (auto& reading : extra_readings) {
        if (reading.scan_sha256.empty() && !scans.empty()) reading.scan_sha256 = scans.front().sha256;
        readings.push_back(std::move(reading));
    }
    return store.add_exhibit(session, exhibit, scans, readings);
}


} // namespace microstamp
