#pragma once
// Fusion of several ring impressions from one scene: casings consistent with one
// firearm are grouped (never two guns in a group), their soft cell values are
// aligned and added, and each group is decoded once.
//
// 1. All casings not yet placed are turned relative to the first and added (every
//    relative rotation for two or three casings, the best few by sync cells for four,
//    each by its sync cells beyond), until a sum decodes: then the identity's complete
//    cell pattern is known. Every sum tried is counted in the decode attempts.
// 2. Every casing is then compared with that pattern at all 24 rotations: it joins the
//    group only on positive evidence, enough cells seen (40+) and nearly all agreeing
//    (90%+; a casing of another pin agrees on about half, and reaches 90% of 40 cells by
//    chance with probability ~1e-7 per rotation). A casing whose grid was aligned one
//    cell column off (a third of a sector; it happens when few sectors show) is tried
//    shifted back by a column each way, so a stranger gets 72 chances instead of 24
//    (~7e-6). The members are added again at their verified rotations and decoded once more.
// 3. What is left starts again; casings that never decode stay unfused, each alone.

#include "code/ring.hpp"

#include <vector>

namespace microstamp {

struct FusionOptions {
    int min_shared_cells = 40;      // cells a casing must show before it can join a group
    double min_agreement = 0.9;     // share of them that must match the group's identity
    bool try_column_shifts = true;  // also compare each casing one cell column turned either way
    RingReadOptions read;
};

struct FusedGroup {
    std::vector<int> members;              // indices into the input
    std::vector<int> rotations;            // each member's rotation onto the engraved frame, in sectors
    std::vector<int> column_shifts;        // and its cells' shift first, in cell columns (-1, 0, 1): its grid was read a column off
    RingObservation fused;                 // in the engraved frame
    RingDecoding decoding;
};

struct Fusion {
    std::vector<FusedGroup> groups;
};

Fusion fuse_rings(const std::vector<RingObservation>& observations, const FusionOptions& options = {});

// `observation` with every cell moved `shift` cell columns round its track (three
// columns make a sector). A casing that shows few sectors can have its grid aligned a
// column off (4.7-4.8 degrees, 4 of 400 bench scenes): its cells are then sure and each
// one column out, so it agrees with its own pin's pattern no better than a stranger's.
RingObservation shifted_by_columns(const RingObservation& observation, int shift);

} // namespace microstamp
