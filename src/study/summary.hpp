#pragma once
// From rows to figures: a casing's outcome over the designs read on it, tallies per
// group of levels with Wilson intervals, the headline figure per design (share of
// casings naming the right pistol, or of pistols passing California's test), and the
// gain from fusing the ring impressions of consecutive casings of one pistol.

#include "study/results.hpp"
#include "study/study.hpp"

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace microstamp {

struct Interval {
    double low = 0;
    double high = 1;
};
// Wilson score interval for a binomial share (95% by default): honest at 0 and n.
Interval wilson_interval(long successes, long trials, double z = 1.96);

// The one-sided upper bound on a binomial rate after `events` in `trials` (Clopper-Pearson,
// exact): how high the wrong-identity rate could be and still give so few. With none,
// about 3/trials at 95% (the rule of three).
double binomial_upper_bound(long events, long trials, double confidence = 0.95);

// Wrong identities per reader over every row it read, and over all rows ("all"); beside
// them the text and gear keys misread that no pistol of the study holds.
struct WrongIdentities {
    std::string reader;
    long reads = 0;
    long wrong = 0;
    double upper_95 = 1;
    long misread_keys = 0;
    double misread_upper_95 = 1;
};
std::vector<WrongIdentities> wrong_identities(const std::vector<ResultRow>& rows);
// The tallies that can hold misread keys: the readers whose answer is a key (text, gear)
// and the one over every reader ("all").
bool counts_misread_keys(std::string_view reader);

// One casing over every design read on it, as an examiner combines them: the first
// answer (right or wrong pistol) of the ring, the Data Matrix, the text, then the gear
// code if it agrees with every character the text showed; else the most telling
// non-answer (partial before defaced, no_stamp, unreadable). Every wrong row still
// appears in the report's table of wrong identities.
struct CasingOutcome {
    const ResultRow* first = nullptr;  // the casing's ground truth (any of its rows)
    const ResultRow* ring = nullptr;   // its ring row, if the die has a ring
    Outcome outcome = Outcome::unreadable;
};
std::vector<CasingOutcome> casing_outcomes(const std::vector<ResultRow>& rows);

struct Tally {
    std::array<long, outcome_count> counts{};
    long judged() const;   // every casing but no_reader
    long correct() const { return counts[static_cast<std::size_t>(Outcome::correct)]; }
    long wrong() const { return counts[static_cast<std::size_t>(Outcome::wrong)]; }
    double rate() const;
    Interval interval() const;
    void add(Outcome outcome) { ++counts[static_cast<std::size_t>(outcome)]; }
};

// Headline per design level: the protocol's measure, comparable with a published figure.
struct Headline {
    std::string design;
    long successes = 0;
    long trials = 0;            // casings (identity) or pistols (pistol_pass), no_reader excluded
    long unread = 0;            // no_reader casings
    double rate() const { return trials > 0 ? static_cast<double>(successes) / static_cast<double>(trials) : 0; }
};
std::vector<Headline> headlines(const std::vector<CasingOutcome>& casings, Protocol protocol);

// California 11 CCR 4075 per pistol: passes when every kept casing names it.
struct PistolVerdict {
    std::string design, firearm, ammunition, expected;
    int cell = 0;
    int pistol = 0;
    std::uint64_t seed = 0;
    long casings = 0;
    long correct = 0;
    long unread = 0;
    bool pass() const { return unread == 0 && casings > 0 && correct == casings; }
};
std::vector<PistolVerdict> pistol_verdicts(const std::vector<CasingOutcome>& casings);

// Ring impressions of `group` consecutive kept casings of one pistol, fused.
struct FusionTally {
    long groups = 0;
    long casings = 0;
    long single_correct = 0;   // casings that named the pistol alone
    long any_correct = 0;      // groups with at least one such casing
    long fused_correct = 0;    // groups whose fusion names it
    long fused_wrong = 0;      // groups whose fusion names another pistol (must stay 0)
    long unfused_groups = 0;   // groups read in parts whose soft cells were not kept (study/parts.hpp): in no figure above
};
// Keyed by "design | firearm | ammunition | rounds | defeat | scan".
std::map<std::string, FusionTally> fusion_gains(const std::vector<ResultRow>& rows, int group);

std::string group_label(const ResultRow& row);

// Pins swapped for another pistol's stamped pin (a `swap:` defeat other than
// `swap:blank`), per "design | defeat | scan": how many casings the two locations
// caught (`locations_disagree`), and how many named the swapped-in pin's pistol
// instead (the breech face unread or not printed).
struct SwapDetection {
    std::string label;
    long swapped = 0;
    long detected = 0;
    long named_pin_pistol = 0;
    double rate() const { return swapped > 0 ? static_cast<double>(detected) / static_cast<double>(swapped) : 0; }
};
bool swaps_in_stamped_pin(const std::string& defeat);
std::vector<SwapDetection> swap_detection(const std::vector<CasingOutcome>& casings);  // "design | firearm | ammunition | rounds | defeat | scan"

} // namespace microstamp
