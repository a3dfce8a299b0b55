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

// One process's share of a study run by several (the ranks of an MPI job). Casings are
// dealt in blocks of consecutive indices, block b to part b mod parts: neighbouring
// casings share a pistol's pin, and every part gets each cell's mix of costs.
struct Partition {
    int part = 0;
    int parts = 1;
};
inline constexpr long partition_block = 8;
bool in_partition(long casing, const Partition& partition);

struct RunOptions {
    std::filesystem::path journal;   // rows are appended here; rows already in it are kept
    // Journals of the other parts of this run (or of an earlier run with another number of
    // parts): casings complete in them are not done again.
    std::vector<std::filesystem::path> other_journals;
    Partition partition;
    int threads = 0;                 // 0 = every core
    // Hears (casings done, casings in all) after each casing, from any thread; a
    // resumed run starts from the casings the journal already holds.
    std::function<void(std::size_t, std::size_t)> progress;
    const std::atomic<bool>* stop = nullptr;  // set: finish the casings in hand, then return
};

struct RunResult {
    std::vector<ResultRow> rows;     // sorted; this journal's casings (every casing's, when one part completes)
    std::size_t casings = 0;         // in the study's share of this part (the whole study with one part)
    std::size_t resumed = 0;         // casings of the share found done in the journals
    std::size_t simulated = 0;       // casings fired and read by this run
    bool complete = false;
};

RunResult run_study(const Study& study, const RunOptions& options);

// The rows of every casing complete in any of the journals, sorted: what a run split
// across processes adds up to. Throws InputError when a casing is missing.
std::vector<ResultRow> merge_journals(const Study& study, const std::vector<std::filesystem::path>& journals);

} // namespace microstamp
