// Study throughput: simulated casings (fire + scan + read) per hour at the default scan
// (1000 x 1000 topography at 2 um), and where the time goes. The per-stage figures run
// on one core; `study_throughput` runs a real study on every core, as `microstamp study` does.
#include "physics/fire.hpp"
#include "read/read.hpp"
#include "study/report.hpp"
#include "study/runner.hpp"

#include "benchmark_die.hpp"
#include "stage_times.hpp"

#include <benchmark/benchmark.h>
#include <filesystem>
#include <fmt/core.h>
#include <fstream>
#include <opencv2/core.hpp>
#include <unistd.h>

namespace {

using namespace microstamp;

const Firearm& firearm() {
    static const Firearm profile = load_firearm("service-9mm-striker");
    return profile;
}

const Ammunition& ammunition() {
    static const Ammunition profile = load_ammunition("standard-small-pistol");
    return profile;
}

FireOptions shot_options(long shot, std::uint64_t seed) {
    FireOptions options;
    options.rounds = 1000;
    options.shots = {shot};
    options.seed = seed;
    return options;
}

// As a topography study fires a casing: the pistol's pin made once, the topography only.
Shot fire_one(const PistolPin& pin, long shot) {
    FireOptions options = shot_options(shot, pin.seed);
    options.photograph = false;
    Shot result;
    fire(benchmark_die(), pin, firearm(), ammunition(), options, [&](Shot&& fired) { result = std::move(fired); });
    return result;
}

// What a study does per casing before reading: wear the pin to the shot, strike, scan.
void casing_fire_and_scan(benchmark::State& state) {
    cv::setNumThreads(1);
    const PistolPin pin = pistol_pin(benchmark_die(), 1);
    long shot = 900;
    for (auto _ : state) benchmark::DoNotOptimize(fire_one(pin, ++shot));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(casing_fire_and_scan)->Unit(benchmark::kMillisecond);

// What a study does once per pistol: the engraved face and its chip sites.
void pistol_pin_once(benchmark::State& state) {
    cv::setNumThreads(1);
    for (auto _ : state) benchmark::DoNotOptimize(pistol_pin(benchmark_die(), 1));
}
BENCHMARK(pistol_pin_once)->Unit(benchmark::kMillisecond);

// What `microstamp fire --shots N` costs per shot: the pin made for the call, both scans.
void fire_command_one_shot(benchmark::State& state) {
    cv::setNumThreads(1);
    long shot = 900;
    for (auto _ : state)
        fire(benchmark_die(), firearm(), ammunition(), shot_options(++shot, 1),
             [](Shot&& fired) { benchmark::DoNotOptimize(fired); });
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(fire_command_one_shot)->Unit(benchmark::kMillisecond);

void casing_read_topography(benchmark::State& state) {
    cv::setNumThreads(1);
    const Shot shot = fire_one(pistol_pin(benchmark_die(), 1), 1000);
    StageTimes stages;
    for (auto _ : state) stages.add(read(shot.topography, ReadOptions{}));
    stages.report(state);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(casing_read_topography)->Unit(benchmark::kMillisecond);

// The whole study runner on every core: 4 pistols x `shots` casings of a die of `designs`
// after 1,000 rounds, journal, dies and all (enough casings that the once-per-pistol work
// weighs what it does in a real study).
void run_throughput(benchmark::State& state, const std::string& designs, int shots) {
    cv::setNumThreads(1);
    nlohmann::json document = nlohmann::json::parse(R"({
      "format": "microstamp-study", "format_version": 1, "name": "throughput",
      "identity": {"make": "SIG Sauer", "model": "P320", "serial": "TP-#"},
      "factors": {"firearms": ["service-9mm-striker"], "ammunition": ["standard-small-pistol"], "rounds": [1000]},
      "pistols": 4})");
    document["factors"]["designs"] = {designs};
    document["shots"] = "last:" + std::to_string(shots);
    const Study study = parse_study(document, "throughput", "bench");
    const auto journal = std::filesystem::temp_directory_path() / ("microstamp-bench-study-" + std::to_string(::getpid()) + ".csv");
    std::size_t casings = 0;
    for (auto _ : state) {
        std::filesystem::remove(journal);
        RunOptions options;
        options.journal = journal;
        options.threads = static_cast<int>(state.range(0));
        casings += run_study(study, options).simulated;
    }
    std::filesystem::remove(journal);
    state.SetItemsProcessed(static_cast<std::int64_t>(casings));
    state.counters["casings_per_hour"] = benchmark::Counter(static_cast<double>(casings) * 3600, benchmark::Counter::kIsRate);
}
void study_throughput(benchmark::State& state) { run_throughput(state, "ring", 100); }
BENCHMARK(study_throughput)->Arg(1)->Arg(2)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
// The published designs' baseline (text and gear on one pin), which the calibrated studies read.
void study_throughput_text_gear(benchmark::State& state) { run_throughput(state, "text+gear", 25); }
BENCHMARK(study_throughput_text_gear)->Arg(1)->Arg(2)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

} // namespace

namespace {

// What rank 0 of an MPI job does once every rank is done: read every rank's journal, merge
// and sort the rows, write results.csv, results.json and report.html. Rows are synthetic
// (one ring row per casing, outcomes cycling) without soft cells: the fusion section, which
// decodes every group of casings again (about 3 ms a group whose fusion fails on this
// machine), is left out of this figure. Arg: casings (thousands), dealt to 8 journals.
void study_merge(benchmark::State& state) {
    const long count = state.range(0) * 1000;
    nlohmann::json document = nlohmann::json::parse(R"({"format": "microstamp-study", "format_version": 1, "name": "merge",
      "identity": {"make": "SIG Sauer", "model": "P229", "serial": "M-#####"},
      "factors": {"firearms": ["service-9mm-striker"], "ammunition": ["standard-small-pistol"], "designs": ["ring"],
                  "rounds": [5000]}, "shots": "last:100"})");
    document["pistols"] = count / 100;
    const Study study = parse_study(document, "merge.json", "merge");
    const auto folder = std::filesystem::temp_directory_path() / fmt::format("microstamp-merge-{}", ::getpid());
    std::filesystem::create_directories(folder);
    std::vector<std::ofstream> journals;
    std::vector<std::filesystem::path> paths;
    for (int part = 0; part < 8; ++part) {
        paths.push_back(folder / fmt::format("results.journal.rank-{}.csv", part));
        journals.emplace_back(paths.back());
        journals.back() << journal_first_line(study.sha256, static_cast<std::size_t>(count)) << '\n' << csv_header(true) << '\n';
    }
    for (const Casing& casing : casings(study)) {
        ResultRow row;
        row.casing = casing.index;
        row.pistol = casing.pistol;
        row.shot = casing.shot;
        row.firearm = "service-9mm-striker";
        row.ammunition = "standard-small-pistol";
        row.designs = row.reader = "ring";
        row.rounds = 5000;
        row.defeat = "none";
        row.scan = "topography";
        row.spacing_um = 2;
        row.expected = "SIG Sauer P229 #58A-104200";
        row.outcome = casing.index % 7 == 0 ? Outcome::partial : Outcome::correct;
        row.status = row.outcome == Outcome::correct ? "decoded" : "partial";
        row.read = row.outcome == Outcome::correct ? row.expected : "";
        row.decision_margin = 0.25;
        journals[static_cast<std::size_t>(casing.index / partition_block % 8)] << csv_line(row, true) << '\n';
    }
    journals.clear();
    for (auto _ : state) {
        const std::vector<ResultRow> rows = merge_journals(study, paths);
        write_study_outputs(folder, study, rows, study_parameters(study));
        benchmark::DoNotOptimize(rows.size());
    }
    std::filesystem::remove_all(folder);
    state.SetItemsProcessed(state.iterations() * count);
}
BENCHMARK(study_merge)->Arg(2)->Arg(10)->Arg(100)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

} // namespace
