#pragma once
// `text`: 8 characters on the pin face, read by an examiner's eye, like the
// published NanoTag/TACLABS stamps. Microfont: a 5 x 7 dot matrix whose engraved
// dots merge into strokes; at the reference 1.6 mm pin a character is 100 um high
// (REFERENCE.md: 100-150 um) and 60 um wide, so strokes are 12 um wide horizontally
// and 14.3 um vertically, above the 5 um engraving limit. Glyphs are chosen so that
// any two differ in at least `minimum_glyph_distance()` dots.

#include "code/layout.hpp"

#include <array>
#include <optional>
#include <string>

namespace microstamp {

inline constexpr int glyph_columns = 5;
inline constexpr int glyph_rows = 7;
inline constexpr int glyph_dots = glyph_columns * glyph_rows;

// Dot `dot` (row-major from the top-left) of the glyph for `character`.
bool glyph_dot(char character, int dot);
int minimum_glyph_distance();

std::vector<Cell> text_cells(const std::string& key, const FaceGeometry& geometry);

// A character recognised from soft dot values (+1 engraved .. -1 flat, 0 unknown):
// the nearest glyph and how sure.
struct CharacterReading {
    char character = '?';
    double distance = 0;         // soft distance to the best glyph
    double margin = 0;           // second best minus best
};
CharacterReading recognise_character(const std::array<float, glyph_dots>& dots);

// The 8 characters an undamaged layout shows.
std::string ideal_text_reading(const std::vector<Cell>& cells);

} // namespace microstamp
