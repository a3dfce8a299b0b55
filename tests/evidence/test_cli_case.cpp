// `microstamp case` end to end through the binary: JSON out, one-line errors, exit codes.

#include "test_locations.hpp"
#include "store_fixture.hpp"
#include "support/command_run.hpp"

#include <array>
#include <cstdio>
#include <fstream>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

namespace microstamp::testing {
namespace {

CommandRun run(const std::string& arguments, const std::filesystem::path& folder) {
    return run_in_folder(std::string(MICROSTAMP_BINARY) + " " + arguments, folder);
}

class CaseCommand : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        if (!make_scratch(GetParam(), scratch)) {
            MICROSTAMP_FAIL_OR_SKIP_WITHOUT_POSTGRES();
        }
        ready = true;
        db = "--db '" + scratch.url + "' --signing-key '" + scratch.key_file().string() + "'";
    }
    void TearDown() override {
        if (ready) drop_scratch(scratch);
    }
    CommandRun as(const std::string& user, const std::string& password, const std::string& arguments) {
        return run("case " + db + " --user " + user + " --password '" + password + "' " + arguments, scratch.folder);
    }
    ScratchStore scratch;
    bool ready = false;
    std::string db;
};

TEST_P(CaseCommand, AWholeCaseFromInitToVerifiedAudit) {
    ASSERT_EQ(run("case " + db + " --password 'admin password 1' init --admin root", scratch.folder).exit_code, 0);
    ASSERT_EQ(as("root", "admin password 1", "user-add avery --role examiner --new-password 'examiner pass 1'").exit_code, 0);
    ASSERT_EQ(as("root", "admin password 1", "user-add blake --role supervisor --new-password 'supervisor pass 1'").exit_code, 0);
    const auto png = small_png();
    std::ofstream(scratch.folder / "casing.png", std::ios::binary)
        .write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
    std::ofstream(scratch.folder / "reading.json")
        << R"({"reader_version":"manual 1","status":"decoded","identity":{"manufacturer_code":1,"model_code":1,"serial":"58A-104233"}})";
    std::ofstream(scratch.folder / "notes.txt") << "not a scan";
    
    EXPECT_EQ(as("avery", "examiner pass 1", "open --ori WA0010000 --case 24-118 --offense 5212").exit_code, 0);
    const CommandRun added = as("avery", "examiner pass 1",
                         "add --case 24-118 --item 1 --collected-at 2024-05-01T22:10Z --place Pine casing.png --reading reading.json");
    EXPECT_EQ(added.exit_code, 0) << added.err;
    EXPECT_NE(added.out.find("\"serial\": \"58A-104233\""), std::string::npos);
    EXPECT_EQ(as("avery", "examiner pass 1", "add --case 24-118 --item 2 --collected-at 2024-05-01 --place Pine").exit_code, 0);
    EXPECT_EQ(as("avery", "examiner pass 1",
                 "custody --case 24-118 --item 1 --from Diaz --to 'Evidence room' --at 2024-05-02T08:00Z --purpose booked")
                  .exit_code,
              0);
    EXPECT_EQ(as("avery", "examiner pass 1", "link --case 24-118 --item 1 --to-case 24-118 --to-item 2 --likelihood-ratio 300")
                  .exit_code,
              0);
    const CommandRun exact = as("avery", "examiner pass 1", "search --manufacturer-code 1 --model-code 1 --serial 58A-104233");
    EXPECT_NE(exact.out.find("\"item_number\": \"1\""), std::string::npos) << exact.out << exact.err;
    std::ofstream(scratch.folder / "serials.txt") << "58A-104233\r\n\n58a-999999\n";
    const CommandRun batch = as("avery", "examiner pass 1", "search --manufacturer-code 1 --model-code 1 --serials serials.txt");
    EXPECT_EQ(batch.exit_code, 0) << batch.err;
    const auto lookups = nlohmann::json::parse(batch.out).at("lookups");
    ASSERT_EQ(lookups.size(), 2u) << batch.out;
    EXPECT_EQ(lookups[0].at("matches").size(), 1u);
    EXPECT_EQ(lookups[1].at("serial"), "58A-999999");
    EXPECT_TRUE(lookups[1].at("matches").empty());
    const CommandRun partial = as("avery", "examiner pass 1", "search --partial '58A-1?42?\?'");
    EXPECT_NE(partial.out.find("\"rank\": 1"), std::string::npos) << partial.out << partial.err;
    const CommandRun show = as("avery", "examiner pass 1", "show --case 24-118");
    EXPECT_NE(show.out.find("Evidence room"), std::string::npos);
    const CommandRun csv = as("blake", "supervisor pass 1", "trace-request --case 24-118 --item 1 --officer Okafor --format csv");
    EXPECT_EQ(csv.exit_code, 0) << csv.err;
    EXPECT_EQ(csv.out.rfind("id,priority,offense_code", 0), 0u);

    // Refusals and bad input: one line on stderr, non-zero exit, nothing on stdout.
    const std::vector<std::pair<std::string, std::string>> failures = {
        {"trace-request --case 24-118 --item 1 --officer Okafor", "may not issue trace requests"},
        {"add --case 99-000 --item 1 --collected-at 2024-05-01 --place x", "unknown case 99-000"},
        {"add --case 24-118 --item 1 --collected-at 2024-05-01 --place x", "already has item 1"},
        {"add --case 24-118 --item 3 --collected-at 2024-05-01 --place x notes.txt", "not a casing scan"},
    };
    for (const auto& [arguments, expected] : failures) {
        const CommandRun failed = as("avery", "examiner pass 1", arguments);
        EXPECT_NE(failed.exit_code, 0) << arguments;
        EXPECT_NE(failed.err.find(expected), std::string::npos) << failed.err;
        EXPECT_EQ(std::count(failed.err.begin(), failed.err.end(), '\n'), 1) << failed.err;
    }
    const CommandRun bad_url = run("case --db mysql://lab/x --user a --password b login", scratch.folder);
    EXPECT_NE(bad_url.exit_code, 0);
    EXPECT_NE(bad_url.err.find("use sqlite:PATH or postgresql://"), std::string::npos) << bad_url.err;

    const CommandRun verified = as("root", "admin password 1", "audit verify");
    EXPECT_EQ(verified.exit_code, 0) << verified.err;
    EXPECT_NE(verified.out.find("\"intact\": true"), std::string::npos);
    ASSERT_EQ(as("root", "admin password 1", "audit prove --record 3 --out proof.json").exit_code, 0);
    EXPECT_EQ(run("case audit check-proof proof.json", scratch.folder).exit_code, 0);

    // An edit behind the program's back: verify names the record and fails.
    if (GetParam() == "sqlite") scratch.execute("DROP TRIGGER audit_log_no_update");
    else scratch.execute("ALTER TABLE audit_log DISABLE TRIGGER USER");
    scratch.execute("UPDATE audit_log SET outcome = 'success' WHERE outcome = 'refused'");
    const CommandRun broken = as("root", "admin password 1", "audit verify");
    EXPECT_NE(broken.exit_code, 0);
    EXPECT_NE(broken.err.find("contents do not match its hash"), std::string::npos) << broken.err;
}

TEST_P(CaseCommand, AddAnswersWithItsLeadsWhichAreListedConfirmedAndRejected) {
    ASSERT_EQ(run("case " + db + " --password 'admin password 1' init --admin root", scratch.folder).exit_code, 0);
    ASSERT_EQ(as("root", "admin password 1", "user-add avery --role examiner --new-password 'examiner pass 1'").exit_code, 0);
    std::ofstream(scratch.folder / "reading.json")
        << R"({"reader_version":"manual 1","status":"decoded","identity":{"manufacturer_code":1,"model_code":1,"serial":"58A-104233"}})";
    const auto examiner = [&](const std::string& arguments) { return as("avery", "examiner pass 1", arguments); };
    ASSERT_EQ(examiner("open --ori WA0010000 --case 24-118 --offense 5212").exit_code, 0);
    ASSERT_EQ(examiner("open --ori WA0270000 --case T-77 --offense 5212").exit_code, 0);
    const std::string add = " --collected-at 2024-05-01 --place Pine --reading reading.json";
    const CommandRun first = examiner("add --ori WA0010000 --case 24-118 --item 1" + add);
    ASSERT_EQ(first.exit_code, 0) << first.err;
    EXPECT_TRUE(nlohmann::json::parse(first.out).at("leads").empty());
    const CommandRun second = examiner("add --ori WA0270000 --case T-77 --item 1" + add);
    ASSERT_EQ(second.exit_code, 0) << second.err;
    const nlohmann::json leads = nlohmann::json::parse(second.out).at("leads");
    ASSERT_EQ(leads.size(), 1u) << second.out;
    EXPECT_EQ(leads[0]["kind"], "exact");
    EXPECT_EQ(leads[0]["other"]["case_number"], "24-118");
    ASSERT_EQ(examiner("add --ori WA0270000 --case T-77 --item 2" + add).exit_code, 0);  // two more leads

    const CommandRun listed = examiner("leads --ori WA0010000 --case 24-118 --status open");
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    EXPECT_EQ(nlohmann::json::parse(listed.out).size(), 2u);
    const CommandRun confirmed = examiner("leads confirm 1 --note 'one pistol'");
    ASSERT_EQ(confirmed.exit_code, 0) << confirmed.err;
    EXPECT_EQ(nlohmann::json::parse(confirmed.out).at("status"), "confirmed");
    const CommandRun rejected = examiner("leads reject 2");
    ASSERT_EQ(rejected.exit_code, 0) << rejected.err;
    EXPECT_EQ(nlohmann::json::parse(rejected.out).at("status"), "rejected");
    const CommandRun again = examiner("leads reject 1");
    EXPECT_NE(again.exit_code, 0);
    EXPECT_NE(again.err.find("lead 1 is confirmed, not open"), std::string::npos) << again.err;
    EXPECT_NE(as("root", "admin password 1", "leads confirm 3").exit_code, 0) << "an administrator handles no evidence";
    const CommandRun bad = examiner("leads --status pending");
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_EQ(nlohmann::json::parse(examiner("leads --status open").out).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, CaseCommand, ::testing::Values("sqlite", "postgresql"), backend_name);

} // namespace
} // namespace microstamp::testing
