#include "study/summary.hpp"

#include "code/catalog.hpp"
#include "code/ring_fusion.hpp"
#include "study/parts.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/core.h>
#include <map>
#include <tbb/parallel_for.h>
#include <tuple>

namespace microstamp {
namespace {

int hex_value(char digit) { return digit <= '9' ? digit - '0' : digit - 'a' + 10; }

std::optional<RingObservation> soft_cells(const std::string& text) {
    if (text.size() != static_cast<std::size_t>(ring_symbols * ring_cells_per_symbol * 2)) return std::nullopt;
    RingObservation observation;
    std::size_t at = 0;
    for (auto& symbol : observation.cells)
        for (float& value : symbol) {
            const auto level = static_cast<std::uint8_t>(hex_value(text[at]) * 16 + hex_value(text[at + 1]));
            value = static_cast<float>(static_cast<std::int8_t>(level)) / 127.0f;
            at += 2;
        }
    return observation;
}

// The most telling of the non-answers: partial before defaced, no_stamp, unreadable.
Outcome best_non_answer(Outcome a, Outcome b) {
    if (a == Outcome::no_reader) return b;
    if (b == Outcome::no_reader) return a;
    return std::min(a, b);
}

bool answered(Outcome outcome) { return outcome == Outcome::correct || outcome == Outcome::wrong; }

// A gear key may fill the characters a text read left open ('?'), as the published gear
// code is meant to; it must agree with every character the text did read.
bool agrees(const std::string& partial_text, const std::string& key) {
    if (partial_text.size() != key.size()) return partial_text.empty();
    for (std::size_t index = 0; index < key.size(); ++index)
        if (partial_text[index] != '?' && partial_text[index] != key[index]) return false;
    return true;
}

// One casing over the designs read on it, as an examiner would combine them: the ring
// or Data Matrix (whole identity, own integrity) first, then the text, then the gear
// code where it is consistent with what the text showed.
Outcome combine(const std::vector<const ResultRow*>& rows) {
    // Two locations naming two pistols outweigh whatever one location's designs say.
    for (const ResultRow* row : rows)
        if (row->outcome == Outcome::locations_disagree) return Outcome::locations_disagree;
    auto find = [&](std::string_view reader) -> const ResultRow* {
        for (const ResultRow* row : rows)
            if (row->reader == reader) return row;
        return nullptr;
    };
    for (const char* reader : {"ring", "datamatrix", "text"})
        if (const ResultRow* row = find(reader); row && answered(row->outcome)) return row->outcome;
    if (const ResultRow* gear = find("gear"); gear && answered(gear->outcome)) {
        const ResultRow* text = find("text");
        if (!text || agrees(text->read, gear->read)) return gear->outcome;
    }
    Outcome outcome = Outcome::no_reader;
    for (const ResultRow* row : rows) outcome = best_non_answer(outcome, answered(row->outcome) ? Outcome::partial : row->outcome);
    return outcome;
}

} // namespace

Interval wilson_interval(long successes, long trials, double z) {
    if (trials <= 0) return {0, 1};
    const double n = static_cast<double>(trials);
    const double p = static_cast<double>(successes) / n;
    const double denominator = 1 + z * z / n;
    const double centre = (p + z * z / (2 * n)) / denominator;
    const double half = z * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator;
    return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

double binomial_upper_bound(long events, long trials, double confidence) {
    if (trials <= 0 || events >= trials) return 1;
    const double n = static_cast<double>(trials);
    // P(X <= events) for a rate p, summed in logarithms (trials may be millions).
    auto at_most = [&](double p) {
        double total = 0;
        for (long k = 0; k <= events; ++k) {
            const double x = static_cast<double>(k);
            total += std::exp(std::lgamma(n + 1) - std::lgamma(x + 1) - std::lgamma(n - x + 1) + x * std::log(p) +
                              (n - x) * std::log1p(-p));
        }
        return total;
    };
    double low = static_cast<double>(events) / n, high = 1;
    for (int step = 0; step < 100; ++step) {
        const double middle = (low + high) / 2;
        (at_most(middle) > 1 - confidence ? low : high) = middle;
    }
    return high;
}

bool counts_misread_keys(std::string_view reader) { return reader == "text" || reader == "gear" || reader == "all"; }

std::vector<WrongIdentities> wrong_identities(const std::vector<ResultRow>& rows) {
    std::map<std::string, WrongIdentities> by_reader;
    WrongIdentities all{"all"};
    for (const ResultRow& row : rows) {
        if (row.outcome == Outcome::no_reader) continue;
        WrongIdentities& tally = by_reader[row.reader];
        tally.reader = row.reader;
        ++tally.reads;
        ++all.reads;
        if (row.outcome == Outcome::wrong) {
            ++tally.wrong;
            ++all.wrong;
        }
        if (row.outcome == Outcome::misread_key) {
            ++tally.misread_keys;
            ++all.misread_keys;
        }
    }
    std::vector<WrongIdentities> result;
    for (auto& [reader, tally] : by_reader) result.push_back(tally);
    result.push_back(all);
    for (auto& tally : result) {
        tally.upper_95 = binomial_upper_bound(tally.wrong, tally.reads);
        tally.misread_upper_95 = binomial_upper_bound(tally.misread_keys, tally.reads);
    }
    return result;
}

long Tally::judged() const {
    long total = 0;
    for (std::size_t index = 0; index < counts.size(); ++index)
        if (static_cast<Outcome>(index) != Outcome::no_reader) total += counts[index];
    return total;
}

double Tally::rate() const {
    return judged() > 0 ? static_cast<double>(correct()) / static_cast<double>(judged()) : 0;
}

Interval Tally::interval() const { return wilson_interval(correct(), judged()); }

std::vector<CasingOutcome> casing_outcomes(const std::vector<ResultRow>& rows) {
    std::vector<CasingOutcome> casings;
    std::vector<const ResultRow*> members;
    auto finish = [&] {
        if (members.empty()) return;
        casings.push_back({members.front(), nullptr, combine(members)});
        for (const ResultRow* row : members)
            if (row->reader == "ring") casings.back().ring = row;
        members.clear();
    };
    for (const ResultRow& row : rows) {
        if (!members.empty() && members.front()->casing != row.casing) finish();
        members.push_back(&row);
    }
    finish();
    return casings;
}

std::vector<Headline> headlines(const std::vector<CasingOutcome>& casings, Protocol protocol) {
    std::vector<Headline> result;
    auto entry = [&](const std::string& design) -> Headline& {
        for (auto& headline : result)
            if (headline.design == design) return headline;
        result.push_back({design});
        return result.back();
    };
    if (protocol == Protocol::pistol_pass) {
        for (const PistolVerdict& verdict : pistol_verdicts(casings)) {
            Headline& headline = entry(verdict.design);
            if (verdict.unread > 0) {
                headline.unread += verdict.unread;
                continue;
            }
            ++headline.trials;
            headline.successes += verdict.pass();
        }
        return result;
    }
    for (const CasingOutcome& casing : casings) {
        Headline& headline = entry(casing.first->designs);
        if (casing.outcome == Outcome::no_reader) {
            ++headline.unread;
            continue;
        }
        ++headline.trials;
        headline.successes += casing.outcome == Outcome::correct;
    }
    return result;
}

std::vector<PistolVerdict> pistol_verdicts(const std::vector<CasingOutcome>& casings) {
    std::vector<PistolVerdict> verdicts;
    std::map<std::tuple<int, int, std::string>, std::size_t> index;
    for (const CasingOutcome& casing : casings) {
        const ResultRow& row = *casing.first;
        // Manifest rows have no cell: the firearm column names the pistol.
        const auto key = std::make_tuple(row.cell, row.pistol, row.firearm + "|" + row.designs);
        auto found = index.find(key);
        if (found == index.end()) {
            found = index.emplace(key, verdicts.size()).first;
            verdicts.push_back({row.designs, row.firearm, row.ammunition, row.expected, row.cell, row.pistol, row.seed});
        }
        PistolVerdict& verdict = verdicts[found->second];
        ++verdict.casings;
        verdict.correct += casing.outcome == Outcome::correct;
        verdict.unread += casing.outcome == Outcome::no_reader;
    }
    return verdicts;
}

std::string group_label(const ResultRow& row) {
    return fmt::format("{} | {} | {} | {} | {} | {}", row.designs, row.firearm, row.ammunition, row.rounds, row.defeat, row.scan);
}

namespace {

// One fusion group's outcome: which pistol its fused rings name, if any.
struct GroupFusion {
    bool right = false, wrong = false;
};

GroupFusion fuse_group(const std::vector<const ResultRow*>& members) {
    std::vector<RingObservation> observations;
    for (const ResultRow* member : members) {
        // A casing whose two locations named two pistols is never fused (as `microstamp fuse`).
        if (member->outcome == Outcome::locations_disagree) continue;
        if (const auto observation = soft_cells(member->soft_cells)) observations.push_back(*observation);
    }
    GroupFusion result;
    if (observations.empty()) return result;
    for (const FusedGroup& fused : fuse_rings(observations).groups) {
        if (!fused.decoding.fields) continue;
        const auto& fields = *fused.decoding.fields;
        const auto identity = default_catalog().identity(fields.manufacturer_code, fields.model_code, fields.serial);
        (identity && describe(*identity) == members.front()->expected ? result.right : result.wrong) = true;
    }
    return result;
}

} // namespace

std::map<std::string, FusionTally> fusion_gains(const std::vector<ResultRow>& rows, int group) {
    // Ring rows of each pistol in each cell, in shot order (rows are sorted by casing,
    // and a pistol's casings are enumerated in shot order).
    std::map<std::tuple<int, int, std::string>, std::vector<const ResultRow*>> pistols;
    for (const ResultRow& row : rows)
        if (row.reader == "ring") pistols[{row.cell, row.pistol, row.firearm}].push_back(&row);
    std::vector<std::vector<const ResultRow*>> groups;
    for (const auto& [key, members] : pistols)
        for (std::size_t start = 0; start + static_cast<std::size_t>(group) <= members.size();
             start += static_cast<std::size_t>(group))
            groups.emplace_back(members.begin() + static_cast<std::ptrdiff_t>(start),
                                members.begin() + static_cast<std::ptrdiff_t>(start) + group);
    // A failed group's fusion searches its candidates (milliseconds each): on every core,
    // tallied afterwards in the groups' order so the figures do not depend on the cores.
    // A group with a casing brought in from a part has no soft cells to fuse.
    std::vector<char> unfused(groups.size());
    for (std::size_t index = 0; index < groups.size(); ++index)
        unfused[index] = std::any_of(groups[index].begin(), groups[index].end(),
                                     [](const ResultRow* member) { return member->soft_cells == soft_cells_not_kept; });
    std::vector<GroupFusion> fusions(groups.size());
    tbb::parallel_for(std::size_t{0}, groups.size(), [&](std::size_t index) {
        if (!unfused[index]) fusions[index] = fuse_group(groups[index]);
    });
    std::map<std::string, FusionTally> tallies;
    for (std::size_t index = 0; index < groups.size(); ++index) {
        const auto& members = groups[index];
        FusionTally& tally = tallies[group_label(*members.front())];
        if (unfused[index]) {
            ++tally.unfused_groups;
            continue;
        }
        ++tally.groups;
        long correct = 0;
        for (const ResultRow* member : members) {
            ++tally.casings;
            correct += member->outcome == Outcome::correct;
        }
        tally.single_correct += correct;
        tally.any_correct += correct > 0;
        tally.fused_correct += fusions[index].right;
        tally.fused_wrong += fusions[index].wrong;
    }
    return tallies;
}

bool swaps_in_stamped_pin(const std::string& defeat) {
    for (std::size_t start = 0; start < defeat.size();) {
        const std::size_t plus = defeat.find('+', start);
        const std::string step = defeat.substr(start, plus == std::string::npos ? std::string::npos : plus - start);
        if (step.starts_with("swap:") && step != "swap:blank") return true;
        if (plus == std::string::npos) break;
        start = plus + 1;
    }
    return false;
}

std::vector<SwapDetection> swap_detection(const std::vector<CasingOutcome>& casings) {
    std::vector<SwapDetection> result;
    for (const CasingOutcome& casing : casings) {
        if (!swaps_in_stamped_pin(casing.first->defeat)) continue;
        const std::string label = casing.first->designs + " | " + casing.first->defeat + " | " + casing.first->scan;
        auto found = std::find_if(result.begin(), result.end(), [&](const SwapDetection& entry) { return entry.label == label; });
        if (found == result.end()) {
            result.push_back({label});
            found = std::prev(result.end());
        }
        ++found->swapped;
        found->detected += casing.outcome == Outcome::locations_disagree;
        found->named_pin_pistol += casing.outcome == Outcome::wrong;
    }
    return result;
}

} // namespace microstamp
