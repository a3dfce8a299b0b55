#pragma once
// Runs a study: every casing is fired (src/physics, exactly as `microstamp fire --seed
// <pistol seed> --shots <shot>` would), scanned and read (src/read), on all cores.
// Each completed casing's rows are appended to a journal at once, so a run that is
// stopped (or killed) resumes where it stopped; casings are independent and seeded by
// their pistol and shot, so the final rows do not depend on the order, the number of
// threads or the interruptions.

#include "study/results.hpp"
#include "study/study.hpp"

#include <atomic>
#include <filesystem>
#include <functional>

namespace microstamp {

struct RunOptions {
    std::filesystem::path journal;   // rows are appended here; rows already in it are kept
    int threads = 0;                 // 0 = every core
    // Hears (casings done, casings in all) after each casing, from any thread; a
    // resumed run starts from the casings the journal already holds.
    std::function<void(std::size_t, std::size_t)> progress;
    const std::atomic<bool>* stop = nullptr;  // set: finish the casings in hand, then return
};

struct RunResult {
    std::vector<ResultRow> rows;     // sorted; every casing's, when complete
    std::size_t casings = 0;         // in the study
    std::size_t resumed = 0;         // casings found done in the journal
    std::size_t simulated = 0;       // casings fired and read by this run
    bool complete = false;
};

RunResult run_study(const Study& study, const RunOptions& options);

} // namespace microstamp
