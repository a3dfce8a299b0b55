#pragma once
// How deeply JSON text nests, counted without parsing it. Every JSON a user or a client
// hands over (studies, die manifests, firearm profiles, readings, proofs, request bodies)
// is measured before the parser sees it: the parser keeps its own stack, but walking a
// parsed document (merging, validating, printing) recurses once per level, and a few
// hundred kilobytes of brackets would overflow the call stack.

#include <string_view>

namespace microstamp {

// The deepest nesting of arrays and objects (brackets inside strings not counted;
// comments, where a file may hold them, counted as text: an overestimate, never less).
int json_nesting_depth(std::string_view text);

// Deeper than any file the project reads or writes (a study nests five levels).
inline constexpr int max_json_file_depth = 64;

} // namespace microstamp
