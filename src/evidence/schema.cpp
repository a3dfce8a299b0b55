#include "evidence/schema.hpp"

namespace microstamp {
namespace {

constexpr std::string_view version_1 = R"sql(
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL);
CREATE TABLE store_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE users (id {id}, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL, password_hash TEXT NOT NULL,
  failed_logons INTEGER NOT NULL DEFAULT 0, locked_until_ms BIGINT NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL, created_by TEXT NOT NULL);
CREATE TABLE cases (id {id}, agency_ori TEXT NOT NULL, case_number TEXT NOT NULL, offense_code TEXT NOT NULL,
  opened_at TEXT NOT NULL, opened_by TEXT NOT NULL, UNIQUE (agency_ori, case_number));
CREATE TABLE exhibits (id {id}, case_id BIGINT NOT NULL REFERENCES cases (id), item_number TEXT NOT NULL,
  collected_at TEXT NOT NULL, collected_place TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL,
  UNIQUE (case_id, item_number));
CREATE TABLE custody_events (id {id}, exhibit_id BIGINT NOT NULL REFERENCES exhibits (id),
  from_party TEXT NOT NULL, to_party TEXT NOT NULL, happened_at TEXT NOT NULL, purpose TEXT NOT NULL,
  recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL);
CREATE TABLE scans (sha256 TEXT PRIMARY KEY, format TEXT NOT NULL, summary TEXT NOT NULL, size_bytes BIGINT NOT NULL,
  content {blob} NOT NULL, acquired_at TEXT NOT NULL, acquired_by TEXT NOT NULL);
CREATE TABLE exhibit_scans (exhibit_id BIGINT NOT NULL REFERENCES exhibits (id),
  scan_sha256 TEXT NOT NULL REFERENCES scans (sha256), file_name TEXT NOT NULL, PRIMARY KEY (exhibit_id, scan_sha256));
CREATE TABLE readings (id {id}, exhibit_id BIGINT NOT NULL REFERENCES exhibits (id),
  scan_sha256 TEXT REFERENCES scans (sha256), reader_version TEXT NOT NULL, reading_json TEXT NOT NULL,
  status TEXT NOT NULL, manufacturer_code INTEGER, model_code INTEGER, serial TEXT,
  recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL);
CREATE TABLE links (id {id}, exhibit_a BIGINT NOT NULL REFERENCES exhibits (id),
  exhibit_b BIGINT NOT NULL REFERENCES exhibits (id), basis TEXT NOT NULL, likelihood_ratio DOUBLE PRECISION,
  note TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL);
CREATE TABLE trace_requests (id {id}, exhibit_id BIGINT NOT NULL REFERENCES exhibits (id), priority TEXT NOT NULL,
  offense_code TEXT NOT NULL, agency_ori TEXT NOT NULL, officer TEXT NOT NULL, case_number TEXT NOT NULL,
  item_number TEXT NOT NULL, serial TEXT NOT NULL, obliterated INTEGER NOT NULL, manufacturer TEXT NOT NULL,
  firearm_type TEXT NOT NULL, caliber TEXT NOT NULL, model TEXT NOT NULL, country_of_origin TEXT NOT NULL,
  importer TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL);
CREATE TABLE audit_log (sequence BIGINT PRIMARY KEY, recorded_at TEXT NOT NULL, user_name TEXT NOT NULL,
  role TEXT NOT NULL, action TEXT NOT NULL, object TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL,
  previous_hash TEXT NOT NULL, entry_hash TEXT NOT NULL);
CREATE TABLE audit_head (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), size BIGINT NOT NULL,
  last_hash TEXT NOT NULL, frontier TEXT NOT NULL);
INSERT INTO audit_head VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', '0');
CREATE TABLE audit_checkpoints (tree_size BIGINT PRIMARY KEY, root_hash TEXT NOT NULL, signed_at TEXT NOT NULL,
  signature TEXT NOT NULL);
)sql";

// Version 2: exhibit descriptions, the indexes searches need, and append-only rules
// enforced by the database itself, so a slip in program code cannot rewrite history.
constexpr std::string_view version_2 = R"sql(
ALTER TABLE exhibits ADD COLUMN description TEXT NOT NULL DEFAULT '';
CREATE INDEX readings_by_identity ON readings (manufacturer_code, model_code, serial);
CREATE INDEX readings_by_exhibit ON readings (exhibit_id);
CREATE INDEX custody_by_exhibit ON custody_events (exhibit_id);
CREATE INDEX links_by_first ON links (exhibit_a);
CREATE INDEX links_by_second ON links (exhibit_b);
CREATE INDEX trace_requests_by_exhibit ON trace_requests (exhibit_id);
)sql";

constexpr std::string_view version_2_sqlite = R"sql(
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER scans_no_update BEFORE UPDATE ON scans BEGIN SELECT RAISE(ABORT, 'scans are immutable'); END;
CREATE TRIGGER scans_no_delete BEFORE DELETE ON scans BEGIN SELECT RAISE(ABORT, 'scans are immutable'); END;
CREATE TRIGGER readings_no_update BEFORE UPDATE ON readings BEGIN SELECT RAISE(ABORT, 'readings are append-only'); END;
CREATE TRIGGER readings_no_delete BEFORE DELETE ON readings BEGIN SELECT RAISE(ABORT, 'readings are append-only'); END;
CREATE TRIGGER custody_no_update BEFORE UPDATE ON custody_events BEGIN SELECT RAISE(ABORT, 'custody events are append-only'); END;
CREATE TRIGGER custody_no_delete BEFORE DELETE ON custody_events BEGIN SELECT RAISE(ABORT, 'custody events are append-only'); END;
)sql";

constexpr std::string_view version_2_postgresql = R"sql(
CREATE FUNCTION microstamp_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION microstamp_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION microstamp_append_only();
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION microstamp_append_only();
CREATE TRIGGER scans_append_only BEFORE UPDATE OR DELETE ON scans
  FOR EACH ROW EXECUTE FUNCTION microstamp_append_only();
CREATE TRIGGER readings_append_only BEFORE UPDATE OR DELETE ON readings
  FOR EACH ROW EXECUTE FUNCTION microstamp_append_only();
CREATE TRIGGER custody_append_only BEFORE UPDATE OR DELETE ON custody_events
  FOR EACH ROW EXECUTE FUNCTION microstamp_append_only();
)sql";

// Version 3, for the service: a user's agency (an examiner or supervisor with one sees
// only that agency's cases; empty: every agency), and bearer sessions that lock after
// idle time. Only the SHA-256 of a session token is stored, so a copy of the database
// opens no session.
constexpr std::string_view version_3 = R"sql(
ALTER TABLE users ADD COLUMN agency_ori TEXT NOT NULL DEFAULT '';
CREATE TABLE sessions (token_sha256 TEXT PRIMARY KEY, user_name TEXT NOT NULL, started_ms BIGINT NOT NULL,
  last_used_ms BIGINT NOT NULL, ended INTEGER NOT NULL DEFAULT 0);
)sql";

// Version 4: the exact-identity index also carries what the lookup returns from the
// readings table (id, exhibit, status), so a lookup reads the index and never the
// table: one B-tree descent fewer per lookup, about a fifth of its time (bench_store).
constexpr std::string_view version_4 = R"sql(
CREATE INDEX readings_by_identity_covering ON readings (manufacturer_code, model_code, serial, id, exhibit_id, status);
DROP INDEX readings_by_identity;
)sql";

// Version 5: leads raised when a reading arrives. The exact check is the covering
// identity index of version 4; these indexes make "is there already a lead between
// these two items" and "the open partial leads of this item" lookups, not scans.
constexpr std::string_view version_5 = R"sql(
CREATE TABLE leads (id {id}, reading_id BIGINT NOT NULL REFERENCES readings (id),
  exhibit_id BIGINT NOT NULL REFERENCES exhibits (id), other_exhibit_id BIGINT NOT NULL REFERENCES exhibits (id),
  other_reading_id BIGINT NOT NULL REFERENCES readings (id), kind TEXT NOT NULL, partial_exhibit_id BIGINT,
  manufacturer_code INTEGER NOT NULL, model_code INTEGER NOT NULL, serial TEXT NOT NULL,
  partial_serial TEXT NOT NULL, log10_likelihood_ratio DOUBLE PRECISION, found_at TEXT NOT NULL,
  status TEXT NOT NULL, decided_at TEXT NOT NULL, decided_by TEXT NOT NULL, resolution TEXT NOT NULL,
  link_id BIGINT REFERENCES links (id));
CREATE INDEX leads_by_pair ON leads (exhibit_id, other_exhibit_id);
CREATE INDEX leads_by_other ON leads (other_exhibit_id);
CREATE INDEX leads_by_partial_item ON leads (partial_exhibit_id, status);
)sql";

// Version 6: the identity each location of a swapped-pin casing named (a locations_disagree
// reading has none of its own), indexed like readings' identities so that either side's
// arrival finds the other, and the location a lead came through.
constexpr std::string_view version_6 = R"sql(
CREATE TABLE location_identities (reading_id BIGINT NOT NULL REFERENCES readings (id),
  exhibit_id BIGINT NOT NULL REFERENCES exhibits (id), location TEXT NOT NULL,
  manufacturer_code INTEGER NOT NULL, model_code INTEGER NOT NULL, serial TEXT NOT NULL);
CREATE INDEX location_identities_by_identity ON location_identities (manufacturer_code, model_code, serial);
CREATE INDEX location_identities_by_reading ON location_identities (reading_id);
ALTER TABLE leads ADD COLUMN location TEXT NOT NULL DEFAULT '';
)sql";
constexpr std::string_view version_6_sqlite = R"sql(
CREATE TRIGGER location_identities_no_update BEFORE UPDATE ON location_identities BEGIN SELECT RAISE(ABORT, 'location identities are append-only'); END;
CREATE TRIGGER location_identities_no_delete BEFORE DELETE ON location_identities BEGIN SELECT RAISE(ABORT, 'location identities are append-only'); END;
)sql";
constexpr std::string_view version_6_postgresql = R"sql(
CREATE TRIGGER location_identities_append_only BEFORE UPDATE OR DELETE ON location_identities
  FOR EACH ROW EXECUTE FUNCTION microstamp_append_only();
)sql";

constexpr Migration all_migrations[] = {
    {1, "cases, exhibits, custody, scans, readings, links, trace requests, users, audit log", version_1, "", ""},
    {2, "exhibit descriptions, search indexes, append-only triggers", version_2, version_2_sqlite,
     version_2_postgresql},
    {3, "user agencies, bearer sessions with idle lock", version_3, "", ""},
    {4, "exact-identity lookups answered from the index alone", version_4, "", ""},
    {5, "leads raised when a reading arrives", version_5, "", ""},
    {6, "the identities of a swapped pin's two locations, and leads through them", version_6, version_6_sqlite,
     version_6_postgresql},
};

void replace_all(std::string& text, std::string_view token, std::string_view replacement) {
    for (std::size_t at = text.find(token); at != std::string::npos; at = text.find(token, at + replacement.size()))
        text.replace(at, token.size(), replacement);
}

} // namespace

std::span<const Migration> migrations() { return all_migrations; }

int latest_schema_version() { return all_migrations[std::size(all_migrations) - 1].version; }

std::string migration_script(const Migration& migration, database::Backend backend) {
    const bool sqlite = backend == database::Backend::sqlite;
    std::string script(migration.common_sql);
    replace_all(script, "{id}",
                sqlite ? "INTEGER PRIMARY KEY" : "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
    replace_all(script, "{blob}", sqlite ? "BLOB" : "BYTEA");
    script += sqlite ? migration.sqlite_sql : migration.postgresql_sql;
    return script;
}

} // namespace microstamp
