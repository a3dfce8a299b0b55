#pragma once
// `text`: the row of 8 characters in the 5x7 microfont, read by template matching
// against the known glyphs, each character with its own confidence (its margin over
// the next-best glyph). No error correction: a character read wrongly gives a key
// the manufacturer's directory does not hold.
//
// Locate: the row is the one elongated cluster of relief in the centre disc; its
// axis (mod 180 degrees) and length give the angle and scale, the glyphs then fix
// the pose (both directions tried: upside-down glyphs match worse).

#include "read/impression_locator.hpp"

namespace microstamp {

DesignReading read_text(const DesignRelief& relief, const Impression& impression, const DesignSearch& search);

} // namespace microstamp
