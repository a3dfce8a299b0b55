// The die stage: the heightmap really carries the code, the artwork is at true
// scale, and the folder on disk is complete or absent.

#include "code/datamatrix.hpp"
#include "code/gear.hpp"
#include "code/stamp_key.hpp"
#include "code/text.hpp"
#include "die/die_files.hpp"
#include "support/identities.hpp"
#include "surface/x3p.hpp"

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <functional>

#include <cmath>
#include <fstream>
#include <numbers>
#include <unistd.h>

namespace microstamp {
namespace {

std::filesystem::path fresh_folder(const std::string& name) {
    const auto folder = std::filesystem::temp_directory_path() / fmt::format("microstamp-test-{}-{}", name, ::getpid());
    std::filesystem::remove_all(folder);
    return folder;
}

// The die height under a cell's centre, read back off the rendered heightmap (the
// die is the mirror image of the layout).
double height_under(const Die& die, const Cell& cell) {
    double x = 0, y = 0;
    if (const auto* box = std::get_if<Box>(&cell.shape)) {
        x = box->centre_x_um;
        y = box->centre_y_um;
    } else {
        const auto& sector = std::get<AnnularSector>(cell.shape);
        const double radius = (sector.inner_radius_um + sector.outer_radius_um) / 2;
        const double angle = (sector.start_angle + sector.end_angle) / 2;
        x = radius * std::cos(angle);
        y = radius * std::sin(angle);
    }
    const Surface& map = die.heightmap;
    const auto column = static_cast<std::size_t>(std::lround(-x / map.spacing_x_um + static_cast<double>(map.width) / 2 - 0.5));
    const auto row = static_cast<std::size_t>(std::lround(static_cast<double>(map.height) / 2 - 0.5 - y / map.spacing_y_um));
    return map.at(column, row);
}

// A perfect reader of the die surface: cell engraved iff the die is recessed there.
std::vector<Cell> cells_read_from_heightmap(const Die& die) {
    std::vector<Cell> read = die.layout.cells;
    for (Cell& cell : read) cell.engraved = height_under(die, cell) < -die.layout.geometry.engraving_depth_um / 2;
    return read;
}

TEST(Die, HeightmapCarriesEveryDesignReadableBack) {
    std::mt19937_64 random(30);
    for (int trial = 0; trial < 12; ++trial) {
        const Identity identity = testing::random_identity(random);
        const std::vector<Design> designs =
            trial % 2 ? std::vector<Design>{Design::ring, Design::text, Design::gear}
                      : std::vector<Design>{Design::ring, Design::datamatrix, Design::gear};
        DieDesign design;
        design.designs = designs;
        const Die die = encode(identity, design);
        const auto read = cells_read_from_heightmap(die);
        const RingDecoding ring = decode_ring(ideal_ring_observation(read));
        ASSERT_EQ(ring.status, RingStatus::decoded) << describe(identity);
        EXPECT_EQ(ring.fields->serial, identity.serial);
        EXPECT_EQ(ring.errors, 0);
        EXPECT_EQ(decode_gear(ideal_gear_observation(read)).key, stamp_key(identity));
        if (trial % 2) {
            EXPECT_EQ(ideal_text_reading(read), stamp_key(identity));
        } else {
            const auto content = ideal_datamatrix_reading(read);
            ASSERT_TRUE(content.has_value());
            EXPECT_EQ(*content, datamatrix_content(identity));
        }
    }
}

TEST(Die, HeightsAreFaceOrEngravedDepthAndOutsideThePinIsInvalid) {
    std::mt19937_64 random(31);
    const Die die = encode(testing::random_identity(random), DieDesign{});
    const auto stats = statistics(die.heightmap);
    EXPECT_NEAR(stats.minimum_um, -die.layout.geometry.engraving_depth_um, 1e-9);
    EXPECT_NEAR(stats.maximum_um, 0.0, 1e-9);
    EXPECT_FALSE(die.heightmap.is_valid(0, 0));  // a corner lies outside the round pin
    const std::size_t middle = die.heightmap.width / 2;
    EXPECT_TRUE(die.heightmap.is_valid(middle, middle));
    // Invalid share ~ 1 - pi/4 of the square.
    EXPECT_NEAR(static_cast<double>(stats.invalid_points) / static_cast<double>(stats.points), 1 - std::numbers::pi / 4, 0.01);
}

TEST(Die, IsTheMirrorImageOfTheImpression) {
    // Text reads left to right on the casing, so on the die it runs right to left.
    std::mt19937_64 random(32);
    const Identity identity = testing::random_identity(random);
    DieDesign design;
    design.designs = {Design::text};
    const Die die = encode(identity, design);
    const Cell& first_dot = die.layout.cells.front();  // top-left dot of the first character
    const auto& box = std::get<Box>(first_dot.shape);
    ASSERT_LT(box.centre_x_um, 0);  // the first character is on the left of the impression
    // ...and on the right of the die.
    const auto column = static_cast<std::size_t>(std::lround(-box.centre_x_um + static_cast<double>(die.heightmap.width) / 2));
    const auto mirrored_column = die.heightmap.width - 1 - column;
    const auto row = static_cast<std::size_t>(std::lround(static_cast<double>(die.heightmap.height) / 2 - box.centre_y_um));
    if (first_dot.engraved) {
        EXPECT_LT(die.heightmap.at(column, row), -1.0);
        EXPECT_GT(die.heightmap.at(mirrored_column, row), -1.0);
    }
}

TEST(Die, GeometryScalesWithThePinDiameter) {
    const Identity identity = default_catalog().identity("Glock", "G42", "A1");  // 1.4 mm striker
    const Die die = encode(identity, DieDesign{});
    EXPECT_DOUBLE_EQ(die.layout.geometry.pin_diameter_um, 1400);
    EXPECT_NEAR(die.layout.geometry.ring_outer_track_um[1], 508 * 1400.0 / 1600, 1e-9);
    EXPECT_EQ(die.heightmap.width, 1402u);
    DieDesign wide;
    wide.pin_diameter_um = 1800;
    EXPECT_DOUBLE_EQ(encode(identity, wide).layout.geometry.pin_diameter_um, 1800);
}

TEST(Die, RejectsBadParameters) {
    const Identity identity = default_catalog().identity("Glock", "G17", "1");
    DieDesign design;
    design.engraving_depth_um = -3;
    EXPECT_THROW(encode(identity, design), InputError);
    design = {};
    design.spacing_um = 0;
    EXPECT_THROW(encode(identity, design), InputError);
    design = {};
    design.designs = {};
    EXPECT_THROW(encode(identity, design), InputError);
}

TEST(DieArtwork, SvgIsAtTrueScaleWithOnePathPerEngravedCell) {
    const Identity identity = default_catalog().identity("Colt", "Government", "X100");
    const Die die = encode(identity, DieDesign{});
    const std::string svg = die_svg(die);
    EXPECT_NE(svg.find("width=\"1.7000mm\""), std::string::npos);
    EXPECT_NE(svg.find("viewBox=\"-850.000 -850.000 1700.000 1700.000\""), std::string::npos);
    std::size_t engraved = 0;
    for (const Cell& cell : die.layout.cells) engraved += cell.engraved;
    std::size_t shapes = 0;
    for (std::size_t at = svg.find("<path"); at != std::string::npos; at = svg.find("<path", at + 1)) ++shapes;
    for (std::size_t at = svg.find("<rect"); at != std::string::npos; at = svg.find("<rect", at + 1)) ++shapes;
    EXPECT_EQ(shapes, engraved);
}

TEST(DieFiles, WriteThenLoadGivesTheSameDie) {
    const auto folder = fresh_folder("roundtrip");
    const Identity identity = default_catalog().identity("Beretta", "92FS", "BER-778812");
    DieDesign design;
    design.designs = {Design::ring, Design::datamatrix};
    const Die die = encode(identity, design);
    const WrittenDie written = write_die(die, folder);
    for (const auto& file : written.files) EXPECT_TRUE(std::filesystem::is_regular_file(file)) << file;
    const Die loaded = load_die(folder);
    EXPECT_EQ(loaded.identity, identity);
    EXPECT_EQ(loaded.ring_codeword, die.ring_codeword);
    EXPECT_EQ(loaded.datamatrix_columns, die.datamatrix_columns);
    ASSERT_EQ(loaded.heightmap.size(), die.heightmap.size());
    EXPECT_EQ(loaded.heightmap.valid, die.heightmap.valid);
    for (std::size_t i = 0; i < die.heightmap.size(); ++i)
        if (die.heightmap.valid[i]) {
            ASSERT_EQ(loaded.heightmap.heights_um[i], die.heightmap.heights_um[i]) << i;
        }
    // Nothing but the four files: no staging folder of this die left beside it (other
    // tests, running at the same time, stage their own there).
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(folder), {}), 4);
    const std::string staging = "." + folder.filename().string() + ".partial-";
    for (const auto& entry : std::filesystem::directory_iterator(folder.parent_path()))
        EXPECT_FALSE(entry.path().filename().string().starts_with(staging)) << entry.path();
    std::filesystem::remove_all(folder);
}

TEST(DieFiles, AlteredHeightmapIsDetectedOnLoad) {
    const auto folder = fresh_folder("tamper");
    write_die(encode(default_catalog().identity("Glock", "G19", "AB1"), DieDesign{}), folder);
    {
        std::fstream file(folder / "die.x3p", std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(100);
        file.put('\x5a');
    }
    try {
        load_die(folder);
        FAIL() << "altered die loaded";
    } catch (const FileError& error) {
        EXPECT_NE(std::string(error.what()).find("does not match the hash"), std::string::npos) << error.what();
    }
    std::filesystem::remove_all(folder);
}

TEST(DieFiles, RefusesANonEmptyFolderAndAMissingParentLeavingNothing) {
    const auto folder = fresh_folder("occupied");
    std::filesystem::create_directories(folder);
    std::ofstream(folder / "keep.txt") << "mine";
    const Die die = encode(default_catalog().identity("Glock", "G19", "AB1"), DieDesign{});
    EXPECT_THROW(write_die(die, folder), FileError);
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(folder), {}), 1);
    const auto orphan = folder / "missing" / "die";
    EXPECT_THROW(write_die(die, orphan), FileError);
    EXPECT_FALSE(std::filesystem::exists(folder / "missing"));
    std::filesystem::remove_all(folder);
}

TEST(DieFiles, UnreadableManifestIsAClearError) {
    const auto folder = fresh_folder("badmanifest");
    std::filesystem::create_directories(folder);
    std::ofstream(folder / "manifest.json") << "{\"format\": \"microstamp-die\"";
    EXPECT_THROW(load_die(folder), FileError);
    std::ofstream(folder / "manifest.json", std::ios::trunc) << "{\"format\": \"something-else\"}";
    EXPECT_THROW(load_die(folder), FileError);
    std::filesystem::remove_all(folder);
}

// A version or code beyond what 64 bits hold is parsed as floating point (converting it
// to an integer would be undefined): refused in one line naming the field.
TEST(DieFiles, NumbersOutOfRangeAreRefusedNamingTheField) {
    const auto folder = fresh_folder("numbers");
    write_die(encode(default_catalog().identity("Glock", "G19", "AB1"), DieDesign{}), folder);
    std::ifstream in(folder / "manifest.json");
    const nlohmann::json original = nlohmann::json::parse(in);
    const auto refused = [&](const std::function<void(nlohmann::json&)>& change, std::string_view field) {
        nlohmann::json manifest = original;
        change(manifest);
        std::ofstream(folder / "manifest.json", std::ios::trunc) << manifest.dump();
        try {
            load_die(folder);
            ADD_FAILURE() << field << ": loaded";
        } catch (const FileError& error) {
            EXPECT_NE(std::string(error.what()).find(field), std::string::npos) << error.what();
        }
    };
    refused([](nlohmann::json& m) { m["format_version"] = 4.4e34; }, "format_version");
    refused([](nlohmann::json& m) { m["format_version"] = 0; }, "format_version");
    refused([](nlohmann::json& m) { m["identity"]["manufacturer_code"] = 1e300; }, "manufacturer_code");
    refused([](nlohmann::json& m) { m["identity"]["model_code"] = 70000; }, "model_code");
    std::filesystem::remove_all(folder);
}

} // namespace
} // namespace microstamp
