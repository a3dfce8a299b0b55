// PostgreSQL backend through libpqxx 6.4. Every parameter travels as text (bytea
// in hex form), which libpq's text protocol accepts for every type we use.

#include "evidence/database.hpp"

#include "evidence/errors.hpp"

#include <pqxx/pqxx>

#include <fmt/core.h>

#include <unordered_map>

namespace {

// A parameter as libpq's text protocol wants it: a string, or NULL.
struct PostgresParameter {
    bool null = true;
    std::string text;
};

} // namespace

namespace pqxx {
template <> struct string_traits<PostgresParameter> {
    static constexpr const char* name() noexcept { return "PostgresParameter"; }
    static constexpr bool has_null() noexcept { return true; }
    static bool is_null(const PostgresParameter& parameter) { return parameter.null; }
    static PostgresParameter null() { return {}; }
    static void from_string(const char text[], PostgresParameter& parameter) { parameter = {false, text}; }
    static std::string to_string(const PostgresParameter& parameter) { return parameter.text; }
};
} // namespace pqxx

namespace microstamp::database {
namespace {

// PostgreSQL type OIDs (pg_type.dat); fixed since PostgreSQL 7.
constexpr pqxx::oid bool_oid = 16, bytea_oid = 17, int8_oid = 20, int2_oid = 21, int4_oid = 23, float4_oid = 700,
                    float8_oid = 701;

constexpr char hex_digits[] = "0123456789abcdef";

PostgresParameter parameter_text(const Value& value) {
    if (std::holds_alternative<std::monostate>(value)) return {};
    if (const auto* integer = std::get_if<std::int64_t>(&value)) return {false, std::to_string(*integer)};
    if (const auto* real = std::get_if<double>(&value)) return {false, fmt::format("{}", *real)};
    if (const auto* text = std::get_if<std::string>(&value)) return {false, *text};
    const BytesView bytes = blob_parameter(value);
    std::string hex = "\\x";
    hex.reserve(2 + 2 * bytes.size());
    for (const auto byte : bytes) {
        hex.push_back(hex_digits[byte >> 4]);
        hex.push_back(hex_digits[byte & 15]);
    }
    return {false, std::move(hex)};
}

int hex_value(char digit) {
    if (digit >= '0' && digit <= '9') return digit - '0';
    if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
    if (digit >= 'A' && digit <= 'F') return digit - 'A' + 10;
    throw StoreError("PostgreSQL returned a bytea value that is not hex: set bytea_output = 'hex'");
}

Bytes bytes_from_hex_bytea(const char* text, std::size_t size) {
    if (size < 2 || text[0] != '\\' || text[1] != 'x')
        throw StoreError("PostgreSQL returned a bytea value that is not hex: set bytea_output = 'hex'");
    Bytes bytes;
    bytes.reserve((size - 2) / 2);
    for (std::size_t i = 2; i + 1 < size; i += 2)
        bytes.push_back(static_cast<std::uint8_t>(hex_value(text[i]) * 16 + hex_value(text[i + 1])));
    return bytes;
}

Value field_value(const pqxx::field& field) {
    if (field.is_null()) return std::monostate{};
    const char* text = field.c_str();
    const std::size_t size = field.size();
    switch (field.type()) {
    case int2_oid:
    case int4_oid:
    case int8_oid: return std::int64_t{std::stoll(std::string(text, size))};
    case float4_oid:
    case float8_oid: return std::stod(std::string(text, size));
    case bool_oid: return std::int64_t{text[0] == 't' ? 1 : 0};
    case bytea_oid: return bytes_from_hex_bytea(text, size);
    default: return std::string(text, size);
    }
}

// libpq messages span lines ("ERROR: ...\nDETAIL: ..."): keep the first, and the
// detail when there is one, on one line.
std::string one_line(std::string message) {
    for (auto& character : message)
        if (character == '\n') character = ' ';
    while (!message.empty() && message.back() == ' ') message.pop_back();
    return message;
}

// Statements the Store sends again and again are prepared once per connection, so the
// server parses and plans them once: a round trip then costs execution only. Generated
// statements of many shapes (bulk inserts of any row count) would fill the cache, so
// past `capacity` new texts run unprepared.
class PreparedStatements {
public:
    // The name the statement is prepared under, or empty when the cache is full.
    const std::string& name_for(pqxx::connection& connection, const std::string& sql) {
        static const std::string none;
        if (const auto found = names_.find(sql); found != names_.end()) return found->second;
        if (names_.size() >= capacity) return none;
        std::string name = "microstamp_" + std::to_string(names_.size() + 1);
        connection.prepare(name, sql);
        return names_.emplace(sql, std::move(name)).first->second;
    }

private:
    static constexpr std::size_t capacity = 256;
    std::unordered_map<std::string, std::string> names_;
};

class PostgresTransaction final : public Transaction {
public:
    PostgresTransaction(pqxx::work& work, pqxx::connection& connection, PreparedStatements& statements)
        : work_(work), connection_(connection), statements_(statements) {}

    Rows query(std::string_view sql, const Parameters& parameters) override {
        std::vector<PostgresParameter> texts;
        texts.reserve(parameters.size());
        for (const auto& parameter : parameters) texts.push_back(parameter_text(parameter));
        pqxx::result result;
        try {
            const std::string text(sql);
            const std::string& name = statements_.name_for(connection_, text);
            result = name.empty() ? work_.exec_params(text, pqxx::prepare::make_dynamic_params(texts))
                                  : work_.exec_prepared(name, pqxx::prepare::make_dynamic_params(texts));
        } catch (const pqxx::integrity_constraint_violation& error) {
            throw ConflictError("PostgreSQL: " + one_line(error.what()));
        }
        Rows rows;
        rows.reserve(result.size());
        for (const auto& result_row : result) {
            Row row;
            row.reserve(result_row.size());
            for (const auto& field : result_row) row.push_back(field_value(field));
            rows.push_back(std::move(row));
        }
        return rows;
    }

    void execute_script(std::string_view sql) override { work_.exec(std::string(sql)); }

private:
    pqxx::work& work_;
    pqxx::connection& connection_;
    PreparedStatements& statements_;
};

class PostgresDatabase final : public Database {
public:
    PostgresDatabase(const std::string& connection, const std::string& display_name, Durability durability)
        : display_name_(display_name) {
        try {
            connection_ = std::make_unique<pqxx::connection>(connection);
            // The library never prints: keep libpq's notices (e.g. "table exists") off stderr.
            pqxx::nontransaction setup(*connection_);
            setup.exec("SET client_min_messages = warning; SET bytea_output = 'hex'; SET TIME ZONE 'UTC'");
            // Without a flush per commit, a commit survives this program's death (the
            // server has it) but a server crash may take back the last few.
            if (durability == Durability::process_crash) setup.exec("SET synchronous_commit = off");
        } catch (const pqxx::broken_connection& error) {
            throw StoreError("cannot connect to " + display_name_ + ": " + one_line(error.what()));
        } catch (const std::exception& error) {
            throw StoreError("cannot use " + display_name_ + ": " + one_line(error.what()));
        }
    }

    Backend backend() const override { return Backend::postgresql; }

    void transact(TransactionMode mode, const std::function<void(Transaction&)>& work) override {
        try {
            pqxx::work transaction(*connection_);
            PostgresTransaction wrapped(transaction, *connection_, statements_);
            work(wrapped);
            (void)mode;  // PostgreSQL's writers serialise on row locks the Store takes.
            transaction.commit();
        } catch (const pqxx::integrity_constraint_violation& error) {
            throw ConflictError(display_name_ + ": " + one_line(error.what()));
        } catch (const pqxx::broken_connection& error) {
            throw StoreError("lost the connection to " + display_name_ + ": " + one_line(error.what()));
        } catch (const pqxx::sql_error& error) {
            throw StoreError(display_name_ + ": " + one_line(error.what()));
        } catch (const pqxx::failure& error) {
            throw StoreError(display_name_ + ": " + one_line(error.what()));
        }
    }

private:
    std::string display_name_;
    std::unique_ptr<pqxx::connection> connection_;
    PreparedStatements statements_;
};

} // namespace

std::unique_ptr<Database> open_postgresql(const std::string& connection, const std::string& display_name,
                                          Durability durability) {
    return std::make_unique<PostgresDatabase>(connection, display_name, durability);
}

} // namespace microstamp::database
