#pragma once
// `datamatrix`: an ECC 200 Data Matrix made by zxing-cpp, the industrial
// direct-part-marking baseline. It carries "MS1:<manufacturer code>:<model code>:<serial>"
// and relies on Data Matrix's own Reed-Solomon (no erasures, no integrity tag of ours).

#include "code/catalog.hpp"
#include "code/layout.hpp"
#include "code/payload.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace microstamp {

std::string datamatrix_content(const Identity& identity);
// Parses content back into codes and serial; nothing if it is not ours.
std::optional<PayloadFields> parse_datamatrix_content(const std::string& content);

// Module grid (row-major, true = dark = engraved) including the finder pattern.
struct ModuleGrid {
    int columns = 0;  // zxing picks square or rectangular (8x18 ... ) symbols, whichever is smallest
    int rows = 0;
    std::vector<std::uint8_t> modules;
};
ModuleGrid datamatrix_modules(const std::string& content);
std::vector<Cell> datamatrix_cells(const ModuleGrid& grid, const FaceGeometry& geometry);

// Decodes an 8-bit grey image with zxing-cpp (dark modules on light ground, or the
// reverse when `inverted`); nothing when zxing finds no Data Matrix.
std::optional<std::string> decode_datamatrix_image(const std::uint8_t* pixels, int width, int height,
                                                   bool try_inverted = true);
// Decodes a module grid (as a reader sampled it) by rendering it as a clean symbol for
// zxing-cpp, whose Reed-Solomon then corrects what was misread.
std::optional<std::string> decode_datamatrix_modules(const ModuleGrid& grid);
// The content an undamaged layout holds, read by rendering its modules and decoding
// them with zxing-cpp, as a perfect camera would.
std::optional<std::string> ideal_datamatrix_reading(const std::vector<Cell>& cells);

} // namespace microstamp
