#pragma once
// The reader's model of a dragged pin's smear (physics/strike.cpp drags the pin on after
// it printed): the share of a point's relief that is smear rather than its own.

#include <algorithm>

namespace microstamp {

// At a point `along_um` from the pin's axis in the drag's direction, for a contact of
// radius `reach_um`: none a fifth of the radius behind the axis, all of it three fifths
// ahead, linear between.
inline double drag_smear_share(double along_um, double reach_um) {
    return std::clamp((along_um / reach_um + 0.2) / 0.8, 0.0, 1.0);
}

} // namespace microstamp
