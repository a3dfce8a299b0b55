#pragma once
// The evidence store: cases, exhibits, custody, scans, readings, links, trace requests,
// users and the audit log, behind one interface over SQLite or PostgreSQL.
//
//   Store store = Store::open("sqlite:lab.db");
//   Session examiner = store.logon("avery", password);          // audited, CJIS lockout
//   CaseRecord c = store.open_case(examiner, {"WA0010000", "24-118", "5212"});
//   store.add_exhibit(examiner, {{"WA0010000", "24-118"}, "3", "2024-05-01T22:10Z", "5th & Pine"},
//                     {acquire_scan("casing3.x3p")}, {});
//
// Every call acts as the session's user; the role rules of access.hpp are checked here,
// and every call, allowed or refused, succeeded or failed, appends one audit record in
// the same transaction as its effect. Data are appended, never overwritten: readings,
// custody events, scans, links and the audit log have no update path (and triggers
// refuse UPDATE and DELETE on them).

#include "evidence/access.hpp"
#include "evidence/audit.hpp"
#include "evidence/database.hpp"
#include "evidence/partial_search.hpp"
#include "evidence/reading.hpp"
#include "evidence/scan.hpp"
#include "evidence/trace_request.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace microstamp {

struct StoreOptions {
    // Injected so tests can walk through lockouts; the store reads no other clock.
    std::function<std::chrono::system_clock::time_point()> clock = [] { return std::chrono::system_clock::now(); };
    // The Ed25519 key that signs audit checkpoints. When empty: $MICROSTAMP_SIGNING_KEY_FILE,
    // else, for SQLite, the file PATH.signing-key beside the store. PostgreSQL has no default.
    std::filesystem::path signing_key_file;
    PasswordCost password_cost = PasswordCost::interactive;
    // Sign a checkpoint automatically whenever the log reaches a multiple of this size
    // (and a key is at hand). Smaller: a tamperer can rewrite less unseen; larger: less work.
    std::int64_t checkpoint_interval = 64;
    // What a committed operation survives (database.hpp): by default a killed program,
    // not a power cut; `power_loss` flushes to disk at every commit (SQLite: 4-6 ms each
    // on the disk measured in docs/evidence.md, so a few hundred operations a second).
    database::Durability durability = database::Durability::process_crash;
    // Bearer sessions (open_session): CJIS 5.5.5 locks a session after 30 minutes without
    // use; the user logs on again. A session also ends this long after logon, however busy.
    std::chrono::milliseconds session_idle_limit = std::chrono::minutes(30);
    std::chrono::milliseconds session_lifetime = std::chrono::hours(12);
    // Check every reading recorded for leads (LeadRecord). Off only to measure what the
    // check costs, or for a migration whose leads are wanted from a later pass.
    bool leads_on_arrival = true;
};

// Proof of a logon, issued only by Store::logon.
class Session {
public:
    const std::string& user() const { return user_; }
    Role role() const { return role_; }
    // The agency ORI whose cases this user may see and handle; empty: every agency.
    const std::string& agency() const { return agency_; }

private:
    friend class Store;
    Session(std::string user, Role role, std::string agency, const void* store)
        : user_(std::move(user)), role_(role), agency_(std::move(agency)), store_(store) {}
    std::string user_;
    Role role_;
    std::string agency_;
    const void* store_;
};

struct CaseKey {
    std::string agency_ori;   // may be empty when the case number alone is unique
    std::string case_number;
};
struct ExhibitKey {
    CaseKey case_key;
    std::string item_number;
};

struct NewCase {
    std::string agency_ori;    // 9 characters, e.g. "WA0010000"
    std::string case_number;
    std::string offense_code;  // NCIC offense code, 4 digits, e.g. "5212"
};
struct CaseRecord {
    std::int64_t id = 0;
    std::string agency_ori, case_number, offense_code, opened_at, opened_by;
};

// A case as a listing shows it: the record and how many items it holds.
struct CaseSummary {
    CaseRecord case_record;
    std::int64_t items = 0;
};
struct CaseListQuery {
    std::string agency_ori = {};              // only this agency's cases; empty: every case the user may reach
    std::optional<std::int64_t> before = {};  // only cases with a smaller id: the next page after a listing's last case
    std::size_t limit = 100;                  // at most this many (1-1000), newest first
};

// A lead: when a reading arrives, the store looks for other items whose readings name
// the same firearm (kind "exact": the same decoded make, model and serial) or, for a
// partial reading, whose serials are compatible with it (kind "partial", ranked by
// likelihood ratio as search_partial ranks), in every agency. An examiner confirms a
// lead (it becomes a link) or rejects it; a later full reading of an item settles the
// partial leads raised for it (status "resolved"). Both items are named by agency,
// case and item; opening the other agency's case is still refused to a user of one agency.
struct LeadSide {
    std::int64_t exhibit_id = 0;
    std::string agency_ori, case_number, item_number;
};
struct LeadRecord {
    std::int64_t id = 0;
    std::int64_t reading_id = 0;  // the reading whose arrival raised the lead
    LeadSide found_for;           // the item that reading belongs to
    LeadSide other;               // the item whose reading matched
    std::int64_t other_reading_id = 0;  // that reading
    std::string kind;             // "exact", "partial", or "location" (through a swapped-pin casing's location)
    std::string location;         // a location lead: the location that named the identity ("firing_pin", "breech_face")
    std::uint16_t manufacturer_code = 0, model_code = 0;
    std::string serial;          // the identity the matching readings name (the full side's, for a partial lead)
    std::string partial_serial;  // a partial lead: the partial reading's serial, '?' where unread
    std::optional<double> log10_likelihood_ratio;  // a partial lead's ratio
    std::string found_at;
    std::string status;  // "open", "confirmed", "rejected" or "resolved"
    std::string decided_at, decided_by, resolution;
    std::optional<std::int64_t> link_id;  // the link a confirmation made
};
struct LeadQuery {
    std::optional<CaseKey> case_key = {};  // only leads touching this case
    std::string since = {};                // only leads found at or after this ISO 8601 time
    std::string status = {};               // only leads with this status; empty: all
    std::size_t limit = 1000;              // at most this many (1-10000), oldest first
};

struct NewExhibit {
    CaseKey case_key;
    std::string item_number;      // unique within the case
    std::string collected_at;     // ISO 8601 date or date-time
    std::string collected_place;
    std::string description;
};
struct ExhibitRecord {
    std::int64_t id = 0;
    std::int64_t case_id = 0;
    std::string case_number, agency_ori;
    std::string item_number, collected_at, collected_place, description, created_at, created_by;
    std::vector<LeadRecord> leads = {};  // add_exhibit's answer: the leads its readings raised
};

struct NewCustodyEvent {
    std::string from, to;     // handlers (people or places), as written on the custody form
    std::string happened_at;  // ISO 8601
    std::string purpose;
};
struct CustodyEvent {
    std::int64_t id = 0;
    std::int64_t exhibit_id = 0;
    std::string from, to, happened_at, purpose, recorded_at, recorded_by;
};

struct ScanRecord {
    std::string sha256, format, file_name, summary, acquired_at, acquired_by;
    std::int64_t size_bytes = 0;
};

struct ReadingRecord {
    std::int64_t id = 0;
    std::int64_t exhibit_id = 0;
    std::string scan_sha256, reader_version, json, status, recorded_at, recorded_by;
    std::optional<std::uint16_t> manufacturer_code, model_code;
    std::optional<std::string> serial;
    std::vector<LeadRecord> leads = {};  // add_reading's answer: the leads this reading raised
};

enum class LinkBasis { identical_identity, likelihood_ratio };
struct LinkRecord {
    std::int64_t id = 0;
    std::int64_t exhibit_a = 0, exhibit_b = 0;
    std::string basis;  // "identical_identity" or "likelihood_ratio"
    std::optional<double> likelihood_ratio;
    std::string note, created_at, created_by;
};

struct ExhibitDetail {
    ExhibitRecord exhibit;
    std::vector<CustodyEvent> custody;
    std::vector<ScanRecord> scans;
    std::vector<ReadingRecord> readings;
    std::vector<LinkRecord> links;
    std::vector<ExhibitRecord> linked;  // the item at the other end of each link, in the order of `links`
};
struct CaseDetail {
    CaseRecord case_record;
    std::vector<ExhibitDetail> exhibits;
};

// An exact identity to look up: make, model and serial as the reader decoded them.
struct IdentityQuery {
    std::uint16_t manufacturer_code = 0, model_code = 0;
    std::string serial;
};

struct IdentityMatch {
    ExhibitRecord exhibit;
    std::int64_t reading_id = 0;
    std::string status;
};

struct PartialQuery {
    std::string serial_pattern;  // e.g. "58A-1?42??"
    std::optional<std::uint16_t> manufacturer_code, model_code;
    PartialMatchModel model;
    std::size_t limit = 20;
};
struct Candidate {
    ExhibitRecord exhibit;
    std::string serial;
    std::uint16_t manufacturer_code = 0, model_code = 0;
    SerialScore score;
};

struct NewTraceRequest {
    ExhibitKey exhibit;
    std::string priority = "routine";
    std::string officer;
    bool obliterated = false;
    std::string firearm_type = "pistol";
    std::string caliber;  // empty: the catalog's caliber for the model
    std::string country_of_origin, importer;
};

// For building large stores fast (migrations from other systems, benchmarks): many
// exhibits of one case in one transaction and one audit record.
struct BulkExhibit {
    std::string item_number, collected_at, collected_place;
    std::optional<NewReading> reading;
};

struct UserRecord {
    std::string name;
    Role role = Role::examiner;
    std::string agency_ori;  // empty: every agency
};

// A logon that outlives one call: the bearer token is handed out once and the store
// keeps only its SHA-256.
struct OpenedSession {
    Session session;
    std::string token;  // 64 hex characters
};

class Store {
public:
    // Creates the schema, the signing key and the first administrator. Refuses a store
    // that already exists.
    static Store create(const std::string& url, const std::string& admin_name, const std::string& admin_password,
                        StoreOptions options = {});
    // Opens an existing store and upgrades its schema in place if it is older.
    static Store open(const std::string& url, StoreOptions options = {});

    Store(Store&&) noexcept;
    Store& operator=(Store&&) noexcept;
    ~Store();

    int schema_version() const;
    database::Backend backend() const;
    std::vector<std::uint8_t> public_key() const;
    bool can_sign() const;

    Session logon(const std::string& name, const std::string& password);
    // `agency_ori`: the agency whose cases the user may see and handle (examiners and
    // supervisors of one lab); empty: every agency (auditors, a state laboratory).
    UserRecord add_user(const Session& session, const std::string& name, Role role, const std::string& password,
                        const std::string& agency_ori = "");

    // Logs on (as logon) and opens a bearer session for a client that makes many calls.
    OpenedSession open_session(const std::string& name, const std::string& password);
    // The session behind a token. Throws LogonError, audited, when the token is unknown or
    // ended, idle longer than session_idle_limit (locked) or older than session_lifetime.
    Session resume_session(const std::string& token);
    // Logs the session out; the token opens nothing afterwards. Audited.
    void end_session(const std::string& token);
    // One audit record for something a caller refused or did before reaching a store
    // operation (a service request without a session, a body too large). `role` may be "-".
    void record_event(const std::string& user, const std::string& role, const std::string& action,
                      const std::string& object, const std::string& outcome, const std::string& detail);

    CaseRecord open_case(const Session& session, const NewCase& new_case);
    // Exhibit, scans and readings land together or not at all.
    ExhibitRecord add_exhibit(const Session& session, const NewExhibit& exhibit, const std::vector<AcquiredScan>& scans,
                              const std::vector<NewReading>& readings);
    ReadingRecord add_reading(const Session& session, const ExhibitKey& exhibit, const NewReading& reading);
    CustodyEvent record_custody(const Session& session, const ExhibitKey& exhibit, const NewCustodyEvent& event);
    LinkRecord link(const Session& session, const ExhibitKey& first, const ExhibitKey& second, LinkBasis basis,
                    std::optional<double> likelihood_ratio, const std::string& note);
    void bulk_import(const Session& session, const CaseKey& case_key, std::span<const BulkExhibit> exhibits);

    // The cases the session may open, newest first: its agency's, or every agency's for a
    // user without one. Asking for another agency's is refused. Audited as a read.
    std::vector<CaseSummary> list_cases(const Session& session, const CaseListQuery& query = {});
    CaseDetail show_case(const Session& session, const CaseKey& case_key);
    ExhibitDetail show_exhibit(const Session& session, const ExhibitKey& exhibit);
    std::vector<std::uint8_t> scan_bytes(const Session& session, const std::string& sha256);
    std::vector<IdentityMatch> find_identity(const Session& session, std::uint16_t manufacturer_code,
                                             std::uint16_t model_code, const std::string& serial);
    // Many exact lookups in one transaction, result i for query i. Each lookup leaves its
    // own audit record, exactly as find_identity does, and all are committed before any
    // result is returned; the transaction is shared, which is what makes it fast. It holds
    // the store's write lock throughout (about 10 µs a lookup on SQLite), so other writers
    // wait that long: keep a call to thousands of lookups, not millions.
    std::vector<std::vector<IdentityMatch>> find_identities(const Session& session,
                                                            std::span<const IdentityQuery> queries);
    std::vector<Candidate> search_partial(const Session& session, const PartialQuery& query);

    // Leads touching the session's agency (every lead for a user without one), oldest
    // first. Audited as a read.
    std::vector<LeadRecord> list_leads(const Session& session, const LeadQuery& query = {});
    // Confirming makes the lead a link (identical identity for an exact lead, its
    // likelihood ratio for a partial one); rejecting closes it. Only an open lead, and
    // only by a user who may reach both items' cases. Audited.
    LeadRecord confirm_lead(const Session& session, std::int64_t lead_id, const std::string& note);
    LeadRecord reject_lead(const Session& session, std::int64_t lead_id, const std::string& note);

    TraceRequest issue_trace_request(const Session& session, const NewTraceRequest& request);

    // Signs the current tree head; a no-op when the last checkpoint already covers it.
    std::optional<Checkpoint> checkpoint();
    // `pinned_public_key`: verify against this key rather than the one in the store.
    AuditVerification verify_audit(const Session& session,
                                   std::optional<std::vector<std::uint8_t>> pinned_public_key = std::nullopt);
    // Proves record `sequence` is in the log, against the latest signed checkpoint
    // that covers it (signing one first if none does and a key is at hand).
    InclusionProof prove_record(const Session& session, std::int64_t sequence);

private:
    struct State;
    explicit Store(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

// Ingest at the edge: acquires each scan file (checking and hashing it), runs the
// reader when there is one, and adds everything in one transaction. `extra_readings`
// are readings supplied by hand (e.g. --reading FILE), attached to the first scan.
ExhibitRecord ingest_exhibit(Store& store, const Session& session, const NewExhibit& exhibit,
                             const std::vector<std::filesystem::path>& scan_files, const ScanReader& reader,
                             std::vector<NewReading> extra_readings = {});

} // namespace microstamp
