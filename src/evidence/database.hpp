#pragma once
// The narrow SQL seam under the Store: a backend runs parameterised statements
// inside transactions and hands back rows of plain values. Statements are written
// once, with PostgreSQL's $1, $2 ... placeholders; the SQLite backend maps them.
// Nothing above this file knows which database it talks to, except the schema,
// which names a few types per backend (see schema.cpp).

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace microstamp::database {

using Bytes = std::vector<std::uint8_t>;
// A blob parameter bound in place: the caller keeps the bytes alive for the statement,
// so a scan of many megabytes is not copied into the parameters. Never in a row.
using BytesView = std::span<const std::uint8_t>;
// NULL, integer, real, text, blob: the types both backends share.
using Value = std::variant<std::monostate, std::int64_t, double, std::string, Bytes, BytesView>;
using Row = std::vector<Value>;
using Rows = std::vector<Row>;
using Parameters = std::vector<Value>;

enum class Backend { sqlite, postgresql };

// What a transaction that has committed survives. Both keep every transaction whole
// (all or nothing) and the audit chain unbroken; they differ in how much a power cut
// or an operating-system crash can take back.
enum class Durability {
    // Survives the program being killed at any point. An OS crash or power cut may roll
    // back the last commits (SQLite: those since the write-ahead log was last synced, at
    // its checkpoints; PostgreSQL: the last few hundred milliseconds). SQLite
    // synchronous=NORMAL in WAL mode; PostgreSQL synchronous_commit=off. No disk flush per
    // commit, which is what makes thousands of audited operations a second possible.
    process_crash,
    // Also survives a power cut: one flush to disk per commit (SQLite synchronous=FULL;
    // PostgreSQL synchronous_commit as the server is configured, on by default).
    power_loss,
};

bool is_null(const Value& value);
// Throw StoreError naming the expected type when the value holds something else.
std::int64_t as_integer(const Value& value);
double as_real(const Value& value);
const std::string& as_text(const Value& value);
const Bytes& as_bytes(const Value& value);
// A blob parameter, held (Bytes) or bound in place (BytesView).
BytesView blob_parameter(const Value& value);

// Statements run inside one transaction; a throw from the work rolls it back.
class Transaction {
public:
    virtual ~Transaction() = default;
    virtual Rows query(std::string_view sql, const Parameters& parameters = {}) = 0;
    // Several statements without parameters (schema scripts).
    virtual void execute_script(std::string_view sql) = 0;
};

enum class TransactionMode {
    read,   // a consistent snapshot; must not write
    write,  // takes the write lock up front, so two writers queue instead of failing
};

class Database {
public:
    virtual ~Database() = default;
    virtual Backend backend() const = 0;
    // Runs `work` in one transaction and commits it; any exception rolls back and
    // propagates. Constraint violations arrive as ConflictError, all else as StoreError.
    virtual void transact(TransactionMode mode, const std::function<void(Transaction&)>& work) = 0;
};

// `create` makes the file when it does not exist; otherwise a missing file is an error.
std::unique_ptr<Database> open_sqlite(const std::string& path, bool create,
                                      Durability durability = Durability::process_crash);
// `connection` is a libpq URI; `display_name` (password removed) is what errors show.
std::unique_ptr<Database> open_postgresql(const std::string& connection, const std::string& display_name,
                                          Durability durability = Durability::process_crash);

} // namespace microstamp::database
