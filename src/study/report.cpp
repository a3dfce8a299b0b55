#include "study/report.hpp"

#include "study/summary.hpp"
#include "study/svg_plots.hpp"
#include "surface/image.hpp"
#include "surface/surface.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/core.h>
#include <set>
#include <tuple>

namespace microstamp {
namespace {

// One per outcome, in its order: right green, wrong vermilion, a misread key yellow.
const std::vector<std::string> outcome_colours = {"#009E73", "#D55E00", "#F0E442", "#0072B2", "#E69F00", "#CC79A7", "#56B4E9", "#999999", "#dddddd"};

std::vector<std::string> outcome_labels() {
    std::vector<std::string> labels;
    for (int index = 0; index < outcome_count; ++index) labels.emplace_back(outcome_name(static_cast<Outcome>(index)));
    return labels;
}

std::string percent(double share) { return fmt::format("{:.1f}%", share * 100); }
// Wrong-identity rates live far below a tenth of a percent.
std::string fine_percent(double share) { return fmt::format("{:.3f}%", share * 100); }

std::string rate_cell(long successes, long trials) {
    if (trials == 0) return "&ndash;";
    const Interval interval = wilson_interval(successes, trials);
    return fmt::format("{} <small>({}&ndash;{}, {} of {})</small>", percent(static_cast<double>(successes) / static_cast<double>(trials)),
                       percent(interval.low), percent(interval.high), successes, trials);
}

// The levels of one casing without `rounds` (the x axis of the rate plot).
std::string series_label(const ResultRow& row) {
    return fmt::format("{} | {} | {} | {} | {}", row.designs, row.firearm, row.ammunition, row.defeat, row.scan);
}

std::string published_section(const Study& study, const std::vector<Headline>& figures) {
    std::string html = "<h2>Published and simulated</h2>\n";
    const std::string measure = study.protocol == Protocol::pistol_pass ? "share of pistols passing (all kept casings name the serial)"
                                                                        : "share of casings naming the right pistol";
    html += fmt::format("<p>Measure: {}. Intervals are 95% Wilson intervals.</p>\n", measure);
    html += "<table><tr><th>figure</th><th>published</th>";
    for (const auto& figure : figures) html += fmt::format("<th>simulated: {}</th>", html_escape(figure.design));
    html += "<th>baseline within &plusmn;10 points?</th></tr>\n";
    for (const PublishedFigure& published : study.published) {
        html += fmt::format("<tr><td>{}<br><small>{}</small></td><td>{}</td>", html_escape(published.source),
                            html_escape(published.text), percent(published.rate));
        std::string verdict = "no baseline design named";
        for (const auto& figure : figures) {
            const bool baseline = figure.design == published.design;
            html += fmt::format("<td{}>{}{}</td>", baseline ? " class=\"baseline\"" : "", rate_cell(figure.successes, figure.trials),
                                figure.unread > 0 ? fmt::format("<br><small>{} not read (no reader for the design yet)</small>", figure.unread) : "");
            if (!baseline) continue;
            if (figure.trials == 0) verdict = "not measured: no reader for this design yet";
            else verdict = std::abs(figure.rate() - published.rate) <= 0.10 ? "yes" : fmt::format("no ({:+.1f} points)", (figure.rate() - published.rate) * 100);
        }
        html += fmt::format("<td>{}</td></tr>\n", verdict);
    }
    if (study.published.empty()) {
        html += "<tr><td>(no published figure for this study)</td><td>&ndash;</td>";
        for (const auto& figure : figures) html += fmt::format("<td>{}</td>", rate_cell(figure.successes, figure.trials));
        html += "<td>&ndash;</td></tr>\n";
    }
    return html + "</table>\n";
}

// Each cell's 5-95% model band, from an uncertainty run's figures.
std::map<int, Interval> cell_bands(const nlohmann::json& model) {
    std::map<int, Interval> bands;
    if (!model.contains("uncertainty")) return bands;
    for (const auto& [design, figures] : model["uncertainty"]["bands"].items())
        for (const auto& cell : figures["cells"])
            bands[cell["cell"].get<int>()] = {cell["band_5_95"][0].get<double>(), cell["band_5_95"][1].get<double>()};
    return bands;
}

std::string rate_section(const std::vector<CasingOutcome>& casings, const std::map<int, Interval>& bands) {
    std::set<long> rounds;
    std::map<std::string, std::map<long, Tally>> tallies;
    std::map<std::string, std::map<long, int>> cell_of;
    for (const CasingOutcome& casing : casings) {
        rounds.insert(casing.first->rounds);
        tallies[series_label(*casing.first)][casing.first->rounds].add(casing.outcome);
        cell_of[series_label(*casing.first)][casing.first->rounds] = casing.first->cell;
    }
    std::vector<std::string> levels;
    for (const long level : rounds) levels.push_back(std::to_string(level));
    std::vector<RateSeries> series;
    for (const auto& [label, by_rounds] : tallies) {
        RateSeries one{label, {}};
        for (const auto& [level, tally] : by_rounds) {
            if (tally.judged() == 0) continue;
            RatePoint point{std::to_string(level), tally.rate(), tally.interval(), tally.judged(), std::nullopt};
            if (const auto band = bands.find(cell_of[label][level]); band != bands.end()) point.model_band = band->second;
            one.points.push_back(point);
        }
        if (!one.points.empty()) series.push_back(std::move(one));
    }
    return std::string("<h2>Correct identity against rounds fired</h2>\n<p>Per design, firearm, ammunition, defeat and scan; "
                       "whiskers: 95% Wilson intervals") + (bands.empty() ? "" : "; shaded: the 5-95% band over the assumed "
                       "constants' ranges (model uncertainty)") + ".</p>\n" +
           rate_plot_svg(levels, series, "rounds fired", "casings naming the right pistol") + "\n";
}

std::string outcome_section(const std::vector<CasingOutcome>& casings) {
    // Ordered by the levels, rounds as numbers (500 before 1000).
    std::map<std::tuple<std::string, std::string, std::string, long, std::string, std::string>, StackedBar> bars;
    for (const CasingOutcome& casing : casings) {
        const ResultRow& row = *casing.first;
        auto& bar = bars[{row.designs, row.firearm, row.ammunition, row.rounds, row.defeat, row.scan}];
        bar.label = group_label(*casing.first);
        bar.counts.resize(outcome_count);
        ++bar.counts[static_cast<std::size_t>(casing.outcome)];
    }
    std::vector<StackedBar> ordered;
    for (auto& [label, bar] : bars) ordered.push_back(bar);
    return "<h2>Outcome shares</h2>\n<p>design | firearm | ammunition | rounds | defeat | scan</p>\n" +
           stacked_bars_svg(ordered, outcome_labels(), outcome_colours) + "\n";
}

std::string margin_section(const std::vector<ResultRow>& rows) {
    std::map<long, std::vector<long>> counts;  // rounds -> capacity 0..33, then not decoded
    for (const ResultRow& row : rows) {
        if (row.reader != "ring") continue;
        auto& bins = counts[row.rounds];
        bins.resize(35);
        ++bins[row.outcome == Outcome::correct ? static_cast<std::size_t>(std::clamp(row.unused_capacity, 0, 33)) : 34];
    }
    if (counts.empty()) return "<h2>Erasure margin</h2>\n<p>No ring was read in this study.</p>\n";
    std::vector<std::string> series;
    for (const auto& [rounds, bins] : counts) series.push_back(fmt::format("{} rounds", rounds));
    std::vector<BarGroup> groups;
    double highest = 0;
    for (std::size_t bin = 0; bin < 35; ++bin) {
        BarGroup group{bin == 34 ? "not decoded" : std::to_string(bin), {}};
        for (const auto& [rounds, bins] : counts) {
            long total = 0;
            for (const long count : bins) total += count;
            group.values.push_back(static_cast<double>(bins[bin]) / static_cast<double>(std::max(1L, total)));
            highest = std::max(highest, group.values.back());
        }
        groups.push_back(std::move(group));
    }
    return "<h2>Erasure margin</h2>\n<p>Ring reads by unused error-correction capacity (of 33 parity symbols; "
           "2 &times; errors + erasures used), share of the ring reads at each wear level.</p>\n" +
           grouped_bars_svg(groups, series, std::max(0.2, std::ceil(highest * 5) / 5), true, "share of ring reads") + "\n";
}

std::string defeat_section(const std::vector<CasingOutcome>& casings) {
    std::map<std::string, StackedBar> bars;
    bool any = false;
    for (const CasingOutcome& casing : casings) {
        any = any || casing.first->defeat != "none";
        const std::string label = casing.first->designs + " | " + casing.first->defeat;
        auto& bar = bars[label];
        bar.label = label;
        bar.counts.resize(outcome_count);
        ++bar.counts[static_cast<std::size_t>(casing.outcome)];
    }
    if (!any) return "<h2>Defeat outcomes</h2>\n<p>No defeat in this study (see the <code>defeat</code> study).</p>\n";
    std::vector<StackedBar> ordered;
    for (auto& [label, bar] : bars) ordered.push_back(bar);
    return "<h2>Defeat outcomes</h2>\n<p>design | defeat applied to the pin; a defeated stamp should read <code>defaced</code>, never a wrong identity.</p>\n" +
           stacked_bars_svg(ordered, outcome_labels(), outcome_colours) + "\n";
}

std::string swap_section(const std::vector<CasingOutcome>& casings, bool breech_face) {
    const auto swaps = swap_detection(casings);
    if (swaps.empty()) return "";
    std::string html = fmt::format("<h2>Swapped pins detected</h2>\n<p>design | defeat | scan: casings fired with the pin swapped "
                                   "for another pistol's, caught when the firing pin and the breech face name different "
                                   "pistols (<code>locations_disagree</code>), with 95% Wilson intervals.{}</p>\n"
                                   "<table><tr><th>group</th><th>detected</th><th>named the pin's pistol</th></tr>\n",
                                   breech_face ? "" : " This study does not print the breech face (<code>\"breech_face\": true</code>): nothing can catch a swap.");
    for (const SwapDetection& swap : swaps)
        html += fmt::format("<tr><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>\n", html_escape(swap.label),
                            rate_cell(swap.detected, swap.swapped), swap.named_pin_pistol > 0 ? "bad" : "good",
                            swap.named_pin_pistol);
    return html + "</table>\n";
}

std::string fusion_section(const std::vector<ResultRow>& rows, int group) {
    const auto gains = fusion_gains(rows, group);
    std::string html = fmt::format("<h2>Fusion gains</h2>\n<p>Ring impressions of {} consecutive kept casings of one pistol, fused "
                                   "(<code>microstamp fuse</code>): share of single casings naming the pistol, of groups with at "
                                   "least one such casing, and of fused groups naming it.</p>\n", group);
    if (gains.empty()) return html + "<p>Too few ring casings per pistol to fuse.</p>\n";
    std::vector<BarGroup> groups;
    std::string table = "<table><tr><th>#</th><th>group</th><th>groups</th><th>single casing</th><th>any casing of the group</th><th>fused</th><th>fused wrong</th></tr>\n";
    for (const auto& [label, tally] : gains) {
        const double single = static_cast<double>(tally.single_correct) / static_cast<double>(std::max(1L, tally.casings));
        const double any = static_cast<double>(tally.any_correct) / static_cast<double>(std::max(1L, tally.groups));
        const double fused = static_cast<double>(tally.fused_correct) / static_cast<double>(std::max(1L, tally.groups));
        groups.push_back({label, {single, any, fused}});
        table += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", groups.size(), html_escape(label),
                             tally.groups, rate_cell(tally.single_correct, tally.casings), rate_cell(tally.any_correct, tally.groups),
                             rate_cell(tally.fused_correct, tally.groups), tally.fused_wrong);
    }
    long unfused = 0;
    for (const auto& [label, tally] : gains) unfused += tally.unfused_groups;
    if (unfused > 0)
        table += fmt::format("</table>\n<p>{} groups are left out: they were read in parts of this run whose results.csv does "
                             "not keep the soft cells fusion needs.</p>\n", unfused);
    else
        table += "</table>\n";
    return html + grouped_bars_svg(groups, {"single casing", "any casing of the group", "fused group"}, 1, true, "naming the pistol") +
           "\n" + table;
}

std::string verdict_section(const std::vector<CasingOutcome>& casings) {
    std::string html = "<h2>California 11 CCR 4075: per pistol</h2>\n<p>A pistol passes when the serial is identified on every "
                       "examined casing (the first two and the last two).</p>\n<table><tr><th>design</th><th>firearm</th>"
                       "<th>ammunition</th><th>pistol</th><th>seed</th><th>serial</th><th>casings</th><th>naming it</th><th>verdict</th></tr>\n";
    for (const PistolVerdict& verdict : pistol_verdicts(casings))
        html += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                            html_escape(verdict.design), html_escape(verdict.firearm), html_escape(verdict.ammunition),
                            verdict.pistol, verdict.seed, html_escape(verdict.expected), verdict.casings, verdict.correct,
                            verdict.unread > 0 ? "not read (no reader)" : verdict.pass() ? "pass" : "<b>fail</b>");
    return html + "</table>\n";
}

// The screening's ranking and the uncertainty's bands, beside the baseline's figures.
std::string model_section(const Study& study, const std::vector<Headline>& figures, const nlohmann::json& model) {
    if (model.empty()) return "";
    std::string html = "<h2>Model uncertainty</h2>\n<p>How much each figure rests on the simulator's assumed constants, each "
                       "moved over its plausible range (data/physics.json <code>_ranges</code>, with the reason for each) "
                       "on the same casings' seeds.</p>\n";
    if (model.contains("uncertainty")) {
        const auto& uncertainty = model["uncertainty"];
        html += fmt::format("<h3>Bands: Latin hypercube of {} points over {} constants (seed {})</h3>\n", uncertainty["samples"].get<long>(),
                            uncertainty["constants"].size(), uncertainty["seed"].get<long>());
        html += "<table><tr><th>design</th><th>baseline (95% Wilson)</th><th>model band 5-95%</th><th>median</th>"
                "<th>published</th><th>published inside the band?</th></tr>\n";
        for (const Headline& figure : figures) {
            if (!uncertainty["bands"].contains(figure.design)) continue;
            const auto& band = uncertainty["bands"][figure.design];
            const double low = band["headline_band_5_95"][0].get<double>(), high = band["headline_band_5_95"][1].get<double>();
            std::string published = "&ndash;", inside = "&ndash;";
            for (const PublishedFigure& one : study.published) {
                if (one.design != figure.design) continue;
                published = percent(one.rate);
                inside = one.rate >= low && one.rate <= high ? "yes" : fmt::format("no ({:+.1f} points from the band)",
                                                                                 (one.rate < low ? one.rate - low : one.rate - high) * 100);
            }
            html += fmt::format("<tr><td>{}</td><td>{}</td><td>{}&ndash;{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                                html_escape(figure.design), rate_cell(figure.successes, figure.trials), percent(low), percent(high),
                                percent(band["headline_median"].get<double>()), published, inside);
        }
        html += "</table>\n";
        if (uncertainty.contains("wrong_identities") && !uncertainty["wrong_identities"].empty()) {
            html += "<table><tr><th>reader</th><th>wrong identities at each point</th><th>band 5-95% of reads</th>"
                    "<th>worst point: 95% upper bound</th><th>keys misread at each point</th></tr>\n";
            const auto listed = [](const nlohmann::json& counts) {
                std::string text;
                for (const auto& count : counts) text += (text.empty() ? "" : ", ") + std::to_string(count.get<long>());
                return text;
            };
            for (const auto& [reader, band] : uncertainty["wrong_identities"].items()) {
                const bool keyed = counts_misread_keys(reader);
                html += fmt::format("<tr><td>{}</td><td>{}</td><td>{}&ndash;{}</td><td>{} of {}: {}</td><td>{}</td></tr>\n",
                                    html_escape(reader), listed(band["wrong_samples"]),
                                    fine_percent(band["share_band_5_95"][0].get<double>()),
                                    fine_percent(band["share_band_5_95"][1].get<double>()), band["most_wrong"].get<long>(),
                                    band["most_wrong_reads"].get<long>(), fine_percent(band["most_wrong_upper_95"].get<double>()),
                                    keyed && band.contains("misread_key_samples") ? listed(band["misread_key_samples"]) : "&ndash;");
            }
            html += "</table>\n";
        }
    }
    if (model.contains("sensitivity")) {
        const auto& screening = model["sensitivity"];
        html += fmt::format("<h3>Screening: Morris elementary effects, {} trajectories, {} levels, {} points (seed {})</h3>\n"
                            "<p>mu*: mean absolute change of the headline rate when the constant crosses its whole range; "
                            "sigma: how much that change depends on the other constants.</p>\n",
                            screening["trajectories"].get<long>(), screening["levels"].get<long>(), screening["points"].get<long>(),
                            screening["seed"].get<long>());
        for (const auto& [design, effects] : screening["effects"].items()) {
            html += fmt::format("<table><tr><th colspan=\"4\">{}</th></tr><tr><th>constant</th><th>mu* (points)</th>"
                                "<th>mu</th><th>sigma</th></tr>\n", html_escape(design));
            for (const auto& effect : effects)
                html += fmt::format("<tr><td>{}</td><td>{:.1f}</td><td>{:+.1f}</td><td>{:.1f}</td></tr>\n",
                                    html_escape(effect["constant"].get<std::string>()), effect["mu_star"].get<double>() * 100,
                                    effect["mu"].get<double>() * 100, effect["sigma"].get<double>() * 100);
            html += "</table>\n";
        }
    }
    return html;
}

// The rows of one outcome with the commands that fire their casings again, at most `limit`.
std::string replay_table(const Study& study, const std::vector<ResultRow>& rows, Outcome outcome, std::size_t limit) {
    std::string table = "<table><tr><th>casing</th><th>reader</th><th>firearm</th><th>ammunition</th><th>rounds</th>"
                        "<th>shot</th><th>seed</th><th>defeat</th><th>scan</th><th>expected</th><th>read</th><th>replay</th></tr>\n";
    std::size_t listed = 0, left = 0;
    for (const ResultRow& row : rows) {
        if (row.outcome != outcome) continue;
        if (listed == limit) {
            ++left;
            continue;
        }
        ++listed;
        table += fmt::format("<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>\n",
                             row.casing, row.file.empty() ? "" : " " + html_escape(row.file), html_escape(row.reader),
                             html_escape(row.firearm), html_escape(row.ammunition), row.rounds, row.shot, row.seed,
                             html_escape(row.defeat), html_escape(row.scan), html_escape(row.expected), html_escape(row.read),
                             html_escape(replay_commands(study, row)));
    }
    table += "</table>\n";
    if (left > 0)
        table += fmt::format("<p>{} more in results.csv (outcome <code>{}</code>).</p>\n", left, outcome_name(outcome));
    return table;
}

std::string wrong_section(const Study& study, const std::vector<ResultRow>& rows) {
    // A national directory's size, for the arithmetic of a misread key landing on a registered one.
    constexpr double registered_pistols = 1e7;
    const double key_space = std::ldexp(1.0, 40);
    std::string html = "<h2>Wrong identities</h2>\n<p>Per reader: reads, wrong identities and the 95% upper bound on "
                       "the wrong-identity rate (exact binomial, one-sided; about 3 / reads when there are none). "
                       "A text or gear key is looked up in the manufacturer's records (here: every pistol of the study): "
                       "a key another pistol holds is a wrong identity; a misread key that no pistol holds names no one "
                       "and is counted apart.</p>\n"
                       "<table><tr><th>reader</th><th>reads</th><th>wrong</th><th>95% upper bound</th><th>keys misread</th>"
                       "<th>95% upper bound</th></tr>\n";
    double misread_bound = 0;
    long misread = 0;
    for (const WrongIdentities& tally : wrong_identities(rows)) {
        html += fmt::format("<tr><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{:.3g}</td><td>{}</td><td>{}</td></tr>\n",
                            html_escape(tally.reader), tally.reads, tally.wrong > 0 ? "bad" : "good", tally.wrong,
                            tally.upper_95, tally.misread_keys,
                            counts_misread_keys(tally.reader) ? fmt::format("{:.3g}", tally.misread_upper_95) : "&ndash;");
        if (counts_misread_keys(tally.reader) && tally.reader != "all") misread_bound = std::max(misread_bound, tally.misread_upper_95);
        if (tally.reader == "all") misread = tally.misread_keys;
    }
    html += "</table>\n";
    if (misread > 0)
        html += fmt::format("<p>{} keys misread. Keys are 40 bits: with {:.0f} million pistols registered a misread key is another "
                            "pistol's with probability {:.2g}, so a text or gear read names a wrong pistol at a rate of at "
                            "most {:.2g} (the higher 95% bound above times that probability); the codes as published carry "
                            "no check, so that look-up is all that stands between a misread and a wrong name.</p>\n",
                            misread, registered_pistols / 1e6, registered_pistols / key_space,
                            misread_bound * registered_pistols / key_space) +
                replay_table(study, rows, Outcome::misread_key, 100);
    long wrong = 0;
    for (const ResultRow& row : rows) wrong += row.outcome == Outcome::wrong;
    if (wrong == 0) return html + fmt::format("<p class=\"good\">None in {} reads.</p>\n", rows.size());
    return html + fmt::format("<p class=\"bad\">{} wrong identities in {} reads.</p>\n", wrong, rows.size()) +
           replay_table(study, rows, Outcome::wrong, rows.size());
}

} // namespace

// Bit for bit, from the command line; a study's own constant overrides are in its file.
std::string replay_commands(const Study& study, const ResultRow& row) {
    if (!row.file.empty()) return "";
    const std::string die = fmt::format("die-{}", row.casing);
    std::string fire = fmt::format("microstamp fire --die {} --firearm {} --ammo {} --rounds {} --shots {} --seed {} "
                                   "--spacing {} --out shots-{}", die, row.firearm, row.ammunition, row.rounds, row.shot,
                                   row.seed, row.spacing_um, row.casing);
    if (study.breech_face) fire += " --breech-face";
    // `swap:other` is the next pistol's pin: its die is encoded beside this one.
    std::string donor;
    if (row.defeat != "none" && !row.defeat.empty()) {
        std::size_t start = 0;
        for (std::size_t plus = row.defeat.find('+'); ; plus = row.defeat.find('+', start)) {
            std::string step = row.defeat.substr(start, plus == std::string::npos ? plus : plus - start);
            if (step == "swap:other") {
                step = fmt::format("swap:{}-donor", die);
                donor = fmt::format("microstamp encode --make '{}' --model '{}' --serial {} --design {} --pin-diameter {} "
                                    "--depth {} --out {}-donor; ", study.make, study.model,
                                    pistol_serial(study, swap_donor(study, row.pistol)), row.designs,
                                    study_firearm(study, row.firearm).pin_diameter_um, study.engraving_depth_um, die);
            }
            fire += " --defeat " + step;
            if (plus == std::string::npos) break;
            start = plus + 1;
        }
    }
    return fmt::format("microstamp encode --make '{}' --model '{}' --serial {} --design {} --pin-diameter {} --depth {} "
                       "--out {}; {}{}", study.make, study.model, pistol_serial(study, row.pistol), row.designs,
                       study_firearm(study, row.firearm).pin_diameter_um, study.engraving_depth_um, die, donor, fire);
}

nlohmann::json study_parameters(const Study& study) {
    nlohmann::json firearms = nlohmann::json::object(), ammunition = nlohmann::json::object();
    for (const auto& name : study.firearms) firearms[name] = to_json(study_firearm(study, name));
    for (const auto& name : study.ammunition) ammunition[name] = to_json(study_ammunition(study, name));
    return {{"physics_constants", study_constants(study).values}, {"firearms", firearms}, {"ammunition", ammunition}};
}

nlohmann::json study_summary(const Study& study, const std::vector<ResultRow>& rows) {
    const auto casings = casing_outcomes(rows);
    nlohmann::json designs = nlohmann::json::array();
    for (const Headline& headline : headlines(casings, study.protocol)) {
        const Interval interval = wilson_interval(headline.successes, headline.trials);
        designs.push_back({{"design", headline.design},
                           {"successes", headline.successes},
                           {"trials", headline.trials},
                           {"not_read", headline.unread},
                           {"rate", headline.rate()},
                           {"interval_95", {interval.low, interval.high}}});
    }
    nlohmann::json published = nlohmann::json::array();
    for (const auto& figure : study.published)
        published.push_back({{"source", figure.source}, {"text", figure.text}, {"rate", figure.rate}, {"design", figure.design}});
    long wrong = 0;
    for (const auto& row : rows) wrong += row.outcome == Outcome::wrong;
    nlohmann::json swaps = nlohmann::json::array();
    for (const SwapDetection& swap : swap_detection(casings)) {
        const Interval interval = wilson_interval(swap.detected, swap.swapped);
        swaps.push_back({{"group", swap.label},
                         {"swapped", swap.swapped},
                         {"detected", swap.detected},
                         {"named_pin_pistol", swap.named_pin_pistol},
                         {"rate", swap.rate()},
                         {"interval_95", {interval.low, interval.high}}});
    }
    nlohmann::json bounds = nlohmann::json::array();
    long misread_keys = 0;
    for (const WrongIdentities& tally : wrong_identities(rows)) {
        bounds.push_back({{"reader", tally.reader}, {"reads", tally.reads}, {"wrong", tally.wrong}, {"upper_95", tally.upper_95},
                          {"misread_keys", tally.misread_keys}, {"misread_upper_95", tally.misread_upper_95}});
        if (tally.reader == "all") misread_keys = tally.misread_keys;
    }
    nlohmann::json summary = {{"study", study.name},
            {"study_sha256", study.sha256},
            {"protocol", study.protocol == Protocol::pistol_pass ? "pistol_pass" : "identity"},
            {"casings", casings.size()},
            {"reads", rows.size()},
            {"wrong_identities", wrong},
            {"misread_keys", misread_keys},
            {"wrong_identity_bounds", bounds},
            {"headline", designs},
            {"published", published}};
    if (!swaps.empty()) summary["swap_detection"] = swaps;
    return summary;
}

std::string report_html(const Study& study, const std::vector<ResultRow>& rows, const nlohmann::json& parameters,
                        const nlohmann::json& model) {
    const auto casings = casing_outcomes(rows);
    std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
    html += fmt::format("<title>microstamp study: {}</title>\n", html_escape(study.name));
    html += "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
            "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 7px;font-size:13px;vertical-align:top}"
            "th{background:#f3f3f3}td.baseline{background:#fff6d5}.good{color:#09743f}.bad{color:#b00020;font-weight:bold}"
            "pre{background:#f7f7f7;padding:1em;overflow:auto;font-size:12px}svg{display:block;margin:1em 0}</style>\n</head><body>\n";
    html += fmt::format("<h1>Study: {}</h1>\n<p>{}</p>\n", html_escape(study.name), html_escape(study.description));
    html += fmt::format("<p>{} casings, {} reads. Study file SHA-256 <code>{}</code>.</p>\n", casings.size(), rows.size(),
                        html_escape(study.sha256.empty() ? "(none)" : study.sha256));
    html += published_section(study, headlines(casings, study.protocol));
    html += model_section(study, headlines(casings, study.protocol), model);
    html += rate_section(casings, cell_bands(model));
    html += outcome_section(casings);
    html += margin_section(rows);
    html += defeat_section(casings);
    html += swap_section(casings, study.breech_face);
    html += fusion_section(rows, study.fusion_group);
    if (study.protocol == Protocol::pistol_pass) html += verdict_section(casings);
    html += wrong_section(study, rows);
    html += "<h2>Parameters</h2>\n<h3>Study file</h3>\n<pre>" + html_escape(study.document.dump(2)) + "</pre>\n";
    html += "<h3>Resolved: physics constants, firearm and ammunition profiles as used</h3>\n<pre>" +
            html_escape(parameters.dump(2)) + "</pre>\n";
    return html + "</body></html>\n";
}

void write_study_outputs(const std::filesystem::path& folder, const Study& study, const std::vector<ResultRow>& rows,
                         const nlohmann::json& parameters, const nlohmann::json& model) {
    std::string csv = csv_header(false) + '\n';
    for (const auto& row : rows) csv += csv_line(row, false) + '\n';
    nlohmann::json rows_json = nlohmann::json::array();
    for (const auto& row : rows) rows_json.push_back(to_json(row));
    nlohmann::json results = {{"format", "microstamp-study-results"},
                              {"format_version", 1},
                              {"summary", study_summary(study, rows)},
                              {"parameters", parameters}};
    for (const auto& [name, analysis] : model.items()) results[name] = analysis;
    results["rows"] = rows_json;
    const auto write_file = [](const std::filesystem::path& path, const std::string& text) {
        write_file_atomically(path, text.data(), text.size());
    };
    write_file(folder / "results.csv", csv);
    write_file(folder / "results.json", results.dump(1) + '\n');
    write_file(folder / "report.html", report_html(study, rows, parameters, model));
}

} // namespace microstamp
