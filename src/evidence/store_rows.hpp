#pragma once
// Private to the store's files (src/evidence/store*.cpp): checks of input text, the
// mapping between rows and records, and the SQL that differs by backend.

#include "evidence/store.hpp"

#include "code/identity.hpp"
#include "evidence/errors.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <string>
#include <string_view>

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

// ---- small pure helpers -------------------------------------------------------------

inline std::string format_utc(std::chrono::system_clock::time_point time) {
    const auto milliseconds =
        std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(milliseconds / 1000);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", parts.tm_year + 1900, parts.tm_mon + 1,
                       parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, milliseconds % 1000);
}

inline std::int64_t milliseconds_since_epoch(std::chrono::system_clock::time_point time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

inline void require_text(std::string_view what, const std::string& text, std::size_t maximum = 200) {
    if (text.empty()) throw InputError(std::string(what) + " is empty");
    if (text.size() > maximum) throw InputError(fmt::format("{} is longer than {} characters", what, maximum));
    for (const char c : text)
        if (static_cast<unsigned char>(c) < 0x20) throw InputError(std::string(what) + " contains a control character");
}

inline void require_optional_text(std::string_view what, const std::string& text, std::size_t maximum = 500) {
    if (!text.empty()) require_text(what, text, maximum);
}

// ISO 8601: a date, or a date and time ("2024-05-01", "2024-05-01T22:10", "...:05Z", "...+02:00").
inline void require_iso_time(std::string_view what, const std::string& text) {
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

inline void require_ori(const std::string& ori) {
    bool ok = ori.size() == 9;
    for (const char c : ori) ok = ok && (is_digit(c) || (c >= 'A' && c <= 'Z'));
    if (!ok) throw InputError("agency ORI '" + ori + "' must be 9 characters of A-Z and 0-9 (e.g. WA0010000)");
}

inline void require_offense_code(const std::string& code) {
    if (code.size() != 4 || !std::all_of(code.begin(), code.end(), is_digit))
        throw InputError("NCIC offense code '" + code + "' must be 4 digits (e.g. 5212)");
}

inline void require_user_name(const std::string& name) {
    bool ok = !name.empty() && name.size() <= 64;
    for (const char c : name) ok = ok && (is_digit(c) || (c >= 'a' && c <= 'z') || c == '.' || c == '_' || c == '-');
    if (!ok) throw InputError("user name '" + name + "' must be 1 to 64 of a-z, 0-9, '.', '_' and '-'");
}

inline std::string case_label(const std::string& ori, const std::string& number) { return ori + "/" + number; }

inline Value optional_integer(const std::optional<std::uint16_t>& value) {
    if (!value) return std::monostate{};
    return std::int64_t{*value};
}
inline Value optional_text(const std::optional<std::string>& value) {
    if (!value) return std::monostate{};
    return *value;
}
inline Value text_or_null(const std::string& value) {
    if (value.empty()) return std::monostate{};
    return value;
}
inline std::optional<std::uint16_t> column_code(const Value& value) {
    if (is_null(value)) return std::nullopt;
    return static_cast<std::uint16_t>(as_integer(value));
}
// ---- SQL that differs by backend --------------------------------------------------------

inline std::string_view head_query(Backend backend) {
    // FOR UPDATE makes every PostgreSQL writer queue on the head row, so records are
    // chained in commit order and identities are handed out in that order too.
    return backend == Backend::postgresql
               ? "SELECT size, last_hash, frontier FROM audit_head WHERE singleton = 1 FOR UPDATE"
               : "SELECT size, last_hash, frontier FROM audit_head WHERE singleton = 1";
}

inline std::string_view schema_table_query(Backend backend) {
    return backend == Backend::postgresql
               ? "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() "
                 "AND table_name = 'schema_version'"
               : "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'";
}

inline constexpr std::string_view case_columns = "c.id, c.agency_ori, c.case_number, c.offense_code, c.opened_at, c.opened_by";

inline CaseRecord case_from_row(const Row& row) {
    return {as_integer(row[0]), as_text(row[1]), as_text(row[2]), as_text(row[3]), as_text(row[4]), as_text(row[5])};
}

inline constexpr std::string_view exhibit_columns =
    "e.id, e.case_id, c.case_number, c.agency_ori, e.item_number, e.collected_at, e.collected_place, "
    "e.description, e.created_at, e.created_by";

inline ExhibitRecord exhibit_from_row(const Row& row) {
    return {as_integer(row[0]), as_integer(row[1]), as_text(row[2]), as_text(row[3]), as_text(row[4]),
            as_text(row[5]),    as_text(row[6]),    as_text(row[7]), as_text(row[8]), as_text(row[9])};
}

inline constexpr std::string_view reading_columns =
    "id, exhibit_id, scan_sha256, reader_version, reading_json, status, recorded_at, recorded_by, "
    "manufacturer_code, model_code, serial";

inline ReadingRecord reading_from_row(const Row& row) {
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

inline LinkRecord link_from_row(const Row& row) {
    LinkRecord link{as_integer(row[0]), as_integer(row[1]), as_integer(row[2]), as_text(row[3]), std::nullopt,
                    as_text(row[5]),    as_text(row[6]),    as_text(row[7])};
    if (!is_null(row[4])) link.likelihood_ratio = as_real(row[4]);
    return link;
}

inline AuditRecord audit_from_row(const Row& row) {
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
struct AuditEvent {
    std::string action;
    std::string object;
    std::string detail;
};
struct AuditNote {
    std::string object;
    std::string detail;
    // Set by an operation that does many things in one call (a batch of lookups): one
    // record for each, in this order, instead of the one record above.
    std::vector<AuditEntry> each;
    // Records of other actions the operation caused (leads found on arrival), after its own.
    std::vector<AuditEvent> also = {};
};

// Audit rows per INSERT when an operation appends many: one statement text (prepared
// once) for every full chunk, one for the rest; 64 x 10 values is far below both
// backends' limits.
inline constexpr std::size_t audit_rows_per_insert = 64;

inline std::string audit_insert_sql(std::size_t rows) {
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
inline std::string head_update_sql(std::size_t first) {
    return fmt::format("UPDATE audit_head SET size = ${}, last_hash = ${}, frontier = ${} WHERE singleton = 1", first,
                       first + 1, first + 2);
}

// An audit INSERT of `rows` rows and the head's UPDATE as one PostgreSQL statement.
inline std::string with_head_update(const std::string& insert_sql, std::size_t rows) {
    return "WITH appended AS (" + insert_sql + ") " + head_update_sql(rows * 10 + 1);
}


} // namespace microstamp
