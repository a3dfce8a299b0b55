#include "code/datamatrix.hpp"

// Results as UTF-8 std::string, the behaviour zxing-cpp 2.x makes the default.
#define ZX_USE_UTF8 1
#include <ZXing/BarcodeFormat.h>
#include <ZXing/BitMatrix.h>
#include <ZXing/DecodeHints.h>
#include <ZXing/MultiFormatWriter.h>
#include <ZXing/ReadBarcode.h>

#include <charconv>
#include <cmath>
#include <fmt/core.h>

namespace microstamp {
namespace {

constexpr std::string_view content_prefix = "MS1:";

std::optional<std::uint16_t> parse_code(std::string_view text) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value < 1 || value > max_catalog_code)
        return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

} // namespace

std::string datamatrix_content(const Identity& identity) {
    return fmt::format("{}{}:{}:{}", content_prefix, identity.manufacturer_code, identity.model_code,
                       normalise_serial(identity.serial));
}

std::optional<PayloadFields> parse_datamatrix_content(const std::string& content) {
    const std::string_view text(content);
    if (!text.starts_with(content_prefix)) return std::nullopt;
    const auto rest = text.substr(content_prefix.size());
    const auto first = rest.find(':');
    const auto second = first == std::string_view::npos ? first : rest.find(':', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    const auto manufacturer = parse_code(rest.substr(0, first));
    const auto model = parse_code(rest.substr(first + 1, second - first - 1));
    if (!manufacturer || !model) return std::nullopt;
    try {
        return PayloadFields{payload_version, *manufacturer, *model, normalise_serial(rest.substr(second + 1))};
    } catch (const InputError&) {
        return std::nullopt;
    }
}

ModuleGrid datamatrix_modules(const std::string& content) {
    const ZXing::BitMatrix matrix =
        ZXing::MultiFormatWriter(ZXing::BarcodeFormat::DataMatrix).setMargin(0).encode(content, 0, 0);
    ModuleGrid grid{matrix.width(), matrix.height(), {}};
    grid.modules.resize(static_cast<std::size_t>(grid.columns * grid.rows));
    for (int y = 0; y < grid.rows; ++y)
        for (int x = 0; x < grid.columns; ++x)
            grid.modules[static_cast<std::size_t>(y * grid.columns + x)] = matrix.get(x, y) ? 1 : 0;
    return grid;
}

std::vector<Cell> datamatrix_cells(const ModuleGrid& grid, const FaceGeometry& geometry) {
    // The largest rectangle of the symbol's proportions inside the centre disc.
    const double module = 2 * geometry.centre_radius_um / std::hypot(grid.columns, grid.rows);
    const double width = module * grid.columns, height = module * grid.rows;
    std::vector<Cell> cells;
    for (int row = 0; row < grid.rows; ++row)
        for (int column = 0; column < grid.columns; ++column) {
            const int index = row * grid.columns + column;
            const Box box{(column + 0.5) * module - width / 2, height / 2 - (row + 0.5) * module, module, module};
            // `symbol` holds the column count so a reader can rebuild the grid from cells alone.
            cells.push_back(Cell{box, Design::datamatrix, CellRole::data, grid.columns, index,
                                 grid.modules[static_cast<std::size_t>(index)] != 0});
        }
    return cells;
}

std::optional<std::string> decode_datamatrix_image(const std::uint8_t* pixels, int width, int height,
                                                   bool try_inverted) {
    ZXing::DecodeHints hints;
    hints.setFormats(ZXing::BarcodeFormat::DataMatrix).setTryHarder(true).setTryRotate(true);
    const ZXing::ImageView view(pixels, width, height, ZXing::ImageFormat::Lum);
    auto result = ZXing::ReadBarcode(view, hints);
    if (!result.isValid() && try_inverted) {
        std::vector<std::uint8_t> inverted(pixels, pixels + static_cast<std::size_t>(width) * static_cast<std::size_t>(height));
        for (auto& pixel : inverted) pixel = static_cast<std::uint8_t>(255 - pixel);
        result = ZXing::ReadBarcode(ZXing::ImageView(inverted.data(), width, height, ZXing::ImageFormat::Lum), hints);
    }
    if (!result.isValid()) return std::nullopt;
    return result.text();
}

std::optional<std::string> decode_datamatrix_modules(const ModuleGrid& grid) {
    if (grid.columns <= 0 || grid.rows <= 0 || grid.modules.size() != static_cast<std::size_t>(grid.columns * grid.rows))
        return std::nullopt;
    constexpr int pixels_per_module = 4, quiet_modules = 2;
    const int width = (grid.columns + 2 * quiet_modules) * pixels_per_module;
    const int height = (grid.rows + 2 * quiet_modules) * pixels_per_module;
    std::vector<std::uint8_t> image(static_cast<std::size_t>(width * height), 255);
    for (int row = 0; row < grid.rows; ++row)
        for (int column = 0; column < grid.columns; ++column) {
            if (!grid.modules[static_cast<std::size_t>(row * grid.columns + column)]) continue;
            for (int y = 0; y < pixels_per_module; ++y)
                for (int x = 0; x < pixels_per_module; ++x)
                    image[static_cast<std::size_t>(((row + quiet_modules) * pixels_per_module + y) * width +
                                                   (column + quiet_modules) * pixels_per_module + x)] = 0;
        }
    return decode_datamatrix_image(image.data(), width, height, false);
}

std::optional<std::string> ideal_datamatrix_reading(const std::vector<Cell>& cells) {
    ModuleGrid grid;
    for (const Cell& cell : cells)
        if (cell.design == Design::datamatrix) grid.columns = cell.symbol;
    std::vector<const Cell*> modules;
    for (const Cell& cell : cells)
        if (cell.design == Design::datamatrix) modules.push_back(&cell);
    if (grid.columns <= 0 || modules.size() % static_cast<std::size_t>(grid.columns) != 0) return std::nullopt;
    grid.rows = static_cast<int>(modules.size()) / grid.columns;
    grid.modules.assign(modules.size(), 0);
    for (const Cell* cell : modules)
        if (cell->bit >= 0 && cell->bit < static_cast<int>(grid.modules.size()))
            grid.modules[static_cast<std::size_t>(cell->bit)] = cell->engraved ? 1 : 0;
    return decode_datamatrix_modules(grid);
}

} // namespace microstamp
