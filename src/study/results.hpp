#pragma once
// One row per casing read: the ground truth of the casing and what the reader of one
// design made of it. A casing whose die carries several designs (text+gear) has one
// row per design read.
//
// Rows are written as they complete to a journal (results.journal.csv) whose first
// line records the study file's hash; a resumed run keeps the rows there and does only
// the rest. Numbers are written in their shortest exact form, so a row read back is
// the row written, and a resumed run ends with the same results as an uninterrupted one.

#include "study/study.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace microstamp {

// correct / wrong (an identity that is not the casing's: a decoded ring or Data Matrix, or
// a text or gear key that the key directory gives to another pistol) / misread_key (a
// text or gear key read that is not the casing's and that no pistol in the directory
// holds: a lab's look-up finds nobody) / what the reader said when it named nothing:
// locations_disagree (the firing pin and the breech face named
// different pistols: a swapped pin caught), partial, defaced, no_stamp, unreadable;
// no_reader when there is no reader for the design yet. In this order of how telling
// a non-answer is.
enum class Outcome { correct, wrong, misread_key, locations_disagree, partial, defaced, no_stamp, unreadable, no_reader };
inline constexpr int outcome_count = 9;
std::string_view outcome_name(Outcome outcome);
Outcome parse_outcome(std::string_view text);

struct ResultRow {
    long casing = 0;
    int reads = 1;            // rows this casing has in all (one per design read)
    int cell = 0;
    int pistol = 0;
    long shot = 0;
    std::uint64_t seed = 0;   // the pistol's seed (what `microstamp fire --seed` takes)
    std::string firearm;
    std::string ammunition;
    std::string designs;      // on the die
    std::string reader;       // the design this row read
    long rounds = 0;
    std::string defeat;
    std::string scan;         // topography, photograph, or the file's kind in a manifest
    double spacing_um = 0;
    std::string file;         // manifest runs: the scan read
    std::string expected;     // "SIG Sauer P229 #58A-104201"
    std::string expected_key; // the 8-character key of text and gear stamps
    std::string status;       // the reader's status
    Outcome outcome = Outcome::unreadable;
    std::string read;         // the identity or key the reader named, if any
    int errors = 0;
    int erasures = 0;
    int erased_sectors = 0;
    int unused_capacity = 0;
    double decision_margin = 0;
    std::string soft_cells;   // ring: soft cells quantised to 1/127, hex (for fusion); journal only
};

std::vector<std::string> result_columns(bool with_soft_cells);
std::string csv_line(const ResultRow& row, bool with_soft_cells);
std::string csv_header(bool with_soft_cells);
// Throws InputError on a malformed row.
ResultRow parse_csv_line(const std::string& line);
nlohmann::json to_json(const ResultRow& row);

// The journal of a run in progress.
struct Journal {
    std::vector<ResultRow> rows;     // complete casings only
    std::set<long> completed;        // their indices
};
std::string journal_first_line(const std::string& study_sha256, std::size_t casings);
// Reads a journal; rows of a casing cut short by a crash are dropped. Throws InputError
// when it belongs to another study file.
Journal read_journal(const std::filesystem::path& path, const std::string& study_sha256, std::size_t casings);
// Writes `rows` as a journal of the study whole (a temporary file renamed into place).
void write_journal(const std::filesystem::path& path, const std::string& study_sha256, std::size_t casings,
                   const std::vector<ResultRow>& rows);
// The rows of a finished study's results.csv. Throws FileError when it cannot be read,
// InputError naming the file and line when it is not one.
std::vector<ResultRow> read_results_csv(const std::filesystem::path& path);

// Sorted by casing, then by reader.
void sort_rows(std::vector<ResultRow>& rows);

// CSV fields (RFC 4180 quoting): a field with a comma, quote or line break is quoted.
std::string csv_field(const std::string& text);
std::vector<std::string> split_csv_line(const std::string& line);

} // namespace microstamp
