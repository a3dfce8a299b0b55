#pragma once
// report.html: one self-contained page (inline SVG and CSS, no script, no external
// resource) with the published figures beside the simulated ones, the correct-identity
// rate against rounds fired with Wilson intervals, outcome shares, the ring's unused
// error-correction capacity, defeat outcomes, fusion gains, California per-pistol
// verdicts, a table of every wrong identity, and every parameter used.
// Deterministic: the same rows give the same bytes (no clock in it).

#include "study/results.hpp"
#include "study/study.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace microstamp {

// The resolved parameters: physics constants with overrides, every firearm and
// ammunition profile as used.
nlohmann::json study_parameters(const Study& study);

// `model`: the sensitivity screening and uncertainty bands of src/study/model_uncertainty.hpp,
// if they were run (an empty object otherwise).
std::string report_html(const Study& study, const std::vector<ResultRow>& rows, const nlohmann::json& parameters,
                        const nlohmann::json& model = nlohmann::json::object());

// results.csv, results.json (summary and rows) and report.html in `folder`, each
// written to a staging name and renamed into place.
void write_study_outputs(const std::filesystem::path& folder, const Study& study, const std::vector<ResultRow>& rows,
                         const nlohmann::json& parameters, const nlohmann::json& model = nlohmann::json::object());

// The shell commands (encode; fire) that make a simulated casing of the study again, so a
// wrong identity can be replayed and examined; empty for a manifest's real scan.
std::string replay_commands(const Study& study, const ResultRow& row);

// The machine summary printed by the CLI and stored in results.json.
nlohmann::json study_summary(const Study& study, const std::vector<ResultRow>& rows);

} // namespace microstamp
