#pragma once
// What a report needs beyond Store::show_exhibit: the trace requests issued for an
// exhibit, the audit records that name it with their inclusion proofs against the
// latest signed checkpoint, and the audit records of issued reports. Read through a
// connection of its own, read-only: these queries write nothing, audit nothing, and
// check no role. The caller shows the exhibit through the Store first (which checks
// the session's role and agency and audits the read) and audits what it does with them.

#include "evidence/audit.hpp"
#include "evidence/store.hpp"
#include "evidence/trace_request.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace microstamp {

struct ExhibitHistory {
    std::vector<TraceRequest> trace_requests;   // oldest first
    std::vector<AuditRecord> audit_records;     // every record naming the exhibit, by sequence
    std::optional<Checkpoint> checkpoint;       // the latest signed checkpoint, if any
    std::vector<InclusionProof> proofs;         // one per audit record the checkpoint covers
};

// The object an audit record names an exhibit by: "case WA0010000/24-118 item 3".
std::string exhibit_audit_object(const ExhibitRecord& exhibit);

// Reads every audit record to prove inclusion (the Merkle path needs every leaf of the
// checkpoint's tree): time and memory grow with the whole log, not the exhibit.
ExhibitHistory read_exhibit_history(const std::string& store_url, const ExhibitRecord& exhibit);

// Audit records of `action` with outcome "success" whose detail contains `detail_part`
// (a hex digest: no LIKE wildcards in it).
std::vector<AuditRecord> find_audit_records(const std::string& store_url, std::string_view action,
                                            std::string_view detail_part);

} // namespace microstamp
