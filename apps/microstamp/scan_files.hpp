#pragma once
// Reading a casing file the way every command does: x3p by its zip signature,
// anything else as an image.

#include "read/read.hpp"

#include <string>

namespace microstamp::cli {

Reading read_scan_file(const std::string& name, const ReadOptions& options);

} // namespace microstamp::cli
