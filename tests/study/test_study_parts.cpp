// A study run in parts over its seeds and joined (`--parts`): the whole's results byte for
// byte, and every part that is not one of the whole refused in one line.

#include "study_support.hpp"
#include "study/parts.hpp"
#include "study/summary.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace {

using namespace microstamp;
using namespace microstamp::study_test;

// One pistol, two casings a seed (a clean one and one after a stone).
std::filesystem::path two_casings_a_seed(const std::filesystem::path& folder) {
    nlohmann::json document = tiny_document();
    document["pistols"] = 1;
    const auto path = folder / "two.json";
    std::ofstream(path) << document.dump();
    return path;
}

void copy_part_replacing(const std::filesystem::path& from, const std::filesystem::path& to, const std::string& was,
                         const std::string& now) {
    std::filesystem::create_directories(to);
    std::string text = slurp(from / "results.csv");
    const auto at = text.find(was);
    ASSERT_NE(at, std::string::npos) << was;
    text.replace(at, was.size(), now);
    std::ofstream(to / "results.csv", std::ios::binary) << text;
}

CommandResult study(const std::filesystem::path& file, const std::string& arguments) {
    return run_cli(fmt::format("study {} {}", file.string(), arguments));
}

TEST(StudyParts, PartsOverSomeSeedsJoinIntoTheWholesResultsByteForByte) {
    const auto folder = scratch("parts");
    const auto file = two_casings_a_seed(folder);
    const auto at = [&](const char* name) { return (folder / name).string(); };
    ASSERT_EQ(study(file, "--seeds 1-3 --out " + at("whole")).exit_code, 0);
    ASSERT_EQ(study(file, "--seeds 1 --out " + at("seed-1")).exit_code, 0);
    ASSERT_EQ(study(file, "--seeds 3 --out " + at("seed-3")).exit_code, 0);

    // Seed 2 is in no part: only its two casings are fired.
    const CommandResult joined = study(file, fmt::format("--seeds 1-3 --out {} --parts {} {}", at("joined"), at("seed-3"), at("seed-1")));
    ASSERT_EQ(joined.exit_code, 0) << joined.err;
    const auto summary = nlohmann::json::parse(joined.out);
    EXPECT_EQ(summary["run"]["casings_resumed"], 4);
    EXPECT_EQ(summary["run"]["casings_simulated"], 2);
    for (const char* name : {"results.csv", "results.json"})
        EXPECT_EQ(slurp(folder / "joined" / name), slurp(folder / "whole" / name)) << name;
    for (const auto& entry : std::filesystem::directory_iterator(folder / "joined"))
        EXPECT_EQ(entry.path().filename().string().find("journal"), std::string::npos) << entry.path();

    // Refused in one line, with nothing written: ...
    const auto refused = [&](const std::string& arguments, const std::string& because) {
        const auto out = folder / "refused";
        const CommandResult result = study(file, fmt::format("--out {} {}", out.string(), arguments));
        EXPECT_NE(result.exit_code, 0) << arguments;
        EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
        EXPECT_NE(result.err.find(because), std::string::npos) << result.err;
        EXPECT_FALSE(std::filesystem::exists(out)) << arguments;
    };
    // a part outside the seeds joined,
    refused("--seeds 2-3 --parts " + at("seed-1"), "is not a casing of study 'tiny' over seeds 2-3");
    // a part of another study file (its clean casing read as if after a stone),
    copy_part_replacing(folder / "seed-1", folder / "other-study", ",none,", ",stone:30,");
    refused("--seeds 1-3 --parts " + at("other-study"), "is not a casing of study");
    // two parts that read one casing differently,
    copy_part_replacing(folder / "seed-1", folder / "read-otherwise", ",correct,", ",partial,");
    refused(fmt::format("--seeds 1-3 --parts {} {}", at("seed-1"), at("read-otherwise")), "read casing 0 of the whole differently");
    // a part not finished, and a file that is not results.
    std::filesystem::create_directories(folder / "unfinished");
    refused("--seeds 1-3 --parts " + at("unfinished"), "no results.csv there");
    std::filesystem::create_directories(folder / "not-results");
    std::ofstream(folder / "not-results" / "results.csv") << "casing,outcome\n1,correct\n";
    refused("--seeds 1-3 --parts " + at("not-results"), "not a study's results.csv");
}

// A row brought in from a part carries no soft cells: its fusion group is counted apart,
// never as a group that failed to fuse.
TEST(StudyParts, FusionLeavesOutGroupsWhoseSoftCellsWereNotKept) {
    std::vector<ResultRow> rows(4);
    for (std::size_t index = 0; index < rows.size(); ++index) {
        ResultRow& row = rows[index];
        row.casing = static_cast<long>(index);
        row.reader = row.designs = "ring";
        row.pistol = 1;
        row.firearm = "service-9mm-striker";
        row.outcome = Outcome::correct;
        row.soft_cells = index < 2 ? std::string(soft_cells_not_kept) : "";
    }
    const auto gains = fusion_gains(rows, 2);
    ASSERT_EQ(gains.size(), 1u);
    const FusionTally& tally = gains.begin()->second;
    EXPECT_EQ(tally.unfused_groups, 1);
    EXPECT_EQ(tally.groups, 1);
    EXPECT_EQ(tally.casings, 2);
    EXPECT_EQ(tally.single_correct, 2);
}

} // namespace
