#include "die/die_files.hpp"

#include "code/gear.hpp"
#include "code/json_depth.hpp"
#include "surface/image.hpp"
#include "surface/x3p.hpp"

#include <cmath>
#include <ctime>
#include <fmt/core.h>
#include <fstream>
#include <limits>
#include <numbers>
#include <sodium.h>
#include <sstream>
#include <unistd.h>

namespace microstamp {
namespace {

// A whole number from `low` to `high`. JSON numbers too large for 64 bits are parsed as
// floating point, and converting one of those to an integer type is undefined: checked
// before any conversion.
long long whole_number(const nlohmann::json& value, long long low, long long high, std::string_view field,
                       const std::string& path) {
    if (!value.is_number_integer() || value.get<long long>() < low || value.get<long long>() > high)
        throw FileError(fmt::format("{}: {} must be a whole number from {} to {}", path, field, low, high));
    return value.get<long long>();
}

std::string hex(std::span<const std::uint8_t> bytes) {
    std::string text;
    for (const auto byte : bytes) text += fmt::format("{:02x}", byte);
    return text;
}

std::string svg_path(const Shape& shape) {
    if (const auto* box = std::get_if<Box>(&shape))
        return fmt::format("<rect x=\"{:.3f}\" y=\"{:.3f}\" width=\"{:.3f}\" height=\"{:.3f}\"/>",
                           box->centre_x_um - box->width_um / 2, box->centre_y_um - box->height_um / 2, box->width_um,
                           box->height_um);
    const auto& sector = std::get<AnnularSector>(shape);
    if (sector.end_angle - sector.start_angle >= 2 * std::numbers::pi) {
        // A full annulus: two circles, the inner one cut out by the even-odd rule.
        auto circle = [](double r) {
            return fmt::format("M {:.3f} 0 A {:.3f} {:.3f} 0 1 0 {:.3f} 0 A {:.3f} {:.3f} 0 1 0 {:.3f} 0 Z", r, r, r, -r,
                               r, r, r);
        };
        return fmt::format("<path fill-rule=\"evenodd\" d=\"{} {}\"/>", circle(sector.outer_radius_um),
                           circle(sector.inner_radius_um));
    }
    const double r0 = sector.inner_radius_um, r1 = sector.outer_radius_um;
    const double a0 = sector.start_angle, a1 = sector.end_angle;
    const int large = a1 - a0 > std::numbers::pi ? 1 : 0;
    return fmt::format("<path d=\"M {:.3f} {:.3f} A {:.3f} {:.3f} 0 {} 1 {:.3f} {:.3f} L {:.3f} {:.3f} A {:.3f} {:.3f} 0 {} 0 "
                       "{:.3f} {:.3f} Z\"/>",
                       r1 * std::cos(a0), r1 * std::sin(a0), r1, r1, large, r1 * std::cos(a1), r1 * std::sin(a1),
                       r0 * std::cos(a1), r0 * std::sin(a1), r0, r0, large, r0 * std::cos(a0), r0 * std::sin(a0));
}

std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw FileError(fmt::format("{}: cannot read", path.string()));
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

std::string creation_date() {
    // SOURCE_DATE_EPOCH makes the files reproducible byte for byte (reproducible-builds.org).
    std::time_t now = std::time(nullptr);
    if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) now = static_cast<std::time_t>(std::strtoll(epoch, nullptr, 10));
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

nlohmann::json geometry_json(const FaceGeometry& geometry) {
    auto pair = [](const double* values) { return nlohmann::json::array({values[0], values[1]}); };
    return {{"pin_diameter_um", geometry.pin_diameter_um},
            {"engraving_depth_um", geometry.engraving_depth_um},
            {"character_height_um", geometry.character_height_um},
            {"character_width_um", geometry.character_width_um},
            {"character_pitch_um", geometry.character_pitch_um},
            {"ring_inner_finder_um", pair(geometry.ring_inner_finder_um)},
            {"ring_inner_track_um", pair(geometry.ring_inner_track_um)},
            {"ring_outer_track_um", pair(geometry.ring_outer_track_um)},
            {"ring_outer_finder_um", pair(geometry.ring_outer_finder_um)},
            {"cell_fill", geometry.cell_fill},
            {"gear_um", pair(geometry.gear_um)},
            {"gear_bar_fill", geometry.gear_bar_fill},
            {"centre_radius_um", geometry.centre_radius_um}};
}

} // namespace

std::string sha256_hex(const void* data, std::size_t size) {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
    std::array<std::uint8_t, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(digest.data(), static_cast<const unsigned char*>(data), size);
    return hex(digest);
}

std::string die_svg(const Die& die) {
    const double radius = die.layout.geometry.pin_diameter_um / 2;
    std::ostringstream svg;
    svg << fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<!-- microstamp die artwork: {} ({}). 1 user unit = 1 um. View: looking at the pin face, i.e. the mirror "
        "image of the impression. Black = engrave to {:.1f} um. -->\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.4f}mm\" height=\"{:.4f}mm\" "
        "viewBox=\"{:.3f} {:.3f} {:.3f} {:.3f}\">\n",
        describe(die.identity), designs_name(die.layout.designs), die.layout.geometry.engraving_depth_um,
        2 * radius / 1000, 2 * radius / 1000, -radius, -radius, 2 * radius, 2 * radius);
    svg << fmt::format("<circle id=\"pin-outline\" cx=\"0\" cy=\"0\" r=\"{:.3f}\" fill=\"none\" stroke=\"#888\" "
                       "stroke-width=\"2\"/>\n",
                       radius);
    // Layout y is up; SVG y is down; the die is mirrored in x: together a scale of (-1, -1).
    svg << "<g id=\"engrave\" fill=\"black\" transform=\"scale(-1,-1)\">\n";
    for (const Cell& cell : die.layout.cells)
        if (cell.engraved) svg << svg_path(cell.shape) << '\n';
    svg << "</g>\n</svg>\n";
    return svg.str();
}

nlohmann::json identity_json(const Identity& identity) {
    return {{"manufacturer", identity.manufacturer},
            {"model", identity.model},
            {"serial", identity.serial},
            {"manufacturer_code", identity.manufacturer_code},
            {"model_code", identity.model_code}};
}

nlohmann::json die_manifest(const Die& die) {
    nlohmann::json manifest = {
        {"format", "microstamp-die"},
        {"format_version", die_format_version},
        {"identity", identity_json(die.identity)},
        {"designs", designs_name(die.layout.designs)},
        {"geometry", geometry_json(die.layout.geometry)},
        {"heightmap",
         {{"file", "die.x3p"},
          {"width", die.heightmap.width},
          {"height", die.heightmap.height},
          {"spacing_um", die.heightmap.spacing_x_um}}},
        {"text_key", die.text_key},
    };
    for (const Design design : die.layout.designs) {
        switch (design) {
        case Design::ring:
            manifest["ring"] = {{"code", "RS(48,15) over GF(256), polynomial 0x11D, first root 0"},
                                {"codeword_hex", hex(die.ring_codeword)},
                                {"tracks", ring_tracks},
                                {"sectors_per_track", ring_sectors_per_track},
                                {"cells_per_sector", ring_cells_per_symbol}};
            break;
        case Design::text: manifest["text"] = {{"characters", die.text_key}}; break;
        case Design::gear: {
            std::string bits;
            for (const bool bar : gear_bits(die.text_key)) bits += bar ? '1' : '0';
            manifest["gear"] = {{"slots", bits}};
            break;
        }
        case Design::datamatrix:
            manifest["datamatrix"] = {{"content", die.datamatrix_content},
                                      {"columns", die.datamatrix_columns},
                                      {"rows", die.datamatrix_rows}};
            break;
        }
    }
    return manifest;
}

WrittenDie write_die(const Die& die, const std::filesystem::path& folder) {
    std::error_code error;
    if (std::filesystem::exists(folder, error) &&
        (!std::filesystem::is_directory(folder, error) || !std::filesystem::is_empty(folder, error)))
        throw FileError(fmt::format("output folder {} exists and is not empty", folder.string()));
    const auto absolute = std::filesystem::absolute(folder);
    const auto parent = absolute.parent_path();
    if (!std::filesystem::is_directory(parent, error))
        throw FileError(fmt::format("cannot write {}: folder {} does not exist", folder.string(), parent.string()));
    const auto staging = parent / fmt::format(".{}.partial-{}", absolute.filename().string(), ::getpid());
    std::filesystem::remove_all(staging, error);
    if (!std::filesystem::create_directory(staging, error))
        throw FileError(fmt::format("cannot write into {}: {}", parent.string(), error.message()));
    try {
        SurfaceMetadata metadata;
        metadata.date = creation_date();
        metadata.creator = "microstamp encode";
        metadata.instrument_manufacturer = "microstamp";
        metadata.instrument_model = "die renderer";
        metadata.instrument_version = PROJECT_VERSION_TEXT;
        metadata.comment = fmt::format("die face for {}, designs {}", describe(die.identity), designs_name(die.layout.designs));
        const auto x3p = x3p_bytes(die.heightmap, metadata);
        const std::string svg = die_svg(die);
        const auto preview = png_bytes(downsample(
            height_image(die.heightmap, -die.layout.geometry.engraving_depth_um, 0.0), 1024));

        nlohmann::json manifest = die_manifest(die);
        manifest["files"] = {{"die.x3p", sha256_hex(x3p.data(), x3p.size())},
                             {"die.svg", sha256_hex(svg.data(), svg.size())},
                             {"preview.png", sha256_hex(preview.data(), preview.size())}};
        const std::string manifest_text = manifest.dump(2) + "\n";
        write_file_atomically(staging / "die.x3p", x3p.data(), x3p.size());
        write_file_atomically(staging / "die.svg", svg.data(), svg.size());
        write_file_atomically(staging / "preview.png", preview.data(), preview.size());
        write_file_atomically(staging / "manifest.json", manifest_text.data(), manifest_text.size());
        if (std::filesystem::exists(folder, error)) std::filesystem::remove(folder, error);  // empty, checked above
        std::filesystem::rename(staging, absolute, error);
        if (error) throw FileError(fmt::format("cannot create {}: {}", folder.string(), error.message()));
    } catch (...) {
        std::filesystem::remove_all(staging, error);
        throw;
    }
    return {folder, {folder / "die.x3p", folder / "die.svg", folder / "preview.png", folder / "manifest.json"}};
}

Die load_die(const std::filesystem::path& folder, const Catalog& catalog) {
    const auto manifest_path = folder / "manifest.json";
    nlohmann::json manifest;
    try {
        const auto bytes = read_bytes(manifest_path);
        const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        if (json_nesting_depth(text) > max_json_file_depth)
            throw FileError(fmt::format("{}: not a valid manifest (JSON nested deeper than {} levels)",
                                        manifest_path.string(), max_json_file_depth));
        manifest = nlohmann::json::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::exception& problem) {
        throw FileError(fmt::format("{}: not a valid manifest ({})", manifest_path.string(), problem.what()));
    }
    try {
        if (manifest.at("format") != "microstamp-die")
            throw FileError(fmt::format("{}: not a microstamp die manifest", manifest_path.string()));
        const auto version = whole_number(manifest.at("format_version"), 1, std::numeric_limits<int>::max(),
                                          "format_version", manifest_path.string());
        if (version > die_format_version)
            throw FileError(fmt::format("{}: format version {} is newer than this program understands",
                                        manifest_path.string(), version));
        const auto& identity_json = manifest.at("identity");
        const auto code = [&](const char* field) {
            return static_cast<std::uint16_t>(whole_number(identity_json.at(field), 0, 65535, field, manifest_path.string()));
        };
        const auto identity = catalog.identity(code("manufacturer_code"), code("model_code"),
                                               normalise_serial(identity_json.at("serial").get<std::string>()));
        if (!identity) throw FileError(fmt::format("{}: manufacturer or model code not in the catalog", manifest_path.string()));
        DieDesign design;
        design.designs = parse_designs(manifest.at("designs").get<std::string>());
        design.pin_diameter_um = manifest.at("geometry").at("pin_diameter_um").get<double>();
        design.engraving_depth_um = manifest.at("geometry").at("engraving_depth_um").get<double>();
        design.spacing_um = manifest.at("heightmap").at("spacing_um").get<double>();

        const auto x3p_path = folder / "die.x3p";
        const auto x3p = read_bytes(x3p_path);
        if (sha256_hex(x3p.data(), x3p.size()) != manifest.at("files").at("die.x3p").get<std::string>())
            throw FileError(fmt::format("{}: does not match the hash in manifest.json (altered?)", x3p_path.string()));
        Die die = plan_die(*identity, design, catalog);
        die.heightmap = read_x3p(x3p, x3p_path.string()).surface;
        return die;
    } catch (const nlohmann::json::exception& problem) {
        throw FileError(fmt::format("{}: missing or malformed field ({})", manifest_path.string(), problem.what()));
    } catch (const InputError& problem) {
        throw FileError(fmt::format("{}: {}", manifest_path.string(), problem.what()));
    }
}

} // namespace microstamp
