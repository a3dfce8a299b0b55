// The evidence store's speed: exact identity lookups (one call each, and batched) against
// a bare SQLite primary-key select on the same table, ranked partial search over
// 1,000,000 exhibits, and ingest (exhibit + scan + reading, no decoding), on SQLite and,
// when MICROSTAMP_TEST_POSTGRES is set, on PostgreSQL. The data set is built once per
// backend with the bulk path. Every figure is wall-clock time (UseRealTime): a store
// waits on disk flushes and on the server, which CPU time would not show.

#include "evidence/store.hpp"

#include <benchmark/benchmark.h>
#include <fmt/core.h>
#include <pqxx/pqxx>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>

namespace {

using namespace microstamp;

constexpr std::size_t exhibits_in_data_set = 1'000'000;
const std::string password = "benchmark password";

std::string random_serial(std::mt19937_64& random) {
    static constexpr std::string_view alphabet = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ";
    std::string serial = "58A-";
    for (int i = 0; i < 6; ++i) serial += alphabet[random() % alphabet.size()];
    return serial;
}

struct Fixture {
    std::string url;
    StoreOptions options;
    std::unique_ptr<Store> store;
    std::unique_ptr<Session> session;
    std::vector<std::string> serials;  // serials[i] is the reading of exhibit i + 1
    std::filesystem::path sqlite_path;
    int ingested = 0;
    // What to remove at exit: the folder (store file, keys) and the PostgreSQL schema.
    std::filesystem::path folder;
    std::string postgres_base, postgres_schema;

    void remove() {
        session.reset();
        store.reset();
        std::error_code ignored;
        std::filesystem::remove_all(folder, ignored);
        if (postgres_schema.empty()) return;
        try {
            database::open_postgresql(postgres_base, "bench")->transact(
                database::TransactionMode::write,
                [&](database::Transaction& t) { t.execute_script("DROP SCHEMA " + postgres_schema + " CASCADE"); });
        } catch (const std::exception&) {
            // A server already gone takes its schema with it.
        }
    }
};

std::unique_ptr<Fixture> build(const std::string& backend) {
    auto fixture = std::make_unique<Fixture>();
    const auto folder = std::filesystem::temp_directory_path() / fmt::format("microstamp-bench-{}", getpid());
    std::filesystem::create_directories(folder);
    fixture->folder = folder;
    StoreOptions options;
    options.password_cost = PasswordCost::minimum;
    options.signing_key_file = folder / (backend + ".signing-key");
    if (backend == "sqlite") {
        fixture->sqlite_path = folder / "bench.db";
        fixture->url = "sqlite:" + fixture->sqlite_path.string();
    } else {
        const std::string base = std::getenv("MICROSTAMP_TEST_POSTGRES");
        const std::string schema = fmt::format("bench_{}", getpid());
        auto admin = database::open_postgresql(base, "bench");
        admin->transact(database::TransactionMode::write,
                        [&](database::Transaction& t) { t.execute_script("CREATE SCHEMA " + schema); });
        fixture->postgres_base = base;
        fixture->postgres_schema = schema;
        fixture->url = base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema;
    }
    Store created = Store::create(fixture->url, "root", password, options);
    const Session root = created.logon("root", password);
    created.add_user(root, "avery", Role::examiner, password);
    fixture->options = options;
    fixture->store = std::make_unique<Store>(std::move(created));
    fixture->session = std::make_unique<Session>(fixture->store->logon("avery", password));
    fixture->store->open_case(*fixture->session, {"WA0010000", "BENCH-1", "5212"});
    std::mt19937_64 random(1);
    const auto started = std::chrono::steady_clock::now();
    constexpr std::size_t chunk = 100'000;
    for (std::size_t start = 0; start < exhibits_in_data_set; start += chunk) {
        std::vector<BulkExhibit> bulk;
        for (std::size_t i = start; i < start + chunk; ++i) {
            const std::string serial = random_serial(random);
            fixture->serials.push_back(serial);
            NewReading reading;
            reading.reader_version = "bench";
            reading.status = "decoded";
            reading.json = "{}";
            reading.manufacturer_code = 412;
            reading.model_code = 7;
            reading.serial = serial;
            bulk.push_back({std::to_string(i + 1), "2024-05-01", "bench", std::move(reading)});
        }
        fixture->store->bulk_import(*fixture->session, {"", "BENCH-1"}, bulk);
    }
    if (backend == "postgresql") {
        // What a lab would do after a bulk load, and what keeps autovacuum and the
        // checkpointer from doing it in the middle of a measurement: visibility map and
        // planner statistics, and the loaded pages written out, now.
        pqxx::connection connection(fixture->url);
        pqxx::nontransaction work(connection);
        work.exec("VACUUM ANALYZE");
        try {
            work.exec("CHECKPOINT");
        } catch (const pqxx::sql_error&) {
            // Needs a superuser (the test cluster's user is one); else the server's own schedule.
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    fmt::print(stderr, "{}: built {} exhibits with readings in {:.1f} s{}\n", backend, exhibits_in_data_set, seconds,
               backend == "postgresql" ? " (with VACUUM ANALYZE and CHECKPOINT)" : "");
    return fixture;
}

// Never destroyed: the fixtures are removed by exit handlers registered once each is
// built, which therefore run before the statics libpqxx made while building it are gone
// (a static destructor here would run after them, and hang in libpqxx).
std::map<std::string, std::unique_ptr<Fixture>>& fixtures() {
    static auto* built = new std::map<std::string, std::unique_ptr<Fixture>>;
    return *built;
}

void remove_sqlite_fixture() { fixtures().at("sqlite")->remove(); }
void remove_postgresql_fixture() { fixtures().at("postgresql")->remove(); }

Fixture& fixture(const std::string& backend) {
    auto& slot = fixtures()[backend];
    if (!slot) {
        slot = build(backend);
        std::atexit(backend == "sqlite" ? remove_sqlite_fixture : remove_postgresql_fixture);
    }
    return *slot;
}

bool postgres_available() { return std::getenv("MICROSTAMP_TEST_POSTGRES") != nullptr; }

void exact_lookup(benchmark::State& state, const std::string& backend) {
    Fixture& f = fixture(backend);
    std::mt19937_64 random(2);
    for (auto _ : state) {
        const auto matches = f.store->find_identity(*f.session, 412, 7, f.serials[random() % f.serials.size()]);
        benchmark::DoNotOptimize(matches.data());
    }
    state.SetItemsProcessed(state.iterations());
}

// The same lookups through find_identities, state.range(0) to a call: one audit record
// each, one transaction per call.
void exact_lookup_batched(benchmark::State& state, const std::string& backend) {
    Fixture& f = fixture(backend);
    std::mt19937_64 random(2);
    std::vector<IdentityQuery> queries(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        state.PauseTiming();
        for (auto& query : queries) query = {412, 7, f.serials[random() % f.serials.size()]};
        state.ResumeTiming();
        const auto results = f.store->find_identities(*f.session, queries);
        benchmark::DoNotOptimize(results.data());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}

// One lookup a call with a flush to disk at every commit (Durability::power_loss).
void exact_lookup_power_loss(benchmark::State& state, const std::string& backend) {
    Fixture& f = fixture(backend);
    StoreOptions options = f.options;
    options.durability = database::Durability::power_loss;
    Store store = Store::open(f.url, options);
    const Session session = store.logon("avery", password);
    std::mt19937_64 random(2);
    for (auto _ : state) {
        const auto matches = store.find_identity(session, 412, 7, f.serials[random() % f.serials.size()]);
        benchmark::DoNotOptimize(matches.data());
    }
    state.SetItemsProcessed(state.iterations());
}

// The floor: one prepared primary-key select on the same readings table, nothing else.
void bare_sqlite_select(benchmark::State& state) {
    Fixture& f = fixture("sqlite");
    sqlite3* connection = nullptr;
    sqlite3_open_v2(f.sqlite_path.c_str(), &connection, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(connection, "SELECT exhibit_id, serial FROM readings WHERE id = ?", -1, &statement, nullptr);
    std::mt19937_64 random(2);
    for (auto _ : state) {
        sqlite3_bind_int64(statement, 1, static_cast<sqlite3_int64>(random() % f.serials.size() + 1));
        if (sqlite3_step(statement) == SQLITE_ROW) benchmark::DoNotOptimize(sqlite3_column_int64(statement, 0));
        sqlite3_reset(statement);
    }
    sqlite3_finalize(statement);
    sqlite3_close(connection);
    state.SetItemsProcessed(state.iterations());
}

// Between the two: the store's identity query itself (serial index, exhibit and case
// joined), prepared on a bare connection, no transaction and no audit record.
void bare_sqlite_identity_select(benchmark::State& state) {
    Fixture& f = fixture("sqlite");
    sqlite3* connection = nullptr;
    sqlite3_open_v2(f.sqlite_path.c_str(), &connection, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(connection,
                       "SELECT e.id, e.case_id, c.case_number, c.agency_ori, e.item_number, e.collected_at, "
                       "e.collected_place, e.description, e.created_at, e.created_by, r.id, r.status FROM readings r "
                       "JOIN exhibits e ON e.id = r.exhibit_id JOIN cases c ON c.id = e.case_id WHERE "
                       "r.manufacturer_code = ? AND r.model_code = ? AND r.serial = ? ORDER BY r.id",
                       -1, &statement, nullptr);
    std::mt19937_64 random(2);
    for (auto _ : state) {
        const std::string& serial = f.serials[random() % f.serials.size()];
        sqlite3_bind_int(statement, 1, 412);
        sqlite3_bind_int(statement, 2, 7);
        sqlite3_bind_text(statement, 3, serial.data(), static_cast<int>(serial.size()), SQLITE_STATIC);
        while (sqlite3_step(statement) == SQLITE_ROW) benchmark::DoNotOptimize(sqlite3_column_int64(statement, 0));
        sqlite3_reset(statement);
    }
    sqlite3_finalize(statement);
    sqlite3_close(connection);
    state.SetItemsProcessed(state.iterations());
}

// PostgreSQL's floor: one prepared primary-key select, one round trip, no transaction.
void bare_postgresql_select(benchmark::State& state) {
    Fixture& f = fixture("postgresql");
    pqxx::connection connection(f.url);
    connection.prepare("by_id", "SELECT exhibit_id, serial FROM readings WHERE id = $1");
    pqxx::nontransaction work(connection);
    std::mt19937_64 random(2);
    for (auto _ : state) {
        const pqxx::result rows = work.exec_prepared("by_id", static_cast<long long>(random() % f.serials.size() + 1));
        benchmark::DoNotOptimize(rows.size());
    }
    state.SetItemsProcessed(state.iterations());
}

void partial_search(benchmark::State& state, const std::string& backend) {
    Fixture& f = fixture(backend);
    f.store->search_partial(*f.session, {"58A-1?4???", std::nullopt, std::nullopt, {}, 20});  // loads the index
    std::mt19937_64 random(3);
    for (auto _ : state) {
        std::string pattern = f.serials[random() % f.serials.size()];
        pattern[5] = '?';
        pattern[8] = '?';
        const auto candidates = f.store->search_partial(*f.session, {pattern, std::nullopt, std::nullopt, {}, 20});
        benchmark::DoNotOptimize(candidates.data());
    }
    state.SetItemsProcessed(state.iterations());
}

void ingest_into(benchmark::State& state, Fixture& f, Store& store, const Session& session) {
    std::mt19937_64 random(4);
    std::vector<std::uint8_t> bytes(4096);
    for (auto _ : state) {
        for (auto& byte : bytes) byte = static_cast<std::uint8_t>(random());
        const AcquiredScan scan = trusted_scan(bytes, "scan.x3p", "x3p");
        NewReading reading;
        reading.scan_sha256 = scan.sha256;
        reading.reader_version = "bench";
        reading.status = "decoded";
        reading.json = "{}";
        reading.manufacturer_code = 412;
        reading.model_code = 7;
        reading.serial = random_serial(random);
        store.add_exhibit(session, {{"", "BENCH-1"}, fmt::format("ingest-{}", ++f.ingested), "2024-05-01", "bench", ""},
                          {scan}, {reading});
    }
    state.SetItemsProcessed(state.iterations());
}

// The lead check's cost per reading: the same ingest with the check off, and readings
// that do raise leads (the serial of an item already stored: one exact lead each,
// audited; a partial reading with two unread characters, ranked against every serial).
void ingest_without_leads(benchmark::State& state, const std::string& backend) {
    Fixture& f = fixture(backend);
    StoreOptions options = f.options;
    options.leads_on_arrival = false;
    Store store = Store::open(f.url, options);
    ingest_into(state, f, store, store.logon("avery", password));
}

void ingest_with_lead(benchmark::State& state, const std::string& backend, const std::string& status) {
    Fixture& f = fixture(backend);
    std::mt19937_64 random(5);
    if (status == "partial")  // the serial index is loaded once per process, as search_partial loads it
        f.store->search_partial(*f.session, {"58A-1?4???", std::nullopt, std::nullopt, {}, 20});
    for (auto _ : state) {
        NewReading reading;
        reading.reader_version = "bench";
        reading.status = status;
        reading.json = "{}";
        reading.manufacturer_code = 412;
        reading.model_code = 7;
        std::string serial = f.serials[random() % f.serials.size()];
        if (status == "partial") serial[5] = serial[8] = '?';
        reading.serial = serial;
        const ExhibitRecord added = f.store->add_exhibit(
            *f.session, {{"", "BENCH-1"}, fmt::format("ingest-{}", ++f.ingested), "2024-05-01", "bench", ""}, {},
            {reading});
        if (added.leads.empty()) state.SkipWithError("a reading of a stored serial raised no lead");
    }
    state.SetItemsProcessed(state.iterations());
}

void ingest(benchmark::State& state, const std::string& backend) {
    Fixture& f = fixture(backend);
    ingest_into(state, f, *f.store, *f.session);
}

void ingest_power_loss(benchmark::State& state, const std::string& backend) {
    Fixture& f = fixture(backend);
    StoreOptions options = f.options;
    options.durability = database::Durability::power_loss;
    Store store = Store::open(f.url, options);
    ingest_into(state, f, store, store.logon("avery", password));
}

void register_backend(const std::string& backend) {
    // A flush per commit takes milliseconds: a fixed, small number of rounds.
    constexpr int flushed_rounds = 300;
    benchmark::RegisterBenchmark((backend + "/exact_lookup_store_audited").c_str(), exact_lookup, backend)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark((backend + "/exact_lookup_store_audited_batched").c_str(), exact_lookup_batched,
                                 backend)
        ->Arg(100)
        ->Arg(1000)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark((backend + "/exact_lookup_store_audited_power_loss").c_str(),
                                 exact_lookup_power_loss, backend)
        ->Iterations(flushed_rounds)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    if (backend == "postgresql")
        benchmark::RegisterBenchmark("postgresql/bare_primary_key_select", bare_postgresql_select)
            ->Unit(benchmark::kMicrosecond)
            ->UseRealTime();
    if (backend == "sqlite") {
        benchmark::RegisterBenchmark("sqlite/bare_primary_key_select", bare_sqlite_select)
            ->Unit(benchmark::kMicrosecond)
            ->UseRealTime();
        benchmark::RegisterBenchmark("sqlite/bare_identity_select", bare_sqlite_identity_select)
            ->Unit(benchmark::kMicrosecond)
            ->UseRealTime();
    }
    benchmark::RegisterBenchmark((backend + "/partial_search_1M").c_str(), partial_search, backend)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark((backend + "/ingest_exhibit_scan_reading").c_str(), ingest, backend)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark((backend + "/ingest_exhibit_scan_reading_without_leads").c_str(), ingest_without_leads,
                                 backend)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark((backend + "/ingest_reading_raising_exact_lead").c_str(), ingest_with_lead, backend,
                                 std::string("decoded"))
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark((backend + "/ingest_reading_raising_partial_leads").c_str(), ingest_with_lead, backend,
                                 std::string("partial"))
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark((backend + "/ingest_exhibit_scan_reading_power_loss").c_str(), ingest_power_loss,
                                 backend)
        ->Iterations(flushed_rounds)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
}

void register_all() {
    register_backend("sqlite");
    if (postgres_available()) register_backend("postgresql");
}

const int registered = (register_all(), 0);

} // namespace
