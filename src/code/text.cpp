#include "code/text.hpp"

#include "code/identity.hpp"
#include "code/stamp_key.hpp"

#include <cmath>
#include <fmt/core.h>
#include <limits>

namespace microstamp {
namespace {

// One row per glyph, in key_alphabet order: seven rows of five dots, '1' engraved.
constexpr std::array<std::string_view, 32> glyphs = {
    "01110100011001110101110011000101110",  // 0
    "00100011000010000100001000010001110",  // 1
    "01110100010000100010001000100011111",  // 2
    "11111000100010000010000011000101110",  // 3
    "00010001100101010010111110001000010",  // 4
    "11111100001111000001000011000101110",  // 5
    "00110010001000011110100011000101110",  // 6
    "11111000010001000100010000100001000",  // 7
    "01110100011000101110100011000101110",  // 8
    "01110100011000101111000010001001100",  // 9
    "01110100011000110001111111000110001",  // A
    "11110100011000111110100011000111110",  // B
    "01110100011000010000100001000101110",  // C
    "11100100101000110001100011001011100",  // D
    "11111100001000011110100001000011111",  // E
    "11111100001000011110100001000010000",  // F
    "01110100011000010111100011000101111",  // G
    "10001100011000111111100011000110001",  // H
    "00111000100001000010000101001001100",  // J
    "10001100101010011000101001001010001",  // K
    "10001110111010110101100011000110001",  // M
    "10001100011100110101100111000110001",  // N
    "11110100011000111110100001000010000",  // P
    "01110100011000110001101011001001101",  // Q
    "11110100011000111110101001001010001",  // R
    "01111100001000001110000010000111110",  // S
    "11111001000010000100001000010000100",  // T
    "10001100011000110001100010101000100",  // V
    "10001100011000110101101011010101010",  // W
    "10001100010101000100010101000110001",  // X
    "10001100011000101010001000010000100",  // Y
    "11111000010001000100010001000011111",  // Z
};

// Every glyph's dots as +1 engraved / -1 flat: a reader recognises characters at every
// pose it tries, so the table is read once.
using GlyphSigns = std::array<std::array<double, glyph_dots>, glyphs.size()>;
const GlyphSigns& glyph_signs() {
    static const GlyphSigns signs = [] {
        GlyphSigns table{};
        for (std::size_t glyph = 0; glyph < glyphs.size(); ++glyph)
            for (std::size_t dot = 0; dot < glyph_dots; ++dot) table[glyph][dot] = glyphs[glyph][dot] == '1' ? 1.0 : -1.0;
        return table;
    }();
    return signs;
}

double soft_distance(const std::array<double, glyph_dots>& expected, const std::array<double, glyph_dots>& seen) {
    double distance = 0;
    for (std::size_t dot = 0; dot < glyph_dots; ++dot) distance += std::fabs(expected[dot] - seen[dot]) / 2;
    return distance;
}

} // namespace

bool glyph_dot(char character, int dot) {
    const int digit = key_digit(character);
    if (digit < 0) throw InputError(fmt::format("character '{}' is not in the stamp alphabet", character));
    return glyphs[static_cast<std::size_t>(digit)][static_cast<std::size_t>(dot)] == '1';
}

int minimum_glyph_distance() {
    int minimum = glyph_dots;
    for (std::size_t a = 0; a < glyphs.size(); ++a)
        for (std::size_t b = a + 1; b < glyphs.size(); ++b) {
            int distance = 0;
            for (std::size_t dot = 0; dot < glyph_dots; ++dot) distance += glyphs[a][dot] != glyphs[b][dot];
            minimum = std::min(minimum, distance);
        }
    return minimum;
}

std::vector<Cell> text_cells(const std::string& key, const FaceGeometry& geometry) {
    if (key.size() != key_length) throw InputError(fmt::format("text key '{}' is not {} characters", key, key_length));
    std::vector<Cell> cells;
    const double dot_width = geometry.character_width_um / glyph_columns;
    const double dot_height = geometry.character_height_um / glyph_rows;
    for (std::size_t index = 0; index < key.size(); ++index) {
        const double centre_x = (static_cast<double>(index) - (key_length - 1) / 2.0) * geometry.character_pitch_um;
        for (int dot = 0; dot < glyph_dots; ++dot) {
            const int row = dot / glyph_columns, column = dot % glyph_columns;
            const Box box{centre_x + (column - (glyph_columns - 1) / 2.0) * dot_width,
                          ((glyph_rows - 1) / 2.0 - row) * dot_height, dot_width, dot_height};
            cells.push_back(Cell{box, Design::text, CellRole::data, static_cast<int>(index), dot,
                                 glyph_dot(key[index], dot)});
        }
    }
    return cells;
}

CharacterReading recognise_character(const std::array<float, glyph_dots>& dots) {
    CharacterReading reading;
    double best = std::numeric_limits<double>::infinity(), second = best;
    std::array<double, glyph_dots> seen{};
    for (std::size_t dot = 0; dot < glyph_dots; ++dot) seen[dot] = std::isfinite(dots[dot]) ? dots[dot] : 0.0;
    for (std::size_t digit = 0; digit < glyphs.size(); ++digit) {
        const double distance = soft_distance(glyph_signs()[digit], seen);
        if (distance < best) {
            second = best;
            best = distance;
            reading.character = key_alphabet[digit];
        } else if (distance < second) {
            second = distance;
        }
    }
    reading.distance = best;
    reading.margin = second - best;
    return reading;
}

std::string ideal_text_reading(const std::vector<Cell>& cells) {
    std::array<std::array<float, glyph_dots>, key_length> dots{};
    for (const Cell& cell : cells)
        if (cell.design == Design::text && cell.symbol >= 0)
            dots[static_cast<std::size_t>(cell.symbol)][static_cast<std::size_t>(cell.bit)] = cell.engraved ? 1.0f : -1.0f;
    std::string text;
    for (const auto& character : dots) text.push_back(recognise_character(character).character);
    return text;
}

} // namespace microstamp
