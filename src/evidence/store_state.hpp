#pragma once
// Private to the store's files: the state every operation shares (the database, the
// signing key, the serial index) and the one path every audited operation takes.

#include "evidence/schema.hpp"
#include "evidence/store_rows.hpp"
#include "evidence/store_url.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>

namespace microstamp {

// The signing key file: the option, else $MICROSTAMP_SIGNING_KEY_FILE, else (SQLite) beside the store.
std::filesystem::path key_file_for(const StoreLocation& location, const StoreOptions& options);
SigningKey read_key_file(const std::filesystem::path& path);

struct Store::State {
    std::unique_ptr<database::Database> database;
    StoreLocation location;
    StoreOptions options;
    std::vector<std::uint8_t> public_key;
    std::optional<SigningKey> signing_key;
    int version = 0;
    SerialIndex serial_index;
    std::string decoy_hash;  // argon2id of a password nobody has, made on first need
    std::int64_t serial_index_through = 0;  // readings with id <= this are in the index
    // The partial readings alone: what a full reading's lead check ranks itself against.
    SerialIndex partial_index;
    std::int64_t partial_index_through = 0;

    // leads.cpp: the lead check for a reading just inserted (its records go in `note.also`),
    // and a lead as the store keeps it.
    std::vector<LeadRecord> raise_leads(Transaction& transaction, const ReadingRecord& reading, const std::string& user,
                                        AuditNote& note);
    LeadRecord lead_by_id(Transaction& transaction, std::int64_t id) const;
    // A lead an examiner may decide: open, and both its items within the session's reach.
    LeadRecord open_lead(Transaction& transaction, const Session& session, std::int64_t id,
                         const std::string& note_text) const;
    void refresh_partial_index(Transaction& transaction, std::int64_t through);

    LinkRecord insert_link(Transaction& transaction, std::int64_t first, std::int64_t second,
                           const std::string& basis, std::optional<double> likelihood_ratio, const std::string& note_text,
                           const std::string& user) {
        const std::string at = now();
        Parameters parameters{first, second, basis};
        if (likelihood_ratio) parameters.emplace_back(*likelihood_ratio);
        else parameters.emplace_back(std::monostate{});
        parameters.emplace_back(note_text);
        parameters.emplace_back(at);
        parameters.emplace_back(user);
        const Rows rows = transaction.query(
            "INSERT INTO links (exhibit_a, exhibit_b, basis, likelihood_ratio, note, created_at, created_by) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            parameters);
        return LinkRecord{as_integer(rows[0][0]), first, second, basis, likelihood_ratio, note_text, at, user};
    }

    Backend backend() const { return database->backend(); }
    std::string now() const { return format_utc(options.clock()); }

    Head lock_head(Transaction& transaction) const {
        const Rows rows = transaction.query(head_query(backend()));
        if (rows.empty()) throw StoreError(location.display + ": the audit head is missing: the store is damaged");
        return {as_integer(rows[0][0]), as_text(rows[0][1]), MerkleFrontier::parse(as_text(rows[0][2]))};
    }

    // The next record of the chain, with the head moved past it (hash chain and Merkle
    // frontier); no I/O.
    AuditRecord chain_record(Head& head, const std::string& recorded_at, const std::string& user,
                             const std::string& role, const std::string& action, const std::string& object,
                             const std::string& outcome, const std::string& detail) const {
        AuditRecord record{head.size + 1, recorded_at, user, role, action, object, outcome, detail, head.last_hash, {}};
        const std::string leaf = audit_leaf_data(record);
        record.entry_hash = hex(sha256(leaf));
        head.frontier.append(merkle_leaf_hash(leaf));
        head.size = record.sequence;
        head.last_hash = record.entry_hash;
        return record;
    }

    // Inserts the records and moves the head past them, then signs a checkpoint when they
    // passed a multiple of the checkpoint interval. On PostgreSQL the last INSERT and the
    // head's UPDATE are one statement (a data-modifying WITH, which SQLite lacks): every
    // audited operation is one round trip shorter.
    void write_audit(Transaction& transaction, const Head& head, std::int64_t size_before,
                     std::span<const AuditRecord> records) {
        const bool head_with_last_insert = backend() == Backend::postgresql;
        static const std::string one_row = audit_insert_sql(1), full_chunk = audit_insert_sql(audit_rows_per_insert);
        static const std::string one_row_and_head = with_head_update(one_row, 1),
                                 full_chunk_and_head = with_head_update(full_chunk, audit_rows_per_insert);
        const Parameters head_values{head.size, head.last_hash, head.frontier.serialise()};
        try {
            for (std::size_t start = 0; start < records.size(); start += audit_rows_per_insert) {
                const auto chunk = records.subspan(start, std::min(audit_rows_per_insert, records.size() - start));
                const bool with_head = head_with_last_insert && start + chunk.size() == records.size();
                Parameters parameters;
                parameters.reserve(chunk.size() * 10 + 3);
                for (const AuditRecord& record : chunk)
                    parameters.insert(parameters.end(),
                                      {record.sequence, record.recorded_at, record.user, record.role, record.action,
                                       record.object, record.outcome, record.detail, record.previous_hash,
                                       record.entry_hash});
                if (with_head) parameters.insert(parameters.end(), head_values.begin(), head_values.end());
                if (chunk.size() == 1) transaction.query(with_head ? one_row_and_head : one_row, parameters);
                else if (chunk.size() == audit_rows_per_insert)
                    transaction.query(with_head ? full_chunk_and_head : full_chunk, parameters);
                else {
                    const std::string sql = audit_insert_sql(chunk.size());
                    transaction.query(with_head ? with_head_update(sql, chunk.size()) : sql, parameters);
                }
            }
        } catch (const ConflictError&) {
            throw StoreError(location.display + ": the audit log holds a record beyond its head: it was altered behind "
                             "the program's back; run `microstamp case audit verify`");
        }
        if (!head_with_last_insert) transaction.query(head_update_sql(1), head_values);
        const std::int64_t interval = options.checkpoint_interval;
        if (signing_key && interval > 0 && head.size / interval > size_before / interval)
            insert_checkpoint(transaction, head);
    }

    void append_audit(Transaction& transaction, Head& head, const std::string& user, const std::string& role,
                      const std::string& action, const std::string& object, const std::string& outcome,
                      const std::string& detail) {
        const std::int64_t size_before = head.size;
        const AuditRecord record = chain_record(head, now(), user, role, action, object, outcome, detail);
        write_audit(transaction, head, size_before, std::span(&record, 1));
    }

    // One record per entry, all of one user, action and outcome, and one time: they are
    // committed together.
    void append_audits(Transaction& transaction, Head& head, const std::string& user, const std::string& role,
                       const std::string& action, const std::string& outcome, std::span<const AuditEntry> entries) {
        const std::int64_t size_before = head.size;
        const std::string at = now();
        std::vector<AuditRecord> records;
        records.reserve(entries.size());
        for (const AuditEntry& entry : entries)
            records.push_back(chain_record(head, at, user, role, action, entry.object, outcome, entry.detail));
        write_audit(transaction, head, size_before, records);
    }

    Checkpoint insert_checkpoint(Transaction& transaction, const Head& head) {
        Checkpoint checkpoint = sign_checkpoint(head.size, head.frontier.root(), now(), *signing_key);
        transaction.query("INSERT INTO audit_checkpoints (tree_size, root_hash, signed_at, signature) "
                          "VALUES ($1, $2, $3, $4) ON CONFLICT (tree_size) DO NOTHING",
                          {checkpoint.tree_size, checkpoint.root_hash, checkpoint.signed_at, checkpoint.signature});
        return checkpoint;
    }

    // An audit record on its own: refusals and failures, whose operation rolled back.
    void append_alone(const std::string& user, const std::string& role, const std::string& action,
                      const std::string& object, const std::string& outcome, const std::string& detail) {
        database->transact(TransactionMode::write, [&](Transaction& transaction) {
            Head head = lock_head(transaction);
            append_audit(transaction, head, user, role, action, object, outcome, detail);
        });
    }

    void check_session(const Session& session, const void* self) const {
        if (session.store_ != self) throw AccessError("the session was issued by another store: log on to this one");
    }

    // Every operation on evidence goes through here: role check (refusal audited),
    // the work and its audit record in one transaction, failures audited after rollback.
    template <typename Work>
    auto perform(const Session& session, Permission permission, const std::string& action, std::string object,
                 Work&& work) -> decltype(work(std::declval<Transaction&>(), std::declval<AuditNote&>())) {
        check_session(session, this);
        const std::string role(role_name(session.role()));
        if (!role_allows(session.role(), permission)) {
            const std::string reason =
                fmt::format("user '{}' ({}) may not {}: that needs {}", session.user(), role,
                            permission_name(permission), roles_allowed(permission));
            append_alone(session.user(), role, action, object, "refused", reason);
            throw AccessError(reason);
        }
        using Result = decltype(work(std::declval<Transaction&>(), std::declval<AuditNote&>()));
        std::optional<Result> result;
        // The in-memory serial indexes learn readings inside the transaction (a lead check
        // ranks against them); a rollback takes those readings back, so the indexes too.
        const std::size_t serial_entries = serial_index.size(), partial_entries = partial_index.size();
        const std::int64_t serial_through = serial_index_through, partial_through = partial_index_through;
        const auto rewind_indexes = [&] {
            serial_index.truncate(serial_entries);
            partial_index.truncate(partial_entries);
            serial_index_through = serial_through;
            partial_index_through = partial_through;
        };
        try {
            database->transact(TransactionMode::write, [&](Transaction& transaction) {
                Head head = lock_head(transaction);
                AuditNote note{object, "", {}, {}};
                result.emplace(work(transaction, note));
                if (note.each.empty())
                    append_audit(transaction, head, session.user(), role, action, note.object, "success", note.detail);
                else append_audits(transaction, head, session.user(), role, action, "success", note.each);
                // A run of one action (the leads a reading raised) goes in as one multi-row insert.
                for (auto run = note.also.begin(); run != note.also.end();) {
                    const auto end = std::find_if(run, note.also.end(),
                                                  [&](const AuditEvent& event) { return event.action != run->action; });
                    std::vector<AuditEntry> entries;
                    for (auto event = run; event != end; ++event) entries.push_back({event->object, event->detail});
                    append_audits(transaction, head, session.user(), role, run->action, "success", entries);
                    run = end;
                }
            });
        } catch (...) {
            rewind_indexes();
            try {
                throw;
            } catch (const AccessError& error) {
                append_alone(session.user(), role, action, object, "refused", error.what());
                throw;
            } catch (const InputError& error) {
                append_alone(session.user(), role, action, object, "failure", error.what());
                throw;
            } catch (const ConflictError& error) {
                append_alone(session.user(), role, action, object, "failure", error.what());
                throw;
            }
        }
        return std::move(*result);
    }

    // A user of one agency names cases by number alone and reaches no other agency's.
    CaseRecord find_case(Transaction& transaction, const Session& session, const CaseKey& asked) const {
        const CaseKey key{asked.agency_ori.empty() ? session.agency() : asked.agency_ori, asked.case_number};
        CaseRecord found = find_case(transaction, key);
        require_agency(session, found.agency_ori);
        return found;
    }

    static void require_agency(const Session& session, const std::string& agency_ori) {
        if (!session.agency().empty() && session.agency() != agency_ori)
            throw AccessError(fmt::format("user '{}' works for agency {} and may not reach agency {}'s cases",
                                          session.user(), session.agency(), agency_ori));
    }

    CaseRecord find_case(Transaction& transaction, const CaseKey& key) const {
        const std::string select = "SELECT " + std::string(case_columns) + " FROM cases c ";
        const Rows rows =
            key.agency_ori.empty()
                ? transaction.query(select + "WHERE c.case_number = $1 ORDER BY c.id LIMIT 2", {key.case_number})
                : transaction.query(select + "WHERE c.agency_ori = $1 AND c.case_number = $2",
                                    {key.agency_ori, key.case_number});
        if (rows.empty())
            throw InputError("unknown case " +
                             (key.agency_ori.empty() ? key.case_number : case_label(key.agency_ori, key.case_number)) +
                             ": open it first with `microstamp case open`");
        if (rows.size() > 1)
            throw InputError("case number " + key.case_number + " exists for several agencies: give the ORI too");
        return case_from_row(rows[0]);
    }

    ExhibitRecord find_exhibit(Transaction& transaction, const Session& session, const ExhibitKey& key) const {
        const CaseRecord case_record = find_case(transaction, session, key.case_key);
        const Rows rows = transaction.query("SELECT " + std::string(exhibit_columns) +
                                                " FROM exhibits e JOIN cases c ON c.id = e.case_id "
                                                "WHERE e.case_id = $1 AND e.item_number = $2",
                                            {case_record.id, key.item_number});
        if (rows.empty())
            throw InputError("case " + case_label(case_record.agency_ori, case_record.case_number) + " has no item " +
                             key.item_number);
        return exhibit_from_row(rows[0]);
    }

    ExhibitRecord exhibit_by_id(Transaction& transaction, std::int64_t id) const {
        const Rows rows = transaction.query("SELECT " + std::string(exhibit_columns) +
                                                " FROM exhibits e JOIN cases c ON c.id = e.case_id WHERE e.id = $1",
                                            {id});
        if (rows.empty()) throw StoreError(fmt::format("exhibit {} vanished: the store is damaged", id));
        return exhibit_from_row(rows[0]);
    }

    ExhibitDetail exhibit_detail(Transaction& transaction, const ExhibitRecord& exhibit) const {
        ExhibitDetail detail{exhibit, {}, {}, {}, {}, {}};
        for (const Row& row : transaction.query("SELECT id, exhibit_id, from_party, to_party, happened_at, purpose, "
                                                "recorded_at, recorded_by FROM custody_events WHERE exhibit_id = $1 "
                                                "ORDER BY id",
                                                {exhibit.id}))
            detail.custody.push_back({as_integer(row[0]), as_integer(row[1]), as_text(row[2]), as_text(row[3]),
                                      as_text(row[4]), as_text(row[5]), as_text(row[6]), as_text(row[7])});
        for (const Row& row :
             transaction.query("SELECT s.sha256, s.format, x.file_name, s.summary, s.acquired_at, s.acquired_by, "
                               "s.size_bytes FROM exhibit_scans x JOIN scans s ON s.sha256 = x.scan_sha256 "
                               "WHERE x.exhibit_id = $1 ORDER BY x.file_name, s.sha256",
                               {exhibit.id}))
            detail.scans.push_back({as_text(row[0]), as_text(row[1]), as_text(row[2]), as_text(row[3]), as_text(row[4]),
                                    as_text(row[5]), as_integer(row[6])});
        for (const Row& row : transaction.query("SELECT " + std::string(reading_columns) +
                                                    " FROM readings WHERE exhibit_id = $1 ORDER BY id",
                                                {exhibit.id}))
            detail.readings.push_back(reading_from_row(row));
        for (const Row& row : transaction.query("SELECT id, exhibit_a, exhibit_b, basis, likelihood_ratio, note, "
                                                "created_at, created_by FROM links WHERE exhibit_a = $1 OR "
                                                "exhibit_b = $1 ORDER BY id",
                                                {exhibit.id}))
            detail.links.push_back(link_from_row(row));
        for (const LinkRecord& link : detail.links)
            detail.linked.push_back(exhibit_by_id(transaction, link.exhibit_a == exhibit.id ? link.exhibit_b : link.exhibit_a));
        return detail;
    }

    ReadingRecord insert_reading(Transaction& transaction, std::int64_t exhibit_id, const NewReading& reading,
                                 const std::string& user) {
        const std::string at = now();
        const Rows rows = transaction.query(
            "INSERT INTO readings (exhibit_id, scan_sha256, reader_version, reading_json, status, manufacturer_code, "
            "model_code, serial, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            {exhibit_id, text_or_null(reading.scan_sha256), reading.reader_version, reading.json, reading.status,
             optional_integer(reading.manufacturer_code), optional_integer(reading.model_code),
             optional_text(reading.serial), at, user});
        insert_location_identities(transaction, as_integer(rows[0][0]), exhibit_id, reading);
        return {as_integer(rows[0][0]), exhibit_id, reading.scan_sha256, reading.reader_version, reading.json,
                reading.status, at, user, reading.manufacturer_code, reading.model_code, reading.serial};
    }

    // A swapped-pin casing's locations, each with the identity it named.
    void insert_location_identities(Transaction& transaction, std::int64_t reading_id, std::int64_t exhibit_id,
                                    const NewReading& reading) {
        for (const LocationIdentity& named : reading.location_identities)
            transaction.query("INSERT INTO location_identities (reading_id, exhibit_id, location, manufacturer_code, "
                              "model_code, serial) VALUES ($1, $2, $3, $4, $5, $6)",
                              {reading_id, exhibit_id, named.location, std::int64_t{named.manufacturer_code},
                               std::int64_t{named.model_code}, named.serial});
    }

    // Readings are append-only and every writer numbers them under the head lock, so
    // "id greater than the last one seen" finds exactly the new ones.
    void refresh_serial_index(Transaction& transaction) {
        const Rows rows = transaction.query("SELECT id, exhibit_id, manufacturer_code, model_code, serial FROM readings "
                                            "WHERE id > $1 AND serial IS NOT NULL ORDER BY id",
                                            {serial_index_through});
        for (const Row& row : rows) {
            serial_index.add(as_integer(row[1]), static_cast<std::uint16_t>(as_integer(row[2])),
                             static_cast<std::uint16_t>(as_integer(row[3])), as_text(row[4]), as_integer(row[0]));
            serial_index_through = as_integer(row[0]);
        }
    }

    int read_schema_version(Transaction& transaction) const {
        if (as_integer(transaction.query(schema_table_query(backend()))[0][0]) == 0) return 0;
        return static_cast<int>(as_integer(transaction.query("SELECT COALESCE(MAX(version), 0) FROM schema_version")[0][0]));
    }

    void migrate() {
        int found = 0;
        database->transact(TransactionMode::read, [&](Transaction& transaction) { found = read_schema_version(transaction); });
        if (found > latest_schema_version())
            throw StoreError(fmt::format("{} has schema version {}, newer than this program knows ({}): upgrade microstamp",
                                         location.display, found, latest_schema_version()));
        if (found < latest_schema_version()) {
            database->transact(TransactionMode::write, [&](Transaction& transaction) {
                // Two processes opening an old store at once: the second waits, then finds it current.
                if (backend() == Backend::postgresql) transaction.query("SELECT pg_advisory_xact_lock(5212202405)");
                found = read_schema_version(transaction);
                for (const Migration& migration : migrations()) {
                    if (migration.version <= found) continue;
                    transaction.execute_script(migration_script(migration, backend()));
                    transaction.query("INSERT INTO schema_version (version, description, applied_at) VALUES ($1, $2, $3)",
                                      {std::int64_t{migration.version}, std::string(migration.description), now()});
                    Head head = lock_head(transaction);
                    append_audit(transaction, head, "system", "-", "schema.migrate", "store",
                                 "success", fmt::format("schema version {} -> {}: {}", found, migration.version,
                                                        migration.description));
                    found = migration.version;
                }
            });
        }
        version = found;
    }

    void load_keys() {
        database->transact(TransactionMode::read, [&](Transaction& transaction) {
            const Rows rows = transaction.query("SELECT value FROM store_meta WHERE name = 'audit_public_key'");
            if (!rows.empty()) public_key = bytes_from_hex(as_text(rows[0][0]), "stored public key");
        });
        const std::filesystem::path key_file = key_file_for(location, options);
        std::error_code error;
        if (key_file.empty() || !std::filesystem::exists(key_file, error)) return;
        SigningKey key = read_key_file(key_file);
        if (!public_key.empty() && key.public_key != public_key)
            throw StoreError(key_file.string() + ": this signing key does not belong to " + location.display);
        signing_key = std::move(key);
    }
};

} // namespace microstamp
