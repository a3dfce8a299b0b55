#pragma once
// Where the firing pin struck, for designs that carry no finder circles of their
// own: the crater's centre and contact radius. A topography shows the crater as its
// smooth background (a spherical cap or a flat-bottomed dent); a photograph shows
// it as the disc where the shading has texture and an edge at its rim. The centre
// is a starting point: the pin axis, which the code is centred on, sits within a
// few tens of micrometres of it (tip tilt), and each design reader refines it.

#include "read/design_reading.hpp"

namespace microstamp {

struct Impression {
    double centre_column = 0;  // pixels, image frame (x right, y down)
    double centre_row = 0;
    double radius_px = 0;      // the crater's contact edge; 0 when it could not be measured
    bool found = false;
};

Impression locate_impression(const DesignRelief& relief, const DesignSearch& search);

} // namespace microstamp
