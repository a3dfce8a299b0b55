#pragma once
// The two locations of one casing: the firing pin's impression on the primer and the
// breech face's stamp on the case head, read apart and compared. A pin can be swapped
// in half a minute; the breech face cannot, so two decoded identities that differ are
// the signature of a swapped pin and are never reported as one identity.
//
//   Reading both = compare_locations(read(pin_scan, options), read(breech_scan, options));
//
// Both decode and agree: `decoded`, and a false identity would need both to misread to
// the same pistol, so the bound is the product of theirs. Both decode and differ:
// `locations_disagree`, no identity, each location's named in `locations`. One decodes:
// its identity and its bound. Neither: the firing pin's reading.

#include "read/read.hpp"

namespace microstamp {

Reading compare_locations(const Reading& firing_pin, const Reading& breech_face);

} // namespace microstamp
