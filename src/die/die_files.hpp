#pragma once
// A die on disk: the folder `microstamp encode` writes and `microstamp fire` reads.
//   die.x3p        heightmap of the die face (ISO 5436-2), heights in metres
//   die.svg        laser-engraving artwork at true scale (1 user unit = 1 um), as seen
//                  looking at the pin face (mirror image of the impression)
//   preview.png    the heightmap as grey levels (engraved = dark)
//   manifest.json  identity, designs, geometry, codeword bits, file hashes, format version

#include "die/die.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace microstamp {

inline constexpr int die_format_version = 1;

nlohmann::json identity_json(const Identity& identity);
std::string die_svg(const Die& die);
nlohmann::json die_manifest(const Die& die);

struct WrittenDie {
    std::filesystem::path folder;
    std::vector<std::filesystem::path> files;
};
// Writes into a staging folder next to `folder` and renames it into place, so a
// failure never leaves a partial die. `folder` must not exist or be empty.
WrittenDie write_die(const Die& die, const std::filesystem::path& folder);

// Reads a die folder back: re-derives the layout from the manifest's identity and
// geometry and checks every file against the hash recorded in the manifest.
Die load_die(const std::filesystem::path& folder, const Catalog& catalog = default_catalog());

std::string sha256_hex(const void* data, std::size_t size);

} // namespace microstamp
