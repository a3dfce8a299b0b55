#pragma once
// The narrow SQL seam under the Store: a backend runs parameterised statements
// inside transactions and hands back rows of plain values. Statements are written
// once, with PostgreSQL's $1, $2 ... placeholders; the SQLite backend maps them.
// Nothing above this file knows which database it talks to, except the schema,
// which names a few types per backend (see schema.cpp).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace microstamp::database {

using Bytes = std::vector<std::uint8_t>;
// NULL, integer, real, text, blob: the types both backends share.
using Value = std::variant<std::monostate, std::int64_t, double, std::string, Bytes>;
using Row = std::vector<Value>;
using Rows = std::vector<Row>;
using Parameters = std::vector<Value>;

enum class Backend { sqlite, postgresql };

bool is_null(const Value& value);
// Throw StoreError naming the expected type when the value holds something else.
std::int64_t as_integer(const Value& value);
double as_real(const Value& value);
const std::string& as_text(const Value& value);
const Bytes& as_bytes(const Value& value);

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
std::unique_ptr<Database> open_sqlite(const std::string& path, bool create);
// `connection` is a libpq URI; `display_name` (password removed) is what errors show.
std::unique_ptr<Database> open_postgresql(const std::string& connection, const std::string& display_name);

} // namespace microstamp::database
