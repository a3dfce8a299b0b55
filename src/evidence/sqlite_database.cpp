// SQLite backend: one file, write-ahead log, a busy timeout so that two processes
// writing at once queue rather than fail.

#include "evidence/database.hpp"

#include "evidence/errors.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <unordered_map>

namespace microstamp::database {
namespace {

// How long a writer waits for another process's transaction before giving up.
// Long, because a bulk import can hold the lock for seconds; a lab would rather wait.
constexpr int busy_timeout_ms = 60'000;
constexpr std::int64_t memory_map_bytes = std::int64_t{1} << 30;
constexpr int page_cache_kibibytes = 64 * 1024;

// "$12" -> "?12": SQLite numbers ?NNN parameters exactly as PostgreSQL numbers $NNN.
std::string sqlite_placeholders(std::string_view sql) {
    std::string converted(sql);
    for (std::size_t i = 0; i + 1 < converted.size(); ++i)
        if (converted[i] == '$' && converted[i + 1] >= '0' && converted[i + 1] <= '9') converted[i] = '?';
    return converted;
}

class SqliteDatabase;

class SqliteTransaction final : public Transaction {
public:
    explicit SqliteTransaction(SqliteDatabase& database) : database_(database) {}
    Rows query(std::string_view sql, const Parameters& parameters) override;
    void execute_script(std::string_view sql) override;

private:
    SqliteDatabase& database_;
};

class SqliteDatabase final : public Database {
public:
    SqliteDatabase(const std::string& path, bool create, Durability durability) : path_(path) {
        if (!create && !std::filesystem::exists(path))
            throw StoreError("no store at sqlite:" + path + ": create one with `microstamp case init`");
        const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
        if (sqlite3_open_v2(path.c_str(), &connection_, flags, nullptr) != SQLITE_OK) {
            const std::string message = connection_ ? sqlite3_errmsg(connection_) : "out of memory";
            sqlite3_close(connection_);
            throw StoreError("cannot open sqlite:" + path + ": " + message);
        }
        sqlite3_extended_result_codes(connection_, 1);
        sqlite3_busy_timeout(connection_, busy_timeout_ms);
        try {
            // WAL lets readers run beside the one writer. In WAL mode synchronous=NORMAL
            // commits without a flush to disk and stays whole after a process crash;
            // FULL flushes the log at every commit so a power cut loses nothing either
            // (4-6 ms a commit on the disk we measured: see docs/evidence.md).
            run("PRAGMA journal_mode=WAL");
            run(durability == Durability::power_loss ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
            run("PRAGMA foreign_keys=ON");
            // Read pages through a memory map rather than a read() call each, and keep more
            // of them: a lookup descends four B-trees (serial index, readings, exhibits,
            // cases). Address space only; the operating system's page cache holds the data.
            run("PRAGMA mmap_size=" + std::to_string(memory_map_bytes));
            run("PRAGMA cache_size=-" + std::to_string(page_cache_kibibytes));
        } catch (...) {
            sqlite3_close(connection_);
            throw;
        }
    }

    ~SqliteDatabase() override {
        for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
        sqlite3_close(connection_);
    }

    Backend backend() const override { return Backend::sqlite; }

    void transact(TransactionMode mode, const std::function<void(Transaction&)>& work) override {
        // Prepared once like every other statement: at tens of thousands of transactions
        // a second, parsing BEGIN and COMMIT each time shows.
        query(mode == TransactionMode::write ? "BEGIN IMMEDIATE" : "BEGIN", {});
        try {
            SqliteTransaction transaction(*this);
            work(transaction);
            query("COMMIT", {});
        } catch (...) {
            sqlite3_exec(connection_, "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
    }

    Rows query(std::string_view sql, const Parameters& parameters) {
        sqlite3_stmt* statement = prepare(sql);
        sqlite3_reset(statement);
        sqlite3_clear_bindings(statement);
        for (std::size_t i = 0; i < parameters.size(); ++i) bind(statement, static_cast<int>(i + 1), parameters[i]);
        Rows rows;
        for (;;) {
            const int status = sqlite3_step(statement);
            if (status == SQLITE_DONE) break;
            if (status != SQLITE_ROW) {
                sqlite3_reset(statement);
                fail(status);
            }
            const int columns = sqlite3_column_count(statement);
            Row row;
            row.reserve(static_cast<std::size_t>(columns));
            for (int column = 0; column < columns; ++column) row.push_back(column_value(statement, column));
            rows.push_back(std::move(row));
        }
        sqlite3_reset(statement);
        return rows;
    }

    void run(std::string_view sql) {
        const std::string text(sql);
        char* error = nullptr;
        const int status = sqlite3_exec(connection_, text.c_str(), nullptr, nullptr, &error);
        if (status != SQLITE_OK) {
            const std::string message = error ? error : sqlite3_errstr(status);
            sqlite3_free(error);
            fail(status, message);
        }
    }

private:
    sqlite3_stmt* prepare(std::string_view sql) {
        std::string key(sql);
        if (auto found = statements_.find(key); found != statements_.end()) return found->second;
        const std::string converted = sqlite_placeholders(sql);
        sqlite3_stmt* statement = nullptr;
        const int status = sqlite3_prepare_v3(connection_, converted.c_str(), static_cast<int>(converted.size()),
                                              SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
        if (status != SQLITE_OK) fail(status);
        statements_.emplace(std::move(key), statement);
        return statement;
    }

    void bind(sqlite3_stmt* statement, int index, const Value& value) {
        int status = SQLITE_OK;
        if (std::holds_alternative<std::monostate>(value)) status = sqlite3_bind_null(statement, index);
        else if (const auto* integer = std::get_if<std::int64_t>(&value))
            status = sqlite3_bind_int64(statement, index, *integer);
        else if (const auto* real = std::get_if<double>(&value)) status = sqlite3_bind_double(statement, index, *real);
        else if (const auto* text = std::get_if<std::string>(&value))
            status = sqlite3_bind_text64(statement, index, text->data(), text->size(), SQLITE_STATIC, SQLITE_UTF8);
        else {
            const BytesView bytes = blob_parameter(value);
            // A zero-length blob must still be a blob, not NULL: give SQLite a valid pointer.
            static const std::uint8_t empty = 0;
            status = sqlite3_bind_blob64(statement, index, bytes.empty() ? &empty : bytes.data(), bytes.size(),
                                         SQLITE_STATIC);
        }
        if (status != SQLITE_OK) fail(status);
    }

    static Value column_value(sqlite3_stmt* statement, int column) {
        switch (sqlite3_column_type(statement, column)) {
        case SQLITE_INTEGER: return std::int64_t{sqlite3_column_int64(statement, column)};
        case SQLITE_FLOAT: return sqlite3_column_double(statement, column);
        case SQLITE_TEXT: {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
            return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(statement, column)));
        }
        case SQLITE_BLOB: {
            const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(statement, column));
            return Bytes(data, data + sqlite3_column_bytes(statement, column));
        }
        default: return std::monostate{};
        }
    }

    [[noreturn]] void fail(int status, const std::string& message = {}) {
        const std::string detail = message.empty() ? sqlite3_errmsg(connection_) : message;
        const std::string text = "sqlite:" + path_ + ": " + detail;
        if ((status & 0xFF) == SQLITE_CONSTRAINT) throw ConflictError(text);
        if ((status & 0xFF) == SQLITE_BUSY || (status & 0xFF) == SQLITE_LOCKED)
            throw StoreError(text + " (another process held the store too long; try again)");
        throw StoreError(text);
    }

    std::string path_;
    sqlite3* connection_ = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

Rows SqliteTransaction::query(std::string_view sql, const Parameters& parameters) {
    return database_.query(sql, parameters);
}

void SqliteTransaction::execute_script(std::string_view sql) { database_.run(sql); }

} // namespace

std::unique_ptr<Database> open_sqlite(const std::string& path, bool create, Durability durability) {
    return std::make_unique<SqliteDatabase>(path, create, durability);
}

} // namespace microstamp::database
