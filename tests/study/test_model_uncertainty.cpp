// Model uncertainty: the constants' ranges, the Morris and Latin hypercube designs, and
// screening and bands run on real fired, scanned and read casings.

#include "study_support.hpp"
#include "study/model_uncertainty.hpp"
#include "study/report.hpp"
#include "study/summary.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <fmt/core.h>
#include <opencv2/core.hpp>
#include <set>
#include <unistd.h>

namespace {

using namespace microstamp;

using study_test::scratch;

TEST(ConstantRanges, EveryAssumedConstantHasARangeHoldingItsValueAndAReason) {
    const auto constants = uncertain_constants();
    EXPECT_GE(constants.size(), 40u);
    std::set<std::string> names;
    for (const auto& constant : constants) {
        names.insert(constant.name);
        EXPECT_LT(constant.low, constant.high) << constant.name;
        EXPECT_FALSE(constant.reason.empty()) << constant.name;
    }
    EXPECT_TRUE(names.contains("wear.face_wear_um_per_1000_rounds"));
    EXPECT_TRUE(names.contains("firearm.drag_length_um"));
}

TEST(ConstantRanges, AConstantWithoutARangeOrOutsideItIsRefused) {
    nlohmann::json physics = {{"wear", {{"face_wear_um_per_1000_rounds", 0.5}}}, {"_ranges", nlohmann::json::object()}};
    EXPECT_THROW(uncertain_constants(physics), InputError);
    physics["_ranges"]["wear"]["face_wear_um_per_1000_rounds"] = {{"low", 0.6}, {"high", 1.0}, {"reason", "r"}};
    EXPECT_THROW(uncertain_constants(physics), InputError);
    physics["_ranges"]["wear"]["face_wear_um_per_1000_rounds"] = {{"low", 0.1}, {"high", 1.0}, {"reason", "r"}};
    EXPECT_EQ(uncertain_constants(physics).size(), 1u);
    EXPECT_THROW(select_constants(uncertain_constants(physics), {"wear.nothing"}), InputError);
}

TEST(MorrisDesign, EachWalkMovesEveryConstantOnceByDelta) {
    const MorrisDesign design = morris_design(5, 7, 42);
    ASSERT_EQ(design.points.size(), 7u * 6u);
    const double delta = 4.0 / 6.0;
    for (std::size_t walk = 0; walk < 7; ++walk) {
        std::set<int> moved;
        for (std::size_t step = 1; step <= 5; ++step) {
            const std::size_t at = walk * 6 + step;
            const int constant = design.moved[at];
            moved.insert(constant);
            for (int index = 0; index < 5; ++index) {
                const double change = design.points[at][static_cast<std::size_t>(index)] -
                                      design.points[at - 1][static_cast<std::size_t>(index)];
                EXPECT_NEAR(std::abs(change), index == constant ? delta : 0.0, 1e-12);
            }
        }
        EXPECT_EQ(moved.size(), 5u);
    }
    for (const auto& point : design.points)
        for (const double share : point) EXPECT_TRUE(share >= -1e-12 && share <= 1 + 1e-12);
    EXPECT_EQ(morris_design(5, 7, 42).points, design.points);  // seeded
}

TEST(MorrisDesign, EffectsOfALinearResponse) {
    const MorrisDesign design = morris_design(3, 10, 7);
    std::vector<UncertainConstant> constants(3);
    constants[0].name = "a";
    constants[1].name = "b";
    constants[2].name = "c";
    std::vector<double> responses;
    for (const auto& point : design.points) responses.push_back(3 * point[0] - 1 * point[2]);
    const auto effects = morris_effects(design, constants, responses);
    EXPECT_EQ(effects[0].constant, "a");
    EXPECT_NEAR(effects[0].mu_star, 3, 1e-9);
    EXPECT_NEAR(effects[0].sigma, 0, 1e-9);
    EXPECT_EQ(effects[1].constant, "c");
    EXPECT_NEAR(effects[1].mu, -1, 1e-9);
    EXPECT_EQ(effects[2].constant, "b");
    EXPECT_NEAR(effects[2].mu_star, 0, 1e-12);
}

TEST(LatinHypercube, EveryStratumOnceForEveryConstant) {
    const auto points = latin_hypercube(4, 20, 3);
    ASSERT_EQ(points.size(), 20u);
    for (std::size_t constant = 0; constant < 4; ++constant) {
        std::set<int> strata;
        for (const auto& point : points) strata.insert(static_cast<int>(std::floor(point[constant] * 20)));
        EXPECT_EQ(strata.size(), 20u);
    }
    EXPECT_EQ(latin_hypercube(4, 20, 3), points);
    EXPECT_NEAR(quantile({4, 1, 3, 2, 5}, 0.5), 3, 1e-12);
    EXPECT_NEAR(quantile({1, 2}, 0.05), 1.05, 1e-12);
}

Study dragging_gear_study() {
    return parse_study(nlohmann::json::parse(R"({
      "format": "microstamp-study", "format_version": 1, "name": "screen",
      "identity": {"make": "SIG Sauer", "model": "P229", "serial": "58A-10420#"},
      "factors": {"firearms": ["duty-40-tilting"], "ammunition": ["standard-small-pistol"],
                  "designs": ["gear"], "rounds": [1]},
      "pistols": 3, "shots": "last:2"})"), "screen.json", "5c7ee7");
}

// breech.drive acts only on a breech-face scan, which this study never reads: zero effect.
// The drag of a tilting-barrel pistol smears the gear's bars: it must rank above.
TEST(Screening, RanksAConstantTheStudyCannotFeelAtZeroAndDragAboveIt) {
    cv::setNumThreads(1);
    const Study study = dragging_gear_study();
    const auto constants = select_constants(uncertain_constants(), {"breech.drive", "firearm.drag_length_um"});
    const MorrisDesign design = morris_design(2, 2, 1);
    const DesignRun run = run_design_points(study, constants, design.points, scratch("screen"), RunOptions{});
    ASSERT_TRUE(run.complete);
    const nlohmann::json screening = morris_screening_json(design, constants, run.points, 1);
    const auto& effects = screening["effects"]["gear"];
    ASSERT_EQ(effects.size(), 2u);
    EXPECT_EQ(effects[0]["constant"], "firearm.drag_length_um");
    EXPECT_GT(effects[0]["mu_star"].get<double>(), 0);
    EXPECT_EQ(effects[1]["constant"], "breech.drive");
    EXPECT_EQ(effects[1]["mu_star"].get<double>(), 0);
    // The report ranks them too.
    const std::string html = report_html(study, {}, nlohmann::json::object(), {{"sensitivity", screening}});
    EXPECT_NE(html.find("Morris elementary effects"), std::string::npos);
    EXPECT_LT(html.find("firearm.drag_length_um"), html.find("breech.drive"));
}

// Bands are the same for a seed, and a run stopped part-way resumes to the same figures.
TEST(Uncertainty, DeterministicForASeedAndResumes) {
    cv::setNumThreads(1);
    const Study study = dragging_gear_study();
    const auto constants = select_constants(uncertain_constants(), {"firearm.drag_length_um", "wear.face_wear_um_per_1000_rounds"});
    const auto design = latin_hypercube(2, 3, 11);
    const DesignRun whole = run_design_points(study, constants, design, scratch("whole"), RunOptions{});
    ASSERT_TRUE(whole.complete);
    const nlohmann::json bands = uncertainty_bands_json(constants, design, whole.points, 11);

    const auto folder = scratch("stopped");
    std::atomic<bool> stop{false};
    RunOptions stopping;
    stopping.threads = 1;
    stopping.stop = &stop;
    stopping.progress = [&](std::size_t done, std::size_t) {
        if (done >= 8) stop = true;
    };
    const DesignRun first = run_design_points(study, constants, design, folder, stopping);
    EXPECT_FALSE(first.complete);
    const DesignRun resumed = run_design_points(study, constants, design, folder, RunOptions{});
    ASSERT_TRUE(resumed.complete);
    EXPECT_LT(resumed.casings_simulated, whole.casings_simulated);
    EXPECT_EQ(uncertainty_bands_json(constants, design, resumed.points, 11).dump(), bands.dump());
    const auto& band = bands["bands"]["gear"]["headline_band_5_95"];
    EXPECT_LE(band[0].get<double>(), band[1].get<double>());
    // Each point names its constants' values, inside their ranges, and its own figures.
    ASSERT_EQ(bands["points"].size(), design.size());
    for (std::size_t index = 0; index < design.size(); ++index) {
        const auto& point = bands["points"][index];
        for (std::size_t constant = 0; constant < constants.size(); ++constant) {
            const double value = point["constants"][constants[constant].name].get<double>();
            EXPECT_DOUBLE_EQ(value, value_at(constants[constant], design[index][constant]));
            EXPECT_GE(value, std::min(constants[constant].low, constants[constant].high) * 0.99999);
            EXPECT_LE(value, std::max(constants[constant].low, constants[constant].high) * 1.00001);
        }
        EXPECT_DOUBLE_EQ(point["headline"]["gear"].get<double>(), whole.points[index].headline.at("gear"));
    }
    EXPECT_NE(bands["points"][0]["constants"].dump(), bands["points"][1]["constants"].dump());
}

// A claim of no wrong identity is restated with its band: every point's count is kept, and
// the worst point gives the bound.
TEST(Uncertainty, WrongIdentitiesOfEveryPointAndTheWorstPointsBound) {
    std::vector<PointFigures> points(3);
    points[0].wrong["gear"] = {3, 100};
    points[1].wrong["gear"] = {0, 100};
    points[2].wrong["gear"] = {1, 50};
    points[1].misread_keys["gear"] = 7;
    points[0].wrong["ring"] = points[1].wrong["ring"] = points[2].wrong["ring"] = {0, 100};
    const nlohmann::json bands = uncertainty_bands_json({}, {{}, {}, {}}, points, 1)["wrong_identities"];
    EXPECT_EQ(bands["gear"]["wrong_samples"], nlohmann::json({3, 0, 1}));
    EXPECT_EQ(bands["gear"]["misread_key_samples"], nlohmann::json({0, 7, 0}));  // counted apart, point by point
    EXPECT_EQ(bands["gear"]["most_wrong"], 3);
    EXPECT_EQ(bands["gear"]["most_wrong_reads"], 100);
    EXPECT_DOUBLE_EQ(bands["gear"]["most_wrong_upper_95"].get<double>(), binomial_upper_bound(3, 100));
    EXPECT_GT(bands["gear"]["share_band_5_95"][1].get<double>(), 0.02);
    EXPECT_EQ(bands["ring"]["most_wrong"], 0);
    EXPECT_NEAR(bands["ring"]["most_wrong_upper_95"].get<double>(), 3.0 / 100, 0.001);
}

} // namespace
