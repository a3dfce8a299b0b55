#pragma once
// How much a study's headline figure rests on the simulator's assumed constants.
//
// Each assumed constant has a plausible range beside its value in data/physics.json
// (`_ranges`; `_profile_ranges` give factors on the firearm and ammunition profiles'
// values). A point in those ranges is a copy of the study with its constants moved there;
// its casings have the same seeds as the baseline's, so two points differ only by what the
// constants do (common random numbers). Two designs over the points:
//   - Morris elementary effects (screening): R trajectories through a grid of levels, one
//     constant moved at a time; mu* (mean absolute effect) ranks the constants, sigma says
//     whether a constant acts through interactions or non-linearly;
//   - a Latin hypercube of N points over the influential constants, whose headline figures'
//     5-95% band is the model's uncertainty beside the Wilson interval's sampling one.

#include "study/study.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace microstamp {

struct UncertainConstant {
    std::string name;     // "wear.face_wear_um_per_1000_rounds", or "firearm.drag_length_um"
    double low = 0;       // physics constants: values; profile values: factors on every profile's value
    double high = 0;
    bool profile_factor = false;
    std::string reason;
};

// Every constant with a range, in the order of data/physics.json. Throws InputError when a
// range is malformed or does not hold the constant's value.
std::vector<UncertainConstant> uncertain_constants(const nlohmann::json& physics);
std::vector<UncertainConstant> uncertain_constants();  // of the data folder's physics.json
// Those named (all when `names` is empty); throws InputError naming an unknown one.
std::vector<UncertainConstant> select_constants(const std::vector<UncertainConstant>& all,
                                                const std::vector<std::string>& names);

// A constant's value (or factor) at a share (0..1) of its range, rounded to 6 significant
// digits so that a point's study file reads the same wherever it is written.
double value_at(const UncertainConstant& constant, double share);

// The study with each constant at its share (0..1) of its range. Its sha256 names the point,
// so its journal cannot be taken for another point's.
Study study_at(const Study& study, const std::vector<UncertainConstant>& constants, const std::vector<double>& shares);

// Morris's design: `trajectories` walks of k+1 points on a grid of `levels` levels (even),
// each step moving one constant by delta = levels / (2 (levels - 1)) of its range.
struct MorrisDesign {
    int constants = 0;
    int levels = 4;
    std::vector<std::vector<double>> points;   // trajectories * (constants + 1), shares 0..1
    std::vector<int> moved;                    // per point: the constant moved to reach it (-1: a walk's start)
};
MorrisDesign morris_design(int constants, int trajectories, std::uint64_t seed, int levels = 4);

struct ElementaryEffect {
    std::string constant;
    double mu_star = 0;   // mean |effect|, in headline units per whole range
    double mu = 0;
    double sigma = 0;
};
// Effects of each constant on one response (a value per design point), ranked by mu*.
std::vector<ElementaryEffect> morris_effects(const MorrisDesign& design, const std::vector<UncertainConstant>& constants,
                                             const std::vector<double>& responses);

// N points, each constant's range cut into N strata and each stratum used once.
std::vector<std::vector<double>> latin_hypercube(int constants, int samples, std::uint64_t seed);

// The p-th quantile (0..1) of values, linearly interpolated; values need not be sorted.
double quantile(std::vector<double> values, double p);

} // namespace microstamp
