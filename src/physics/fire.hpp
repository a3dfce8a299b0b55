#pragma once
// A pistol firing: die + firearm + ammunition + rounds -> the saved shots, each a
// true casing surface, its topography scan, its microscope photograph and the
// ground truth of everything that went into it.
//
//   fire(die, load_firearm("duty-40-tilting"), load_ammunition("standard-small-pistol"),
//        FireOptions{.rounds = 5000, .shots = {1, 2, 4999, 5000}, .seed = 7}, save);

#include "physics/pin_face.hpp"
#include "physics/scan.hpp"
#include "physics/strike.hpp"

#include <functional>
#include <optional>

namespace microstamp {

struct FireOptions {
    long rounds = 1;              // rounds the pistol fires in all
    std::vector<long> shots;      // which of them to save (1-based); empty = the last
    std::vector<Defeat> defeats;  // applied to the pin, in order, before the saved shots
    std::uint64_t seed = 1;
    CasingGrid grid;
    Scanner scanner;
    Microscope microscope;
    // Also print the die on the breech face and scan the case head. The breech face
    // wears with the rounds like the pin; the defeats (a swap among them) act on the pin only.
    bool breech_face = false;
    // Which scans to make of each shot; a scan not asked for is left empty in the Shot.
    // A study reads one kind, and each costs 2-4 ms a shot at the default grid (a tenth
    // of the shot).
    bool topography = true;
    bool photograph = true;
};

struct Shot {
    long number = 0;              // 1-based round number
    Surface casing;               // the struck primer as it truly is
    Surface topography;           // as a 3-D instrument measures it
    Image photograph;             // as a microscope camera sees it
    std::optional<Surface> breech_topography;
    std::optional<Image> breech_photograph;
    nlohmann::json truth;
};

// Resolves the replacement of a `swap` defeat: "blank" or a die folder.
using ReplacementPin = std::function<PinFace(const std::string& replacement, const PinFace& like)>;
PinFace blank_replacement(const std::string& replacement, const PinFace& like);

// "1,2,10-12,5000" -> {1, 2, 10, 11, 12, 5000}; checked against `rounds`.
std::vector<long> parse_shots(const std::string& text, long rounds);

// What every shot of one pistol shares: the engraved face, and where and when it chips
// (which depends on the pistol's seed). `fire` makes it for each call; a caller that
// fires one shot per call (a study) makes it once per pistol and passes it in.
struct PistolPin {
    PinFace fresh;
    ChipSites chips;
    std::uint64_t seed = 0;  // the FireOptions::seed it was made for
};
PistolPin pistol_pin(const Die& die, std::uint64_t seed, const PhysicsConstants& constants = default_physics_constants());

// Simulates and hands each saved shot to `save`, in round order; `progress` (if
// set) hears (shots done, shots in all).
void fire(const Die& die, const Firearm& firearm, const Ammunition& ammunition, const FireOptions& options,
          const std::function<void(Shot&&)>& save, const ReplacementPin& replacement = blank_replacement,
          const std::function<void(std::size_t, std::size_t)>& progress = {},
          const PhysicsConstants& constants = default_physics_constants());
// The same with the pistol's pin made beforehand by pistol_pin(die, options.seed, constants).
void fire(const Die& die, const PistolPin& pin, const Firearm& firearm, const Ammunition& ammunition,
          const FireOptions& options, const std::function<void(Shot&&)>& save,
          const ReplacementPin& replacement = blank_replacement,
          const std::function<void(std::size_t, std::size_t)>& progress = {},
          const PhysicsConstants& constants = default_physics_constants());

} // namespace microstamp
