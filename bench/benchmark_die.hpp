#pragma once
// The die every simulator and reader benchmark fires: a SIG Sauer P320 with ring + text.

#include "die/die.hpp"

namespace microstamp {

inline const Die& benchmark_die() {
    static const Die die = [] {
        DieDesign design;
        design.designs = {Design::ring, Design::text};
        return encode(default_catalog().identity("SIG Sauer", "P320", "58A-104233"), design);
    }();
    return die;
}

} // namespace microstamp
