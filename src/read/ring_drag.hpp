#pragma once
// The ring of a dragged pin read through its smear. As a tilting barrel unlocks, the pin
// slides on along one direction and smears the code it has just printed over the drag's
// length (physics/strike.cpp), most on the side it slides towards: there each cell shows
// a mixture of itself and the cells behind it along the drag, and the plain reading
// spends most of the code's correction on that arc (two thirds of it on dragged first
// shots), which leaves too little for anything else hidden (a wedge of dirt).
// Here the smear is modelled cell by cell: a drag (direction and length, fitted on the
// map) says how much of each cell's value comes from which neighbours, and the cells
// are decided from the least smeared end of the drag onwards, each once the cells it
// was smeared from are known (decision feedback), their share of its value taken away.

#include "read/ring_reader.hpp"

namespace microstamp {

struct RingDrag {
    double direction = 0;  // radians in the placement's layout frame (x right, y up): where the pin slid to
    double length_um = 0;  // 0: no drag
};

struct DraggedRing {
    RingDrag drag;
    RingSample sample;       // the cells' soft values with the smear taken out
    double misfit = 0;       // the model's residual, as a share of the undragged model's (< 1: the drag explains more)
};

// The drag whose smear explains the cells' values at `placement` best, and the cells read
// through it; `plain` is sample_ring's reading at the same placement (its erased sectors
// stay erased). No drag (length 0) when none explains the values clearly better.
DraggedRing read_through_drag(const FeatureMap& map, const RingPlacement& placement, const RingSample& plain);

} // namespace microstamp
