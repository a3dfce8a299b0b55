#pragma once
// Reading a casing file the way every command does: x3p by its zip signature,
// anything else as an image.

#include "read/read.hpp"
#include "surface/image.hpp"

#include <string>

namespace microstamp::cli {

// With `picture`, also returns what an overlay is drawn on (the photograph, or a
// rendering of the topography).
Reading read_scan_file(const std::string& name, const ReadOptions& options, Image* picture = nullptr);

} // namespace microstamp::cli
