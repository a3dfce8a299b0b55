#pragma once
// Runs the points of a sensitivity or uncertainty design (src/study/sensitivity.hpp)
// through the study runner and gathers their figures: each point is the study with its
// constants moved, journaled on its own, so a stopped run resumes point by point and
// casing by casing.

#include "study/runner.hpp"
#include "study/sensitivity.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>

namespace microstamp {

// What a point's rows say: the headline rate per design, per design and cell, and the
// wrong identities of each reader (a claim of never naming the wrong pistol needs its band
// as much as a rate does).
struct PointFigures {
    std::map<std::string, double> headline;                 // design -> rate
    std::map<std::string, std::map<int, double>> cells;     // design -> cell -> share correct
    std::map<std::string, std::pair<long, long>> wrong;     // reader -> (wrong, reads)
    std::map<std::string, long> misread_keys;               // reader -> text or gear keys misread
};
PointFigures point_figures(const Study& study, const std::vector<ResultRow>& rows);

// Where a design point's casings are journaled.
std::filesystem::path point_journal(const std::filesystem::path& folder, std::size_t point);

struct DesignRun {
    std::vector<PointFigures> points;   // in the design's order; complete only if `complete`
    bool complete = false;
    std::size_t casings_simulated = 0;
};
// Points are journaled as folder/point-NNNN.journal.csv. `options` gives the threads, the
// progress (casings done over every point) and the stop flag; its journal is ignored.
DesignRun run_design_points(const Study& study, const std::vector<UncertainConstant>& constants,
                            const std::vector<std::vector<double>>& points, const std::filesystem::path& folder,
                            const RunOptions& options);

// `--sensitivity morris:R`: the constants ranked per design, for results.json.
nlohmann::json morris_screening_json(const MorrisDesign& design, const std::vector<UncertainConstant>& constants,
                                     const std::vector<PointFigures>& points, std::uint64_t seed);
// `--uncertainty N`: the 5-95% band of each design's headline and of each cell's rate, and
// every point with its constants' values and its figures, so that the point behind an end
// of a band can be named and run again. `shares` are the design's points (one per figure).
nlohmann::json uncertainty_bands_json(const std::vector<UncertainConstant>& constants,
                                      const std::vector<std::vector<double>>& shares,
                                      const std::vector<PointFigures>& points, std::uint64_t seed);

} // namespace microstamp
