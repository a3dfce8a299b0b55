// Studies: the file format and its errors, the runner's determinism and resume, the
// report, the manifest, all on real fired, scanned and read casings of a tiny study.

#include "study_support.hpp"
#include "code/catalog.hpp"
#include "code/stamp_key.hpp"
#include "study/design_readers.hpp"
#include "study/manifest.hpp"
#include "study/report.hpp"
#include "study/runner.hpp"
#include "study/summary.hpp"
#include "die/die_files.hpp"
#include "physics/fire.hpp"
#include "surface/x3p.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fmt/core.h>
#include <fstream>
#include <sys/wait.h>
#include <opencv2/core.hpp>
#include <sstream>
#include <tbb/global_control.h>
#include <unistd.h>

namespace {

using namespace microstamp;

using study_test::CommandResult;
using study_test::run_cli;
using study_test::scratch;
using study_test::slurp;
using study_test::tiny_document;

Study tiny_study() { return parse_study(tiny_document(), "tiny.json", "0123abcd"); }

std::string error_of(const nlohmann::json& document) {
    try {
        parse_study(document, "bad.json");
    } catch (const InputError& error) {
        return error.what();
    }
    return "(no error)";
}

std::string rows_csv(const std::vector<ResultRow>& rows) {
    std::string text;
    for (const auto& row : rows) text += csv_line(row, true) + '\n';
    return text;
}

RunResult run_tiny(const std::filesystem::path& journal, int threads, const std::atomic<bool>* stop = nullptr,
                   std::function<void(std::size_t, std::size_t)> progress = {}) {
    cv::setNumThreads(1);
    RunOptions options;
    options.journal = journal;
    options.threads = threads;
    options.stop = stop;
    options.progress = std::move(progress);
    return run_study(tiny_study(), options);
}

// Fired and read once for the tests that only look at results.
const RunResult& tiny_results() {
    static const RunResult result = run_tiny(scratch("shared") / "journal.csv", 0);
    return result;
}

TEST(StudyFile, ParsesFactorsIntoCellsAndCasings) {
    const Study study = tiny_study();
    EXPECT_EQ(cells(study).size(), 2u);
    const auto all = casings(study);
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(all[3].cell, 1);
    EXPECT_EQ(all[3].pistol, 2);
    EXPECT_EQ(all[3].shot, 3);
    EXPECT_EQ(pistol_serial(study, 2), "58A-104202");
}

TEST(StudyFile, ShotPlans) {
    EXPECT_EQ(planned_shots(parse_shot_plan("first:2+last:2"), 500), (std::vector<long>{1, 2, 499, 500}));
    EXPECT_EQ(planned_shots(parse_shot_plan("spread:4"), 2000), (std::vector<long>{500, 1000, 1500, 2000}));
    EXPECT_EQ(planned_shots(parse_shot_plan("last:10"), 3), (std::vector<long>{1, 2, 3}));
    EXPECT_THROW(parse_shot_plan("middle:3"), InputError);
}

TEST(StudyFile, EveryShippedStudyParses) {
    const auto names = known_studies();
    for (const char* name : {"krivosta-2006", "ucdavis-2008", "lizotte-2008", "ca-4075", "defeat", "design-compare"})
        EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
    for (const auto& name : names) {
        const Study study = load_study(name);
        EXPECT_FALSE(casings(study).empty()) << name;
        EXPECT_EQ(study.sha256.size(), 64u) << name;
    }
}

TEST(StudyFile, BadFilesGetOneClearLine) {
    auto with = [](const char* pointer, nlohmann::json value) {
        nlohmann::json document = tiny_document();
        document[nlohmann::json::json_pointer(pointer)] = std::move(value);
        return document;
    };
    const std::vector<std::pair<nlohmann::json, std::string>> cases = {
        {nlohmann::json::array(), "a study file is a JSON object"},
        {with("/colour", "blue"), "unknown field 'colour'"},
        {with("/format", "other"), "'format' must be \"microstamp-study\""},
        {with("/factors/firearms", "service-9mm-striker"), "factor 'firearms' must be a non-empty list"},
        {with("/factors/firearms", {"flintlock"}), "unknown firearm profile 'flintlock'"},
        {with("/factors/defeats", {"sandpaper:3"}), "sandpaper"},
        {with("/factors/rounds", {0}), "factor 'rounds'"},
        {with("/factors/scans", {{{"kind", "x-ray"}}}), "scan kind 'x-ray'"},
        {with("/shots", "middle:3"), "'middle' is not first, last or spread"},
        {with("/physics", {{"transfer", {{"driv", 2.0}}}}), "'transfer.driv' is not a constant"},
        {with("/firearm_overrides", {{"government-45", {{"strike_energy_mj", 70}}}}), "not one of the study's levels"},
        {with("/firearm_overrides", {{"service-9mm-striker", {{"strike_energy_mj", -5}}}}), "strike_energy_mj"},
        {with("/identity/serial", "58A-1042##"), ""},  // valid: two digits for two pistols
        {with("/identity/model", "Q999"), "Q999"},
    };
    for (const auto& [document, expected] : cases) {
        const std::string message = error_of(document);
        if (expected.empty()) {
            EXPECT_EQ(message, "(no error)");
            continue;
        }
        EXPECT_NE(message.find(expected), std::string::npos) << message;
        EXPECT_EQ(message.rfind("bad.json: ", 0), 0u) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
}

TEST(StudyFile, MalformedJsonNamesTheFile) {
    const auto folder = scratch("malformed");
    std::ofstream(folder / "broken.json") << "{\"format\": \"microstamp-study\",\n \"name\": }";
    try {
        load_study((folder / "broken.json").string());
        FAIL() << "no error";
    } catch (const InputError& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("broken.json: not valid JSON"), std::string::npos) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos);
    }
    EXPECT_THROW(load_study("no-such-study"), InputError);
}

// Physics overrides nested 100,000 deep once overflowed the stack (walking the parsed
// document recurses per level): the depth is refused before parsing.
TEST(StudyFile, JsonNestedTooDeepIsRefusedBeforeParsing) {
    const auto folder = scratch("deep");
    const int depth = 100000;
    std::string physics;
    for (int i = 0; i < depth; ++i) physics += "{\"a\":";
    physics += "1" + std::string(depth, '}');
    std::ofstream(folder / "deep.json") << "{\"format\": \"microstamp-study\", \"format_version\": 1, \"name\": \"deep\", "
                                           "\"physics\": " << physics << "}";
    try {
        load_study((folder / "deep.json").string());
        FAIL() << "no error";
    } catch (const InputError& error) {
        EXPECT_NE(std::string(error.what()).find("deep.json: JSON nested deeper than 64 levels"), std::string::npos)
            << error.what();
    }
}

TEST(StudyFile, OverridesReachThePhysics) {
    nlohmann::json document = tiny_document();
    document["physics"] = {{"transfer", {{"drive", 1.25}}}};
    document["firearm_overrides"] = {{"service-9mm-striker", {{"drag_probability", 0.75}}}};
    const Study study = parse_study(document, "override.json");
    EXPECT_EQ(study_constants(study).get("transfer", "drive"), 1.25);
    EXPECT_EQ(study_constants(study).get("transfer", "rim_exponent"), default_physics_constants().get("transfer", "rim_exponent"));
    EXPECT_EQ(study_firearm(study, "service-9mm-striker").drag_probability, 0.75);
}

TEST(StudyRun, ReadsRealCasingsWithGroundTruth) {
    const RunResult& result = tiny_results();
    ASSERT_TRUE(result.complete);
    ASSERT_EQ(result.rows.size(), 4u);
    for (const auto& row : result.rows) {
        EXPECT_EQ(row.reader, "ring");
        EXPECT_NE(row.outcome, Outcome::wrong);
        EXPECT_EQ(row.expected, fmt::format("SIG Sauer P229 #58A-10420{}", row.pistol));
    }
    // Fresh pins decode; the stone leaves nothing to read.
    EXPECT_EQ(result.rows[0].outcome, Outcome::correct);
    EXPECT_EQ(result.rows[1].outcome, Outcome::correct);
    EXPECT_NE(result.rows[2].outcome, Outcome::correct);
    EXPECT_NE(result.rows[3].outcome, Outcome::correct);
}

// Groups of a pistol's casings fused: a readable pair names the pistol, a stoned pair
// names nobody, and the tally is the same on one core as on every core.
TEST(StudySummary, FusionGainsOfEachGroupOnOneCoreAndOnAll) {
    const RunResult& result = tiny_results();
    ASSERT_EQ(result.rows.size(), 4u);
    std::vector<ResultRow> rows;
    for (const ResultRow& row : result.rows)
        if (row.pistol == result.rows[0].pistol) rows.insert(rows.end(), {row, row});
    ASSERT_EQ(rows.size(), 4u);
    const auto all_cores = fusion_gains(rows, 2);
    std::map<std::string, FusionTally> one_core;
    {
        tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
        one_core = fusion_gains(rows, 2);
    }
    ASSERT_EQ(all_cores.size(), 2u);
    long fused = 0, groups = 0;
    for (const auto& [label, tally] : all_cores) {
        const FusionTally& same = one_core.at(label);
        EXPECT_EQ(same.groups, tally.groups);
        EXPECT_EQ(same.fused_correct, tally.fused_correct);
        EXPECT_EQ(same.fused_wrong, tally.fused_wrong);
        EXPECT_EQ(tally.fused_wrong, 0);
        EXPECT_EQ(tally.casings, 2);
        fused += tally.fused_correct;
        groups += tally.groups;
    }
    EXPECT_EQ(groups, 2);
    EXPECT_EQ(fused, 1);  // the fresh pair; the stoned pair has nothing to fuse
}

TEST(StudyRun, EveryDesignOnTheDieIsRead) {
    nlohmann::json document = tiny_document();
    document["factors"]["designs"] = {"text+gear"};
    document["factors"]["defeats"] = {"none"};
    document["pistols"] = 1;
    RunOptions options;
    options.journal = scratch("designs") / "journal.csv";
    const RunResult result = run_study(parse_study(document, "designs.json", "feed"), options);
    ASSERT_EQ(result.rows.size(), 2u);
    EXPECT_EQ(result.rows[0].reader, "gear");
    EXPECT_EQ(result.rows[1].reader, "text");
    for (const auto& row : result.rows) {
        EXPECT_EQ(row.reads, 2);
        EXPECT_EQ(row.expected_key.size(), 8u);
        EXPECT_NE(row.outcome, Outcome::no_reader);
        if (row.outcome == Outcome::correct) {
            EXPECT_EQ(row.read, row.expected_key);
        }
    }
}

TEST(StudyRun, SameFileAndSeedGiveTheSameResults) {
    const RunResult again = run_tiny(scratch("again") / "journal.csv", 1);
    EXPECT_EQ(rows_csv(again.rows), rows_csv(tiny_results().rows));
}

TEST(StudyRun, InterruptAndResumeEqualsAnUninterruptedRun) {
    const auto journal = scratch("resume") / "journal.csv";
    std::atomic<bool> stop{false};
    const RunResult first = run_tiny(journal, 1, &stop, [&](std::size_t done, std::size_t) {
        if (done >= 2) stop = true;
    });
    EXPECT_FALSE(first.complete);
    EXPECT_EQ(first.simulated, 2u);
    // A crash mid-write leaves a torn last line: it is dropped and its casing done again.
    std::ofstream(journal, std::ios::app) << "3,1,1,2,3,99,service-9mm";
    const RunResult second = run_tiny(journal, 2);
    EXPECT_TRUE(second.complete);
    EXPECT_EQ(second.resumed, 2u);
    EXPECT_EQ(second.simulated, 2u);
    EXPECT_EQ(rows_csv(second.rows), rows_csv(tiny_results().rows));
    // Nothing left to do: the journal alone gives the results.
    const RunResult third = run_tiny(journal, 2);
    EXPECT_EQ(third.simulated, 0u);
    EXPECT_EQ(rows_csv(third.rows), rows_csv(tiny_results().rows));
}

TEST(StudyRun, CasingsAreDealtInBlocksToEveryPart) {
    const Partition second{1, 3};
    EXPECT_FALSE(in_partition(0, second));
    EXPECT_TRUE(in_partition(partition_block, second));
    EXPECT_TRUE(in_partition(2 * partition_block - 1, second));
    EXPECT_FALSE(in_partition(2 * partition_block, second));
    EXPECT_TRUE(in_partition(4 * partition_block, second));
    EXPECT_TRUE(in_partition(12345, Partition{}));
}

// Two parts, each with its own journal, add up to the run of one: the same rows.
TEST(StudyRun, PartsMergedEqualOneRun) {
    nlohmann::json document = tiny_document();
    document["pistols"] = 5;
    document["shots"] = "last:2";
    const Study study = parse_study(document, "parts.json", "0123abce");
    ASSERT_GT(casings(study).size(), static_cast<std::size_t>(partition_block));
    cv::setNumThreads(1);
    const auto folder = scratch("parts");
    RunOptions whole;
    whole.journal = folder / "whole.csv";
    const RunResult one = run_study(study, whole);
    ASSERT_TRUE(one.complete);

    const std::vector<std::filesystem::path> journals = {folder / "part-0.csv", folder / "part-1.csv"};
    std::size_t simulated = 0;
    for (int part = 0; part < 2; ++part) {
        RunOptions options;
        options.journal = journals[static_cast<std::size_t>(part)];
        options.other_journals = {journals[static_cast<std::size_t>(1 - part)]};
        options.partition = {part, 2};
        const RunResult share = run_study(study, options);
        EXPECT_TRUE(share.complete);
        EXPECT_GT(share.simulated, 0u);
        simulated += share.simulated;
    }
    EXPECT_EQ(simulated, casings(study).size());
    EXPECT_EQ(rows_csv(merge_journals(study, journals)), rows_csv(one.rows));
    // A part missing: the merge names how many casings the journals hold.
    EXPECT_THROW(merge_journals(study, {journals[0]}), InputError);
    // A part given the whole study's journal as another's finds nothing left to do.
    RunOptions again;
    again.journal = folder / "again.csv";
    again.other_journals = {whole.journal};
    again.partition = {1, 2};
    EXPECT_EQ(run_study(study, again).simulated, 0u);
}

TEST(StudyRun, AJournalOfAnotherStudyIsRefused) {
    const auto journal = scratch("other") / "journal.csv";
    std::ofstream(journal) << journal_first_line("ffff", 4) << '\n';
    EXPECT_THROW(run_tiny(journal, 1), InputError);
}

TEST(StudyReport, IsSelfContainedWithPlotsAndTables) {
    const auto folder = scratch("report");
    const Study study = tiny_study();
    write_study_outputs(folder, study, tiny_results().rows, study_parameters(study));
    const std::string html = slurp(folder / "report.html");
    for (const char* part : {"<svg", "Published and simulated", "Correct identity against rounds fired", "Outcome shares",
                             "Erasure margin", "Defeat outcomes", "Fusion gains", "Wrong identities", "None in 4 reads",
                             "cup_flow_pressure_mpa_per_hv", "<table>"})
        EXPECT_NE(html.find(part), std::string::npos) << part;
    for (const char* external : {"<script", "src=", "href=", "<link", "@import", "url("})
        EXPECT_EQ(html.find(external), std::string::npos) << external;
    EXPECT_EQ(html, report_html(study, tiny_results().rows, study_parameters(study)));

    const std::string csv = slurp(folder / "results.csv");
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);
    EXPECT_EQ(csv.find("soft_cells"), std::string::npos);
    const auto results = nlohmann::json::parse(slurp(folder / "results.json"));
    EXPECT_EQ(results["rows"].size(), 4u);
    EXPECT_EQ(results["summary"]["headline"][0]["trials"], 4);
    EXPECT_EQ(results["summary"]["headline"][0]["successes"], 2);
}

TEST(StudySummary, WilsonIntervals) {
    const Interval half = wilson_interval(50, 100);
    EXPECT_NEAR(half.low, 0.4038, 1e-3);
    EXPECT_NEAR(half.high, 0.5962, 1e-3);
    const Interval none = wilson_interval(0, 20);
    EXPECT_EQ(none.low, 0);
    EXPECT_NEAR(none.high, 0.1611, 1e-3);
    EXPECT_EQ(wilson_interval(20, 20).high, 1);
}

TEST(StudySummary, WrongIdentityBoundsAreExactBinomial) {
    // None wrong: 1 - 0.05^(1/n), the rule of three for large n.
    EXPECT_NEAR(binomial_upper_bound(0, 1'000'000), 2.9957e-6, 1e-9);
    EXPECT_NEAR(binomial_upper_bound(0, 10), 1 - std::pow(0.05, 0.1), 1e-9);
    // Clopper-Pearson, one-sided 95%: 1 in 100 -> 0.0466; 5 in 1000 -> 0.0105.
    EXPECT_NEAR(binomial_upper_bound(1, 100), 0.0466, 5e-4);
    EXPECT_NEAR(binomial_upper_bound(5, 1000), 0.0105, 5e-4);
    EXPECT_EQ(binomial_upper_bound(3, 3), 1.0);

    std::vector<ResultRow> rows(4);
    rows[0].reader = "ring";
    rows[0].outcome = Outcome::correct;
    rows[1].reader = "ring";
    rows[1].outcome = Outcome::wrong;
    rows[2].reader = "gear";
    rows[2].outcome = Outcome::partial;
    rows[3].reader = "text";
    rows[3].outcome = Outcome::no_reader;
    rows.push_back(rows[2]);
    rows.back().outcome = Outcome::misread_key;
    const auto tallies = wrong_identities(rows);
    ASSERT_EQ(tallies.size(), 3u);  // gear, ring, all: a design with no reader is not counted
    EXPECT_EQ(tallies[1].reader, "ring");
    EXPECT_EQ(tallies[1].reads, 2);
    EXPECT_EQ(tallies[1].wrong, 1);
    EXPECT_EQ(tallies[2].reader, "all");
    EXPECT_EQ(tallies[2].reads, 4);
    EXPECT_EQ(tallies[2].wrong, 1);  // a key nobody holds names no one
    EXPECT_EQ(tallies[2].misread_keys, 1);
    EXPECT_EQ(tallies[0].misread_keys, 1);
    EXPECT_NEAR(tallies[0].upper_95, 1 - std::pow(0.05, 0.5), 1e-9);
    EXPECT_NEAR(tallies[0].misread_upper_95, binomial_upper_bound(1, 2), 1e-12);
}

TEST(StudyJudge, AKeyAnotherPistolHoldsIsWrongAndOneNobodyHoldsIsMisread) {
    const Identity stamped = default_catalog().identity("SIG Sauer", "P320", "NW-1");
    const Identity other = default_catalog().identity("SIG Sauer", "P320", "NW-2");
    KeyDirectory directory;
    directory.add(stamped);
    directory.add(other);
    Die die;
    die.identity = stamped;
    die.text_key = stamp_key(stamped);
    std::string nobodys = die.text_key;
    nobodys[3] = nobodys[3] == 'A' ? 'B' : 'A';  // one character misread
    ASSERT_TRUE(directory.find(nobodys).empty());
    for (const Design design : {Design::text, Design::gear}) {
        const auto judged = [&](const std::string& code) {
            DesignReading reading;
            reading.design = design;
            reading.status = DesignStatus::decoded;
            reading.code = code;
            ResultRow row;
            judge_design_reading(reading, die, directory, row);
            EXPECT_EQ(row.read, code);
            return row.outcome;
        };
        EXPECT_EQ(judged(die.text_key), Outcome::correct);
        EXPECT_EQ(judged(stamp_key(other)), Outcome::wrong);
        EXPECT_EQ(judged(nobodys), Outcome::misread_key);
    }
}

TEST(StudyReport, MisreadKeysAreCountedApartAndListedForReplay) {
    const Study study = tiny_study();
    std::vector<ResultRow> rows = tiny_results().rows;
    rows[0].reader = "gear";
    rows[0].outcome = Outcome::misread_key;
    rows[0].read = "0045ZG6E";
    const std::string html = report_html(study, rows, study_parameters(study));
    for (const char* part : {"keys misread", "1 keys misread", "0045ZG6E", "None in 4 reads"})
        EXPECT_NE(html.find(part), std::string::npos) << part;
    EXPECT_NE(html.find(fmt::format("--out shots-{}", rows[0].casing)), std::string::npos);  // its replay
    const auto summary = study_summary(study, rows);
    EXPECT_EQ(summary["wrong_identities"], 0);
    EXPECT_EQ(summary["misread_keys"], 1);
}

TEST(StudySummary, CasingOutcomeOverDesigns) {
    ResultRow text, gear;
    text.reader = "text";
    gear.reader = "gear";
    gear.read = "DX8BHRGX";
    auto outcome = [&] { return casing_outcomes({gear, text})[0].outcome; };
    text.outcome = Outcome::partial;
    text.read = "DX8B??GX";
    gear.outcome = Outcome::correct;
    EXPECT_EQ(outcome(), Outcome::correct);  // the gear fills the text's gaps
    text.read = "DX0B??GX";
    EXPECT_EQ(outcome(), Outcome::partial);  // but not against what the text showed
    text.outcome = Outcome::wrong;
    EXPECT_EQ(outcome(), Outcome::wrong);    // the text's own answer comes first
    text.outcome = Outcome::misread_key;
    text.read = "DX0BHRGX";
    EXPECT_EQ(outcome(), Outcome::misread_key);  // a gear key against every character the text showed is no answer
    text.outcome = Outcome::correct;
    gear.outcome = Outcome::wrong;
    EXPECT_EQ(outcome(), Outcome::correct);
    text.outcome = Outcome::unreadable;
    text.read.clear();
    gear.outcome = Outcome::defaced;
    EXPECT_EQ(outcome(), Outcome::defaced);
}

TEST(StudyManifest, ParsesAndRefusesWithTheLine) {
    const auto folder = scratch("manifest");
    std::ofstream(folder / "good.csv") << "file,expected,firearm,shot\nscans/a.x3p,SIG Sauer P229 #58A-104233,pistol-1,1\n";
    const Manifest manifest = load_manifest(folder / "good.csv");
    ASSERT_EQ(manifest.entries.size(), 1u);
    EXPECT_EQ(manifest.entries[0].file, folder / "scans/a.x3p");
    EXPECT_EQ(manifest.entries[0].expected.serial, "58A-104233");
    std::ofstream(folder / "bad.csv") << "file,expected,firearm,shot\na.x3p,Nobody X1 #1,pistol-1,1\n";
    try {
        load_manifest(folder / "bad.csv");
        FAIL() << "no error";
    } catch (const InputError& error) {
        EXPECT_NE(std::string(error.what()).find("bad.csv:2:"), std::string::npos) << error.what();
    }
}

// A spreadsheet's CSV ends its lines in CRLF; a field holding a control character is
// quoted in a message that stays one line.
TEST(StudyManifest, CrlfLinesReadAndControlCharactersStayOnOneLine) {
    const auto folder = scratch("manifest-crlf");
    std::ofstream(folder / "excel.csv") << "file,expected,firearm,shot\r\nscans/a.x3p,SIG Sauer P229 #58A-104233,pistol-1,7\r\n";
    const Manifest manifest = load_manifest(folder / "excel.csv");
    ASSERT_EQ(manifest.entries.size(), 1u);
    EXPECT_EQ(manifest.entries[0].shot, 7);
    EXPECT_EQ(manifest.entries[0].firearm, "pistol-1");
    std::ofstream(folder / "odd.csv") << "file,expected,firearm,shot\na.x3p,SIG Sauer P229 #58A-104233,pistol-1,1\x01" "2\n";
    try {
        load_manifest(folder / "odd.csv");
        FAIL() << "no error";
    } catch (const InputError& error) {
        EXPECT_NE(std::string(error.what()).find("shot '1?2' is not a round number"), std::string::npos) << error.what();
    }
}

TEST(StudyManifest, RealScanFilesThroughTheReaderAndReport) {
    // Two casings of one pistol written as x3p files, as an instrument would hand them over.
    const auto folder = scratch("manifest-scans");
    DieDesign design;
    design.designs = {Design::ring};
    const Die die = encode(default_catalog().identity("SIG Sauer", "P229", "58A-104233"), design);
    FireOptions options;
    options.rounds = 2;
    options.shots = {1, 2};
    options.seed = 11;
    fire(die, load_firearm("service-9mm-striker"), load_ammunition("standard-small-pistol"), options, [&](Shot&& shot) {
        write_x3p(folder / fmt::format("shot-{}.x3p", shot.number), shot.topography, SurfaceMetadata{});
    });
    std::ofstream(folder / "scans.csv") << "file,expected,firearm,shot\n"
                                           "shot-1.x3p,SIG Sauer P229 #58A-104233,pistol-A,1\n"
                                           "shot-2.x3p,SIG Sauer P229 #58A-999999,pistol-A,2\n";
    const Manifest manifest = load_manifest(folder / "scans.csv");
    const auto rows = read_manifest(manifest, [](const std::filesystem::path& file) { return read(read_x3p(file).surface); });
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].outcome, Outcome::correct);
    EXPECT_EQ(rows[1].outcome, Outcome::wrong);  // the manifest expected another pistol: the report must show it
    const Study study = manifest_study(folder / "scans.csv", manifest, Protocol::pistol_pass);
    const std::string html = report_html(study, rows, nlohmann::json::object());
    EXPECT_NE(html.find("58A-999999"), std::string::npos);
    EXPECT_NE(html.find("<b>fail</b>"), std::string::npos);
}

TEST(StudyCommand, RunsAStudyFileAndRefusesBadOnesInOneLine) {
    const auto folder = scratch("cli");
    nlohmann::json document = tiny_document();
    document["factors"]["defeats"] = {"none"};
    document["pistols"] = 1;
    std::ofstream(folder / "one.json") << document.dump();
    const CommandResult good = run_cli(fmt::format("study {} --out {}", (folder / "one.json").string(), (folder / "out").string()));
    ASSERT_EQ(good.exit_code, 0) << good.err;
    const auto summary = nlohmann::json::parse(good.out);
    EXPECT_EQ(summary["casings"], 1);
    EXPECT_EQ(summary["headline"][0]["successes"], 1);
    for (const char* file : {"results.csv", "results.json", "report.html"}) EXPECT_TRUE(std::filesystem::exists(folder / "out" / file));
    EXPECT_FALSE(std::filesystem::exists(folder / "out" / "results.journal.csv"));
    // A finished study's folder is not written over.
    EXPECT_NE(run_cli(fmt::format("study {} --out {}", (folder / "one.json").string(), (folder / "out").string())).exit_code, 0);

    std::ofstream(folder / "bad.json") << R"({"format": "microstamp-study", "format_version": 1, "name": "bad", "factors": {}})";
    const CommandResult bad = run_cli(fmt::format("study {} --out {}", (folder / "bad.json").string(), (folder / "bad").string()));
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
    EXPECT_NE(bad.err.find("factor 'firearms' is required"), std::string::npos) << bad.err;
    EXPECT_FALSE(std::filesystem::exists(folder / "bad"));

    const CommandResult backwards =
        run_cli(fmt::format("study {} --seeds 9-3 --out {}", (folder / "one.json").string(), (folder / "backwards").string()));
    EXPECT_NE(backwards.exit_code, 0);
    EXPECT_EQ(std::count(backwards.err.begin(), backwards.err.end(), '\n'), 1) << backwards.err;
    EXPECT_NE(backwards.err.find("--seeds '9-3'"), std::string::npos) << backwards.err;
    EXPECT_FALSE(std::filesystem::exists(folder / "backwards"));
}

// A pin swapped for the next pistol's: read at both locations, every casing is caught as
// locations_disagree naming both pistols; at the pin alone, it names the donor.
TEST(StudyRun, SwappedPinsAreCaughtWhereTheBreechFaceIsRead) {
    nlohmann::json document = tiny_document();
    document["factors"]["defeats"] = {"none", "swap:other"};
    document["breech_face"] = true;
    RunOptions options;
    options.journal = scratch("swap") / "journal.csv";
    const Study study = parse_study(document, "swap.json", "5a9");
    const RunResult result = run_study(study, options);
    ASSERT_EQ(result.rows.size(), 4u);
    for (const ResultRow& row : result.rows) {
        if (row.defeat == "none") {
            EXPECT_EQ(row.outcome, Outcome::correct) << row.casing;
            continue;
        }
        EXPECT_EQ(row.outcome, Outcome::locations_disagree) << row.casing;
        EXPECT_EQ(row.status, "locations_disagree");
        const std::string donor = fmt::format("SIG Sauer P229 #58A-10420{}", swap_donor(study, row.pistol));
        EXPECT_EQ(row.read, donor + " | " + row.expected);
    }
    const nlohmann::json summary = study_summary(study, result.rows);
    ASSERT_TRUE(summary.contains("swap_detection"));
    ASSERT_EQ(summary["swap_detection"].size(), 1u);
    EXPECT_EQ(summary["swap_detection"][0]["group"], "ring | swap:other | topography");
    EXPECT_EQ(summary["swap_detection"][0]["swapped"], 2);
    EXPECT_EQ(summary["swap_detection"][0]["detected"], 2);
    EXPECT_EQ(summary["wrong_identities"], 0);
    EXPECT_NE(report_html(study, result.rows, {}, {}).find("Swapped pins detected"), std::string::npos);

    document["breech_face"] = false;
    options.journal = scratch("swap-pin-only") / "journal.csv";
    const Study pin_only = parse_study(document, "swap.json", "5aa");
    const RunResult unseen = run_study(pin_only, options);
    const nlohmann::json missed = study_summary(pin_only, unseen.rows);
    EXPECT_EQ(missed["swap_detection"][0]["detected"], 0);
    EXPECT_EQ(missed["swap_detection"][0]["named_pin_pistol"], 2);
}

// `swap:DIE_FOLDER` puts in the pin of a die written by `microstamp encode`.
TEST(StudyRun, APinSwappedForADieFoldersIsCaught) {
    const auto folder = scratch("swap-die") / "donor";
    DieDesign design;
    design.designs = {Design::ring};
    write_die(encode(default_catalog().identity("SIG Sauer", "P229", "99Z-000001"), design), folder);
    nlohmann::json document = tiny_document();
    document["factors"]["defeats"] = {"swap:" + folder.string()};
    document["breech_face"] = true;
    document["pistols"] = 1;
    RunOptions options;
    options.journal = scratch("swap-die-run") / "journal.csv";
    const RunResult result = run_study(parse_study(document, "swap-die.json", "5ab"), options);
    ASSERT_EQ(result.rows.size(), 1u);
    EXPECT_EQ(result.rows[0].outcome, Outcome::locations_disagree);
    EXPECT_EQ(result.rows[0].read, "SIG Sauer P229 #99Z-000001 | SIG Sauer P229 #58A-104201");
}

// A run split by seeds: each part is the whole's casings of those seeds, and resumes only
// its own journal.
TEST(StudyFile, APartOverSomeSeedsIsTheWholesCasingsOfThoseSeeds) {
    const Study file = tiny_study();
    const Study part = with_seeds(file, "5-7");
    EXPECT_EQ(part.seeds, (std::vector<std::uint64_t>{5, 6, 7}));
    EXPECT_EQ(part.document["factors"]["seeds"], nlohmann::json({5, 6, 7}));
    EXPECT_EQ(casings(part).size(), 3 * casings(file).size());
    EXPECT_EQ(with_seeds(file, "9").seeds, (std::vector<std::uint64_t>{9}));
    EXPECT_NE(part.sha256, file.sha256);
    EXPECT_NE(part.sha256, with_seeds(file, "5-6").sha256);
    EXPECT_EQ(part.sha256, with_seeds(file, "5-7").sha256);
    for (const char* bad : {"7-5", "x-3", "1-", "", "-4", "2-3-4", "0-100000", "1.5"})
        EXPECT_THROW(with_seeds(file, bad), InputError) << bad;
    EXPECT_NO_THROW(with_seeds(file, "0-99999"));

    nlohmann::json document = tiny_document();
    document["factors"]["defeats"] = {"none"};
    document["pistols"] = 1;
    const Study whole = parse_study(document, "tiny.json", "77");
    RunOptions options;
    options.journal = scratch("seeds-whole") / "journal.csv";
    const RunResult both = run_study(with_seeds(whole, "1-2"), options);
    options.journal = scratch("seeds-part") / "journal.csv";
    const RunResult second = run_study(with_seeds(whole, "2"), options);
    ASSERT_EQ(both.rows.size(), 2u);
    ASSERT_EQ(second.rows.size(), 1u);
    const auto without_index = [](ResultRow row) {
        row.casing = 0;
        row.cell = 0;
        return csv_line(row, true);
    };
    EXPECT_NE(without_index(both.rows[0]), without_index(both.rows[1]));
    EXPECT_EQ(without_index(both.rows[1]), without_index(second.rows[0]));
}

TEST(StudyFile, SwapOtherNeedsPistolsOfTheirOwn) {
    nlohmann::json document = tiny_document();
    document["factors"]["defeats"] = {"swap:other"};
    document["identity"]["serial"] = "ONEPIN";
    EXPECT_NE(error_of(document).find("swap:other"), std::string::npos) << error_of(document);
    document = tiny_document();
    document["breech_face"] = "yes";
    EXPECT_NE(error_of(document).find("'breech_face' must be true or false"), std::string::npos);
}

} // namespace
