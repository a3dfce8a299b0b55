#include "study/parts.hpp"

#include "code/identity.hpp"

#include <fmt/format.h>

#include <map>

namespace microstamp {
namespace {

// Whether a part's row describes the whole's casing `casing` of cell `cell`: the same
// pistol, shot and levels of every factor but the seed.
bool describes(const ResultRow& row, const Casing& casing, const StudyCell& cell) {
    return row.pistol == casing.pistol && row.shot == casing.shot && row.firearm == cell.firearm &&
           row.ammunition == cell.ammunition && row.designs == cell.design && row.rounds == cell.rounds &&
           row.defeat == cell.defeat && row.scan == scan_kind_name(cell.scan.kind) && row.spacing_um == cell.scan.spacing_um;
}

std::string rows_text(const std::vector<ResultRow>& rows) {
    std::string text;
    for (const ResultRow& row : rows) text += csv_line(row, false) + '\n';
    return text;
}

} // namespace

std::vector<ResultRow> rows_from_parts(const Study& whole, const std::vector<StudyPart>& parts) {
    const std::vector<Casing> all = casings(whole);
    const std::vector<StudyCell> all_cells = cells(whole);
    const std::size_t seed_count = whole.seeds.size();
    if (seed_count == 0 || all.empty()) return {};
    const long casings_per_seed = static_cast<long>(all.size() / seed_count);
    const int cells_per_seed = static_cast<int>(all_cells.size() / seed_count);
    // A row names its pistol's seed, which is its replicate's seed and its pistol number mixed.
    std::map<std::uint64_t, long> seed_block;
    for (std::size_t position = 0; position < seed_count; ++position)
        for (int pistol = 1; pistol <= whole.pistols; ++pistol)
            seed_block[pistol_seed(whole.seeds[position], pistol)] = static_cast<long>(position);
    const std::string range = seed_count == 1 ? fmt::format("{}", whole.seeds.front())
                                              : fmt::format("{}-{}", whole.seeds.front(), whole.seeds.back());

    std::map<long, std::vector<ResultRow>> joined;  // by the whole's casing
    std::map<long, const std::string*> given_by;
    for (const StudyPart& part : parts) {
        std::map<long, std::vector<ResultRow>> by_casing;
        for (const ResultRow& row : part.rows) by_casing[row.casing].push_back(row);
        for (auto& [part_casing, rows] : by_casing) {
            const ResultRow& first = rows.front();
            if (static_cast<int>(rows.size()) != first.reads)
                throw InputError(fmt::format("{}: casing {} has {} of its {} rows", part.name, part_casing, rows.size(), first.reads));
            // Where this casing stands in its seed's block is where it stands in the whole's.
            const auto block = seed_block.find(first.seed);
            const long index = block == seed_block.end() || part_casing < 0 || first.cell < 0
                                   ? -1
                                   : block->second * casings_per_seed + part_casing % casings_per_seed;
            const Casing* casing = index >= 0 && index < static_cast<long>(all.size()) ? &all[static_cast<std::size_t>(index)] : nullptr;
            if (casing && casing->cell != block->second * cells_per_seed + first.cell % cells_per_seed) casing = nullptr;
            for (ResultRow& row : rows) {
                if (!casing || row.seed != first.seed || row.cell != first.cell ||
                    !describes(row, *casing, all_cells[static_cast<std::size_t>(casing->cell)]))
                    throw InputError(fmt::format("{}: casing {} (pistol seed {}) is not a casing of study '{}' over seeds {} "
                                                 "(a part of another study file, or of seeds outside the range)",
                                                 part.name, part_casing, row.seed, whole.name, range));
                row.casing = index;
                row.cell = casing->cell;
                row.soft_cells = std::string(soft_cells_not_kept);
            }
            sort_rows(rows);
            const auto [found, added] = joined.try_emplace(index, std::move(rows));
            if (!added && rows_text(found->second) != rows_text(rows))
                throw InputError(fmt::format("{} and {} read casing {} of the whole differently: parts of different runs",
                                             *given_by[index], part.name, index));
            if (added) given_by[index] = &part.name;
        }
    }
    std::vector<ResultRow> result;
    for (auto& [index, rows] : joined)
        for (ResultRow& row : rows) result.push_back(std::move(row));
    return result;
}

} // namespace microstamp
