#pragma once
// What a design puts on the pin face: cells and glyph strokes as shapes in
// micrometres, each engraved or left flat, each saying which bit it carries.
//
// Frame: the impression as it appears on the casing (readable text), origin at
// the firing-pin axis, x to the right, y up, angles counter-clockwise from +x in
// radians. The die is the mirror image of this (src/die mirrors when it renders).

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace microstamp {

enum class Design { ring, text, gear, datamatrix };

std::string_view design_name(Design design);
// "ring+text" -> {ring, text}; throws InputError on an unknown or repeated name, or on
// designs that cannot share one face (text and datamatrix both use the centre).
std::vector<Design> parse_designs(std::string_view specification);
std::string designs_name(const std::vector<Design>& designs);  // {ring, text} -> "ring+text"

struct AnnularSector {
    double inner_radius_um = 0;
    double outer_radius_um = 0;
    double start_angle = 0;  // radians, counter-clockwise; end > start
    double end_angle = 0;
};

struct Box {  // axis-aligned
    double centre_x_um = 0;
    double centre_y_um = 0;
    double width_um = 0;
    double height_um = 0;
};

using Shape = std::variant<AnnularSector, Box>;

enum class CellRole {
    data,    // carries bit `bit` of symbol `symbol`
    sync,    // rotation sync of ring symbol `symbol`
    finder,  // continuous feature for locating centre and scale; always engraved
    marker,  // gear start marker slot `bit`
};

struct Cell {
    Shape shape;
    Design design = Design::ring;
    CellRole role = CellRole::data;
    int symbol = -1;  // ring: codeword symbol; text: character; gear: 0; datamatrix: columns of the grid
    int bit = -1;     // position within the symbol (ring: cell 0..8; text: dot 0..34; gear: slot; datamatrix: module)
    bool engraved = false;
};

// Where each design sits on a pin face, scaled from the reference 1.6 mm pin.
// Defaults follow ../shared/REFERENCE.md (character height 100-150 um, features
// >= 5 um, depth 10-25 um assumed); every value is configurable.
struct FaceGeometry {
    double pin_diameter_um = 1600;
    double engraving_depth_um = 15;       // assumed: REFERENCE.md gives 10-25 um
    // text: 8 characters in a 5x7 dot microfont, centred
    double character_height_um = 100;     // REFERENCE.md: ~100-150 um
    double character_width_um = 60;
    double character_pitch_um = 75;
    // ring: two tracks of cells between two finder circles
    double ring_inner_finder_um[2] = {312, 322};
    double ring_inner_track_um[2] = {332, 412};
    double ring_outer_track_um[2] = {428, 508};
    double ring_outer_finder_um[2] = {518, 528};
    double cell_fill = 0.8;               // engraved share of a cell's pitch, leaving ridges between cells
    // gear: radial bars around the circumference
    double gear_um[2] = {545, 625};
    double gear_bar_fill = 0.5;
    // datamatrix: a square inscribed in the centre disc
    double centre_radius_um = 300;
};

// The reference geometry scaled to a pin of the given diameter.
FaceGeometry face_geometry(double pin_diameter_um, double engraving_depth_um = 15);

struct Layout {
    FaceGeometry geometry;
    std::vector<Design> designs;
    std::vector<Cell> cells;
};

} // namespace microstamp
