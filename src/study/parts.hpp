#pragma once
// A study run in parts, each over some of its seeds (`microstamp study --seeds`), joined
// into the whole. Seeds are the outermost factor (study.cpp, cells), so each seed's
// casings are one block of the same length in every run of the file: a part's casing is
// the whole's casing at the same place in its seed's block. A joined run reads the
// parts' results and simulates only what no part holds; its results.csv and results.json
// are the ones a single run over all the seeds writes.

#include "study/results.hpp"
#include "study/study.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace microstamp {

// What a row brought in from a part's results.csv carries for its ring's soft cells:
// results.csv does not keep them (the journal does), so fusion cannot use that casing.
inline constexpr std::string_view soft_cells_not_kept = "not-kept";

struct StudyPart {
    std::string name;              // for errors: the part's folder
    std::vector<ResultRow> rows;   // its results.csv
};

// The parts' rows as rows of `whole`: casing and cell numbered in the whole's
// enumeration, sorted, soft cells marked not kept. Throws InputError naming the part and
// the row when a row is not a casing of `whole` (another study file, a seed outside its
// range, a casing cut short) or when two parts give one casing different rows.
std::vector<ResultRow> rows_from_parts(const Study& whole, const std::vector<StudyPart>& parts);

} // namespace microstamp
