#pragma once
// What the x3p tests share: archives built and taken apart through libzip directly (so
// that the tests do not trust the code under test to unpack what it wrote), a hand-made
// main.xml, surfaces that survive write and read exactly, and one-line error checks.

#include "test_locations.hpp"
#include "surface/x3p.hpp"

#include "surface/md5.hpp"
#include "support/zip_bytes.hpp"

#include <gtest/gtest.h>
#include <pugixml.hpp>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>


namespace microstamp::x3p_testing {

namespace fs = std::filesystem;

const std::string sample_folder = MICROSTAMP_SHARED_DIR "/x3p-samples/";
const std::string stale_checksum_warning =
    "main.xml checksum does not match md5checksum.hex (file edited after writing?)";

using Bytes = std::vector<std::uint8_t>;
using Entries = std::vector<std::pair<std::string, Bytes>>;

// A file's bytes; a fixture that is not there fails the test with its path (the damage
// tests would otherwise index into nothing).
inline Bytes file_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path.string() + ": fixture file missing or unreadable");
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

inline Bytes bytes_of(std::string_view text) { return Bytes(text.begin(), text.end()); }
inline std::string text_of(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

// Every entry of a zip archive, in archive order, through libzip directly so
// that the tests do not trust the code under test to unpack what it wrote.
inline Entries zip_entries(const Bytes& archive_bytes) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(archive_bytes.data(), archive_bytes.size(), 0, &error);
    zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
    if (archive == nullptr) {
        zip_source_free(source);
        ADD_FAILURE() << "test cannot open archive";
        return {};
    }
    Entries entries;
    for (zip_int64_t i = 0; i < zip_get_num_entries(archive, 0); ++i) {
        const auto index = static_cast<zip_uint64_t>(i);
        zip_stat_t stat;
        zip_stat_index(archive, index, 0, &stat);
        Bytes content(static_cast<std::size_t>(stat.size));
        zip_file_t* file = zip_fopen_index(archive, index, 0);
        if (!content.empty()) zip_fread(file, content.data(), content.size());
        zip_fclose(file);
        entries.emplace_back(zip_get_name(archive, index, 0), std::move(content));
    }
    zip_discard(archive);
    return entries;
}

inline Bytes make_zip(const Entries& entries) { return testing::zip_bytes(entries); }

inline const Bytes& entry(const Entries& entries, const std::string& name) {
    for (const auto& [entry_name, content] : entries)
        if (entry_name == name) return content;
    static const Bytes none;
    ADD_FAILURE() << "archive has no entry " << name;
    return none;
}

inline bool has_entry(const Entries& entries, const std::string& name) {
    return std::any_of(entries.begin(), entries.end(), [&](const auto& item) { return item.first == name; });
}

inline void replace_entry(Entries& entries, const std::string& name, Bytes content) {
    for (auto& [entry_name, old_content] : entries)
        if (entry_name == name) old_content = std::move(content);
}

inline std::string six_digits(double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.6g", value);
    return buffer;
}

inline std::uint64_t bits(double value) { return std::bit_cast<std::uint64_t>(value); }

inline std::vector<double> doubles_of(const Bytes& bytes) {
    std::vector<double> values(bytes.size() / 8);
    std::memcpy(values.data(), bytes.data(), values.size() * 8);
    return values;
}

// Asserts that a throws FileError whose message holds `expected`.
template <class Action>
inline void expect_file_error(Action&& action, const std::string& expected) {
    try {
        action();
        ADD_FAILURE() << "no FileError; expected one saying: " << expected;
    } catch (const FileError& error) {
        EXPECT_NE(std::string(error.what()).find(expected), std::string::npos)
            << "message: " << error.what() << "\nexpected to contain: " << expected;
        EXPECT_EQ(std::string(error.what()).find('\n'), std::string::npos) << "message spans lines: " << error.what();
    }
}

// ---------------------------------------------------------------------------
// A hand-made main.xml for building test archives; every field a test varies
// is a parameter, the rest is what x3ptools writes. Tests set fields with
// std::string("...") because GCC 12 at -O3 flags assigning a literal to a
// string member with a false -Wrestrict (GCC bug 105651).
struct MainXml {
    std::string feature_type = "SUR";
    std::string cx_axis_type = "I";
    std::string cx_increment = "1e-06";
    std::string cy_increment = "2e-06";
    std::string z_data_type = "D";
    std::string z_increment = "1";
    std::string z_offset = "0";
    std::string size_x = "3";
    std::string size_y = "2";
    std::string size_z = "1";
    std::string data;  // the data part of Record3: a DataLink or a DataList

    std::string text() const {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<p:ISO5436_2 xmlns:p=\"http://www.opengps.eu/2008/ISO5436_2\">\n"
               "<Record1><Revision>ISO5436 - 2000</Revision><FeatureType>" + feature_type + "</FeatureType><Axes>\n"
               "<CX><AxisType>" + cx_axis_type + "</AxisType><DataType>D</DataType><Increment>" + cx_increment +
               "</Increment><Offset>0</Offset></CX>\n"
               "<CY><AxisType>I</AxisType><DataType>D</DataType><Increment>" + cy_increment +
               "</Increment><Offset>0</Offset></CY>\n"
               "<CZ><AxisType>A</AxisType><DataType>" + z_data_type + "</DataType><Increment>" + z_increment +
               "</Increment><Offset>" + z_offset + "</Offset></CZ>\n"
               "</Axes></Record1>\n"
               "<Record2><Date>2024-01-02T03:04:05</Date><Creator>test</Creator><Instrument><Manufacturer>M</Manufacturer>"
               "<Model>X</Model><Serial>1</Serial><Version>2</Version></Instrument><CalibrationDate>2024-01-01T00:00:00"
               "</CalibrationDate><ProbingSystem><Type>Software</Type><Identification>sim</Identification></ProbingSystem>"
               "<Comment>built by test_x3p</Comment></Record2>\n"
               "<Record3><MatrixDimension><SizeX>" + size_x + "</SizeX><SizeY>" + size_y + "</SizeY><SizeZ>" + size_z +
               "</SizeZ></MatrixDimension>\n" + data + "\n</Record3>\n"
               "<Record4><ChecksumFile>md5checksum.hex</ChecksumFile></Record4>\n"
               "</p:ISO5436_2>\n";
    }
};

inline std::string data_link(const Bytes& data, const Bytes* valid = nullptr) {
    std::string text = "<DataLink><PointDataLink>bindata/data.bin</PointDataLink><MD5ChecksumPointData>" +
                       md5_hex(data) + "</MD5ChecksumPointData>";
    if (valid != nullptr)
        text += "<ValidPointsLink>bindata/valid.bin</ValidPointsLink><MD5ChecksumValidPoints>" + md5_hex(*valid) +
                "</MD5ChecksumValidPoints>";
    return text + "</DataLink>";
}

// An archive around `xml`, with a correct md5checksum.hex.
inline Bytes make_x3p(const std::string& xml, const Bytes& data, const Bytes* valid = nullptr) {
    Entries entries{{"main.xml", bytes_of(xml)},
                    {"md5checksum.hex", bytes_of(md5_hex(xml) + " *main.xml\n")},
                    {"bindata/data.bin", data}};
    if (valid != nullptr) entries.emplace_back("bindata/valid.bin", *valid);
    return make_zip(entries);
}

template <class Value>
inline Bytes little_endian(const std::vector<Value>& values) {
    Bytes bytes(values.size() * sizeof(Value));
    std::memcpy(bytes.data(), values.data(), bytes.size());  // the test host is little-endian (x86, arm64)
    return bytes;
}

// A surface whose heights are readings of metre values, which the
// conversion guarantee says survive write and read exactly.
inline Surface readable_surface(std::size_t width, std::size_t height, double spacing_x, double spacing_y,
                         unsigned seed, double invalid_fraction) {
    Surface surface(width, height, 1.0);
    surface.spacing_x_um = spacing_x;
    surface.spacing_y_um = spacing_y;
    std::mt19937_64 random(seed);
    std::uniform_real_distribution<double> metres(-5e-5, 5e-5);
    std::uniform_real_distribution<double> unit(0, 1);
    for (std::size_t i = 0; i < surface.size(); ++i) {
        surface.heights_um[i] = micrometres_from_metres(metres(random));
        if (unit(random) < invalid_fraction) {
            surface.valid[i] = 0;
            surface.heights_um[i] = std::numeric_limits<double>::quiet_NaN();
        }
    }
    return surface;
}

inline SurfaceMetadata example_metadata() {
    SurfaceMetadata metadata;
    metadata.date = "2025-03-04T05:06:07";
    metadata.creator = "Examiner <J. Doe> & \"Lab\" 'Unit'";
    metadata.instrument_manufacturer = "Sensofar";
    metadata.instrument_model = "S neox";
    metadata.instrument_serial = "350262016";
    metadata.instrument_version = "8.1 (µm build)";
    metadata.calibration_date = "2025-01-01T00:00:00";
    metadata.probing_system = "NonContacting; Nikon EPI 20X; NA 0.45";
    metadata.comment = "line one\nline two\twith tab, Ø 4.45 mm primer  ";
    return metadata;
}

inline void expect_metadata_equal(const SurfaceMetadata& actual, const SurfaceMetadata& expected) {
    EXPECT_EQ(actual.date, expected.date);
    EXPECT_EQ(actual.creator, expected.creator);
    EXPECT_EQ(actual.instrument_manufacturer, expected.instrument_manufacturer);
    EXPECT_EQ(actual.instrument_model, expected.instrument_model);
    EXPECT_EQ(actual.instrument_serial, expected.instrument_serial);
    EXPECT_EQ(actual.instrument_version, expected.instrument_version);
    EXPECT_EQ(actual.calibration_date, expected.calibration_date);
    EXPECT_EQ(actual.probing_system, expected.probing_system);
    EXPECT_EQ(actual.comment, expected.comment);
}

// Heights of valid points bit for bit, validity, and spacing bit for bit.
inline void expect_same_surface(const Surface& actual, const Surface& expected) {
    ASSERT_EQ(actual.width, expected.width);
    ASSERT_EQ(actual.height, expected.height);
    EXPECT_EQ(bits(actual.spacing_x_um), bits(expected.spacing_x_um));
    EXPECT_EQ(bits(actual.spacing_y_um), bits(expected.spacing_y_um));
    ASSERT_EQ(actual.valid, expected.valid);
    std::size_t different = 0;
    for (std::size_t i = 0; i < expected.size(); ++i)
        if (expected.valid[i] != 0 && bits(actual.heights_um[i]) != bits(expected.heights_um[i])) ++different;
    EXPECT_EQ(different, 0u);
}

} // namespace microstamp::x3p_testing
