// Reads leave audit records: exact lookups one at a time and batched, a refused batch,
// lookups killed mid-stream, and the durability setting, on SQLite and on PostgreSQL.

#include "store_fixture.hpp"

#include "evidence/errors.hpp"

#include <fmt/core.h>

#include <csignal>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <sys/wait.h>

namespace microstamp::testing {
namespace {

struct AuditRow {
    std::int64_t sequence = 0;
    std::string user, action, object, outcome, detail;
};

std::vector<AuditRow> audit_rows(const ScratchStore& scratch, const std::string& action) {
    std::vector<AuditRow> rows;
    scratch.raw()->transact(database::TransactionMode::read, [&](database::Transaction& transaction) {
        for (const auto& row : transaction.query("SELECT sequence, user_name, action, object, outcome, detail FROM "
                                                 "audit_log WHERE action = $1 ORDER BY sequence",
                                                 {action}))
            rows.push_back({database::as_integer(row[0]), database::as_text(row[1]), database::as_text(row[2]),
                            database::as_text(row[3]), database::as_text(row[4]), database::as_text(row[5])});
    });
    return rows;
}

class AuditedReads : public StoreTest {
protected:
    // Case 24-118: items 1 and 2 decode 58A-104233, item 3 decodes 58A-777777.
    void seed(const Session& session) {
        store->open_case(session, {"WA0010000", "24-118", "5212"});
        std::vector<BulkExhibit> items;
        items.push_back({"1", "2024-05-01", "Pine", decoded_reading(412, 7, "58A-104233")});
        items.push_back({"2", "2024-05-01", "Pine", decoded_reading(412, 7, "58A-104233")});
        items.push_back({"3", "2024-05-02", "Elm", decoded_reading(412, 7, "58A-777777")});
        store->bulk_import(session, {"", "24-118"}, items);
    }
};

TEST_P(AuditedReads, ABatchAnswersEachQueryInOrderAndRecordsEachLookup) {
    const Session session = examiner();
    seed(session);
    const std::vector<IdentityQuery> queries = {
        {412, 7, "58A-104233"}, {412, 7, "58A-000000"}, {412, 7, "58A-777777"}, {413, 7, "58A-104233"}};
    const auto results = store->find_identities(session, queries);
    ASSERT_EQ(results.size(), 4u);
    ASSERT_EQ(results[0].size(), 2u);
    EXPECT_EQ(results[0][0].exhibit.item_number, "1");
    EXPECT_EQ(results[0][1].exhibit.item_number, "2");
    EXPECT_TRUE(results[1].empty());
    ASSERT_EQ(results[2].size(), 1u);
    EXPECT_EQ(results[2][0].exhibit.item_number, "3");
    EXPECT_TRUE(results[3].empty());
    // The same answer, one call at a time.
    for (std::size_t i = 0; i < queries.size(); ++i)
        EXPECT_EQ(store->find_identity(session, queries[i].manufacturer_code, queries[i].model_code, queries[i].serial)
                      .size(),
                  results[i].size());

    // Eight lookup records: four from the batch, consecutive and in query order, then four single ones.
    const auto records = audit_rows(scratch, "search.identity");
    ASSERT_EQ(records.size(), 8u);
    const std::vector<std::string> details = {"2 matches", "0 matches", "1 matches", "0 matches"};
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(records[i].object, fmt::format("identity {}/{}/{}", queries[i].manufacturer_code,
                                                 queries[i].model_code, queries[i].serial));
        EXPECT_EQ(records[i].detail, details[i]);
        EXPECT_EQ(records[i].user, "avery");
        EXPECT_EQ(records[i].outcome, "success");
        EXPECT_EQ(records[i].sequence, records[0].sequence + static_cast<std::int64_t>(i));
        EXPECT_EQ(records[i + 4].object, records[i].object);
    }
    EXPECT_TRUE(store->find_identities(session, {}).empty());
    const AuditVerification verification = store->verify_audit(auditor());
    EXPECT_TRUE(verification.intact) << verification.problem;
}

TEST_P(AuditedReads, LargeBatchesAreSignedAndEveryRecordInThemIsProtected) {
    const Session session = examiner();
    seed(session);
    // 300 lookups in one call: several full multi-row inserts, a remainder, and
    // checkpoint multiples of 64 passed inside the batch.
    std::vector<IdentityQuery> queries;
    for (int i = 0; i < 300; ++i) queries.push_back({412, 7, fmt::format("58A-{:06}", i)});
    // Stored serials on both sides of the 64-lookup statement boundaries and at the end.
    for (const std::size_t at : {63u, 64u, 128u, 299u}) queries[at].serial = at == 64 ? "58A-777777" : "58A-104233";
    const auto results = store->find_identities(session, queries);
    ASSERT_EQ(results.size(), 300u);
    for (std::size_t i = 0; i < results.size(); ++i) {
        const std::size_t expected = i == 64 ? 1 : (i == 63 || i == 128 || i == 299) ? 2 : 0;
        ASSERT_EQ(results[i].size(), expected) << i;
    }
    EXPECT_EQ(results[64][0].exhibit.item_number, "3");
    EXPECT_EQ(results[299][1].exhibit.item_number, "2");
    const auto records = audit_rows(scratch, "search.identity");
    ASSERT_EQ(records.size(), 300u);
    for (std::size_t i = 0; i < records.size(); ++i)
        EXPECT_EQ(records[i].object, "identity 412/7/" + queries[i].serial) << i;
    const Session audit_session = auditor();
    const AuditVerification intact = store->verify_audit(audit_session);
    ASSERT_TRUE(intact.intact) << intact.problem;
    EXPECT_GE(intact.checkpoints, 1);  // signed inside the batch's transaction
    // An edit to a record in the middle of the batch is named.
    const std::int64_t target = records[150].sequence;
    if (GetParam() == "sqlite") scratch.execute("DROP TRIGGER audit_log_no_update");
    else scratch.execute("ALTER TABLE audit_log DISABLE TRIGGER USER");
    scratch.execute(fmt::format("UPDATE audit_log SET detail = '1 matches' WHERE sequence = {}", target));
    const AuditVerification broken = store->verify_audit(audit_session);
    EXPECT_FALSE(broken.intact);
    EXPECT_EQ(broken.first_bad_record, target) << broken.problem;
}

TEST_P(AuditedReads, ARefusedBatchIsRefusedWholeAndAudited) {
    seed(examiner());
    const std::vector<IdentityQuery> queries = {{412, 7, "58A-104233"}, {412, 7, "58A-777777"}};
    EXPECT_THROW(store->find_identities(admin(), queries), AccessError);  // admins manage users, not evidence
    const auto records = audit_rows(scratch, "search.identity");
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].user, "root");
    EXPECT_EQ(records[0].outcome, "refused");
    EXPECT_EQ(records[0].object, "2 identities");
    EXPECT_NE(records[0].detail.find("may not"), std::string::npos) << records[0].detail;
}

TEST_P(AuditedReads, AStoreThatFlushesEveryCommitWorksTheSame) {
    seed(examiner());
    StoreOptions options = scratch.options();
    options.durability = database::Durability::power_loss;
    Store flushed = Store::open(scratch.url, options);
    const Session session = flushed.logon("avery", examiner_password);
    flushed.add_exhibit(session, {{"", "24-118"}, "4", "2024-05-03", "Oak", ""}, {}, {decoded_reading(412, 7, "58A-104233")});
    EXPECT_EQ(flushed.find_identity(session, 412, 7, "58A-104233").size(), 3u);
    // Both settings write the same store: the default one sees the flushed one's work.
    EXPECT_EQ(store->find_identity(examiner(), 412, 7, "58A-104233").size(), 3u);
    const AuditVerification verification = flushed.verify_audit(flushed.logon("casey", auditor_password));
    EXPECT_TRUE(verification.intact) << verification.problem;
}

// A process doing lookups, one at a time and in batches, killed at random moments: every
// lookup whose call had returned has its record, and the log verifies.
TEST_P(AuditedReads, KilledReadersLeaveARecordOfEveryLookupThatReturned) {
    seed(examiner());
    store.reset();
    const int kills = 12;
    std::mt19937_64 random(20240502);
    std::set<std::string> returned;
    for (int kill = 0; kill < kills; ++kill) {
        int ends[2];
        ASSERT_EQ(pipe(ends), 0);
        const pid_t pid = fork();
        if (pid == 0) {
            close(ends[0]);
            try {
                Store child = Store::open(scratch.url, scratch.options());
                const Session session = child.logon("avery", examiner_password);
                for (int round = 0;; ++round) {
                    std::vector<IdentityQuery> queries;
                    for (int i = 0; i < (round % 2 == 0 ? 1 : 40); ++i)
                        queries.push_back({412, 7, fmt::format("K{}-{}-{}", kill, round, i)});
                    if (queries.size() == 1)
                        child.find_identity(session, 412, 7, queries[0].serial);
                    else child.find_identities(session, queries);
                    std::string lines;
                    for (const auto& query : queries) lines += query.serial + "\n";
                    if (write(ends[1], lines.data(), lines.size()) != static_cast<ssize_t>(lines.size())) _exit(4);
                }
            } catch (...) {
                _exit(3);
            }
        }
        close(ends[1]);
        std::this_thread::sleep_for(std::chrono::microseconds(20000 + random() % 80000));
        ::kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        std::string text;
        char buffer[4096];
        for (ssize_t n; (n = read(ends[0], buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
        close(ends[0]);
        std::istringstream stream(text);
        for (std::string line; std::getline(stream, line);)
            if (!stream.eof()) returned.insert(line);  // a line cut by the kill was never reported
    }
    ASSERT_GT(returned.size(), 0u);
    std::set<std::string> recorded;
    for (const auto& row : audit_rows(scratch, "search.identity"))
        if (row.object.starts_with("identity 412/7/K")) recorded.insert(row.object.substr(std::string("identity 412/7/").size()));
    for (const auto& serial : returned) EXPECT_TRUE(recorded.contains(serial)) << "unrecorded lookup " << serial;
    Store reopened = Store::open(scratch.url, scratch.options());
    const AuditVerification verification = reopened.verify_audit(reopened.logon("casey", auditor_password));
    EXPECT_TRUE(verification.intact) << verification.problem;
}

MICROSTAMP_ON_BOTH_BACKENDS(AuditedReads);

} // namespace
} // namespace microstamp::testing
