#include "study/runner.hpp"

#include "die/die_files.hpp"
#include "physics/fire.hpp"
#include "study/design_readers.hpp"
#include "surface/surface.hpp"

#include <fmt/core.h>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <tuple>

namespace microstamp {
namespace {

// What stays fixed while casings are fired: profiles with overrides, constants, dies.
struct Bench {
    PhysicsConstants constants;
    std::map<std::string, Firearm> firearms;
    std::map<std::string, Ammunition> ammunition;
    std::vector<StudyCell> cells;
    // A die per (designs, serial, pin diameter): the pin fits the firearm it is fired in.
    std::map<std::tuple<std::string, std::string, double>, Die> dies;
    // The pins `swap:DIE_FOLDER` puts in, by folder.
    std::map<std::string, PinFace> swap_pins;
    // The text and gear keys of every pistol of the study (the same on every rank):
    // the manufacturer's records a lab looks a key up in.
    KeyDirectory keys;
};

using DieKey = std::tuple<std::string, std::string, double>;

DieKey die_key(const Study& study, const Bench& bench, const StudyCell& cell, int pistol) {
    return {cell.design, pistol_serial(study, pistol), bench.firearms.at(cell.firearm).pin_diameter_um};
}

Bench prepare(const Study& study, const std::vector<Casing>& pending) {
    Bench bench;
    bench.constants = study_constants(study);
    for (const auto& name : study.firearms) bench.firearms.emplace(name, study_firearm(study, name));
    for (const auto& name : study.ammunition) bench.ammunition.emplace(name, study_ammunition(study, name));
    bench.cells = cells(study);
    for (int pistol = 1; pistol <= std::max(study.pistols, 2); ++pistol)  // swap:other's donor is pistol 2 of 1
        bench.keys.add(default_catalog().identity(study.make, study.model, pistol_serial(study, pistol)));
    for (const Casing& casing : pending) {
        const StudyCell& cell = bench.cells[static_cast<std::size_t>(casing.cell)];
        bench.dies.try_emplace(die_key(study, bench, cell, casing.pistol));
        for (const Defeat& step : parse_defeats(cell.defeat)) {
            if (step.kind != DefeatKind::swap || step.replacement == "blank") continue;
            if (step.replacement == "other") bench.dies.try_emplace(die_key(study, bench, cell, swap_donor(study, casing.pistol)));
            else if (!bench.swap_pins.contains(step.replacement))
                bench.swap_pins.emplace(step.replacement, pin_face(load_die(step.replacement)));
        }
    }
    std::vector<std::pair<const DieKey, Die>*> slots;
    for (auto& entry : bench.dies) slots.push_back(&entry);
    tbb::parallel_for(std::size_t{0}, slots.size(), [&](std::size_t index) {
        const auto& [designs, serial, pin_diameter_um] = slots[index]->first;
        DieDesign design;
        design.designs = parse_designs(designs);
        design.pin_diameter_um = pin_diameter_um;
        design.engraving_depth_um = study.engraving_depth_um;
        slots[index]->second = encode(default_catalog().identity(study.make, study.model, serial), design);
    });
    return bench;
}

ResultRow truth_row(const StudyCell& cell, const Casing& casing, const Die& die) {
    ResultRow row;
    row.casing = casing.index;
    row.cell = cell.index;
    row.pistol = casing.pistol;
    row.shot = casing.shot;
    row.seed = pistol_seed(cell.seed, casing.pistol);
    row.firearm = cell.firearm;
    row.ammunition = cell.ammunition;
    row.designs = cell.design;
    row.rounds = cell.rounds;
    row.defeat = cell.defeat;
    row.scan = std::string(scan_kind_name(cell.scan.kind));
    row.spacing_um = cell.scan.spacing_um;
    row.expected = describe(die.identity);
    row.expected_key = die.text_key;
    return row;
}

// The pin of the pistol a thread fired last. Casings are enumerated pistol by pistol and
// a thread takes neighbouring casings, so most find their pistol's pin here rather than
// making it again. A pin is a function of its key alone: the cache never changes a result.
struct CachedPin {
    DieKey die;
    std::uint64_t seed = 0;
    std::shared_ptr<const PistolPin> pin;  // shared: a task that started with it keeps it
};
using PinCache = tbb::enumerable_thread_specific<CachedPin>;

std::shared_ptr<const PistolPin> pin_for(PinCache& cache, const DieKey& key, const Die& die, std::uint64_t seed,
                                         const PhysicsConstants& constants) {
    CachedPin& cached = cache.local();
    if (!cached.pin || cached.die != key || cached.seed != seed) {
        cached.pin.reset();  // one pin per thread at a time: each is as big as the die's face
        cached.pin = std::make_shared<const PistolPin>(pistol_pin(die, seed, constants));
        cached.die = key;
        cached.seed = seed;
    }
    return cached.pin;
}

std::vector<ResultRow> fire_and_read(const Study& study, const Bench& bench, PinCache& pins, const Casing& casing) {
    const StudyCell& cell = bench.cells[static_cast<std::size_t>(casing.cell)];
    const DieKey key = die_key(study, bench, cell, casing.pistol);
    const Die& die = bench.dies.at(key);
    FireOptions options;
    options.rounds = cell.rounds;
    options.shots = {casing.shot};
    options.defeats = parse_defeats(cell.defeat);
    options.seed = pistol_seed(cell.seed, casing.pistol);
    options.grid = {cell.scan.size, cell.scan.size, cell.scan.spacing_um};
    options.topography = cell.scan.kind == ScanKind::topography;
    options.photograph = cell.scan.kind == ScanKind::photograph;
    options.breech_face = study.breech_face;
    const ResultRow truth = truth_row(cell, casing, die);
    const std::shared_ptr<const PistolPin> pin = pin_for(pins, key, die, options.seed, bench.constants);
    // A swapped-in pin: unstamped, another pistol's of the study, or a die folder's.
    const ReplacementPin replacement = [&](const std::string& name, const PinFace& like) {
        if (name == "blank") return blank_face(like);
        if (name == "other") return pin_face(bench.dies.at(die_key(study, bench, cell, swap_donor(study, casing.pistol))));
        return bench.swap_pins.at(name);
    };
    std::vector<ResultRow> rows;
    fire(die, *pin, bench.firearms.at(cell.firearm), bench.ammunition.at(cell.ammunition), options,
         [&](Shot&& shot) {
             const bool topography = cell.scan.kind == ScanKind::topography;
             const CasingScan scan = topography ? CasingScan(&shot.topography) : CasingScan(&shot.photograph);
             std::optional<CasingScan> breech_face;
             if (topography && shot.breech_topography) breech_face = CasingScan(&*shot.breech_topography);
             if (!topography && shot.breech_photograph) breech_face = CasingScan(&*shot.breech_photograph);
             rows = read_designs(die, scan, cell.scan.spacing_um, truth, bench.keys, breech_face);
         },
         replacement, {}, bench.constants);
    return rows;
}

} // namespace

bool in_partition(long casing, const Partition& partition) {
    return partition.parts <= 1 || (casing / partition_block) % partition.parts == partition.part;
}

RunResult run_study(const Study& study, const RunOptions& options) {
    if (options.partition.parts < 1 || options.partition.part < 0 || options.partition.part >= options.partition.parts)
        throw InputError(fmt::format("part {} of {} is not a partition of the study", options.partition.part,
                                     options.partition.parts));
    const std::vector<Casing> all = casings(study);
    Journal journal = read_journal(options.journal, study.sha256, all.size());
    std::set<long> completed = journal.completed;
    for (const auto& other : options.other_journals) {
        const Journal elsewhere = read_journal(other, study.sha256, all.size());
        completed.insert(elsewhere.completed.begin(), elsewhere.completed.end());
    }
    // The journal as it should be before appending: its header and every complete casing.
    write_journal(options.journal, study.sha256, all.size(), journal.rows);

    RunResult result;
    std::vector<Casing> pending;
    for (const Casing& casing : all) {
        if (!in_partition(casing.index, options.partition)) continue;
        ++result.casings;
        if (completed.contains(casing.index)) ++result.resumed;
        else pending.push_back(casing);
    }
    result.rows = std::move(journal.rows);

    std::ofstream file(options.journal, std::ios::binary | std::ios::app);
    if (!file) throw FileError(fmt::format("{}: cannot append to the study journal", options.journal.string()));
    std::mutex guard;
    std::size_t done = result.resumed;
    if (options.progress) options.progress(done, result.casings);

    tbb::task_arena arena(options.threads > 0 ? options.threads : tbb::task_arena::automatic);
    arena.execute([&] {
        if (pending.empty()) return;
        const Bench bench = prepare(study, pending);
        PinCache pins;
        tbb::parallel_for(std::size_t{0}, pending.size(), std::size_t{1}, [&](std::size_t index) {
            if (options.stop && options.stop->load()) return;
            std::vector<ResultRow> rows = fire_and_read(study, bench, pins, pending[index]);
            std::string lines;
            for (const auto& row : rows) lines += csv_line(row, true) + '\n';
            const std::lock_guard lock(guard);
            file << lines;
            file.flush();
            for (auto& row : rows) result.rows.push_back(std::move(row));
            ++result.simulated;
            ++done;
            if (options.progress) options.progress(done, result.casings);
        });
    });
    if (!file) throw FileError(fmt::format("{}: writing the study journal failed", options.journal.string()));
    sort_rows(result.rows);
    result.complete = done == result.casings;
    return result;
}

std::vector<ResultRow> merge_journals(const Study& study, const std::vector<std::filesystem::path>& journals) {
    const std::size_t count = casings(study).size();
    std::vector<ResultRow> rows;
    std::set<long> merged;
    for (const auto& path : journals) {
        Journal journal = read_journal(path, study.sha256, count);
        // A casing done twice (a part that died after its last row reached the disk and
        // was done again elsewhere) has the same rows in both: the first copy is kept.
        for (auto& row : journal.rows)
            if (!merged.contains(row.casing)) rows.push_back(std::move(row));
        merged.insert(journal.completed.begin(), journal.completed.end());
    }
    if (merged.size() != count)
        throw InputError(fmt::format("the journals hold {} of the study's {} casings", merged.size(), count));
    sort_rows(rows);
    return rows;
}

} // namespace microstamp
