#include "commands.hpp"

#include "scan_files.hpp"
#include "study/manifest.hpp"
#include "study/report.hpp"
#include "study/runner.hpp"
#include "surface/surface.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <fmt/core.h>
#include <iostream>
#include <opencv2/core.hpp>
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

// The output folder must be new, empty, or an unfinished run of a study (its journal).
std::filesystem::path prepare_output(const std::string& out) {
    const std::filesystem::path folder(out);
    std::error_code error;
    if (std::filesystem::exists(folder, error)) {
        if (!std::filesystem::is_directory(folder, error)) throw FileError(fmt::format("--out {}: not a folder", out));
        const bool journal = std::filesystem::exists(folder / "results.journal.csv", error);
        if (!journal && !std::filesystem::is_empty(folder, error))
            throw FileError(fmt::format("--out {}: the folder holds other files (a finished study?); choose a new folder", out));
    } else if (!std::filesystem::create_directories(folder, error)) {
        throw FileError(fmt::format("--out {}: cannot create the folder ({})", out, error.message()));
    }
    return folder;
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
        std::string study, manifest, out, protocol = "identity";
        int threads = 0;
    };
    auto options = std::make_shared<Options>();
    command->add_option("STUDY", options->study, "Study file (.json), or a shipped study's name: krivosta-2006, ucdavis-2008, "
                                                 "lizotte-2008, ca-4075, defeat, design-compare");
    command->add_option("--manifest", options->manifest, "CSV of real scans: file,expected,firearm,shot (instead of a study)");
    command->add_option("--protocol", options->protocol, "With --manifest: identity, or pistol_pass (California 11 CCR 4075)")
        ->capture_default_str();
    command->add_option("--out", options->out, "Output folder (new, empty, or an interrupted run of the same study: resumed)")
        ->required();
    command->add_option("--threads", options->threads, "Worker threads (0 = every core)")->capture_default_str();
    return {command, [options] {
        if (options->study.empty() == options->manifest.empty())
            throw InputError("give either a study file or --manifest CSV, not both or neither");
        if (options->threads < 0 || options->threads > 1024)
            throw InputError(fmt::format("--threads {} is outside 0..1024", options->threads));
        cv::setNumThreads(1);  // parallelism is across casings; OpenCV's own threads would only contend
        using Clock = std::chrono::steady_clock;
        const auto start = Clock::now();

        if (!options->manifest.empty()) {
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

        const Study study = load_study(options->study);
        const auto folder = prepare_output(options->out);
        const std::clock_t cpu_start = std::clock();  // every thread's CPU time: the machine may be shared
        RunOptions run;
        run.journal = folder / "results.journal.csv";
        run.threads = options->threads;
        run.progress = progress_bar();
        run.stop = &interrupted;
        RunResult result;
        {
            const InterruptGuard guard;
            result = run_study(study, run);
        }
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        const double per_hour = seconds > 0 ? static_cast<double>(result.simulated) / seconds * 3600 : 0;
        const double cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
        if (!result.complete)
            throw std::runtime_error(fmt::format("interrupted after {} of {} casings (journal {}); run the same command to resume",
                                                 result.rows.empty() ? 0 : result.resumed + result.simulated, result.casings,
                                                 run.journal.string()));
        write_study_outputs(folder, study, result.rows, study_parameters(study));
        std::filesystem::remove(run.journal);
        nlohmann::json summary = study_summary(study, result.rows);
        summary["outputs"] = outputs_json(folder);
        summary["run"] = {{"casings_resumed", result.resumed},
                          {"casings_simulated", result.simulated},
                          {"seconds", seconds},
                          {"casings_per_hour", per_hour},
                          {"cpu_seconds", cpu_seconds},
                          {"cpu_seconds_per_casing", result.simulated > 0 ? cpu_seconds / static_cast<double>(result.simulated) : 0.0}};
        std::cout << summary.dump(2) << '\n';
        fmt::print(stderr, "study {}: {} casings ({} resumed, {} simulated in {:.1f} s: {:.0f} casings/h; {:.0f} ms CPU per casing)\n",
                   study.name, result.casings, result.resumed, result.simulated, seconds, per_hour,
                   result.simulated > 0 ? cpu_seconds * 1000 / static_cast<double>(result.simulated) : 0.0);
        for (const auto& headline : summary["headline"])
            fmt::print(stderr, "  {}: {}/{} ({:.1f}%){}\n", headline["design"].get<std::string>(), headline["successes"].get<long>(),
                       headline["trials"].get<long>(), headline["rate"].get<double>() * 100,
                       headline["not_read"].get<long>() > 0 ? fmt::format(", {} not read (no reader yet)", headline["not_read"].get<long>()) : "");
        fmt::print(stderr, "report: {}\n", (folder / "report.html").string());
    }};
}

} // namespace microstamp::cli
