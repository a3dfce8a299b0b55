#pragma once
// The working face of a firing pin after N rounds and any defeat: what the next
// strike presses into the primer.
//
// Wear is computed directly from N (closed form), never shot by shot, so the pin
// at 10,000 rounds costs what the pin at 1 round costs:
// - edge rounding: the relief is smoothed with a Gaussian whose width grows as
//   sqrt(N) (diffusion-like rounding of edges; narrow lands and fine strokes lose
//   height first, as Archard wear concentrates on protruding edges);
// - face wear: lands are lowered linearly in N (Archard: volume ~ load x sliding / hardness),
//   which makes every recess shallower by the same amount;
// - fouling: recesses fill with residue, saturating exponentially in N;
// - chipping: sites along feature edges each break away at a seeded random round
//   (exponential, with a mean that grows with the width of the land behind it), so
//   the set of chips at N is a superset of the set at any earlier round.
// Defeats act on the worn face: abrasion removes height at a rate per second and
// leaves parallel scratches, peening flattens the relief blow by blow and dents it,
// a swapped pin is another die altogether (or an unstamped one).

#include "die/die.hpp"
#include "physics/profiles.hpp"

#include <cstdint>
#include <opencv2/core.hpp>
#include <string>

namespace microstamp {

struct WearState {
    long rounds = 0;
    double edge_rounding_um = 0;
    double face_wear_um = 0;
    double fouling_um = 0;
    int chips = 0;
};

enum class DefeatKind { stone, file, emery, hammer, swap };

struct Defeat {
    DefeatKind kind = DefeatKind::stone;
    double seconds = 0;        // stone, file, emery, hammer
    std::string replacement;   // swap: a die folder, or "blank" for an unstamped pin
};

// "stone:30", "file:10", "emery:60", "hammer:15", "swap:blank", "swap:DIR". Throws InputError.
Defeat parse_defeat(const std::string& text);
std::string describe(const Defeat& defeat);

struct PinFace {
    // Recess depth in um (>= 0; 0 = the face), in the impression frame of the
    // layout (not mirrored), centred on the pin axis; CV_32F.
    cv::Mat relief;
    double spacing_um = 1.0;
    double engraving_depth_um = 15;
    double pin_diameter_um = 1600;
    WearState wear;
    std::vector<std::string> defeats;  // applied, in order, described
    // The relief is zero outside this rectangle (empty: not known, look at the whole face),
    // so that finding the engraving each shot reads only the part it can be in.
    cv::Rect engraved_within;
};

// What nonzero_area(face.relief, margin) gives, reading only `engraved_within`.
cv::Rect engraved_area(const PinFace& face, int margin);

// Where and when the face chips: sites along feature edges inside the pin, each with
// the round at which it breaks away. A property of the die and the seed, not of the
// rounds fired, and dearer to find than the wear itself, so a caller firing many shots
// of one pin finds it once.
struct ChipSites {
    std::vector<cv::Point> points;    // pin-face pixels
    std::vector<double> onset_rounds; // one per point
};

// The undamaged face of a die.
PinFace pin_face(const Die& die);
ChipSites chip_sites(const PinFace& fresh, const PhysicsConstants& constants, std::uint64_t seed);
// The face after `rounds` rounds (closed form in rounds); `chips` from chip_sites(fresh, ...).
PinFace wear(const PinFace& fresh, const ChipSites& chips, long rounds, const PhysicsConstants& constants);
PinFace wear(const PinFace& fresh, long rounds, const PhysicsConstants& constants, std::uint64_t seed);
// The face after a defeat. `swap` needs the replacement's face (ignored otherwise).
PinFace defeat(const PinFace& face, const Defeat& defeat, const PhysicsConstants& constants, std::uint64_t seed,
               const PinFace* replacement = nullptr);
// A face with no code at all (an unstamped or replacement pin) of the same size.
PinFace blank_face(const PinFace& like);

} // namespace microstamp
