#pragma once
// Layout -> the engraved die: identity in, heightmap and artwork out.

#include "code/catalog.hpp"
#include "code/layout.hpp"
#include "code/ring.hpp"
#include "surface/surface.hpp"

#include <optional>
#include <string>
#include <vector>

namespace microstamp {

struct DieDesign {
    std::vector<Design> designs = {Design::ring, Design::text};
    // Pin tip diameter; unset = the model's value from the catalog.
    std::optional<double> pin_diameter_um;
    double engraving_depth_um = 15;  // assumed, REFERENCE.md: 10-25 um
    // Lateral spacing of the rendered heightmap. 1 um resolves the 12 um strokes of
    // the text microfont with >= 10 samples; finer costs memory quadratically.
    double spacing_um = 1.0;
};

// Everything one die carries; the layout is the impression-side truth every
// later stage (and every test) compares against.
struct Die {
    Identity identity;
    DieDesign design;
    Layout layout;
    std::string text_key;             // the 8 characters of `text` and `gear`
    RingCodeword ring_codeword{};     // RS codeword before whitening
    std::string datamatrix_content;
    int datamatrix_columns = 0;       // module grid, when the die carries a Data Matrix
    int datamatrix_rows = 0;
    Surface heightmap;                // die face: 0 at the face, -depth in engravings, mirrored
};

Layout layout(const Identity& identity, const std::vector<Design>& designs, const FaceGeometry& geometry);
// Everything but the heightmap (cheap): what load_die pairs with a stored heightmap.
Die plan_die(const Identity& identity, const DieDesign& design, const Catalog& catalog = default_catalog());
// plan_die plus the rendered heightmap.
Die encode(const Identity& identity, const DieDesign& design, const Catalog& catalog = default_catalog());

// Die-face heights from a layout: engraved cells recessed by the engraving depth,
// anti-aliased by area coverage; the die is the mirror image of the impression;
// points outside the pin tip are invalid.
Surface render_die(const Layout& layout, double spacing_um);

// Die-face coordinates of a heightmap point (um, origin at the pin axis, y up).
double die_x_um(const Surface& die, double column);
double die_y_um(const Surface& die, double row);

} // namespace microstamp
