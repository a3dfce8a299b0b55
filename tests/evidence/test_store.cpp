// Every Store operation, on SQLite and on PostgreSQL.

#include "store_fixture.hpp"

#include "code/identity.hpp"
#include "evidence/errors.hpp"
#include "evidence/schema.hpp"
#include "surface/surface.hpp"

#include <fstream>

namespace microstamp::testing {
namespace {

class Operations : public StoreTest {
protected:
    // Case WA0010000/24-118 with items 1 (decoded 58A-104233) and 2 (decoded, same gun).
    void seed(const Session& session) {
        store->open_case(session, {"WA0010000", "24-118", "5212"});
        const AcquiredScan scan = acquire_scan(small_png(), "casing1.png");
        NewReading reading = decoded_reading(412, 7, "58A-104233");
        reading.scan_sha256 = scan.sha256;
        store->add_exhibit(session, {{"", "24-118"}, "1", "2024-05-01T22:10Z", "5th & Pine", "casing, 9mm"}, {scan},
                           {reading});
        store->add_exhibit(session, {{"WA0010000", "24-118"}, "2", "2024-05-01T22:15Z", "5th & Pine", ""}, {},
                           {decoded_reading(412, 7, "58A-104233")});
    }
};

TEST_P(Operations, CreateRefusesAnExistingStoreAndOpenUpgradesNothingWhenCurrent) {
    EXPECT_EQ(store->schema_version(), latest_schema_version());
    EXPECT_THROW(Store::create(scratch.url, "root2", admin_password, scratch.options()), std::exception);
    Store reopened = Store::open(scratch.url, scratch.options());
    EXPECT_EQ(reopened.schema_version(), latest_schema_version());
    EXPECT_TRUE(reopened.can_sign());
    EXPECT_EQ(reopened.public_key(), store->public_key());
}

TEST_P(Operations, OpenCaseAddExhibitShowAndScanBytesRoundTrip) {
    const Session session = examiner();
    seed(session);
    const CaseDetail detail = store->show_case(session, {"", "24-118"});
    EXPECT_EQ(detail.case_record.offense_code, "5212");
    ASSERT_EQ(detail.exhibits.size(), 2u);
    const ExhibitDetail& first = detail.exhibits[0];
    EXPECT_EQ(first.exhibit.item_number, "1");
    EXPECT_EQ(first.exhibit.description, "casing, 9mm");
    ASSERT_EQ(first.scans.size(), 1u);
    EXPECT_EQ(first.scans[0].format, "png");
    EXPECT_EQ(first.scans[0].file_name, "casing1.png");
    const auto png = small_png();
    EXPECT_EQ(first.scans[0].sha256, hex(sha256(png)));
    EXPECT_EQ(store->scan_bytes(session, first.scans[0].sha256), png);
    ASSERT_EQ(first.readings.size(), 1u);
    EXPECT_EQ(first.readings[0].serial, "58A-104233");
    EXPECT_EQ(first.readings[0].scan_sha256, first.scans[0].sha256);
    EXPECT_EQ(first.readings[0].reader_version, "test-reader 1");
}

TEST_P(Operations, ReadingsAreAppendedNeverReplaced) {
    const Session session = examiner();
    seed(session);
    store->add_reading(session, {{"", "24-118"}, "1"}, decoded_reading(412, 7, "58A-104234"));
    const ExhibitDetail detail = store->show_exhibit(session, {{"", "24-118"}, "1"});
    ASSERT_EQ(detail.readings.size(), 2u);
    EXPECT_EQ(detail.readings[0].serial, "58A-104233");
    EXPECT_EQ(detail.readings[1].serial, "58A-104234");
    // The database itself refuses to rewrite a reading.
    EXPECT_THROW(scratch.execute("UPDATE readings SET serial = 'X'"), StoreError);
    EXPECT_THROW(scratch.execute("DELETE FROM readings"), StoreError);
}

TEST_P(Operations, CustodyEventsKeepEveryHandler) {
    const Session session = examiner();
    seed(session);
    store->record_custody(session, {{"", "24-118"}, "1"},
                          {"Officer Diaz #4411", "Evidence room", "2024-05-02T08:00Z", "booked into property"});
    store->record_custody(session, {{"", "24-118"}, "1"},
                          {"Evidence room", "avery", "2024-05-03T09:30Z", "microstamp examination"});
    const ExhibitDetail detail = store->show_exhibit(session, {{"", "24-118"}, "1"});
    ASSERT_EQ(detail.custody.size(), 2u);
    EXPECT_EQ(detail.custody[1].to, "avery");
    EXPECT_EQ(detail.custody[1].purpose, "microstamp examination");
    EXPECT_THROW(store->record_custody(session, {{"", "24-118"}, "1"}, {"a", "b", "yesterday", "x"}), InputError);
}

TEST_P(Operations, LinksByIdentityAndByLikelihoodRatio) {
    const Session session = examiner();
    seed(session);
    store->open_case(session, {"WA0010000", "24-200", "1313"});
    store->add_exhibit(session, {{"", "24-200"}, "7", "2024-06-01", "Elm St", ""}, {}, {decoded_reading(412, 7, "58A-999999")});
    const LinkRecord same = store->link(session, {{"", "24-118"}, "1"}, {{"", "24-118"}, "2"},
                                        LinkBasis::identical_identity, std::nullopt, "both decode 58A-104233");
    EXPECT_EQ(same.basis, "identical_identity");
    EXPECT_THROW(store->link(session, {{"", "24-118"}, "1"}, {{"", "24-200"}, "7"}, LinkBasis::identical_identity,
                             std::nullopt, ""),
                 InputError);
    const LinkRecord likely = store->link(session, {{"", "24-118"}, "1"}, {{"", "24-200"}, "7"},
                                          LinkBasis::likelihood_ratio, 2500.0, "partial read");
    EXPECT_DOUBLE_EQ(*likely.likelihood_ratio, 2500.0);
    EXPECT_THROW(store->link(session, {{"", "24-118"}, "1"}, {{"", "24-200"}, "7"}, LinkBasis::likelihood_ratio, -1.0, ""),
                 InputError);
    const ExhibitDetail detail = store->show_exhibit(session, {{"", "24-118"}, "1"});
    EXPECT_EQ(detail.links.size(), 2u);
}

TEST_P(Operations, ExactIdentitySearchFindsEveryReadingOfThatGun) {
    const Session session = examiner();
    seed(session);
    const auto matches = store->find_identity(session, 412, 7, "58A-104233");
    ASSERT_EQ(matches.size(), 2u);
    EXPECT_EQ(matches[0].exhibit.item_number, "1");
    EXPECT_EQ(matches[1].exhibit.item_number, "2");
    EXPECT_TRUE(store->find_identity(session, 412, 8, "58A-104233").empty());
}

TEST_P(Operations, PartialSearchRanksTheClosestSerialFirst) {
    const Session session = examiner();
    store->open_case(session, {"WA0010000", "24-300", "5212"});
    std::vector<BulkExhibit> bulk;
    const std::vector<std::string> serials = {"58A-104233", "58A-104299", "58A-904233", "ZZZ-000000", "58A-10?233"};
    for (std::size_t i = 0; i < serials.size(); ++i)
        bulk.push_back({std::to_string(i + 1), "2024-06-01", "lab", decoded_reading(412, 7, "58A-000000")});
    for (std::size_t i = 0; i < serials.size(); ++i) {
        bulk[i].reading = parse_reading(R"({"status":"partial","identity":{"manufacturer_code":412,"model_code":7,"serial":")" +
                                            serials[i] + "\"}}",
                                        "r1");
    }
    store->bulk_import(session, {"", "24-300"}, bulk);
    const auto candidates = store->search_partial(session, {"58A-1?42??", std::nullopt, std::nullopt, {}, 10});
    ASSERT_GE(candidates.size(), 3u);
    // 58A-104233 and 58A-104299 agree on all 7 read characters; 58A-10?233 on 6.
    EXPECT_EQ(candidates[0].score.matched, 7);
    EXPECT_EQ(candidates[1].score.matched, 7);
    EXPECT_EQ(candidates[2].serial, "58A-10?233");
    for (const auto& candidate : candidates) EXPECT_NE(candidate.serial, "ZZZ-000000");
    EXPECT_GT(candidates[0].score.log10_likelihood_ratio, candidates[2].score.log10_likelihood_ratio);
    // A newly added reading is found by the next search.
    store->add_exhibit(session, {{"", "24-300"}, "99", "2024-06-02", "lab", ""}, {}, {decoded_reading(412, 7, "58A-114200")});
    const auto again = store->search_partial(session, {"58A-1?42??", std::nullopt, std::nullopt, {}, 10});
    bool found = false;
    for (const auto& candidate : again) found = found || candidate.exhibit.item_number == "99";
    EXPECT_TRUE(found);
}

TEST_P(Operations, TraceRequestCarriesForm3312FieldsAndNoPurchaser) {
    seed(examiner());
    const Session session = supervisor();
    const TraceRequest trace = store->issue_trace_request(
        session, {{{"", "24-118"}, "1"}, "urgent", "Det. R. Okafor", false, "pistol", "", "USA", ""});
    EXPECT_EQ(trace.serial, "58A-104233");
    EXPECT_EQ(trace.agency_ori, "WA0010000");
    EXPECT_EQ(trace.offense_code, "5212");
    EXPECT_EQ(trace.priority, "urgent");
    const std::string json = trace_request_json(trace);
    const std::string csv = trace_request_csv(trace);
    EXPECT_NE(json.find("\"serial\": \"58A-104233\""), std::string::npos);
    EXPECT_NE(csv.find("priority,offense_code,agency_ori"), std::string::npos);
    for (const std::string forbidden : {"purchaser", "buyer", "owner", "address"}) {
        EXPECT_EQ(json.find(forbidden), std::string::npos) << forbidden;
        EXPECT_EQ(csv.find(forbidden), std::string::npos) << forbidden;
    }
    EXPECT_THROW(store->issue_trace_request(session, {{{"", "24-118"}, "1"}, "whenever", "x", false, "pistol", "", "", ""}), InputError);
}

TEST_P(Operations, RoleRulesAreEnforcedAndEveryRefusalIsAudited) {
    seed(examiner());
    EXPECT_THROW(store->issue_trace_request(examiner(), {{{"", "24-118"}, "1"}, "routine", "Det. Okafor", false, "pistol", "", "", ""}), AccessError);
    EXPECT_THROW(store->open_case(auditor(), {"WA0010000", "24-999", "5212"}), AccessError);
    EXPECT_THROW(store->open_case(admin(), {"WA0010000", "24-999", "5212"}), AccessError);
    EXPECT_THROW(store->add_user(supervisor(), "eve", Role::admin, "whatever123"), AccessError);
    EXPECT_THROW(store->verify_audit(examiner()), AccessError);
    EXPECT_NO_THROW(store->show_case(auditor(), {"", "24-118"}));
    const AuditVerification verification = store->verify_audit(auditor());
    EXPECT_TRUE(verification.intact) << verification.problem;
    // Read the log as plain rows: five refusals, each naming the user and the rule.
    int refusals = 0;
    scratch.raw()->transact(database::TransactionMode::read, [&](database::Transaction& transaction) {
        for (const auto& row : transaction.query("SELECT user_name, role, action, detail FROM audit_log WHERE outcome = "
                                                 "'refused' ORDER BY sequence")) {
            ++refusals;
            EXPECT_NE(database::as_text(row[3]).find("may not"), std::string::npos);
        }
    });
    EXPECT_EQ(refusals, 5);
}

TEST_P(Operations, FiveFailedLogonsLockTheAccountForTenMinutes) {
    auto now = std::chrono::system_clock::now();
    StoreOptions options = scratch.options();
    options.clock = [&now] { return now; };
    Store clocked = Store::open(scratch.url, options);
    for (int attempt = 0; attempt < 4; ++attempt) EXPECT_THROW(clocked.logon("avery", "wrong password"), LogonError);
    EXPECT_NO_THROW(clocked.logon("avery", examiner_password));  // success resets the count
    for (int attempt = 0; attempt < 5; ++attempt) EXPECT_THROW(clocked.logon("avery", "wrong password"), LogonError);
    try {
        clocked.logon("avery", examiner_password);
        ADD_FAILURE() << "a locked account logged on";
    } catch (const LogonError& error) {
        EXPECT_NE(std::string(error.what()).find("locked"), std::string::npos);
    }
    now += std::chrono::minutes(9);
    EXPECT_THROW(clocked.logon("avery", examiner_password), LogonError);
    now += std::chrono::minutes(2);
    EXPECT_NO_THROW(clocked.logon("avery", examiner_password));
    EXPECT_THROW(clocked.logon("nobody", "whatever"), LogonError);
    int failures = 0;
    scratch.raw()->transact(database::TransactionMode::read, [&](database::Transaction& transaction) {
        failures = static_cast<int>(database::as_integer(
            transaction.query("SELECT count(*) FROM audit_log WHERE action = 'logon' AND outcome <> 'success'")[0][0]));
    });
    EXPECT_EQ(failures, 4 + 5 + 2 + 1);
}

TEST_P(Operations, BadInputGetsOneClearLineAndIsAuditedAsAFailure) {
    const Session session = examiner();
    seed(session);
    auto message = [](auto&& call) -> std::string {
        try {
            call();
        } catch (const std::exception& error) {
            return error.what();
        }
        return "no error";
    };
    const std::string unknown_case = message([&] {
        store->add_exhibit(session, {{"", "99-000"}, "1", "2024-05-01", "x", ""}, {}, {});
    });
    EXPECT_NE(unknown_case.find("unknown case 99-000"), std::string::npos) << unknown_case;
    const std::string duplicate = message([&] {
        store->add_exhibit(session, {{"", "24-118"}, "1", "2024-05-01", "x", ""}, {}, {});
    });
    EXPECT_NE(duplicate.find("already has item 1"), std::string::npos) << duplicate;
    EXPECT_EQ(message([&] { store->open_case(session, {"WA0010000", "24-118", "5212"}); }).find("already open") ==
                  std::string::npos,
              false);
    EXPECT_NE(message([&] { store->open_case(session, {"WA1", "x", "5212"}); }).find("ORI"), std::string::npos);
    EXPECT_NE(message([&] { store->open_case(session, {"WA0010000", "x", "52"}); }).find("offense"), std::string::npos);
    const std::vector<std::uint8_t> text = {'h', 'e', 'l', 'l', 'o'};
    const std::string not_a_scan = message([&] { acquire_scan(text, "notes.txt"); });
    EXPECT_NE(not_a_scan.find("not a casing scan"), std::string::npos) << not_a_scan;
    for (const std::string& text_line : {unknown_case, duplicate, not_a_scan})
        EXPECT_EQ(text_line.find('\n'), std::string::npos);
    int failures = 0;
    scratch.raw()->transact(database::TransactionMode::read, [&](database::Transaction& transaction) {
        failures = static_cast<int>(
            database::as_integer(transaction.query("SELECT count(*) FROM audit_log WHERE outcome = 'failure'")[0][0]));
    });
    EXPECT_EQ(failures, 5);
}

TEST_P(Operations, IngestAcquiresChecksAndHashesScanFiles) {
    const Session session = examiner();
    seed(session);
    const auto png = small_png();
    const auto scan_file = scratch.folder / "casing.png";
    std::ofstream(scan_file, std::ios::binary).write(reinterpret_cast<const char*>(png.data()),
                                                      static_cast<std::streamsize>(png.size()));
    const auto bogus = scratch.folder / "casing.txt";
    std::ofstream(bogus) << "not an image";
    int reader_calls = 0;
    const ScanReader reader = [&](const AcquiredScan& scan) -> std::optional<NewReading> {
        ++reader_calls;
        EXPECT_EQ(scan.format, "png");
        return decoded_reading(412, 7, "58A-104233");
    };
    ingest_exhibit(*store, session, {{"", "24-118"}, "3", "2024-05-01", "x", ""}, {scan_file}, reader);
    EXPECT_EQ(reader_calls, 1);
    EXPECT_THROW(ingest_exhibit(*store, session, {{"", "24-118"}, "4", "2024-05-01", "x", ""}, {bogus}, reader),
                 FileError);
    const ExhibitDetail detail = store->show_exhibit(session, {{"", "24-118"}, "3"});
    ASSERT_EQ(detail.readings.size(), 1u);
    EXPECT_EQ(detail.readings[0].scan_sha256, hex(sha256(png)));
    EXPECT_THROW(store->show_exhibit(session, {{"", "24-118"}, "4"}), InputError);
}

TEST_P(Operations, VersionOneStoreIsUpgradedInPlace) {
    // A store as version 1 left it, written with plain SQL.
    store.reset();
    ScratchStore old;
    ASSERT_TRUE(make_scratch(GetParam(), old));
    if (GetParam() == "sqlite") database::open_sqlite((old.folder / "store.db").string(), true);
    old.execute(migration_script(migrations()[0], GetParam() == "sqlite" ? database::Backend::sqlite
                                                                          : database::Backend::postgresql) +
                "INSERT INTO schema_version VALUES (1, 'v1', '2024-01-01T00:00:00.000Z');"
                "INSERT INTO users (name, role, password_hash, created_at, created_by) VALUES ('root', 'admin', '" +
                hash_password(admin_password, PasswordCost::minimum) + "', '2024-01-01', 'system');"
                "INSERT INTO cases (agency_ori, case_number, offense_code, opened_at, opened_by) VALUES "
                "('WA0010000', '23-001', '5212', '2024-01-01', 'root');"
                "INSERT INTO exhibits (case_id, item_number, collected_at, collected_place, created_at, created_by) "
                "VALUES (1, '1', '2024-01-01', 'old place', '2024-01-01', 'root');");
    Store upgraded = Store::open(old.url, old.options());
    EXPECT_EQ(upgraded.schema_version(), latest_schema_version());
    const Session root = upgraded.logon("root", admin_password);
    upgraded.add_user(root, "avery", Role::examiner, examiner_password);
    const Session session = upgraded.logon("avery", examiner_password);
    const CaseDetail detail = upgraded.show_case(session, {"", "23-001"});
    ASSERT_EQ(detail.exhibits.size(), 1u);
    EXPECT_EQ(detail.exhibits[0].exhibit.collected_place, "old place");
    EXPECT_EQ(detail.exhibits[0].exhibit.description, "");  // the column version 2 added
    old.raw()->transact(database::TransactionMode::read, [&](database::Transaction& transaction) {
        EXPECT_EQ(database::as_integer(transaction.query("SELECT MAX(version) FROM schema_version")[0][0]),
                  latest_schema_version());
    });
    // A store from a newer program is refused with a line saying so.
    old.execute("INSERT INTO schema_version VALUES (99, 'future', '2030-01-01')");
    try {
        Store::open(old.url, old.options());
        ADD_FAILURE() << "opened a store from the future";
    } catch (const StoreError& error) {
        EXPECT_NE(std::string(error.what()).find("upgrade microstamp"), std::string::npos);
    }
    drop_scratch(old);
}

MICROSTAMP_ON_BOTH_BACKENDS(Operations);

TEST(StoreUrl, MalformedUrlsAreRefusedWithTheAcceptedForms) {
    for (const std::string bad : {"", "lab.db", "mysql://x/y", "sqlite:", "sqlite://x.db", "postgresql://h:port/db",
                                  "postgresql://a b/c"}) {
        try {
            Store::open(bad);
            ADD_FAILURE() << bad;
        } catch (const InputError& error) {
            EXPECT_EQ(std::string(error.what()).find('\n'), std::string::npos);
        }
    }
    EXPECT_THROW(Store::open("sqlite:/nonexistent/folder/x.db"), StoreError);
}

} // namespace
} // namespace microstamp::testing
