// The examination report end to end through the binary: a scripted case (two items,
// custody, a link, a trace request), the PDF's text as poppler's pdftotext extracts it
// checked against the store, its proofs re-checked with `audit check-proof`, and the
// copy check of `report-verify`.

#include "test_locations.hpp"
#include "support/command_run.hpp"

#include "evidence/database.hpp"
#include "surface/x3p.hpp"

#include <gtest/gtest.h>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sys/wait.h>
#include <unistd.h>

namespace microstamp::testing {
namespace {

namespace fs = std::filesystem;

CommandRun run(const std::string& command_line, const fs::path& folder) { return run_in_folder(command_line, folder); }

std::string read_file(const fs::path& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// pdftotext breaks long values over lines; the checks compare words, not line layout.
std::string single_spaced(const std::string& text) {
    return std::regex_replace(text, std::regex("\\s+"), " ");
}

std::string figure(const nlohmann::json& value) {
    return value.is_number_integer() ? std::to_string(value.get<std::int64_t>()) : fmt::format("{}", value.get<double>());
}

class Report : public ::testing::Test {
protected:
    void SetUp() override {
        if (run("command -v pdftotext pdfinfo", fs::temp_directory_path()).exit_code != 0)
            FAIL() << "pdftotext and pdfinfo are missing: install poppler-utils (scripts/setup.sh does)";
        folder = fs::temp_directory_path() / ("microstamp_report_" + std::to_string(getpid()));
        fs::remove_all(folder);
        fs::create_directories(folder);
        db = "--db 'sqlite:" + (folder / "evidence.db").string() + "'";
    }
    void TearDown() override { fs::remove_all(folder); }

    CommandRun microstamp(const std::string& arguments) { return run(std::string(MICROSTAMP_BINARY) + " " + arguments, folder); }
    CommandRun as(const std::string& user, const std::string& password, const std::string& arguments) {
        return microstamp("case " + db + " --user " + user + " --password '" + password + "' " + arguments);
    }
    CommandRun examiner(const std::string& arguments) { return as("avery", "examiner pass 1", arguments); }
    void must(const CommandRun& result) { ASSERT_EQ(result.exit_code, 0) << result.err; }

    // The scripted case: a pistol's stamp fired twice, both casings recorded and linked,
    // the first booked into the evidence room and traced.
    void script_case() {
        must(microstamp("encode --make 'SIG Sauer' --model P229 --serial 58A-104233 --design ring --out die"));
        must(microstamp("fire --die die --firearm duty-40-tilting --ammo standard-small-pistol --rounds 2 --shots 1-2 "
                        "--seed 11 --out shots"));
        must(microstamp("case " + db + " --password 'admin pass 1' init --admin root"));
        must(as("root", "admin pass 1", "user-add avery --role examiner --agency WA0010000 --new-password 'examiner pass 1'"));
        must(as("root", "admin pass 1", "user-add sam --role supervisor --agency WA0010000 --new-password 'supervisor pass 1'"));
        must(as("root", "admin pass 1", "user-add olga --role examiner --agency OR0020000 --new-password 'other pass 1'"));
        must(examiner("open --ori WA0010000 --case 26-1125 --offense 5212"));
        must(examiner("add --ori WA0010000 --case 26-1125 --item 1 --collected-at 2026-11-25T22:10Z --place '5th & Pine' "
                      "--description '40 S&W case, sidewalk' shots/shot-000001.x3p"));
        must(examiner("add --ori WA0010000 --case 26-1125 --item 2 --collected-at 2026-11-25T22:14Z --place '5th & Pine' "
                      "--description '40 S&W case, gutter' shots/shot-000002.x3p"));
        must(examiner("custody --ori WA0010000 --case 26-1125 --item 1 --from 'Ofc. Diaz' --to 'Evidence room' "
                      "--at 2026-11-26T08:00Z --purpose booked"));
        must(examiner("link --ori WA0010000 --case 26-1125 --item 1 --to-case 26-1125 --to-item 2 --likelihood-ratio 3000"));
        must(as("sam", "supervisor pass 1", "trace-request --ori WA0010000 --case 26-1125 --item 1 --officer 'Det. Okafor'"));
    }

    fs::path folder;
    std::string db;
};

TEST_F(Report, EverySectionMatchesTheStoreAndTheProofsAndCopyCheckHold) {
    script_case();
    if (HasFatalFailure()) return;
    const CommandRun shown = examiner("show --ori WA0010000 --case 26-1125 --item 1");
    must(shown);
    const nlohmann::json item = nlohmann::json::parse(shown.out);

    const CommandRun issued = examiner("report --ori WA0010000 --case 26-1125 --item 1 --laboratory 'Pine County Crime "
                                       "Laboratory' --out report.pdf");
    must(issued);
    const nlohmann::json issue = nlohmann::json::parse(issued.out);
    ASSERT_TRUE(fs::exists(folder / "report.pdf"));
    EXPECT_EQ(issue.at("bytes").get<std::uintmax_t>(), fs::file_size(folder / "report.pdf"));

    must(run("pdftotext -layout report.pdf report.txt", folder));
    const std::string layout_text = read_file(folder / "report.txt");
    const std::string text = single_spaced(layout_text);
    const auto has = [&](const std::string& expected) {
        EXPECT_NE(text.find(expected), std::string::npos) << "the report lacks: " << expected;
    };
    // Header.
    has("Laboratory Pine County Crime Laboratory");
    has("Agency (ORI) WA0010000");
    has("Case 26-1125");
    has("Item 1");
    has("Offense (NCIC) 5212");
    has("Examiner avery (examiner)");
    // Exhibit and custody.
    has("Description " + item.at("description").get<std::string>());
    has("Collected at " + item.at("collected_at").get<std::string>());
    has("Collected from " + item.at("collected_place").get<std::string>());
    ASSERT_EQ(item.at("custody").size(), 1U);
    const nlohmann::json& transfer = item.at("custody")[0];
    has(transfer.at("at").get<std::string>() + ": from " + transfer.at("from").get<std::string>() + " to " +
        transfer.at("to").get<std::string>() + ", " + transfer.at("purpose").get<std::string>() + ".");
    // Scan, with the instrument as the x3p file says.
    ASSERT_EQ(item.at("scans").size(), 1U);
    const nlohmann::json& scan = item.at("scans")[0];
    has("File name " + scan.at("file_name").get<std::string>());
    has("Format x3p");
    has("Size " + std::to_string(scan.at("size_bytes").get<std::int64_t>()) + " bytes");
    has("SHA-256 " + scan.at("sha256").get<std::string>());
    const SurfaceMetadata instrument = read_x3p(folder / "shots" / "shot-000001.x3p").metadata;
    ASSERT_FALSE(instrument.instrument_manufacturer.empty());
    has("Instrument " + instrument.instrument_manufacturer + " " + instrument.instrument_model);
    has("Instrument version " + instrument.instrument_version);
    // Reading: every figure as the store holds it.
    ASSERT_EQ(item.at("readings").size(), 1U);
    const nlohmann::json& stored = item.at("readings")[0];
    const nlohmann::json& reader = stored.at("reading");
    ASSERT_EQ(stored.at("status"), "decoded") << "the scripted casing should read; the report test needs a decoded reading";
    has("Status decoded");
    has("SIG Sauer P229, serial " + stored.at("serial").get<std::string>());
    has("Field confidence manufacturer " + figure(reader.at("identity").at("field_confidence").at("manufacturer")) +
        ", model " + figure(reader.at("identity").at("field_confidence").at("model")) + ", serial " +
        figure(reader.at("identity").at("field_confidence").at("serial")));
    has("Confidence " + figure(reader.at("confidence")));
    has("False-identity bound " + figure(reader.at("false_identity_bound")));
    has("Unused error correction " + figure(reader.at("unused_capacity")) + " of " + figure(reader.at("parity_symbols")) +
        " parity symbols");
    has("Decision margin " + figure(reader.at("decision_margin")));
    has("Design " + reader.at("design").get<std::string>());
    has("Reader version " + stored.at("reader_version").get<std::string>());
    has("What the reader saw in shot-000001.x3p");
    has("Limitations The stamp decoded with " + figure(reader.at("errors")) + " errors and " +
        figure(reader.at("erasures")) + " erasures corrected");
    has("is at most " + figure(reader.at("false_identity_bound")));
    // Link and trace request.
    ASSERT_EQ(item.at("links").size(), 1U);
    has("item 2 of case WA0010000/26-1125: likelihood_ratio, likelihood ratio " +
        figure(item.at("links")[0].at("likelihood_ratio")));
    has("SIG Sauer P229 pistol serial 58A-104233");
    has("officer Det. Okafor");
    has("by sam.");
    // Pages: "page N of M" on every one of the M pages.
    const CommandRun info = run("pdfinfo report.pdf", folder);
    std::smatch pages_match;
    ASSERT_TRUE(std::regex_search(info.out, pages_match, std::regex("Pages:\\s+(\\d+)")));
    const int pages = std::stoi(pages_match[1]);
    EXPECT_GE(pages, 2);
    for (int page = 1; page <= pages; ++page) has(fmt::format("page {} of {}", page, pages));
    EXPECT_EQ(text.find(fmt::format("page {} of", pages + 1)), std::string::npos);

    // Verification: every proof printed holds under `audit check-proof`, and the records
    // proved include the item's addition, its custody, its link and its trace request.
    const std::regex proof_pattern("-----BEGIN AUDIT PROOF (\\d+)-----\\n([\\s\\S]*?)-----END AUDIT PROOF \\1-----");
    std::set<std::string> actions;
    int proofs = 0;
    for (auto match = std::sregex_iterator(layout_text.begin(), layout_text.end(), proof_pattern);
         match != std::sregex_iterator(); ++match) {
        const fs::path proof_file = folder / fmt::format("proof-{}.json", (*match)[1].str());
        std::ofstream(proof_file) << (*match)[2].str();
        const nlohmann::json proof = nlohmann::json::parse((*match)[2].str());
        actions.insert(proof.at("record").at("action").get<std::string>());
        EXPECT_EQ(proof.at("record").at("sequence").get<std::int64_t>(), std::stoll((*match)[1].str()));
        const CommandRun checked = microstamp("case audit check-proof '" + proof_file.string() + "'");
        EXPECT_EQ(checked.exit_code, 0) << checked.err;
        EXPECT_NE(checked.out.find("\"valid\": true"), std::string::npos) << checked.out;
        ++proofs;
    }
    EXPECT_GE(proofs, 4);
    for (const char* action : {"exhibit.add", "custody.record", "link.add", "trace_request.export"})
        EXPECT_TRUE(actions.contains(action)) << "no proof of " << action;

    // The copy check: this file passes, the same file with one byte changed does not.
    const CommandRun verified = examiner("report-verify report.pdf");
    EXPECT_EQ(verified.exit_code, 0) << verified.err;
    EXPECT_NE(verified.out.find("\"audit_record\": " + std::to_string(issue.at("audit_record").get<std::int64_t>())),
              std::string::npos);
    std::string altered = read_file(folder / "report.pdf");
    altered[altered.size() / 2] = static_cast<char>(altered[altered.size() / 2] ^ 0x01);
    std::ofstream(folder / "altered.pdf", std::ios::binary) << altered;
    const CommandRun rejected = examiner("report-verify altered.pdf");
    EXPECT_NE(rejected.exit_code, 0);
    EXPECT_NE(rejected.err.find("not a copy of an issued report"), std::string::npos) << rejected.err;
}

TEST_F(Report, AnotherAgencysExaminerIsRefusedAndTheRefusalIsAudited) {
    script_case();
    if (HasFatalFailure()) return;
    const CommandRun refused = as("olga", "other pass 1", "report --ori WA0010000 --case 26-1125 --item 1 --out stolen.pdf");
    EXPECT_NE(refused.exit_code, 0);
    EXPECT_FALSE(fs::exists(folder / "stolen.pdf"));
    const auto store = database::open_sqlite((folder / "evidence.db").string(), false);
    std::int64_t refusals = 0;
    store->transact(database::TransactionMode::read, [&](database::Transaction& transaction) {
        refusals = database::as_integer(transaction.query(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'report.issue' AND outcome = 'refused' AND user_name = 'olga' "
            "AND object = 'case WA0010000/26-1125 item 1'")[0][0]);
    });
    EXPECT_EQ(refusals, 1);
}

TEST_F(Report, HtmlSaysTheSameAndIsIssuedLikeThePdf) {
    script_case();
    if (HasFatalFailure()) return;
    must(examiner("report --ori WA0010000 --case 26-1125 --item 2 --format html --out report.html"));
    const std::string html = read_file(folder / "report.html");
    EXPECT_NE(html.find("<h2>Verification</h2>"), std::string::npos);
    EXPECT_NE(html.find("<dt>Item</dt><dd>2</dd>"), std::string::npos);
    EXPECT_NE(html.find("data:image/png;base64,iVBORw0KGgo"), std::string::npos) << "no overlay inline";
    EXPECT_NE(html.find("-----BEGIN AUDIT PROOF"), std::string::npos);
    const CommandRun verified = examiner("report-verify report.html");
    EXPECT_EQ(verified.exit_code, 0) << verified.err;
}

} // namespace
} // namespace microstamp::testing
