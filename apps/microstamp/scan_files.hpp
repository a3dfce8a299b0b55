#pragma once
// Reading a casing file the way every command does: x3p by its zip signature,
// anything else as an image.

#include "read/read.hpp"
#include "surface/image.hpp"

#include <string>
#include <vector>

namespace microstamp::cli {

// With `picture`, also returns what an overlay is drawn on (the photograph, or a
// rendering of the topography).
Reading read_scan_file(const std::string& name, const ReadOptions& options, Image* picture = nullptr);

// Each casing's firing-pin scan with, where `breech_faces` is not empty, the case-head
// scan of the same casing (the n-th with the n-th), read together (read/locations.hpp).
// Throws InputError when the counts differ.
struct CasingFiles {
    std::string firing_pin;
    std::string breech_face;  // empty: the firing pin alone
};
std::vector<CasingFiles> casing_files(const std::vector<std::string>& firing_pins, const std::vector<std::string>& breech_faces);
Reading read_casing(const CasingFiles& files, const ReadOptions& options, Image* picture = nullptr);

} // namespace microstamp::cli
