#include "commands.hpp"

#include "scan_files.hpp"
#include "study_ranks.hpp"
#include "study/manifest.hpp"
#include "study/model_uncertainty.hpp"
#include "study/report.hpp"
#include "study/parts.hpp"
#include "study/runner.hpp"
#include "surface/surface.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <fmt/core.h>
#include <iostream>
#include <opencv2/core.hpp>
#include <optional>
#include <thread>
#include <unistd.h>

namespace microstamp::cli {
namespace {

std::atomic<bool> interrupted{false};
extern "C" void on_interrupt(int) { interrupted = true; }

// Ctrl-C finishes the casings in hand, so the journal ends on whole casings.
class InterruptGuard {
public:
    InterruptGuard() {
        interrupted = false;
        previous_ = std::signal(SIGINT, on_interrupt);
        previous_terminate_ = std::signal(SIGTERM, on_interrupt);
    }
    ~InterruptGuard() {
        std::signal(SIGINT, previous_);
        std::signal(SIGTERM, previous_terminate_);
    }
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

private:
    void (*previous_)(int) = nullptr;
    void (*previous_terminate_)(int) = nullptr;
};

std::string duration_text(double seconds) {
    const auto whole = static_cast<long>(seconds + 0.5);
    return whole >= 3600 ? fmt::format("{}h{:02}m", whole / 3600, whole / 60 % 60) : fmt::format("{}m{:02}s", whole / 60, whole % 60);
}

// A progress bar with the rate of this run and the time left, on a terminal only.
std::function<void(std::size_t, std::size_t)> progress_bar() {
    using Clock = std::chrono::steady_clock;
    struct State {
        Clock::time_point start = Clock::now();
        std::size_t first = 0;
        bool started = false;
        Clock::time_point last_drawn{};
    };
    auto state = std::make_shared<State>();
    const bool terminal = ::isatty(STDERR_FILENO) != 0;
    return [state, terminal](std::size_t done, std::size_t total) {
        if (!state->started) {
            state->started = true;
            state->first = done;
            state->start = Clock::now();
        }
        if (!terminal || total == 0) return;
        const auto now = Clock::now();
        if (done != total && now - state->last_drawn < std::chrono::milliseconds(200)) return;
        state->last_drawn = now;
        const double elapsed = std::chrono::duration<double>(now - state->start).count();
        const auto fresh = static_cast<double>(done - state->first);
        const std::string eta = fresh > 0 ? duration_text(elapsed / fresh * static_cast<double>(total - done)) : "?";
        const int width = 30;
        const auto filled = static_cast<int>(width * done / total);
        fmt::print(stderr, "\rstudy [{}{}] {}/{} casings, {:.1f}/s, ETA {}   ", std::string(static_cast<std::size_t>(filled), '#'),
                   std::string(static_cast<std::size_t>(width - filled), ' '), done, total, elapsed > 0 ? fresh / elapsed : 0.0, eta);
        if (done == total) fmt::print(stderr, "\n");
    };
}

// The journals of a run in a folder: results.journal.csv of one process, or one per rank
// of an MPI job (results.journal.rank-R.csv), so no two processes append to one file.
std::vector<std::filesystem::path> journals_in(const std::filesystem::path& folder) {
    std::vector<std::filesystem::path> journals;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with("results.journal") && name.ends_with(".csv")) journals.push_back(entry.path());
    }
    std::sort(journals.begin(), journals.end());
    return journals;
}

std::filesystem::path journal_of(const std::filesystem::path& folder, const StudyRanks& ranks) {
    return ranks.size() == 1 ? folder / "results.journal.csv"
                             : folder / fmt::format("results.journal.rank-{}.csv", ranks.rank());
}

// The output folder must be new, empty, or an unfinished run of a study (its journals).
std::filesystem::path prepare_output(const std::string& out) {
    const std::filesystem::path folder(out);
    std::error_code error;
    if (std::filesystem::exists(folder, error)) {
        if (!std::filesystem::is_directory(folder, error)) throw FileError(fmt::format("--out {}: not a folder", out));
        const bool journal = !journals_in(folder).empty();
        if (!journal && !std::filesystem::is_empty(folder, error))
            throw FileError(fmt::format("--out {}: the folder holds other files (a finished study?); choose a new folder", out));
    } else if (!std::filesystem::create_directories(folder, error)) {
        throw FileError(fmt::format("--out {}: cannot create the folder ({})", out, error.message()));
    }
    return folder;
}

// Rank 0 prepares the folder; every rank learns whether it could.
std::filesystem::path prepare_output_on(const StudyRanks& ranks, const std::string& out) {
    std::string failure;
    if (ranks.rank() == 0) {
        try {
            prepare_output(out);
        } catch (const std::exception& error) {
            failure = error.what();
        }
    }
    if (ranks.sum({failure.empty() ? 0.0 : 1.0})[0] > 0) {
        if (ranks.rank() == 0) throw FileError(failure);
        throw ReportedElsewhere();
    }
    return out;
}

// What the ranks ran, added up.
struct JobResult {
    std::vector<double> share_simulated;  // casings each rank simulated: the partition's balance
    double casings = 0;
    double resumed = 0;
    double simulated = 0;
    double cpu_seconds = 0;
    bool complete = false;
};

// What one rank did of a job.
struct ShareDone {
    double casings = 0;    // in its share
    double resumed = 0;    // found done in journals
    double simulated = 0;  // fired and read now
};
// A rank's share of a job: runs until done or `stop`, telling `progress` its casings done.
using ShareWork = std::function<ShareDone(const std::atomic<bool>& stop, const std::function<void(std::size_t)>& progress)>;

// Runs this rank's share on a worker thread while this thread, the only one that talks to
// MPI, adds up every rank's progress about four times a second: rank 0 draws the job's
// bar, and a failed or interrupted rank stops the others. Every rank leaves the loop on
// the same round, when every rank's share has returned.
JobResult run_share(const StudyRanks& ranks, std::size_t job_casings, const ShareWork& work) {
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> done{0};
    std::atomic<bool> finished{false};
    ShareDone result;
    std::exception_ptr failure;
    const std::clock_t cpu_start = std::clock();
    std::thread worker([&] {
        try {
            result = work(stop, [&done](std::size_t casings_done) { done = casings_done; });
        } catch (...) {
            failure = std::current_exception();
        }
        finished = true;
    });
    const auto draw = progress_bar();
    std::vector<double> totals;
    do {
        for (int wait = 0; wait < 12 && !finished; ++wait) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (interrupted) stop = true;
        totals = ranks.sum({static_cast<double>(done.load()), finished ? 1.0 : 0.0, finished && failure ? 1.0 : 0.0});
        if (totals[2] > 0) stop = true;
        if (ranks.rank() == 0) draw(static_cast<std::size_t>(totals[0]), job_casings);
    } while (totals[1] < ranks.size());
    worker.join();
    if (failure) std::rethrow_exception(failure);
    if (totals[2] > 0) throw ReportedElsewhere();
    const double cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    const std::vector<double> job = ranks.sum({result.casings, result.resumed, result.simulated, cpu_seconds});
    std::vector<double> shares(static_cast<std::size_t>(ranks.size()), 0.0);
    shares[static_cast<std::size_t>(ranks.rank())] = result.simulated;
    return {ranks.sum(shares), job[0], job[1], job[2], job[3], job[0] == job[1] + job[2]};
}

// This rank's share of the study itself.
ShareWork study_share(const Study& study, RunOptions run) {
    return [&study, run](const std::atomic<bool>& stop, const std::function<void(std::size_t)>& progress) mutable {
        run.stop = &stop;
        run.progress = [&progress](std::size_t casings_done, std::size_t) { progress(casings_done); };
        const RunResult result = run_study(study, run);
        return ShareDone{static_cast<double>(result.casings), static_cast<double>(result.resumed),
                         static_cast<double>(result.simulated)};
    };
}

// This rank's share of a sensitivity or uncertainty design: point p goes to rank p mod N,
// each point a whole study journaled on its own.
ShareWork points_share(const StudyRanks& ranks, const Study& study, const std::vector<UncertainConstant>& constants,
                       const std::vector<std::vector<double>>& points, const std::filesystem::path& folder, int threads) {
    return [&, threads](const std::atomic<bool>& stop, const std::function<void(std::size_t)>& progress) {
        std::filesystem::create_directories(folder);
        ShareDone share;
        std::size_t before = 0;
        for (std::size_t index = static_cast<std::size_t>(ranks.rank()); index < points.size();
             index += static_cast<std::size_t>(ranks.size())) {
            RunOptions run;
            run.journal = point_journal(folder, index);
            run.threads = threads;
            run.stop = &stop;
            run.progress = [&](std::size_t casings_done, std::size_t) { progress(before + casings_done); };
            const RunResult result = run_study(study_at(study, constants, points[index]), run);
            share.casings += static_cast<double>(result.casings);
            share.resumed += static_cast<double>(result.resumed);
            share.simulated += static_cast<double>(result.simulated);
            before += result.casings;
            if (!result.complete) break;
        }
        return share;
    };
}

nlohmann::json outputs_json(const std::filesystem::path& folder) {
    return {{"results_csv", (folder / "results.csv").string()},
            {"results_json", (folder / "results.json").string()},
            {"report_html", (folder / "report.html").string()}};
}

} // namespace

Command add_study(CLI::App& app) {
    auto* command = app.add_subcommand("study", "Run a designed experiment (fire, scan and read every cell on all cores) or "
                                                "read a manifest of real scans; write results.csv, results.json, report.html");
    struct Options {
        std::string study, manifest, out, protocol = "identity", sensitivity, seeds;
        int threads = 0;
        int uncertainty = 0;
        std::vector<std::string> constants;
        std::vector<std::string> parts;
        std::uint64_t design_seed = 1;
    };
    auto options = std::make_shared<Options>();
    command->add_option("STUDY", options->study, "Study file (.json), or a shipped study's name: krivosta-2006, ucdavis-2008, "
                                                 "lizotte-2008, ca-4075, defeat, design-compare");
    command->add_option("--manifest", options->manifest, "CSV of real scans: file,expected,firearm,shot (instead of a study)");
    command->add_option("--protocol", options->protocol, "With --manifest: identity, or pistol_pass (California 11 CCR 4075)")
        ->capture_default_str();
    command->add_option("--out", options->out, "Output folder (new, empty, or an interrupted run of the same study: resumed)")
        ->required();
    command->add_option("--sensitivity", options->sensitivity,
                        "morris:R: screen every assumed constant over its range (R trajectories of Morris elementary "
                        "effects) on the headline figure per design");
    command->add_option("--uncertainty", options->uncertainty,
                        "N: a Latin hypercube of N points over the constants' ranges; the 5-95% band of each design's "
                        "headline and each cell's rate");
    command->add_option("--constants", options->constants,
                        "With --sensitivity or --uncertainty: only these constants (names as in data/physics.json, "
                        "e.g. wear.face_wear_um_per_1000_rounds or firearm.drag_length_um)")
        ->delimiter(',');
    command->add_option("--seeds", options->seeds,
                        "FIRST-LAST or N: run the study over these seeds instead of its file's (each seed a new set "
                        "of pistols: a long run in parts)");
    command->add_option("--parts", options->parts,
                        "Folders of finished parts of this study (each run with --seeds over some of its seeds): "
                        "their rows are taken as done, only the casings no part holds are simulated");
    command->add_option("--design-seed", options->design_seed, "Seed of the Morris and Latin hypercube designs")
        ->capture_default_str();
    command->add_option("--threads", options->threads,
                        "Worker threads per process (0 = every core, shared among the MPI ranks on one machine)")
        ->capture_default_str();
    return {command, [options] {
        if (options->study.empty() == options->manifest.empty())
            throw InputError("give either a study file or --manifest CSV, not both or neither");
        if (options->threads < 0 || options->threads > 1024)
            throw InputError(fmt::format("--threads {} is outside 0..1024", options->threads));
        cv::setNumThreads(1);  // parallelism is across casings; OpenCV's own threads would only contend
        using Clock = std::chrono::steady_clock;
        const auto start = Clock::now();

        const StudyRanks ranks;
        if (!options->manifest.empty()) {
            if (ranks.size() > 1) throw InputError("--manifest reads real scans in one process; run it without mpirun");
            if (!options->parts.empty()) throw InputError("--parts joins the parts of a study, not of a --manifest");
            if (options->protocol != "identity" && options->protocol != "pistol_pass")
                throw InputError(fmt::format("--protocol '{}' is not identity or pistol_pass", options->protocol));
            const Manifest manifest = load_manifest(options->manifest);
            const Study study = manifest_study(options->manifest, manifest,
                                               options->protocol == "pistol_pass" ? Protocol::pistol_pass : Protocol::identity);
            const auto folder = prepare_output(options->out);
            std::vector<ResultRow> rows = read_manifest(
                manifest, [](const std::filesystem::path& file) { return read_scan_file(file.string(), ReadOptions{}); },
                progress_bar());
            write_study_outputs(folder, study, rows, nlohmann::json::object());
            nlohmann::json summary = study_summary(study, rows);
            summary["outputs"] = outputs_json(folder);
            std::cout << summary.dump(2) << '\n';
            fmt::print(stderr, "read {} scans; report: {}\n", rows.size(), (folder / "report.html").string());
            return;
        }

        const Study study = options->seeds.empty() ? load_study(options->study) : with_seeds(load_study(options->study), options->seeds);
        // Parts read and matched to the whole before anything is written.
        std::optional<std::vector<ResultRow>> parts_rows;
        if (!options->parts.empty()) {
            if (ranks.size() > 1) throw InputError("--parts joins parts in one process; run it without mpirun");
            std::vector<StudyPart> parts;
            for (const std::string& part : options->parts) {
                const std::filesystem::path results = std::filesystem::path(part) / "results.csv";
                std::error_code error;
                if (!std::filesystem::is_regular_file(results, error))
                    throw FileError(fmt::format("--parts {}: no results.csv there (a part not finished? run it to the end: "
                                                "its journal resumes it)", part));
                parts.push_back({part, read_results_csv(results)});
            }
            parts_rows = rows_from_parts(study, parts);
        }
        int trajectories = 0;
        if (!options->sensitivity.empty()) {
            const std::string& text = options->sensitivity;
            if (!text.starts_with("morris:") || text.size() == 7 ||
                text.find_first_not_of("0123456789", 7) != std::string::npos || std::stoi(text.substr(7)) < 1 ||
                std::stoi(text.substr(7)) > 1000)
                throw InputError(fmt::format("--sensitivity '{}' is not morris:R with R trajectories (1-1000)", text));
            trajectories = std::stoi(text.substr(7));
        }
        if (options->uncertainty < 0 || options->uncertainty > 100000)
            throw InputError(fmt::format("--uncertainty {} is outside 0..100000 samples", options->uncertainty));
        const bool analyses = trajectories > 0 || options->uncertainty > 0;
        const std::vector<UncertainConstant> constants =
            analyses ? select_constants(uncertain_constants(), options->constants) : std::vector<UncertainConstant>{};
        const auto folder = prepare_output_on(ranks, options->out);
        if (parts_rows) {
            // A journal of its own, beside the run's: picked up on resuming, removed with the others.
            write_journal(folder / "results.journal.parts.csv", study.sha256, casings(study).size(), *parts_rows);
        }
        RunOptions run;
        run.journal = journal_of(folder, ranks);
        for (const auto& journal : journals_in(folder))
            if (journal != run.journal) run.other_journals.push_back(journal);
        run.partition = {ranks.rank(), ranks.size()};
        run.threads = options->threads;
        if (run.threads == 0 && ranks.local_size() > 1)
            run.threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / ranks.local_size());
        JobResult result;
        {
            const InterruptGuard guard;
            result = run_share(ranks, casings(study).size(), study_share(study, run));
        }
        if (!result.complete) {
            if (ranks.rank() != 0) throw ReportedElsewhere();
            throw std::runtime_error(fmt::format("interrupted after {:.0f} of {:.0f} casings (journals in {}); run the same "
                                                 "command to resume", result.resumed + result.simulated, result.casings,
                                                 folder.string()));
        }
        // The sensitivity and uncertainty designs' points, dealt to the ranks; then rank 0
        // gathers every point's figures from their journals (nothing left to simulate).
        nlohmann::json model = nlohmann::json::object();
        std::size_t points_simulated = 0;
        const auto run_points = [&](const std::vector<std::vector<double>>& design, const char* subfolder) {
            JobResult done;
            {
                const InterruptGuard guard;
                done = run_share(ranks, design.size() * casings(study).size(),
                                 points_share(ranks, study, constants, design, folder / subfolder, run.threads));
            }
            points_simulated += static_cast<std::size_t>(done.simulated);
            if (!done.complete) {
                if (ranks.rank() != 0) throw ReportedElsewhere();
                throw std::runtime_error(fmt::format("interrupted in the {} points after {:.0f} of {:.0f} casings (journals in "
                                                     "{}); run the same command to resume", subfolder, done.resumed + done.simulated,
                                                     done.casings, (folder / subfolder).string()));
            }
            return ranks.rank() == 0 ? run_design_points(study, constants, design, folder / subfolder, RunOptions{}).points
                                     : std::vector<PointFigures>{};
        };
        if (trajectories > 0) {
            const MorrisDesign design = morris_design(static_cast<int>(constants.size()), trajectories, options->design_seed);
            const auto figures = run_points(design.points, "points-morris");
            if (ranks.rank() == 0) model["sensitivity"] = morris_screening_json(design, constants, figures, options->design_seed);
        }
        if (options->uncertainty > 0) {
            const auto design = latin_hypercube(static_cast<int>(constants.size()), options->uncertainty, options->design_seed);
            const auto figures = run_points(design, "points-lhs");
            if (ranks.rank() == 0) model["uncertainty"] = uncertainty_bands_json(constants, design, figures, options->design_seed);
        }
        if (ranks.rank() != 0) return;
        const auto merge_start = Clock::now();
        const std::vector<std::filesystem::path> journals = journals_in(folder);
        const std::vector<ResultRow> rows = merge_journals(study, journals);
        write_study_outputs(folder, study, rows, study_parameters(study), model);
        for (const auto& journal : journals) std::filesystem::remove(journal);
        for (const char* subfolder : {"points-morris", "points-lhs"}) std::filesystem::remove_all(folder / subfolder);
        const double merge_seconds = std::chrono::duration<double>(Clock::now() - merge_start).count();
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        const double per_hour = seconds > 0 ? result.simulated / seconds * 3600 : 0;
        const double cpu_seconds = result.cpu_seconds;
        nlohmann::json summary = study_summary(study, rows);
        summary["outputs"] = outputs_json(folder);
        summary["run"] = {{"casings_resumed", result.resumed},
                          {"casings_simulated", result.simulated},
                          {"model_points_casings_simulated", points_simulated},
                          {"processes", ranks.size()},
                          {"casings_per_process", result.share_simulated},
                          {"merge_seconds", merge_seconds},
                          {"seconds", seconds},
                          {"casings_per_hour", per_hour},
                          {"cpu_seconds", cpu_seconds},
                          {"cpu_seconds_per_casing", result.simulated > 0 ? cpu_seconds / result.simulated : 0.0}};
        std::cout << summary.dump(2) << '\n';
        fmt::print(stderr, "study {}: {:.0f} casings ({:.0f} resumed, {:.0f} simulated by {} process{} in {:.1f} s: {:.0f} casings/h; "
                   "{:.0f} ms CPU per casing)\n", study.name, result.casings, result.resumed, result.simulated, ranks.size(),
                   ranks.size() == 1 ? "" : "es", seconds, per_hour,
                   result.simulated > 0 ? cpu_seconds * 1000 / result.simulated : 0.0);
        for (const auto& headline : summary["headline"])
            fmt::print(stderr, "  {}: {}/{} ({:.1f}%){}\n", headline["design"].get<std::string>(), headline["successes"].get<long>(),
                       headline["trials"].get<long>(), headline["rate"].get<double>() * 100,
                       headline["not_read"].get<long>() > 0 ? fmt::format(", {} not read (no reader yet)", headline["not_read"].get<long>()) : "");
        fmt::print(stderr, "report: {}\n", (folder / "report.html").string());
    }};
}

} // namespace microstamp::cli
