#pragma once
// The sample pistols and dies that tests and benchmarks fire, made once per process.

#include "die/die.hpp"
#include "code/stamp_key.hpp"

#include <map>

namespace microstamp::samples {

// A SIG Sauer P320, serial 58A-104233.
inline const Identity& p320() {
    static const Identity identity = default_catalog().identity("SIG Sauer", "P320", "58A-104233");
    return identity;
}

// The P320's die with one design alone (no ring finder circles for the other readers to lean on).
inline const Die& p320_die_with(Design design) {
    static std::map<Design, Die> dies;
    auto found = dies.find(design);
    if (found == dies.end()) {
        DieDesign die_design;
        die_design.designs = {design};
        found = dies.emplace(design, encode(p320(), die_design)).first;
    }
    return found->second;
}

// The manufacturer's key directory holding the P320 and its neighbour 58A-104234.
inline const KeyDirectory& p320_directory() {
    static const KeyDirectory directory = [] {
        KeyDirectory result;
        result.add(p320());
        result.add(default_catalog().identity("SIG Sauer", "P320", "58A-104234"));
        return result;
    }();
    return directory;
}

// A Glock 19, serial BXRT-481, with the ring alone.
inline const Die& glock_ring_die() {
    static const Die die = [] {
        DieDesign design;
        design.designs = {Design::ring};
        return encode(default_catalog().identity("Glock", "19", "BXRT-481"), design);
    }();
    return die;
}

} // namespace microstamp::samples
