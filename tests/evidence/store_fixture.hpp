#pragma once
// One fresh store per test, on each backend. PostgreSQL comes from
// MICROSTAMP_TEST_POSTGRES (scripts/test.sh starts a server and sets it); each test
// gets its own schema on it. Without the variable the PostgreSQL tests fail in CI
// (CI=true) and are skipped elsewhere, saying why.

#include "code/identity.hpp"
#include "evidence/database.hpp"
#include "evidence/store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace microstamp::testing {

inline const std::string admin_password = "correct horse battery";
inline const std::string examiner_password = "examiner pass 1";
inline const std::string supervisor_password = "supervisor pass 1";
inline const std::string auditor_password = "auditor pass 1";

inline bool running_in_ci() {
    const char* ci = std::getenv("CI");
    return ci && std::string(ci) == "true";
}

inline std::string postgres_base_url() {
    const char* url = std::getenv("MICROSTAMP_TEST_POSTGRES");
    return url ? url : "";
}

inline std::string unique_suffix() {
    static std::atomic<int> counter{0};
    return std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
}

// A store location nobody else uses: a file in a fresh folder, or a fresh PostgreSQL schema.
struct ScratchStore {
    std::string backend;
    std::string url;
    std::filesystem::path folder;  // SQLite: holds the store and its key; PostgreSQL: holds the key
    std::string schema;
    std::filesystem::path key_file() const { return folder / "audit.signing-key"; }

    StoreOptions options() const {
        StoreOptions options;
        options.password_cost = PasswordCost::minimum;
        options.signing_key_file = key_file();
        return options;
    }

    // Plain SQL behind the program's back.
    std::unique_ptr<database::Database> raw() const {
        if (backend == "sqlite") return database::open_sqlite((folder / "store.db").string(), false);
        return database::open_postgresql(url, "test postgres");
    }
    void execute(const std::string& sql) const {
        raw()->transact(database::TransactionMode::write,
                        [&](database::Transaction& transaction) { transaction.execute_script(sql); });
    }
};

// Returns false when the backend is unavailable; the caller then fails (CI) or skips.
inline bool make_scratch(const std::string& backend, ScratchStore& scratch) {
    scratch.backend = backend;
    scratch.folder = std::filesystem::temp_directory_path() / ("microstamp-evidence-" + unique_suffix());
    std::filesystem::create_directories(scratch.folder);
    if (backend == "sqlite") {
        scratch.url = "sqlite:" + (scratch.folder / "store.db").string();
        return true;
    }
    const std::string base = postgres_base_url();
    if (base.empty()) {
        std::filesystem::remove_all(scratch.folder);
        return false;
    }
    scratch.schema = "t_" + unique_suffix();
    auto admin = database::open_postgresql(base, "test postgres");
    admin->transact(database::TransactionMode::write, [&](database::Transaction& transaction) {
        transaction.execute_script("CREATE SCHEMA " + scratch.schema);
    });
    scratch.url = base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + scratch.schema;
    return true;
}

inline void drop_scratch(const ScratchStore& scratch) {
    std::error_code ignored;
    std::filesystem::remove_all(scratch.folder, ignored);
    if (!scratch.schema.empty()) {
        try {
            auto admin = database::open_postgresql(postgres_base_url(), "test postgres");
            admin->transact(database::TransactionMode::write, [&](database::Transaction& transaction) {
                transaction.execute_script("DROP SCHEMA IF EXISTS " + scratch.schema + " CASCADE");
            });
        } catch (...) {
        }
    }
}

// In CI a missing server is a failure, loudly; on a laptop without PostgreSQL, a skip.
#define MICROSTAMP_FAIL_OR_SKIP_WITHOUT_POSTGRES()                                                          \
    do {                                                                                                   \
        if (::microstamp::testing::running_in_ci())                                                        \
            GTEST_FAIL() << "MICROSTAMP_TEST_POSTGRES is not set in CI: scripts/test.sh must start PostgreSQL"; \
        GTEST_SKIP() << "MICROSTAMP_TEST_POSTGRES not set (outside CI): PostgreSQL tests skipped";          \
    } while (false)

// A created store with an admin, examiner, supervisor and auditor.
class StoreTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        if (!make_scratch(GetParam(), scratch)) {
            MICROSTAMP_FAIL_OR_SKIP_WITHOUT_POSTGRES();
        }
        ready = true;
        Store created = Store::create(scratch.url, "root", admin_password, scratch.options());
        store = std::make_unique<Store>(std::move(created));
        const Session admin = store->logon("root", admin_password);
        store->add_user(admin, "avery", Role::examiner, examiner_password);
        store->add_user(admin, "blake", Role::supervisor, supervisor_password);
        store->add_user(admin, "casey", Role::auditor, auditor_password);
    }
    void TearDown() override {
        store.reset();
        if (ready) drop_scratch(scratch);
    }

    Session admin() { return store->logon("root", admin_password); }
    Session examiner() { return store->logon("avery", examiner_password); }
    Session supervisor() { return store->logon("blake", supervisor_password); }
    Session auditor() { return store->logon("casey", auditor_password); }

    ScratchStore scratch;
    bool ready = false;
    std::unique_ptr<Store> store;
};

inline std::string backend_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

#define MICROSTAMP_ON_BOTH_BACKENDS(Fixture) \
    INSTANTIATE_TEST_SUITE_P(Backends, Fixture, ::testing::Values("sqlite", "postgresql"), \
                             ::microstamp::testing::backend_name)

inline NewReading decoded_reading(std::uint16_t manufacturer, std::uint16_t model, const std::string& serial) {
    return parse_reading("{\"status\":\"decoded\",\"identity\":{\"manufacturer_code\":" + std::to_string(manufacturer) +
                             ",\"model_code\":" + std::to_string(model) + ",\"serial\":\"" + serial + "\"}}",
                         "test-reader 1");
}

// A small PNG that read_image accepts (a 32x32 grey ramp), written by hand.
std::vector<std::uint8_t> small_png();

} // namespace microstamp::testing
