#include "evidence/store.hpp"

#include "code/catalog.hpp"
#include "code/identity.hpp"
#include "evidence/errors.hpp"
#include "evidence/schema.hpp"
#include "evidence/store_url.hpp"

#include <fmt/core.h>
#include <sodium.h>

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <unistd.h>

namespace microstamp {

using database::as_integer;
using database::as_real;
using database::as_text;
using database::Backend;
using database::BytesView;
using database::is_null;
using database::Parameters;
using database::Row;
using database::Rows;
using database::Transaction;
using database::TransactionMode;
using database::Value;

namespace {

// ---- small pure helpers -------------------------------------------------------------

std::string format_utc(std::chrono::system_clock::time_point time) {
    const auto milliseconds =
        std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(milliseconds / 1000);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", parts.tm_year + 1900, parts.tm_mon + 1,
                       parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, milliseconds % 1000);
}

std::int64_t milliseconds_since_epoch(std::chrono::system_clock::time_point time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

void require_text(std::string_view what, const std::string& text, std::size_t maximum = 200) {
    if (text.empty()) throw InputError(std::string(what) + " is empty");
    if (text.size() > maximum) throw InputError(fmt::format("{} is longer than {} characters", what, maximum));
    for (const char c : text)
        if (static_cast<unsigned char>(c) < 0x20) throw InputError(std::string(what) + " contains a control character");
}

void require_optional_text(std::string_view what, const std::string& text, std::size_t maximum = 500) {
    if (!text.empty()) require_text(what, text, maximum);
}

// ISO 8601: a date, or a date and time ("2024-05-01", "2024-05-01T22:10", "...:05Z", "...+02:00").
void require_iso_time(std::string_view what, const std::string& text) {
    auto digits = [&](std::size_t from, std::size_t count) {
        if (text.size() < from + count) return false;
        for (std::size_t i = from; i < from + count; ++i)
            if (!is_digit(text[i])) return false;
        return true;
    };
    const bool date = digits(0, 4) && text.size() >= 10 && text[4] == '-' && digits(5, 2) && text[7] == '-' &&
                      digits(8, 2);
    const bool time_ok = text.size() == 10 ||
                         (text.size() >= 16 && (text[10] == 'T' || text[10] == ' ') && digits(11, 2) && text[13] == ':' &&
                          digits(14, 2));
    if (!date || !time_ok || text.size() > 40)
        throw InputError(std::string(what) + " '" + text + "' is not an ISO 8601 date or date-time (2024-05-01T22:10Z)");
}

void require_ori(const std::string& ori) {
    bool ok = ori.size() == 9;
    for (const char c : ori) ok = ok && (is_digit(c) || (c >= 'A' && c <= 'Z'));
    if (!ok) throw InputError("agency ORI '" + ori + "' must be 9 characters of A-Z and 0-9 (e.g. WA0010000)");
}

void require_offense_code(const std::string& code) {
    if (code.size() != 4 || !std::all_of(code.begin(), code.end(), is_digit))
        throw InputError("NCIC offense code '" + code + "' must be 4 digits (e.g. 5212)");
}

void require_user_name(const std::string& name) {
    bool ok = !name.empty() && name.size() <= 64;
    for (const char c : name) ok = ok && (is_digit(c) || (c >= 'a' && c <= 'z') || c == '.' || c == '_' || c == '-');
    if (!ok) throw InputError("user name '" + name + "' must be 1 to 64 of a-z, 0-9, '.', '_' and '-'");
}

std::string case_label(const std::string& ori, const std::string& number) { return ori + "/" + number; }

Value optional_integer(const std::optional<std::uint16_t>& value) {
    if (!value) return std::monostate{};
    return std::int64_t{*value};
}
Value optional_text(const std::optional<std::string>& value) {
    if (!value) return std::monostate{};
    return *value;
}
Value text_or_null(const std::string& value) {
    if (value.empty()) return std::monostate{};
    return value;
}
std::optional<std::uint16_t> column_code(const Value& value) {
    if (is_null(value)) return std::nullopt;
    return static_cast<std::uint16_t>(as_integer(value));
}

// ---- key files ------------------------------------------------------------------------

constexpr std::string_view key_file_header = "microstamp ed25519 audit signing key v1";

void write_key_file(const std::filesystem::path& path, const SigningKey& key) {
    const int descriptor = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (descriptor < 0)
        throw StoreError(path.string() + ": cannot create the signing key file (it must not exist yet)");
    const std::string text = std::string(key_file_header) + "\n" + hex(key.secret_key) + "\n";
    const bool written = ::write(descriptor, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                         ::fsync(descriptor) == 0;
    ::close(descriptor);
    if (!written) throw StoreError(path.string() + ": cannot write the signing key file");
}

SigningKey read_key_file(const std::filesystem::path& path) {
    std::ifstream file(path);
    std::string header, secret;
    if (!std::getline(file, header) || header != key_file_header || !std::getline(file, secret))
        throw StoreError(path.string() + ": not a microstamp signing key file");
    SigningKey key;
    try {
        key.secret_key = bytes_from_hex(secret, "signing key");
    } catch (const InputError&) {
        throw StoreError(path.string() + ": the signing key is damaged");
    }
    if (key.secret_key.size() != crypto_sign_SECRETKEYBYTES) throw StoreError(path.string() + ": the signing key is damaged");
    key.public_key.resize(crypto_sign_PUBLICKEYBYTES);
    crypto_sign_ed25519_sk_to_pk(key.public_key.data(), key.secret_key.data());
    return key;
}

std::filesystem::path key_file_for(const StoreLocation& location, const StoreOptions& options) {
    if (!options.signing_key_file.empty()) return options.signing_key_file;
    if (const char* from_environment = std::getenv("MICROSTAMP_SIGNING_KEY_FILE"); from_environment && *from_environment)
        return from_environment;
    if (location.backend == Backend::sqlite) return location.target + ".signing-key";
    return {};
}

// ---- SQL that differs by backend --------------------------------------------------------

std::string_view head_query(Backend backend) {
    // FOR UPDATE makes every PostgreSQL writer queue on the head row, so records are
    // chained in commit order and identities are handed out in that order too.
    return backend == Backend::postgresql
               ? "SELECT size, last_hash, frontier FROM audit_head WHERE singleton = 1 FOR UPDATE"
               : "SELECT size, last_hash, frontier FROM audit_head WHERE singleton = 1";
}

std::string_view schema_table_query(Backend backend) {
    return backend == Backend::postgresql
               ? "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() "
                 "AND table_name = 'schema_version'"
               : "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'";
}

constexpr std::string_view case_columns = "c.id, c.agency_ori, c.case_number, c.offense_code, c.opened_at, c.opened_by";

CaseRecord case_from_row(const Row& row) {
    return {as_integer(row[0]), as_text(row[1]), as_text(row[2]), as_text(row[3]), as_text(row[4]), as_text(row[5])};
}

constexpr std::string_view exhibit_columns =
    "e.id, e.case_id, c.case_number, c.agency_ori, e.item_number, e.collected_at, e.collected_place, "
    "e.description, e.created_at, e.created_by";

ExhibitRecord exhibit_from_row(const Row& row) {
    return {as_integer(row[0]), as_integer(row[1]), as_text(row[2]), as_text(row[3]), as_text(row[4]),
            as_text(row[5]),    as_text(row[6]),    as_text(row[7]), as_text(row[8]), as_text(row[9])};
}

constexpr std::string_view reading_columns =
    "id, exhibit_id, scan_sha256, reader_version, reading_json, status, recorded_at, recorded_by, "
    "manufacturer_code, model_code, serial";

ReadingRecord reading_from_row(const Row& row) {
    ReadingRecord reading;
    reading.id = as_integer(row[0]);
    reading.exhibit_id = as_integer(row[1]);
    reading.scan_sha256 = is_null(row[2]) ? "" : as_text(row[2]);
    reading.reader_version = as_text(row[3]);
    reading.json = as_text(row[4]);
    reading.status = as_text(row[5]);
    reading.recorded_at = as_text(row[6]);
    reading.recorded_by = as_text(row[7]);
    reading.manufacturer_code = column_code(row[8]);
    reading.model_code = column_code(row[9]);
    if (!is_null(row[10])) reading.serial = as_text(row[10]);
    return reading;
}

LinkRecord link_from_row(const Row& row) {
    LinkRecord link{as_integer(row[0]), as_integer(row[1]), as_integer(row[2]), as_text(row[3]), std::nullopt,
                    as_text(row[5]),    as_text(row[6]),    as_text(row[7])};
    if (!is_null(row[4])) link.likelihood_ratio = as_real(row[4]);
    return link;
}

AuditRecord audit_from_row(const Row& row) {
    return {as_integer(row[0]), as_text(row[1]), as_text(row[2]), as_text(row[3]), as_text(row[4]),
            as_text(row[5]),    as_text(row[6]), as_text(row[7]), as_text(row[8]), as_text(row[9])};
}

struct Head {
    std::int64_t size = 0;
    std::string last_hash;
    MerkleFrontier frontier;
};

// What an operation leaves in its audit record.
struct AuditEntry {
    std::string object;
    std::string detail;
};
struct AuditNote {
    std::string object;
    std::string detail;
    // Set by an operation that does many things in one call (a batch of lookups): one
    // record for each, in this order, instead of the one record above.
    std::vector<AuditEntry> each;
};

// Audit rows per INSERT when an operation appends many: one statement text (prepared
// once) for every full chunk, one for the rest; 64 x 10 values is far below both
// backends' limits.
constexpr std::size_t audit_rows_per_insert = 64;

std::string audit_insert_sql(std::size_t rows) {
    std::string sql = "INSERT INTO audit_log (sequence, recorded_at, user_name, role, action, object, outcome, detail, "
                      "previous_hash, entry_hash) VALUES ";
    for (std::size_t row = 0; row < rows; ++row) {
        sql += row == 0 ? "(" : ", (";
        for (std::size_t column = 0; column < 10; ++column)
            sql += fmt::format("{}${}", column == 0 ? "" : ", ", row * 10 + column + 1);
        sql += ")";
    }
    return sql;
}

// The head's UPDATE with its three values numbered from `first`.
std::string head_update_sql(std::size_t first) {
    return fmt::format("UPDATE audit_head SET size = ${}, last_hash = ${}, frontier = ${} WHERE singleton = 1", first,
                       first + 1, first + 2);
}

// An audit INSERT of `rows` rows and the head's UPDATE as one PostgreSQL statement.
std::string with_head_update(const std::string& insert_sql, std::size_t rows) {
    return "WITH appended AS (" + insert_sql + ") " + head_update_sql(rows * 10 + 1);
}

} // namespace

// ---- the store ----------------------------------------------------------------------------

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
        try {
            database->transact(TransactionMode::write, [&](Transaction& transaction) {
                Head head = lock_head(transaction);
                AuditNote note{object, "", {}};
                result.emplace(work(transaction, note));
                if (note.each.empty())
                    append_audit(transaction, head, session.user(), role, action, note.object, "success", note.detail);
                else append_audits(transaction, head, session.user(), role, action, "success", note.each);
            });
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
        return {as_integer(rows[0][0]), exhibit_id, reading.scan_sha256, reading.reader_version, reading.json,
                reading.status, at, user, reading.manufacturer_code, reading.model_code, reading.serial};
    }

    // Readings are append-only and every writer numbers them under the head lock, so
    // "id greater than the last one seen" finds exactly the new ones.
    void refresh_serial_index(Transaction& transaction) {
        const Rows rows = transaction.query("SELECT id, exhibit_id, manufacturer_code, model_code, serial FROM readings "
                                            "WHERE id > $1 AND serial IS NOT NULL ORDER BY id",
                                            {serial_index_through});
        for (const Row& row : rows) {
            serial_index.add(as_integer(row[1]), static_cast<std::uint16_t>(as_integer(row[2])),
                             static_cast<std::uint16_t>(as_integer(row[3])), as_text(row[4]));
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

Store::Store(std::unique_ptr<State> state) : state_(std::move(state)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

namespace {

std::unique_ptr<database::Database> connect(const StoreLocation& location, bool create, const StoreOptions& options) {
    if (location.backend == Backend::sqlite) return database::open_sqlite(location.target, create, options.durability);
    return database::open_postgresql(location.target, location.display, options.durability);
}

} // namespace

Store Store::create(const std::string& url, const std::string& admin_name, const std::string& admin_password,
                    StoreOptions options) {
    if (sodium_init() < 0) throw StoreError("libsodium could not initialise");
    require_user_name(admin_name);
    auto state = std::make_unique<State>();
    state->location = parse_store_url(url);
    state->options = std::move(options);
    const std::filesystem::path key_file = key_file_for(state->location, state->options);
    if (key_file.empty())
        throw InputError("a PostgreSQL store keeps its audit signing key in a file: give --signing-key FILE or set "
                         "MICROSTAMP_SIGNING_KEY_FILE");
    const std::string password_hash = hash_password(admin_password, state->options.password_cost);
    if (state->location.backend == Backend::sqlite && std::filesystem::exists(state->location.target))
        throw StoreError(state->location.display + " already exists: open it instead, or choose another path");
    state->database = connect(state->location, true, state->options);
    int existing = 0;
    state->database->transact(TransactionMode::read,
                              [&](Transaction& transaction) { existing = state->read_schema_version(transaction); });
    if (existing != 0) throw StoreError(state->location.display + " already holds a store");
    const SigningKey key = generate_signing_key();
    write_key_file(key_file, key);
    try {
        state->migrate();
        state->database->transact(TransactionMode::write, [&](Transaction& transaction) {
            Head head = state->lock_head(transaction);
            transaction.query("INSERT INTO store_meta (name, value) VALUES ('audit_public_key', $1)", {hex(key.public_key)});
            transaction.query("INSERT INTO users (name, role, password_hash, created_at, created_by) "
                              "VALUES ($1, 'admin', $2, $3, 'system')",
                              {admin_name, password_hash, state->now()});
            state->append_audit(transaction, head, "system", "-", "user.add", "user " + admin_name, "success",
                                "first administrator, store created");
        });
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove(key_file, ignored);
        throw;
    }
    state->load_keys();
    return Store(std::move(state));
}

Store Store::open(const std::string& url, StoreOptions options) {
    if (sodium_init() < 0) throw StoreError("libsodium could not initialise");
    auto state = std::make_unique<State>();
    state->location = parse_store_url(url);
    state->options = std::move(options);
    state->database = connect(state->location, false, state->options);
    int found = 0;
    state->database->transact(TransactionMode::read,
                              [&](Transaction& transaction) { found = state->read_schema_version(transaction); });
    if (found == 0) throw StoreError("no store at " + state->location.display + ": create one with `microstamp case init`");
    state->migrate();
    state->load_keys();
    return Store(std::move(state));
}

int Store::schema_version() const { return state_->version; }
database::Backend Store::backend() const { return state_->backend(); }
std::vector<std::uint8_t> Store::public_key() const { return state_->public_key; }
bool Store::can_sign() const { return state_->signing_key.has_value(); }

Session Store::logon(const std::string& name, const std::string& password) {
    std::optional<Role> role;
    std::string stored_hash, agency;
    std::int64_t locked_until = 0;
    state_->database->transact(TransactionMode::read, [&](Transaction& transaction) {
        const Rows rows = transaction.query(
            "SELECT role, password_hash, locked_until_ms, agency_ori FROM users WHERE name = $1", {name});
        if (rows.empty()) return;
        role = parse_role(as_text(rows[0][0]));
        stored_hash = as_text(rows[0][1]);
        locked_until = as_integer(rows[0][2]);
        agency = as_text(rows[0][3]);
    });
    const std::int64_t now_ms = milliseconds_since_epoch(state_->options.clock());
    const std::string object = "user " + name;
    const std::string role_text = role ? std::string(role_name(*role)) : "-";
    if (!role || locked_until > now_ms) {
        // An unknown or locked name costs the same argon2id check as a real one, so the
        // time a refusal takes does not tell whether the name exists.
        if (state_->decoy_hash.empty()) state_->decoy_hash = hash_password("decoy password", state_->options.password_cost);
        password_matches(state_->decoy_hash, password);
    }
    if (!role) {
        state_->append_alone(name, "-", "logon", object, "failure", "unknown user");
        throw LogonError("logon refused: wrong user name or password");
    }
    if (locked_until > now_ms) {
        const std::string until = format_utc(std::chrono::system_clock::time_point(std::chrono::milliseconds(locked_until)));
        state_->append_alone(name, role_text, "logon", object, "refused", "account locked until " + until);
        throw LogonError("logon refused: account '" + name + "' is locked until " + until + " after 5 failed logons");
    }
    // The slow argon2id check runs outside any transaction, so it never holds the write lock.
    if (password_matches(stored_hash, password)) {
        state_->database->transact(TransactionMode::write, [&](Transaction& transaction) {
            Head head = state_->lock_head(transaction);
            transaction.query("UPDATE users SET failed_logons = 0, locked_until_ms = 0 WHERE name = $1", {name});
            state_->append_audit(transaction, head, name, role_text, "logon", object, "success", "");
        });
        return Session(name, *role, agency, state_.get());
    }
    bool locked_now = false;
    state_->database->transact(TransactionMode::write, [&](Transaction& transaction) {
        Head head = state_->lock_head(transaction);
        const Rows rows = transaction.query("SELECT failed_logons FROM users WHERE name = $1", {name});
        const std::int64_t failures = as_integer(rows[0][0]) + 1;
        locked_now = failures >= failed_logons_before_lock;
        transaction.query("UPDATE users SET failed_logons = $1, locked_until_ms = $2 WHERE name = $3",
                          {locked_now ? std::int64_t{0} : failures, locked_now ? now_ms + lock_duration_ms : std::int64_t{0},
                           name});
        state_->append_audit(transaction, head, name, role_text, "logon", object, "failure",
                             locked_now ? "wrong password; account locked for 10 minutes"
                                        : fmt::format("wrong password ({} of {})", failures, failed_logons_before_lock));
    });
    if (locked_now)
        throw LogonError("logon refused: account '" + name + "' is now locked for 10 minutes after 5 failed logons");
    throw LogonError("logon refused: wrong user name or password");
}

UserRecord Store::add_user(const Session& session, const std::string& name, Role role, const std::string& password,
                           const std::string& agency_ori) {
    require_user_name(name);
    if (!agency_ori.empty()) require_ori(agency_ori);
    const std::string password_hash = hash_password(password, state_->options.password_cost);
    return state_->perform(session, Permission::manage_users, "user.add", "user " + name,
                           [&](Transaction& transaction, AuditNote& note) {
                               if (!transaction.query("SELECT 1 FROM users WHERE name = $1", {name}).empty())
                                   throw InputError("user '" + name + "' already exists");
                               transaction.query("INSERT INTO users (name, role, password_hash, created_at, created_by, "
                                                 "agency_ori) VALUES ($1, $2, $3, $4, $5, $6)",
                                                 {name, std::string(role_name(role)), password_hash, state_->now(),
                                                  session.user(), agency_ori});
                               note.detail = "role " + std::string(role_name(role)) +
                                             (agency_ori.empty() ? "" : ", agency " + agency_ori);
                               return UserRecord{name, role, agency_ori};
                           });
}

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
            for (const auto& reading : readings) state_->insert_reading(transaction, id, reading, session.user());
            std::string hashes;
            for (const auto& scan : scans) hashes += (hashes.empty() ? "" : ",") + scan.sha256;
            note.detail = fmt::format("{} scan(s) [{}], {} reading(s)", scans.size(), hashes, readings.size());
            return ExhibitRecord{id,  case_record.id, case_record.case_number, case_record.agency_ori,
                                 exhibit.item_number, exhibit.collected_at, exhibit.collected_place,
                                 exhibit.description, at, session.user()};
        });
}

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
                               note.detail = fmt::format("reading {} by reader {}: {}", record.id, reading.reader_version,
                                                         reading.status);
                               return record;
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

LinkRecord Store::link(const Session& session, const ExhibitKey& first, const ExhibitKey& second, LinkBasis basis,
                       std::optional<double> likelihood_ratio, const std::string& note_text) {
    const std::string object = "case " + first.case_key.case_number + " item " + first.item_number + " ~ case " +
                               second.case_key.case_number + " item " + second.item_number;
    return state_->perform(
        session, Permission::handle_evidence, "link.add", object, [&](Transaction& transaction, AuditNote& note) {
            require_optional_text("link note", note_text);
            const ExhibitRecord a = state_->find_exhibit(transaction, session, first);
            const ExhibitRecord b = state_->find_exhibit(transaction, session, second);
            if (a.id == b.id) throw InputError("an item cannot be linked to itself");
            std::string basis_name;
            if (basis == LinkBasis::identical_identity) {
                if (likelihood_ratio) throw InputError("a link by identical identity takes no likelihood ratio");
                const Rows shared = transaction.query(
                    "SELECT r1.manufacturer_code, r1.model_code, r1.serial FROM readings r1 JOIN readings r2 "
                    "ON r1.manufacturer_code = r2.manufacturer_code AND r1.model_code = r2.model_code AND "
                    "r1.serial = r2.serial WHERE r1.exhibit_id = $1 AND r2.exhibit_id = $2 AND "
                    "r1.status = 'decoded' AND r2.status = 'decoded' LIMIT 1",
                    {a.id, b.id});
                if (shared.empty())
                    throw InputError("the two items share no decoded identity: link them with a likelihood ratio instead");
                basis_name = "identical_identity";
                note.detail = fmt::format("identical identity {}/{}/{}", as_integer(shared[0][0]),
                                          as_integer(shared[0][1]), as_text(shared[0][2]));
            } else {
                if (!likelihood_ratio || !std::isfinite(*likelihood_ratio) || *likelihood_ratio <= 0)
                    throw InputError("a link by likelihood ratio needs a positive, finite ratio");
                basis_name = "likelihood_ratio";
                note.detail = fmt::format("likelihood ratio {}", *likelihood_ratio);
            }
            const std::string at = state_->now();
            Parameters parameters{a.id, b.id, basis_name};
            if (likelihood_ratio) parameters.emplace_back(*likelihood_ratio);
            else parameters.emplace_back(std::monostate{});
            parameters.emplace_back(note_text);
            parameters.emplace_back(at);
            parameters.emplace_back(session.user());
            const Rows rows = transaction.query(
                "INSERT INTO links (exhibit_a, exhibit_b, basis, likelihood_ratio, note, created_at, created_by) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                parameters);
            return LinkRecord{as_integer(rows[0][0]), a.id, b.id, basis_name, likelihood_ratio, note_text, at,
                              session.user()};
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
            std::size_t reading_count = 0;
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
                if (any) transaction.query(readings_sql, reading_parameters);
            }
            note.detail = fmt::format("{} exhibits, {} readings", exhibits.size(), reading_count);
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

namespace {

std::string identity_object(const IdentityQuery& query) {
    return fmt::format("identity {}/{}/{}", query.manufacturer_code, query.model_code, query.serial);
}

std::vector<IdentityMatch> identity_matches(Transaction& transaction, const IdentityQuery& query) {
    static const std::string sql = "SELECT " + std::string(exhibit_columns) +
                                   ", r.id, r.status FROM readings r JOIN exhibits e ON e.id = r.exhibit_id "
                                   "JOIN cases c ON c.id = e.case_id WHERE r.manufacturer_code = $1 AND "
                                   "r.model_code = $2 AND r.serial = $3 ORDER BY r.id";
    std::vector<IdentityMatch> matches;
    for (const Row& row : transaction.query(
             sql, {std::int64_t{query.manufacturer_code}, std::int64_t{query.model_code}, query.serial}))
        matches.push_back({exhibit_from_row(row), as_integer(row[10]), as_text(row[11])});
    return matches;
}

// Many lookups to a statement: the queries travel as a VALUES list joined to the
// readings, so PostgreSQL answers a chunk in one round trip instead of one per lookup,
// and SQLite runs one statement per chunk. Full chunks share one (prepared) text.
constexpr std::size_t lookups_per_statement = 64;

std::string identity_batch_sql(std::size_t count) {
    std::string sql = "WITH q (query_index, manufacturer_code, model_code, serial) AS (VALUES ";
    for (std::size_t i = 0; i < count; ++i)
        sql += fmt::format("{}(CAST(${} AS INTEGER), CAST(${} AS INTEGER), CAST(${} AS INTEGER), CAST(${} AS TEXT))",
                           i == 0 ? "" : ", ", 4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4);
    return sql + ") SELECT " + std::string(exhibit_columns) +
           ", r.id, r.status, q.query_index FROM q JOIN readings r ON r.manufacturer_code = q.manufacturer_code AND "
           "r.model_code = q.model_code AND r.serial = q.serial JOIN exhibits e ON e.id = r.exhibit_id "
           "JOIN cases c ON c.id = e.case_id ORDER BY q.query_index, r.id";
}

std::vector<std::vector<IdentityMatch>> identity_matches(Transaction& transaction, std::span<const IdentityQuery> queries) {
    static const std::string full_chunk = identity_batch_sql(lookups_per_statement);
    std::vector<std::vector<IdentityMatch>> results(queries.size());
    for (std::size_t start = 0; start < queries.size(); start += lookups_per_statement) {
        const std::size_t count = std::min(lookups_per_statement, queries.size() - start);
        Parameters parameters;
        parameters.reserve(4 * count);
        for (std::size_t i = start; i < start + count; ++i)
            parameters.insert(parameters.end(), {static_cast<std::int64_t>(i), std::int64_t{queries[i].manufacturer_code},
                                                 std::int64_t{queries[i].model_code}, queries[i].serial});
        for (const Row& row :
             transaction.query(count == lookups_per_statement ? full_chunk : identity_batch_sql(count), parameters))
            results[static_cast<std::size_t>(as_integer(row[12]))].push_back(
                {exhibit_from_row(row), as_integer(row[10]), as_text(row[11])});
    }
    return results;
}

} // namespace

std::vector<IdentityMatch> Store::find_identity(const Session& session, std::uint16_t manufacturer_code,
                                                std::uint16_t model_code, const std::string& serial) {
    const IdentityQuery query{manufacturer_code, model_code, serial};
    return state_->perform(session, Permission::read_evidence, "search.identity", identity_object(query),
                           [&](Transaction& transaction, AuditNote& note) {
                               std::vector<IdentityMatch> matches = identity_matches(transaction, query);
                               note.detail = fmt::format("{} matches", matches.size());
                               return matches;
                           });
}

std::vector<std::vector<IdentityMatch>> Store::find_identities(const Session& session,
                                                               std::span<const IdentityQuery> queries) {
    if (queries.empty()) return {};
    return state_->perform(session, Permission::read_evidence, "search.identity",
                           fmt::format("{} identities", queries.size()),
                           [&](Transaction& transaction, AuditNote& note) {
                               std::vector<std::vector<IdentityMatch>> results = identity_matches(transaction, queries);
                               note.each.reserve(queries.size());
                               for (std::size_t i = 0; i < queries.size(); ++i)
                                   note.each.push_back({identity_object(queries[i]),
                                                        fmt::format("{} matches", results[i].size())});
                               return results;
                           });
}

std::vector<Candidate> Store::search_partial(const Session& session, const PartialQuery& query) {
    const std::string pattern = normalise_serial_pattern(query.serial_pattern);
    return state_->perform(session, Permission::read_evidence, "search.partial", "serial pattern " + pattern,
                           [&](Transaction& transaction, AuditNote& note) {
                               state_->refresh_serial_index(transaction);
                               std::vector<Candidate> candidates;
                               for (const auto& ranked :
                                    state_->serial_index.rank(pattern, query.model, query.limit, query.manufacturer_code,
                                                              query.model_code))
                                   candidates.push_back({state_->exhibit_by_id(transaction, ranked.exhibit_id),
                                                         ranked.serial, ranked.manufacturer_code, ranked.model_code,
                                                         ranked.score});
                               note.detail = fmt::format("{} candidates of {} readings", candidates.size(),
                                                         state_->serial_index.size());
                               return candidates;
                           });
}

TraceRequest Store::issue_trace_request(const Session& session, const NewTraceRequest& request) {
    return state_->perform(
        session, Permission::issue_trace_request, "trace_request.export",
        "case " + request.exhibit.case_key.case_number + " item " + request.exhibit.item_number,
        [&](Transaction& transaction, AuditNote& note) {
            if (request.priority != "routine" && request.priority != "urgent")
                throw InputError("trace priority '" + request.priority + "' must be routine or urgent");
            require_text("requesting officer", request.officer, 100);
            require_text("firearm type", request.firearm_type, 50);
            require_optional_text("country of origin", request.country_of_origin, 100);
            require_optional_text("importer", request.importer, 200);
            const ExhibitRecord exhibit = state_->find_exhibit(transaction, session, request.exhibit);
            const CaseRecord case_record =
                state_->find_case(transaction, session, {exhibit.agency_ori, exhibit.case_number});
            const Rows readings = transaction.query("SELECT manufacturer_code, model_code, serial FROM readings WHERE "
                                                    "exhibit_id = $1 AND status = 'decoded' ORDER BY id DESC LIMIT 1",
                                                    {exhibit.id});
            if (readings.empty())
                throw InputError("item " + exhibit.item_number +
                                 " has no decoded reading: a trace request needs make, model and serial");
            const auto manufacturer_code = static_cast<std::uint16_t>(as_integer(readings[0][0]));
            const auto model_code = static_cast<std::uint16_t>(as_integer(readings[0][1]));
            TraceRequest trace;
            trace.priority = request.priority;
            trace.offense_code = case_record.offense_code;
            trace.agency_ori = case_record.agency_ori;
            trace.officer = request.officer;
            trace.case_number = case_record.case_number;
            trace.item_number = exhibit.item_number;
            trace.serial = as_text(readings[0][2]);
            trace.obliterated = request.obliterated;
            const Catalog& catalog = default_catalog();
            const Manufacturer* manufacturer = catalog.find_manufacturer(manufacturer_code);
            const Model* model = catalog.find_model(manufacturer_code, model_code);
            trace.manufacturer = manufacturer ? manufacturer->name : fmt::format("manufacturer code {}", manufacturer_code);
            trace.model = model ? model->name : fmt::format("model code {}", model_code);
            trace.caliber = !request.caliber.empty() ? request.caliber : model ? model->caliber : "";
            trace.firearm_type = request.firearm_type;
            trace.country_of_origin = request.country_of_origin;
            trace.importer = request.importer;
            trace.created_at = state_->now();
            trace.created_by = session.user();
            const Rows rows = transaction.query(
                "INSERT INTO trace_requests (exhibit_id, priority, offense_code, agency_ori, officer, case_number, "
                "item_number, serial, obliterated, manufacturer, firearm_type, caliber, model, country_of_origin, "
                "importer, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
                "$15, $16, $17) RETURNING id",
                {exhibit.id, trace.priority, trace.offense_code, trace.agency_ori, trace.officer, trace.case_number,
                 trace.item_number, trace.serial, std::int64_t{trace.obliterated ? 1 : 0}, trace.manufacturer,
                 trace.firearm_type, trace.caliber, trace.model, trace.country_of_origin, trace.importer,
                 trace.created_at, trace.created_by});
            trace.id = as_integer(rows[0][0]);
            note.detail = fmt::format("trace request {}: {} {} serial {}", trace.id, trace.manufacturer, trace.model,
                                      trace.serial);
            return trace;
        });
}

std::optional<Checkpoint> Store::checkpoint() {
    if (!state_->signing_key)
        throw StoreError("no audit signing key for " + state_->location.display +
                         ": give --signing-key FILE or set MICROSTAMP_SIGNING_KEY_FILE");
    std::optional<Checkpoint> signed_checkpoint;
    state_->database->transact(TransactionMode::write, [&](Transaction& transaction) {
        const Head head = state_->lock_head(transaction);
        if (head.size == 0) return;
        if (!transaction.query("SELECT 1 FROM audit_checkpoints WHERE tree_size = $1", {head.size}).empty()) return;
        signed_checkpoint = state_->insert_checkpoint(transaction, head);
    });
    return signed_checkpoint;
}

namespace {

struct AuditSnapshot {
    std::vector<AuditRecord> records;
    std::vector<Checkpoint> checkpoints;
    AuditHead head;
};

AuditSnapshot read_audit(Transaction& transaction) {
    AuditSnapshot snapshot;
    for (const Row& row : transaction.query("SELECT sequence, recorded_at, user_name, role, action, object, outcome, "
                                            "detail, previous_hash, entry_hash FROM audit_log ORDER BY sequence"))
        snapshot.records.push_back(audit_from_row(row));
    for (const Row& row : transaction.query("SELECT tree_size, root_hash, signed_at, signature FROM "
                                            "audit_checkpoints ORDER BY tree_size"))
        snapshot.checkpoints.push_back({as_integer(row[0]), as_text(row[1]), as_text(row[2]), as_text(row[3])});
    const Rows head = transaction.query("SELECT size, last_hash FROM audit_head WHERE singleton = 1");
    if (!head.empty()) snapshot.head = {as_integer(head[0][0]), as_text(head[0][1])};
    return snapshot;
}

} // namespace

AuditVerification Store::verify_audit(const Session& session, std::optional<std::vector<std::uint8_t>> pinned_public_key) {
    state_->check_session(session, state_.get());
    if (!role_allows(session.role(), Permission::audit))
        state_->perform(session, Permission::audit, "audit.verify", "audit log", [](Transaction&, AuditNote&) { return 0; });
    AuditSnapshot snapshot;
    state_->database->transact(TransactionMode::read, [&](Transaction& transaction) { snapshot = read_audit(transaction); });
    const std::vector<std::uint8_t> key = pinned_public_key ? *pinned_public_key : state_->public_key;
    const AuditVerification verification = verify_audit_log(snapshot.records, snapshot.checkpoints, snapshot.head, key);
    const std::string detail = verification.intact ? fmt::format("intact: {} records, {} checkpoints",
                                                                 verification.records, verification.checkpoints)
                                                   : "BROKEN: " + verification.problem;
    // The verdict must reach the auditor even when the damage stops the log taking a record.
    try {
        state_->append_alone(session.user(), std::string(role_name(session.role())), "audit.verify", "audit log",
                             verification.intact ? "success" : "failure", detail);
    } catch (const StoreError&) {
        if (verification.intact) throw;
    }
    return verification;
}

InclusionProof Store::prove_record(const Session& session, std::int64_t sequence) {
    if (role_allows(session.role(), Permission::audit) && state_->signing_key) {
        bool covered = false;
        state_->database->transact(TransactionMode::read, [&](Transaction& transaction) {
            const Rows rows = transaction.query("SELECT COALESCE(MAX(tree_size), 0) FROM audit_checkpoints");
            covered = as_integer(rows[0][0]) >= sequence;
        });
        if (!covered) checkpoint();
    }
    return state_->perform(
        session, Permission::audit, "audit.prove", fmt::format("record {}", sequence),
        [&](Transaction& transaction, AuditNote& note) {
            const AuditSnapshot snapshot = read_audit(transaction);
            if (sequence < 1 || sequence > static_cast<std::int64_t>(snapshot.records.size()))
                throw InputError(fmt::format("the audit log has no record {} (it holds {})", sequence,
                                             snapshot.records.size()));
            const Checkpoint* against = nullptr;
            for (const auto& checkpoint : snapshot.checkpoints)
                if (checkpoint.tree_size >= sequence) {
                    against = &checkpoint;
                    break;
                }
            if (!against)
                throw InputError(fmt::format("no signed checkpoint covers record {} yet, and no signing key is at hand",
                                             sequence));
            if (against->tree_size > static_cast<std::int64_t>(snapshot.records.size()))
                throw InputError("the audit log is shorter than its checkpoint: run `audit verify`");
            std::vector<Sha256> leaves;
            leaves.reserve(static_cast<std::size_t>(against->tree_size));
            for (std::int64_t i = 0; i < against->tree_size; ++i)
                leaves.push_back(merkle_leaf_hash(audit_leaf_data(snapshot.records[static_cast<std::size_t>(i)])));
            InclusionProof proof;
            proof.record = snapshot.records[static_cast<std::size_t>(sequence - 1)];
            proof.tree_size = against->tree_size;
            proof.root_hash = against->root_hash;
            proof.checkpoint_signature = against->signature;
            for (const auto& step : inclusion_path(leaves, static_cast<std::uint64_t>(sequence - 1)))
                proof.path.push_back(hex(step));
            note.detail = fmt::format("against checkpoint at tree size {}", against->tree_size);
            return proof;
        });
}

// ---- bearer sessions ----------------------------------------------------------------------

namespace {

// A busy session's last use is written at most this often, so a stream of requests
// costs reads, not writes; the idle lock is exact to within this interval.
constexpr std::int64_t session_touch_interval_ms = 10'000;

} // namespace

OpenedSession Store::open_session(const std::string& name, const std::string& password) {
    Session session = logon(name, password);
    std::vector<std::uint8_t> secret(32);
    randombytes_buf(secret.data(), secret.size());
    std::string token = hex(secret);
    const std::int64_t now_ms = milliseconds_since_epoch(state_->options.clock());
    state_->database->transact(TransactionMode::write, [&](Transaction& transaction) {
        transaction.query("INSERT INTO sessions (token_sha256, user_name, started_ms, last_used_ms) VALUES ($1, $2, $3, $3)",
                          {hex(sha256(token)), name, now_ms});
    });
    return {std::move(session), std::move(token)};
}

Session Store::resume_session(const std::string& token) {
    const std::string token_hash = hex(sha256(token));
    const std::int64_t now_ms = milliseconds_since_epoch(state_->options.clock());
    std::string user = "-", role_text = "-", agency, refusal;
    std::int64_t last_used = 0;
    state_->database->transact(TransactionMode::read, [&](Transaction& transaction) {
        const Rows rows = transaction.query("SELECT s.user_name, s.started_ms, s.last_used_ms, s.ended, u.role, u.agency_ori "
                                            "FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.token_sha256 = $1",
                                            {token_hash});
        if (rows.empty()) {
            refusal = "no such session";
            return;
        }
        user = as_text(rows[0][0]);
        role_text = as_text(rows[0][4]);
        agency = as_text(rows[0][5]);
        last_used = as_integer(rows[0][2]);
        if (as_integer(rows[0][3]) != 0) refusal = "the session was logged out";
        else if (now_ms - last_used > state_->options.session_idle_limit.count())
            refusal = fmt::format("the session locked after {} minutes idle", state_->options.session_idle_limit.count() / 60'000);
        else if (now_ms - as_integer(rows[0][1]) > state_->options.session_lifetime.count())
            refusal = fmt::format("the session ended {} hours after logon", state_->options.session_lifetime.count() / 3'600'000);
    });
    if (!refusal.empty()) {
        state_->append_alone(user, role_text, "session.resume", "user " + user, "refused", refusal);
        throw LogonError("session refused: " + refusal + "; log on again");
    }
    if (now_ms - last_used >= session_touch_interval_ms)
        state_->database->transact(TransactionMode::write, [&](Transaction& transaction) {
            transaction.query("UPDATE sessions SET last_used_ms = $1 WHERE token_sha256 = $2 AND last_used_ms < $1",
                              {now_ms, token_hash});
        });
    return Session(user, parse_role(role_text), agency, state_.get());
}

void Store::end_session(const std::string& token) {
    const std::string token_hash = hex(sha256(token));
    state_->database->transact(TransactionMode::write, [&](Transaction& transaction) {
        Head head = state_->lock_head(transaction);
        const Rows rows = transaction.query("SELECT s.user_name, u.role FROM sessions s JOIN users u ON u.name = s.user_name "
                                            "WHERE s.token_sha256 = $1 AND s.ended = 0",
                                            {token_hash});
        if (rows.empty()) {
            state_->append_audit(transaction, head, "-", "-", "logout", "session", "failure", "no such open session");
            return;
        }
        transaction.query("UPDATE sessions SET ended = 1 WHERE token_sha256 = $1", {token_hash});
        state_->append_audit(transaction, head, as_text(rows[0][0]), as_text(rows[0][1]), "logout",
                             "user " + as_text(rows[0][0]), "success", "");
    });
}

void Store::record_event(const std::string& user, const std::string& role, const std::string& action,
                         const std::string& object, const std::string& outcome, const std::string& detail) {
    state_->append_alone(user, role, action, object, outcome, detail);
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
