#include "study/model_uncertainty.hpp"

#include "study/summary.hpp"

#include <fmt/core.h>
#include <set>

namespace microstamp {

PointFigures point_figures(const Study& study, const std::vector<ResultRow>& rows) {
    PointFigures figures;
    const auto casings = casing_outcomes(rows);
    for (const Headline& headline : headlines(casings, study.protocol)) figures.headline[headline.design] = headline.rate();
    std::map<std::string, std::map<int, std::pair<long, long>>> tallies;
    for (const CasingOutcome& casing : casings) {
        if (casing.outcome == Outcome::no_reader) continue;
        auto& [correct, judged] = tallies[casing.first->designs][casing.first->cell];
        correct += casing.outcome == Outcome::correct;
        ++judged;
    }
    for (const auto& [design, cells] : tallies)
        for (const auto& [cell, tally] : cells)
            figures.cells[design][cell] = static_cast<double>(tally.first) / static_cast<double>(tally.second);
    for (const WrongIdentities& reader : wrong_identities(rows)) {
        figures.wrong[reader.reader] = {reader.wrong, reader.reads};
        figures.misread_keys[reader.reader] = reader.misread_keys;
    }
    return figures;
}

std::filesystem::path point_journal(const std::filesystem::path& folder, std::size_t point) {
    return folder / fmt::format("point-{:04}.journal.csv", point);
}

DesignRun run_design_points(const Study& study, const std::vector<UncertainConstant>& constants,
                            const std::vector<std::vector<double>>& points, const std::filesystem::path& folder,
                            const RunOptions& options) {
    std::filesystem::create_directories(folder);
    const std::size_t per_point = casings(study).size();
    DesignRun run;
    for (std::size_t index = 0; index < points.size(); ++index) {
        RunOptions point_options = options;
        point_options.journal = point_journal(folder, index);
        point_options.other_journals.clear();
        point_options.partition = {};
        if (options.progress)
            point_options.progress = [&, index](std::size_t done, std::size_t) {
                options.progress(index * per_point + done, points.size() * per_point);
            };
        const Study point = study_at(study, constants, points[index]);
        const RunResult result = run_study(point, point_options);
        run.casings_simulated += result.simulated;
        if (!result.complete) return run;
        run.points.push_back(point_figures(point, result.rows));
    }
    run.complete = true;
    return run;
}

namespace {

std::set<std::string> designs_of(const std::vector<PointFigures>& points) {
    std::set<std::string> designs;
    for (const auto& point : points)
        for (const auto& [design, rate] : point.headline) designs.insert(design);
    return designs;
}

nlohmann::json constants_json(const std::vector<UncertainConstant>& constants) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& constant : constants)
        list.push_back({{"name", constant.name},
                        {constant.profile_factor ? "low_factor" : "low", constant.low},
                        {constant.profile_factor ? "high_factor" : "high", constant.high},
                        {"reason", constant.reason}});
    return list;
}

// Per reader, the wrong identities at each point, their 5-95% band as a share of the
// reader's reads, and the most any point gave with its exact 95% upper bound.
nlohmann::json wrong_identity_bands(const std::vector<PointFigures>& points) {
    std::map<std::string, std::vector<std::pair<long, long>>> per_reader;
    std::map<std::string, std::vector<long>> misread_keys;
    for (const auto& point : points) {
        for (const auto& [reader, tally] : point.wrong) {
            per_reader[reader].push_back(tally);
            const auto misread = point.misread_keys.find(reader);
            misread_keys[reader].push_back(misread == point.misread_keys.end() ? 0 : misread->second);
        }
    }
    nlohmann::json bands = nlohmann::json::object();
    for (const auto& [reader, tallies] : per_reader) {
        std::vector<double> shares;
        std::vector<long> counts;
        std::pair<long, long> worst{0, 0};
        for (const auto& [wrong, reads] : tallies) {
            shares.push_back(reads > 0 ? static_cast<double>(wrong) / static_cast<double>(reads) : 0.0);
            counts.push_back(wrong);
            if (wrong > worst.first || worst.second == 0) worst = {wrong, reads};
        }
        bands[reader] = {{"wrong_samples", counts},
                         {"share_band_5_95", {quantile(shares, 0.05), quantile(shares, 0.95)}},
                         {"most_wrong", worst.first},
                         {"most_wrong_reads", worst.second},
                         {"most_wrong_upper_95", binomial_upper_bound(worst.first, worst.second)},
                         {"misread_key_samples", misread_keys[reader]}};
    }
    return bands;
}

} // namespace

nlohmann::json morris_screening_json(const MorrisDesign& design, const std::vector<UncertainConstant>& constants,
                                     const std::vector<PointFigures>& points, std::uint64_t seed) {
    nlohmann::json per_design = nlohmann::json::object();
    for (const auto& name : designs_of(points)) {
        std::vector<double> responses;
        for (const auto& point : points) responses.push_back(point.headline.count(name) ? point.headline.at(name) : 0.0);
        nlohmann::json ranked = nlohmann::json::array();
        for (const auto& effect : morris_effects(design, constants, responses))
            ranked.push_back({{"constant", effect.constant}, {"mu_star", effect.mu_star}, {"mu", effect.mu}, {"sigma", effect.sigma}});
        per_design[name] = ranked;
    }
    return {{"method", "morris"},
            {"trajectories", design.points.size() / static_cast<std::size_t>(design.constants + 1)},
            {"levels", design.levels},
            {"seed", seed},
            {"points", design.points.size()},
            {"measure", "the headline rate per design; effects in rate per whole range of the constant"},
            {"constants", constants_json(constants)},
            {"effects", per_design}};
}

nlohmann::json uncertainty_bands_json(const std::vector<UncertainConstant>& constants,
                                      const std::vector<std::vector<double>>& shares,
                                      const std::vector<PointFigures>& points, std::uint64_t seed) {
    if (shares.size() != points.size())
        throw InputError(fmt::format("{} design points for {} points' figures", shares.size(), points.size()));
    nlohmann::json listed = nlohmann::json::array();
    for (std::size_t index = 0; index < points.size(); ++index) {
        nlohmann::json values = nlohmann::json::object();
        for (std::size_t constant = 0; constant < constants.size(); ++constant)
            values[constants[constant].name] = value_at(constants[constant], shares[index].at(constant));
        nlohmann::json wrong = nlohmann::json::object();
        for (const auto& [reader, tally] : points[index].wrong) wrong[reader] = {{"wrong", tally.first}, {"reads", tally.second}};
        listed.push_back({{"point", index}, {"constants", values}, {"headline", points[index].headline}, {"wrong_identities", wrong}});
    }
    nlohmann::json per_design = nlohmann::json::object();
    for (const auto& name : designs_of(points)) {
        std::vector<double> headline;
        std::map<int, std::vector<double>> cells;
        for (const auto& point : points) {
            if (point.headline.count(name)) headline.push_back(point.headline.at(name));
            if (point.cells.count(name))
                for (const auto& [cell, rate] : point.cells.at(name)) cells[cell].push_back(rate);
        }
        nlohmann::json cell_bands = nlohmann::json::array();
        for (const auto& [cell, rates] : cells)
            cell_bands.push_back({{"cell", cell}, {"band_5_95", {quantile(rates, 0.05), quantile(rates, 0.95)}},
                                  {"median", quantile(rates, 0.5)}});
        per_design[name] = {{"headline_band_5_95", {quantile(headline, 0.05), quantile(headline, 0.95)}},
                            {"headline_median", quantile(headline, 0.5)},
                            {"headline_samples", headline},
                            {"cells", cell_bands}};
    }
    return {{"method", "latin_hypercube"},
            {"samples", points.size()},
            {"seed", seed},
            {"constants", constants_json(constants)},
            {"bands", per_design},
            {"wrong_identities", wrong_identity_bands(points)},
            {"points", listed}};
}

} // namespace microstamp
