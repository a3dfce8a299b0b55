// x3p files as instruments write them (tests/support/instrument_x3p.hpp builds them with
// libzip): the sizes, invalid counts and statistics read from them, and the one-line
// refusals of what is not a height map.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "support/instrument_x3p.hpp"
#include "surface/x3p.hpp"

namespace microstamp {
namespace {

using testing::Bytes;
using testing::InstrumentAxis;
using testing::InstrumentX3p;

// A 4 x 3 scan with heights in metres as text, row by row.
InstrumentX3p focus_variation_scan(const std::string& z_type) {
    InstrumentX3p scan;
    scan.folder = "Export 2024-05-01/";
    scan.cx = {"I", "D", "2.5e-06", "0"};
    scan.cy = {"I", "D", "2.5e-06", "0"};
    scan.cz = {"A", z_type, "1", "0"};
    scan.size_x = 4;
    scan.size_y = 3;
    for (const char* height : {"1e-06", "2e-06", "inf", "4e-06", "-inf", "6e-06", "7e-06", "8e-06", "9e-06", "nan",
                               "1.1e-05", "1.2e-05"})
        scan.points.push_back({height});
    scan.upper_case_md5 = true;
    return scan;
}

bool contains(const std::vector<std::string>& warnings, const std::string& part) {
    for (const std::string& warning : warnings)
        if (warning.find(part) != std::string::npos) return true;
    return false;
}

std::string refusal(const Bytes& archive, const std::string& name) {
    try {
        read_x3p(archive, name);
    } catch (const FileError& error) {
        return error.what();
    }
    return "no refusal";
}

TEST(X3pInstruments, NonFiniteHeightsWithoutValidBinAreInvalidAndStatisticsFinite) {
    for (const std::string z_type : {"D", "F"}) {
        SCOPED_TRACE("CZ DataType " + z_type);
        const X3pFile file = read_x3p(focus_variation_scan(z_type).archive(), "fv.x3p");
        EXPECT_EQ(file.surface.width, 4u);
        EXPECT_EQ(file.surface.height, 3u);
        EXPECT_DOUBLE_EQ(file.surface.spacing_x_um, 2.5);
        const SurfaceStatistics stats = statistics(file.surface);
        EXPECT_EQ(stats.points, 12u);
        EXPECT_EQ(stats.invalid_points, 3u);
        EXPECT_TRUE(std::isfinite(stats.minimum_um) && std::isfinite(stats.maximum_um) && std::isfinite(stats.mean_um));
        EXPECT_NEAR(stats.minimum_um, 1, 1e-6);
        EXPECT_NEAR(stats.maximum_um, 12, 1e-5);
        EXPECT_NEAR(stats.mean_um, (1 + 2 + 4 + 6 + 7 + 8 + 9 + 11 + 12) / 9.0, 1e-5);
        for (std::size_t i = 0; i < file.surface.size(); ++i)
            EXPECT_TRUE(file.surface.valid[i] == 0 || std::isfinite(file.surface.heights_um[i])) << "point " << i;
        EXPECT_EQ(file.point_data_md5.size(), 32u) << "an upper-case MD5 in main.xml matches";
    }
}

TEST(X3pInstruments, ValidBinMarksFiniteHeightsInvalidToo) {
    InstrumentX3p scan = focus_variation_scan("D");
    scan.valid = std::vector<bool>{true, false, true, true, true, true, true, true, true, true, true, false};
    const SurfaceStatistics stats = statistics(read_x3p(scan.archive(), "masked.x3p").surface);
    EXPECT_EQ(stats.invalid_points, 5u);  // +inf, -inf, NaN and the two masked
    EXPECT_NEAR(stats.maximum_um, 11, 1e-6);
}

TEST(X3pInstruments, IntegerAndFloatHeightTypesWithIncrementAndOffsetInlineAndBinary) {
    // The same 3 x 2 surface, 1.5 ... 4.0 um plus unmeasured points, in each Z type.
    struct Case {
        std::string type, increment, offset;
        std::vector<std::string> values;
    };
    const std::vector<Case> cases = {
        {"I", "5e-07", "1e-06", {"1", "2", "3", "4", "-32768", "6"}},          // 1 + 0.5 v um
        {"L", "5e-07", "1e-06", {"1", "2", "3", "4", "-2147483648", "6"}},
        {"F", "1", "0", {"1.5e-06", "2e-06", "2.5e-06", "3e-06", "nan", "4e-06"}},
        {"D", "1", "0", {"1.5e-06", "2e-06", "2.5e-06", "3e-06", "nan", "4e-06"}},
    };
    for (const Case& c : cases)
        for (const bool inline_data : {false, true}) {
            SCOPED_TRACE(c.type + (inline_data ? " inline" : " binary"));
            InstrumentX3p scan;
            scan.cz = {"A", c.type, c.increment, c.offset};
            scan.size_x = 3;
            scan.size_y = 2;
            for (const std::string& value : c.values) scan.points.push_back({value});
            scan.inline_data = inline_data;
            // Integer scans mark the unmeasured point in valid.bin (integers have no NaN).
            if ((c.type == "I" || c.type == "L") && !inline_data)
                scan.valid = std::vector<bool>{true, true, true, true, false, true};
            if ((c.type == "I" || c.type == "L") && inline_data) scan.points[4] = {"nan"};
            const X3pFile file = read_x3p(scan.archive(), "types.x3p");
            EXPECT_EQ(file.z_data_type, c.type[0]);
            const std::vector<double> expected = {1.5, 2, 2.5, 3, 0, 4};
            for (std::size_t i = 0; i < expected.size(); ++i) {
                if (i == 4) {
                    EXPECT_EQ(file.surface.valid[i], 0);
                    continue;
                }
                EXPECT_EQ(file.surface.valid[i], 1);
                EXPECT_NEAR(file.surface.heights_um[i], expected[i], 1e-6) << "point " << i;
            }
            EXPECT_EQ(statistics(file.surface).invalid_points, 1u);
        }
}

// A profilometer's matrix whose X coordinates are stored with each point.
InstrumentX3p absolute_x_scan(const std::vector<double>& x_metres, std::size_t rows) {
    InstrumentX3p scan;
    scan.cx = {"A", "D", "1", "0"};
    scan.cy = {"I", "D", "3e-06", "0"};
    scan.size_x = x_metres.size();
    scan.size_y = rows;
    for (std::size_t row = 0; row < rows; ++row)
        for (const double x : x_metres) {
            // Heights 2 um per um of x, plus 10 um per row: linear, so resampling is exact.
            const double z = 2 * x + 1e-5 * static_cast<double>(row);
            char text[2][40];
            std::snprintf(text[0], sizeof text[0], "%.17g", x);
            std::snprintf(text[1], sizeof text[1], "%.17g", z);
            scan.points.push_back({text[0], text[1]});
        }
    return scan;
}

TEST(X3pInstruments, AbsoluteAxisOnARegularGridKeepsItsPoints) {
    // 2 um apart, each coordinate off by at most 0.5% of the spacing.
    const std::vector<double> x = {100e-6, 102.01e-6, 103.99e-6, 106.005e-6, 108e-6};
    const X3pFile file = read_x3p(absolute_x_scan(x, 3).archive(), "profilometer.x3p");
    EXPECT_EQ(file.surface.width, 5u);
    EXPECT_EQ(file.surface.height, 3u);
    EXPECT_NEAR(file.surface.spacing_x_um, 2, 1e-9);
    EXPECT_DOUBLE_EQ(file.surface.spacing_y_um, 3);
    EXPECT_TRUE(contains(file.warnings, "absolute X axis's points lie on a regular grid")) << ::testing::PrintToString(file.warnings);
    EXPECT_NEAR(file.surface.at(1, 2), 2 * 102.01 + 20, 1e-6) << "heights kept as measured";
    EXPECT_EQ(statistics(file.surface).invalid_points, 0u);
}

TEST(X3pInstruments, AbsoluteAxisOffTheGridIsResampledWithAWarning) {
    // 0, 1, 3, 4, 8 um: the spacing varies far beyond 1%.
    const std::vector<double> x = {0, 1e-6, 3e-6, 4e-6, 8e-6};
    const X3pFile file = read_x3p(absolute_x_scan(x, 2).archive(), "uneven.x3p");
    EXPECT_EQ(file.surface.width, 5u);
    EXPECT_NEAR(file.surface.spacing_x_um, 2, 1e-9);
    EXPECT_TRUE(contains(file.warnings, "resampled onto a grid of 2 um")) << ::testing::PrintToString(file.warnings);
    // Grid x = 0, 2, 4, 6, 8 um; 6 lies between 4 and 8, a gap of two spacings: bridged.
    for (std::size_t column = 0; column < 5; ++column) {
        ASSERT_EQ(file.surface.valid[column + 5], 1) << "column " << column;
        EXPECT_NEAR(file.surface.at(column, 1), 2 * 2.0 * static_cast<double>(column) + 10, 1e-6) << "column " << column;
    }
}

TEST(X3pInstruments, FallingAbsoluteCoordinatesAreMirroredToRise) {
    const std::vector<double> x = {8e-6, 6e-6, 4e-6, 2e-6, 0};
    const X3pFile file = read_x3p(absolute_x_scan(x, 1).archive(), "falling.x3p");
    EXPECT_NEAR(file.surface.spacing_x_um, 2, 1e-9);
    EXPECT_NEAR(file.surface.at(0, 0), 0, 1e-9);   // x = 0 first, as an incremental axis has it
    EXPECT_NEAR(file.surface.at(4, 0), 16, 1e-9);
    EXPECT_TRUE(contains(file.warnings, "mirrored")) << ::testing::PrintToString(file.warnings);
}

TEST(X3pInstruments, AbsoluteYAxisInAnInlineDataListReadsLikeTheBinaryOne) {
    InstrumentX3p scan;
    scan.cx = {"I", "D", "1e-06", "0"};
    scan.cy = {"A", "F", "1", "0"};
    scan.size_x = 2;
    scan.size_y = 3;
    for (int row = 0; row < 3; ++row)
        for (int column = 0; column < 2; ++column)
            scan.points.push_back({std::to_string(row * 5e-6), std::to_string((row * 2 + column) * 1e-6)});
    const X3pFile binary = read_x3p(scan.archive(), "y.x3p");
    scan.inline_data = true;
    const X3pFile inline_list = read_x3p(scan.archive(), "y-inline.x3p");
    for (const X3pFile* file : {&binary, &inline_list}) {
        EXPECT_EQ(file->surface.width, 2u);
        EXPECT_EQ(file->surface.height, 3u);
        EXPECT_NEAR(file->surface.spacing_y_um, 5, 1e-5);
        EXPECT_NEAR(file->surface.at(1, 2), 5, 1e-5);
    }
}

TEST(X3pInstruments, StaleChecksumFileOnlyWarns) {
    InstrumentX3p scan = focus_variation_scan("D");
    scan.stale_checksum_file = true;
    const X3pFile file = read_x3p(scan.archive(), "edited.x3p");
    EXPECT_TRUE(contains(file.warnings, "main.xml checksum does not match md5checksum.hex"));
}

TEST(X3pInstruments, LayersAndPointCloudsAreRefusedInOneLineNamingWhatTheFileIs) {
    InstrumentX3p layers = focus_variation_scan("D");
    layers.size_z = 2;
    EXPECT_EQ(refusal(layers.archive(), "stack.x3p"),
              "stack.x3p: multi-layer x3p (SizeZ 2: a stack of 2 height maps) is not supported; export one layer");
    InstrumentX3p cloud = focus_variation_scan("D");
    cloud.feature_type = "PCL";
    EXPECT_EQ(refusal(cloud.archive(), "cloud.x3p"),
              "cloud.x3p: a point cloud (FeatureType PCL: unordered 3-D points, not heights on a grid) is not supported");
}

// Sets the uncompressed size the zip's local header and central directory give `name`.
void claim_size(Bytes& archive, const std::string& name, std::uint32_t size) {
    const auto at_name = [&](std::size_t offset) {
        return offset + name.size() <= archive.size() && std::equal(name.begin(), name.end(), archive.begin() + static_cast<std::ptrdiff_t>(offset));
    };
    for (std::size_t at = 0; at + 46 < archive.size(); ++at) {
        if (archive[at] != 'P' || archive[at + 1] != 'K') continue;
        if (archive[at + 2] == 3 && archive[at + 3] == 4 && at_name(at + 30)) std::memcpy(&archive[at + 22], &size, 4);
        if (archive[at + 2] == 1 && archive[at + 3] == 2 && at_name(at + 46)) std::memcpy(&archive[at + 24], &size, 4);
    }
}

TEST(X3pInstruments, AnEntryClaimingMoreThanItsCompressedBytesCanHoldIsRefusedBeforeAllocation) {
    InstrumentX3p scan;
    scan.size_x = 4096;
    scan.size_y = 4096;
    scan.points.assign(8, {"0"});  // 64 bytes of zeros, deflated to a handful
    Bytes archive = scan.archive();
    claim_size(archive, "bindata/data.bin", 4096u * 4096u * 8u);
    EXPECT_NE(refusal(archive, "bomb.x3p").find("bindata/data.bin claims 134217728 bytes from"), std::string::npos)
        << refusal(archive, "bomb.x3p");
}

} // namespace
} // namespace microstamp
