#pragma once
// `gear`: the ring of 56 radial bar slots around the pin face. Locate: the centre
// and radius at which the relief around a circle repeats 56 times per turn most
// strongly (rotation-free); the phase of that repetition puts the slots, the
// seven-bar marker (code/gear.hpp) the rotation. Plain binary, no error
// correction: a slot read wrongly gives a wrong key that the directory will not hold.

#include "read/impression_locator.hpp"

#include <string_view>

namespace microstamp {

// The failure of a photograph turned away before the locate and the walls' fit: its relief
// does not repeat once per slot around the impression as a ring of bars would.
inline constexpr std::string_view no_bars_repeat = "no ring of bars: nothing repeats once per slot around the impression";

DesignReading read_gear(const DesignRelief& relief, const Impression& impression, const DesignSearch& search);

} // namespace microstamp
