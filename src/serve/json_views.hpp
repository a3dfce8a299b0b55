#pragma once
// The store's records as the API's JSON: field names are the C++ member names, so the
// OpenAPI schemas, the structs and the wire agree by construction.

#include "evidence/store.hpp"

#include <nlohmann/json.hpp>

#include <optional>

namespace nlohmann {
// Absent values travel as null (nlohmann 3.11 has no std::optional support of its own).
template <typename T>
struct adl_serializer<std::optional<T>> {
    static void to_json(json& out, const std::optional<T>& value) {
        if (value) out = *value;
        else out = nullptr;
    }
    static void from_json(const json& in, std::optional<T>& value) {
        if (in.is_null()) value.reset();
        else value = in.get<T>();
    }
};
} // namespace nlohmann

namespace microstamp {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CaseRecord, id, agency_ori, case_number, offense_code, opened_at, opened_by)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(LeadSide, exhibit_id, agency_ori, case_number, item_number)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(LeadRecord, id, reading_id, found_for, other, other_reading_id, kind, manufacturer_code, model_code,
                                   serial, partial_serial, log10_likelihood_ratio, found_at, status, decided_at,
                                   decided_by, resolution, link_id, location)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ExhibitRecord, id, case_id, case_number, agency_ori, item_number, collected_at,
                                   collected_place, description, created_at, created_by, leads)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CustodyEvent, id, exhibit_id, from, to, happened_at, purpose, recorded_at,
                                   recorded_by)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ScanRecord, sha256, format, file_name, summary, acquired_at, acquired_by,
                                   size_bytes)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(LinkRecord, id, exhibit_a, exhibit_b, basis, likelihood_ratio, note, created_at,
                                   created_by)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(IdentityMatch, exhibit, reading_id, status)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SerialScore, log10_likelihood_ratio, matched, mismatched)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Candidate, exhibit, serial, manufacturer_code, model_code, score)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TraceRequest, id, priority, offense_code, agency_ori, officer, case_number,
                                   item_number, serial, obliterated, manufacturer, firearm_type, caliber, model,
                                   country_of_origin, importer, created_at, created_by)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AuditVerification, intact, records, checkpoints, first_bad_record, problem,
                                   root_hash)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AuditRecord, sequence, recorded_at, user, role, action, object, outcome, detail,
                                   previous_hash, entry_hash)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(InclusionProof, record, tree_size, root_hash, checkpoint_signature, path)

// A reading carries the reader's own JSON as an object ("reading"), not as a string.
nlohmann::json reading_json(const ReadingRecord& reading);
nlohmann::json exhibit_detail_json(const ExhibitDetail& detail);
nlohmann::json case_detail_json(const CaseDetail& detail);
// A case as a listing shows it: the case's fields and "items", how many it holds.
nlohmann::json case_summary_json(const CaseSummary& summary);

} // namespace microstamp
