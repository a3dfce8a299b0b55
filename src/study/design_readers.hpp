#pragma once
// What a study asks of the reader: for a casing scan and the die that struck it (the
// ground truth), one result per design the die carries, judged against that truth.
// One call of the reader (src/read, as `microstamp read` makes it) reads every design
// the die carries, and looks for a ring only on a die that has one.

#include "code/stamp_key.hpp"
#include "die/die.hpp"
#include "read/read.hpp"
#include "study/results.hpp"
#include "surface/image.hpp"
#include "surface/surface.hpp"

#include <optional>
#include <variant>
#include <vector>

namespace microstamp {

using CasingScan = std::variant<const Surface*, const Image*>;

// Fills the reading columns (status, outcome, read, quality) of a row per design.
// `um_per_px`: the photograph's scale (ignored for topography). With `breech_face`, the
// case head's scan is read too and the ring row judges both locations together
// (read/locations.hpp): a swapped pin is `locations_disagree`. `directory`: the keys of
// the pistols a lab could name (every pistol of the study).
std::vector<ResultRow> read_designs(const Die& die, const CasingScan& scan, double um_per_px, const ResultRow& truth,
                                    const KeyDirectory& directory, const std::optional<CasingScan>& breech_face = std::nullopt);

// The ring reading of one scan judged against the identity expected.
void judge_ring_reading(const Reading& reading, const Identity& expected, ResultRow& row);
// A text, gear or Data Matrix reading judged against the die: the identity (Data Matrix)
// or the whole key (text, gear), a key that is not the die's looked up in `directory`
// (the study's pistols): `wrong` when another pistol holds it, else `misread_key`.
void judge_design_reading(const DesignReading& reading, const Die& die, const KeyDirectory& directory, ResultRow& row);

} // namespace microstamp
