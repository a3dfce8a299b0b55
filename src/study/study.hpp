#pragma once
// A study: a designed experiment over the whole pipeline, declared in a JSON file
// (docs/study.md gives the schema). Factors and their levels cross into cells; each
// cell fires `pistols` pistols (one seed each) and reads the chosen shots of each.
//
//   const Study study = load_study("data/studies/krivosta-2006.json");
//   for (const Casing& casing : casings(study)) ...   // every casing, in a fixed order

#include "code/layout.hpp"
#include "physics/pin_face.hpp"
#include "physics/profiles.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace microstamp {

enum class ScanKind { topography, photograph };
std::string_view scan_kind_name(ScanKind kind);

struct ScanSetting {
    ScanKind kind = ScanKind::topography;
    double spacing_um = 2.0;   // the default of `microstamp fire`
    int size = 1000;           // samples per side
};

// Which rounds of the `rounds` fired are kept and read: the first F and the last L
// (California's approval test: 2 and 2), or S spread evenly over 1..rounds.
struct ShotPlan {
    int first = 0;
    int last = 0;
    int spread = 0;
};
// "last:10", "first:2+last:2", "spread:25". Throws InputError.
ShotPlan parse_shot_plan(const std::string& text);
// The round numbers (1-based, ascending, no repeats) a plan keeps out of `rounds`.
std::vector<long> planned_shots(const ShotPlan& plan, long rounds);

// How a casing counts. `identity`: the reading must name the right pistol.
// `pistol_pass` (California 11 CCR 4075): every kept casing of a pistol must, and the
// headline figure is the share of pistols that pass.
enum class Protocol { identity, pistol_pass };

// A figure from the literature (../shared/REFERENCE.md) the study reproduces.
struct PublishedFigure {
    std::string source;   // "Krivosta 2006, AFTE J. 38(1)"
    std::string text;     // "54 of 100 cases satisfactory"
    double rate = 0;      // 0..1, the same measure as the study's headline figure
    std::string design;   // the design that stamp corresponds to, e.g. "text+gear"
};

struct Study {
    std::string name;
    std::string description;
    std::string sha256;            // of the file's bytes: a resumed run must match it
    nlohmann::json document;       // the file as parsed, for the report
    Protocol protocol = Protocol::identity;
    std::vector<PublishedFigure> published;

    // Identity stamped: every '#' in the serial is replaced by the pistol number's
    // digits (zero-padded), so each pistol carries its own serial; without '#' one
    // pin is moved through every pistol (Krivosta 2006).
    std::string make = "SIG Sauer";
    std::string model = "P229";
    std::string serial = "58A-1042##";
    double engraving_depth_um = 15;      // of the dies (REFERENCE.md: 10-25 um, assumed)

    // Factors: every combination of levels is a cell.
    std::vector<std::uint64_t> seeds = {1};
    std::vector<std::string> firearms;
    std::vector<std::string> ammunition;
    std::vector<std::string> designs;    // die designs, e.g. "ring", "text+gear"
    std::vector<long> rounds;            // rounds fired by each pistol
    std::vector<std::string> defeats;    // "none", or steps joined by '+': "hammer:15+hammer:15"
    std::vector<ScanSetting> scans;
    int pistols = 1;                     // per cell
    ShotPlan shots{.last = 1};
    int fusion_group = 3;                // casings of one pistol fused together in the fusion plot
    // Also print the die on each pistol's breech face, scan the case head the same way
    // and read both locations of every casing together (read/locations.hpp): what
    // catches a swapped pin (`swap:other`, `swap:DIE_FOLDER`).
    bool breech_face = false;

    // Overrides of data/physics.json (merged), and of firearm and ammunition profiles
    // by name: the calibrated values live here, with the study that fits them.
    nlohmann::json physics_overrides = nlohmann::json::object();
    std::map<std::string, nlohmann::json> firearm_overrides;
    std::map<std::string, nlohmann::json> ammunition_overrides;
};

Study parse_study(const nlohmann::json& document, const std::string& source, const std::string& sha256 = {});
// A study file by path, or by name from data/studies. Throws InputError / FileError
// naming the file and the field.
Study load_study(const std::string& name_or_path);
std::vector<std::string> known_studies();
// The study over seeds FIRST..LAST (or the one seed "N") instead of its file's: each seed
// is a new set of pistols, so a long run is split into parts that stand on their own.
// Its fingerprint (the journal's) is the file's and the range's, so a part resumes only
// its own journal. Throws InputError for a range that is not one.
Study with_seeds(Study study, const std::string& range);

// The physics constants, firearms and ammunition with the study's overrides applied.
PhysicsConstants study_constants(const Study& study);
Firearm study_firearm(const Study& study, const std::string& name);
Ammunition study_ammunition(const Study& study, const std::string& name);
std::vector<Defeat> parse_defeats(const std::string& text);

// One cell of the design.
struct StudyCell {
    int index = 0;
    std::uint64_t seed = 1;
    std::string firearm;
    std::string ammunition;
    std::string design;
    long rounds = 1;
    std::string defeat;
    ScanSetting scan;
};

// One casing to fire, scan and read.
struct Casing {
    long index = 0;       // position in the study's enumeration; rows are sorted by it
    int cell = 0;
    int pistol = 0;       // 1-based
    long shot = 0;        // round number, 1-based
};

std::vector<StudyCell> cells(const Study& study);
std::vector<Casing> casings(const Study& study);
std::string pistol_serial(const Study& study, int pistol);
// The pistol whose stamped pin `swap:other` puts in pistol `pistol`: the next pistol of
// the cell (the last takes the first's), pistol 2 when a cell has one.
int swap_donor(const Study& study, int pistol);
// Seed of pistol `pistol` in replicate `seed`: shared by every cell, so that designs,
// ammunition and defeats are compared on the same strikes.
std::uint64_t pistol_seed(std::uint64_t seed, int pistol);

} // namespace microstamp
