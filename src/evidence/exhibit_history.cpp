#include "evidence/exhibit_history.hpp"

#include "evidence/database.hpp"
#include "evidence/store_url.hpp"

#include <algorithm>

namespace microstamp {
namespace {

using database::as_integer;
using database::as_text;

std::unique_ptr<database::Database> open_database(const std::string& store_url) {
    const StoreLocation location = parse_store_url(store_url);
    if (location.backend == database::Backend::sqlite) return database::open_sqlite(location.target, false);
    return database::open_postgresql(location.target, location.display);
}

AuditRecord audit_record(const database::Row& row) {
    return {as_integer(row[0]), as_text(row[1]), as_text(row[2]), as_text(row[3]), as_text(row[4]),
            as_text(row[5]),    as_text(row[6]), as_text(row[7]), as_text(row[8]), as_text(row[9])};
}

constexpr std::string_view audit_columns =
    "sequence, recorded_at, user_name, role, action, object, outcome, detail, previous_hash, entry_hash";

// An object names the exhibit when it is the exhibit's name, or one end of a link
// ("case A item 1 ~ case B item 2"). The store names a case with its agency when the
// caller gave one, so both spellings count.
bool names_exhibit(std::string_view object, const ExhibitRecord& exhibit) {
    const std::string with_agency = exhibit_audit_object(exhibit);
    const std::string without_agency = "case " + exhibit.case_number + " item " + exhibit.item_number;
    for (const std::string& name : {with_agency, without_agency}) {
        if (object == name) return true;
        if (object.starts_with(name + " ~ ")) return true;
        if (object.ends_with(" ~ " + name)) return true;
    }
    return false;
}

TraceRequest trace_request(const database::Row& row) {
    TraceRequest request;
    request.id = as_integer(row[0]);
    request.priority = as_text(row[1]);
    request.offense_code = as_text(row[2]);
    request.agency_ori = as_text(row[3]);
    request.officer = as_text(row[4]);
    request.case_number = as_text(row[5]);
    request.item_number = as_text(row[6]);
    request.serial = as_text(row[7]);
    request.obliterated = as_integer(row[8]) != 0;
    request.manufacturer = as_text(row[9]);
    request.firearm_type = as_text(row[10]);
    request.caliber = as_text(row[11]);
    request.model = as_text(row[12]);
    request.country_of_origin = as_text(row[13]);
    request.importer = as_text(row[14]);
    request.created_at = as_text(row[15]);
    request.created_by = as_text(row[16]);
    return request;
}

} // namespace

std::string exhibit_audit_object(const ExhibitRecord& exhibit) {
    return "case " + exhibit.agency_ori + "/" + exhibit.case_number + " item " + exhibit.item_number;
}

ExhibitHistory read_exhibit_history(const std::string& store_url, const ExhibitRecord& exhibit) {
    ExhibitHistory history;
    std::vector<AuditRecord> log;
    open_database(store_url)->transact(database::TransactionMode::read, [&](database::Transaction& transaction) {
        for (const auto& row : transaction.query(
                 "SELECT id, priority, offense_code, agency_ori, officer, case_number, item_number, serial, obliterated, "
                 "manufacturer, firearm_type, caliber, model, country_of_origin, importer, created_at, created_by "
                 "FROM trace_requests WHERE exhibit_id = $1 ORDER BY id",
                 {exhibit.id}))
            history.trace_requests.push_back(trace_request(row));
        const database::Rows checkpoints = transaction.query(
            "SELECT tree_size, root_hash, signed_at, signature FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1");
        if (!checkpoints.empty())
            history.checkpoint = Checkpoint{as_integer(checkpoints[0][0]), as_text(checkpoints[0][1]),
                                            as_text(checkpoints[0][2]), as_text(checkpoints[0][3])};
        for (const auto& row :
             transaction.query("SELECT " + std::string(audit_columns) + " FROM audit_log ORDER BY sequence"))
            log.push_back(audit_record(row));
    });
    for (const AuditRecord& record : log)
        if (names_exhibit(record.object, exhibit)) history.audit_records.push_back(record);
    if (!history.checkpoint) return history;

    const auto tree_size = static_cast<std::size_t>(std::min<std::int64_t>(history.checkpoint->tree_size,
                                                                           static_cast<std::int64_t>(log.size())));
    std::vector<Sha256> leaves;
    leaves.reserve(tree_size);
    for (std::size_t index = 0; index < tree_size; ++index) leaves.push_back(merkle_leaf_hash(audit_leaf_data(log[index])));
    for (const AuditRecord& record : history.audit_records) {
        if (record.sequence > history.checkpoint->tree_size) continue;
        InclusionProof proof{record, history.checkpoint->tree_size, history.checkpoint->root_hash,
                             history.checkpoint->signature, {}};
        for (const Sha256& hash : inclusion_path(leaves, static_cast<std::uint64_t>(record.sequence - 1)))
            proof.path.push_back(hex(hash));
        history.proofs.push_back(std::move(proof));
    }
    return history;
}

std::vector<AuditRecord> find_audit_records(const std::string& store_url, std::string_view action,
                                            std::string_view detail_part) {
    std::vector<AuditRecord> found;
    open_database(store_url)->transact(database::TransactionMode::read, [&](database::Transaction& transaction) {
        for (const auto& row : transaction.query("SELECT " + std::string(audit_columns) +
                                                     " FROM audit_log WHERE action = $1 AND outcome = 'success' "
                                                     "AND detail LIKE '%' || $2 || '%' ORDER BY sequence",
                                                 {std::string(action), std::string(detail_part)}))
            found.push_back(audit_record(row));
    });
    return found;
}

} // namespace microstamp
