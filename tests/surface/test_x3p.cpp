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

namespace microstamp {
namespace {

namespace fs = std::filesystem;

const std::string sample_folder = MICROSTAMP_SHARED_DIR "/x3p-samples/";
const std::string stale_checksum_warning =
    "main.xml checksum does not match md5checksum.hex (file edited after writing?)";

using Bytes = std::vector<std::uint8_t>;
using Entries = std::vector<std::pair<std::string, Bytes>>;

// A file's bytes; a fixture that is not there fails the test with its path (the damage
// tests would otherwise index into nothing).
Bytes file_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path.string() + ": fixture file missing or unreadable");
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

Bytes bytes_of(std::string_view text) { return Bytes(text.begin(), text.end()); }
std::string text_of(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

// Every entry of a zip archive, in archive order, through libzip directly so
// that the tests do not trust the code under test to unpack what it wrote.
Entries zip_entries(const Bytes& archive_bytes) {
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

Bytes make_zip(const Entries& entries) { return testing::zip_bytes(entries); }

const Bytes& entry(const Entries& entries, const std::string& name) {
    for (const auto& [entry_name, content] : entries)
        if (entry_name == name) return content;
    static const Bytes none;
    ADD_FAILURE() << "archive has no entry " << name;
    return none;
}

bool has_entry(const Entries& entries, const std::string& name) {
    return std::any_of(entries.begin(), entries.end(), [&](const auto& item) { return item.first == name; });
}

void replace_entry(Entries& entries, const std::string& name, Bytes content) {
    for (auto& [entry_name, old_content] : entries)
        if (entry_name == name) old_content = std::move(content);
}

std::string six_digits(double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.6g", value);
    return buffer;
}

std::uint64_t bits(double value) { return std::bit_cast<std::uint64_t>(value); }

std::vector<double> doubles_of(const Bytes& bytes) {
    std::vector<double> values(bytes.size() / 8);
    std::memcpy(values.data(), bytes.data(), values.size() * 8);
    return values;
}

// Asserts that a throws FileError whose message holds `expected`.
template <class Action>
void expect_file_error(Action&& action, const std::string& expected) {
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

std::string data_link(const Bytes& data, const Bytes* valid = nullptr) {
    std::string text = "<DataLink><PointDataLink>bindata/data.bin</PointDataLink><MD5ChecksumPointData>" +
                       md5_hex(data) + "</MD5ChecksumPointData>";
    if (valid != nullptr)
        text += "<ValidPointsLink>bindata/valid.bin</ValidPointsLink><MD5ChecksumValidPoints>" + md5_hex(*valid) +
                "</MD5ChecksumValidPoints>";
    return text + "</DataLink>";
}

// An archive around `xml`, with a correct md5checksum.hex.
Bytes make_x3p(const std::string& xml, const Bytes& data, const Bytes* valid = nullptr) {
    Entries entries{{"main.xml", bytes_of(xml)},
                    {"md5checksum.hex", bytes_of(md5_hex(xml) + " *main.xml\n")},
                    {"bindata/data.bin", data}};
    if (valid != nullptr) entries.emplace_back("bindata/valid.bin", *valid);
    return make_zip(entries);
}

template <class Value>
Bytes little_endian(const std::vector<Value>& values) {
    Bytes bytes(values.size() * sizeof(Value));
    std::memcpy(bytes.data(), values.data(), bytes.size());  // the test host is little-endian (x86, arm64)
    return bytes;
}

// A surface whose heights are readings of metre values, which the
// conversion guarantee says survive write and read exactly.
Surface readable_surface(std::size_t width, std::size_t height, double spacing_x, double spacing_y,
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

SurfaceMetadata example_metadata() {
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

void expect_metadata_equal(const SurfaceMetadata& actual, const SurfaceMetadata& expected) {
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
void expect_same_surface(const Surface& actual, const Surface& expected) {
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

// ---------------------------------------------------------------------------
// The shared samples, with the values an independent reader found
// (x3p-samples/README.md).

struct Sample {
    const char* file;
    std::size_t size_x;
    std::size_t size_y;
    char z_type;
    std::size_t nan_count;
    const char* minimum_m;
    const char* maximum_m;
    const char* mean_m;
    const char* data_md5;
    bool stale_checksum;
};

const Sample samples[] = {
    {"csafe-logo.x3p", 741, 419, 'D', 0, "2.07843e-07", "8.27451e-07", "4.20067e-07",
     "021a34716ab08d418048c137dc74f92b", true},
    {"pyramid.x3p", 5, 5, 'F', 0, "2", "10", "3.6", "b3af77a94e940b069c7a6ff587505b28", false},
    {"sample-land.x3p", 918, 256, 'D', 25292, "-7.94735e-05", "5.24986e-05", "-5.35207e-07",
     "ca5581246a3b5a4f9ffe38c798060a09", false},
    {"testing.x3p", 30, 20, 'D', 0, "-0.0238189", "0.00896234", "-0.00949899", "fd9dc7bc75464062fa43028c16707801",
     false},
};

class SampleFile : public ::testing::TestWithParam<Sample> {};

TEST_P(SampleFile, ReadsTheListedSizeTypeStatisticsAndChecksum) {
    const Sample& sample = GetParam();
    const X3pFile file = read_x3p(sample_folder + sample.file);
    EXPECT_EQ(file.surface.width, sample.size_x);
    EXPECT_EQ(file.surface.height, sample.size_y);
    EXPECT_EQ(file.z_data_type, sample.z_type);
    EXPECT_EQ(file.point_data_md5, sample.data_md5);
    const SurfaceStatistics statistics_um = statistics(file.surface);
    EXPECT_EQ(statistics_um.points, sample.size_x * sample.size_y);
    EXPECT_EQ(statistics_um.invalid_points, sample.nan_count);
    EXPECT_EQ(six_digits(statistics_um.minimum_um / 1e6), sample.minimum_m);
    EXPECT_EQ(six_digits(statistics_um.maximum_um / 1e6), sample.maximum_m);
    EXPECT_EQ(six_digits(statistics_um.mean_um / 1e6), sample.mean_m);
    std::size_t nan_heights = 0;
    for (std::size_t i = 0; i < file.surface.size(); ++i) {
        EXPECT_EQ(file.surface.valid[i] == 0, std::isnan(file.surface.heights_um[i])) << "point " << i;
        nan_heights += std::isnan(file.surface.heights_um[i]) ? 1 : 0;
    }
    EXPECT_EQ(nan_heights, sample.nan_count);
    if (sample.stale_checksum) {
        EXPECT_EQ(file.warnings,
                  std::vector<std::string>{stale_checksum_warning});
    } else {
        EXPECT_TRUE(file.warnings.empty()) << file.warnings.front();
    }
}

TEST_P(SampleFile, ReadsTheSameFromMemoryAsFromPath) {
    const Sample& sample = GetParam();
    const X3pFile from_path = read_x3p(sample_folder + sample.file);
    const X3pFile from_memory = read_x3p(file_bytes(sample_folder + sample.file), sample.file);
    expect_same_surface(from_memory.surface, from_path.surface);
    expect_metadata_equal(from_memory.metadata, from_path.metadata);
    EXPECT_EQ(from_memory.warnings, from_path.warnings);
}

TEST_P(SampleFile, ReadWriteReadKeepsHeightsBitForBit) {
    const Sample& sample = GetParam();
    const Bytes original = file_bytes(sample_folder + sample.file);
    const X3pFile first = read_x3p(original, sample.file);
    const Bytes written = x3p_bytes(first.surface, first.metadata, {.z_data_type = first.z_data_type});
    const X3pFile second = read_x3p(written, "rewritten");
    EXPECT_TRUE(second.warnings.empty());
    expect_same_surface(second.surface, first.surface);
    expect_metadata_equal(second.metadata, first.metadata);
    // NaN payloads included: R writes NA and -NaN, and invalid heights carry them.
    for (std::size_t i = 0; i < first.surface.size(); ++i) {
        if (first.surface.valid[i] == 0) {
            ASSERT_EQ(bits(second.surface.heights_um[i]), bits(first.surface.heights_um[i]));
        }
    }

    // data.bin bytes: identical except where two metre values of the file read
    // as one micrometre value (see x3p_format.cpp). Of the samples only csafe-logo has
    // such values; each changes by one ulp in metres.
    const Entries original_entries = zip_entries(original);
    Bytes original_data;
    for (const auto& [name, content] : original_entries)
        if (name.ends_with("bindata/data.bin")) original_data = content;
    const Bytes rewritten_data = entry(zip_entries(written), "bindata/data.bin");
    ASSERT_EQ(rewritten_data.size(), original_data.size());
    if (std::string(sample.file) == "csafe-logo.x3p") {
        const std::vector<double> before = doubles_of(original_data);
        const std::vector<double> after = doubles_of(rewritten_data);
        std::size_t changed = 0;
        for (std::size_t i = 0; i < before.size(); ++i) {
            if (bits(before[i]) == bits(after[i])) continue;
            ++changed;
            EXPECT_EQ(std::nextafter(before[i], after[i]), after[i]) << "point " << i << " moved more than one ulp";
        }
        EXPECT_EQ(changed, 4697u);
    } else {
        EXPECT_TRUE(rewritten_data == original_data) << "data.bin bytes changed";
    }

    // And from our first write on, the bytes are stable.
    const X3pFile third = read_x3p(written, "rewritten");
    EXPECT_TRUE(x3p_bytes(third.surface, third.metadata, {.z_data_type = third.z_data_type}) == written);
}

INSTANTIATE_TEST_SUITE_P(X3pSamples, SampleFile, ::testing::ValuesIn(samples),
                         [](const ::testing::TestParamInfo<Sample>& parameter) {
                             std::string name = parameter.param.file;
                             name = name.substr(0, name.find('.'));
                             std::replace(name.begin(), name.end(), '-', '_');
                             return name;
                         });

TEST(X3pSamples, SampleLandNestedArchiveGivesMetadataAndExactSpacing) {
    // Nested in sample-land/, with __MACOSX/, .DS_Store and mask.png entries;
    // CX/CY DataType F, CZ Offset empty, Record2 in its own order.
    const X3pFile file = read_x3p(sample_folder + "sample-land.x3p");
    EXPECT_EQ(file.surface.spacing_x_um, 2.58);
    EXPECT_EQ(file.surface.spacing_y_um, 2.58);
    EXPECT_EQ(file.metadata.date, "2018-09-15T17:46:09");
    EXPECT_EQ(file.metadata.creator, "CSAFE, Connor Hegenreter");
    EXPECT_EQ(file.metadata.instrument_manufacturer, "Sensofar");
    EXPECT_EQ(file.metadata.instrument_model, "Sneox1");
    EXPECT_EQ(file.metadata.instrument_serial, "350262016");
    EXPECT_EQ(file.metadata.instrument_version, "not available");
    EXPECT_EQ(file.metadata.calibration_date, "2017-01-17T09:21:52");
    EXPECT_EQ(file.metadata.probing_system, "NonContacting; Nikon - EPI 20X  ");
    EXPECT_EQ(file.metadata.comment, "Downsampled by software, mask created by Heike Hofmann with fix3p");
}

TEST(X3pSamples, CsafeLogoSpacingIsTheDecimalOfItsIncrement) {
    // Increment 6.45000000000095e-07 m is 0.645000000000095 um as decimal;
    // converting through binary metres would round twice.
    const X3pFile file = read_x3p(sample_folder + "csafe-logo.x3p");
    EXPECT_EQ(file.surface.spacing_x_um, 0.645000000000095);
    EXPECT_EQ(file.surface.spacing_y_um, 0.645);
    EXPECT_EQ(file.metadata.comment, "image rendered from the CSAFE logo");
}

TEST(X3pSamples, EditedMainXmlOnlyWarns) {
    Entries entries = zip_entries(file_bytes(sample_folder + "pyramid.x3p"));
    std::string xml = text_of(entry(entries, "main.xml"));
    xml.replace(xml.find("<Comment>comment</Comment>"), 26, "<Comment>edited</Comment>");
    replace_entry(entries, "main.xml", bytes_of(xml));
    const X3pFile file = read_x3p(make_zip(entries), "edited.x3p");
    EXPECT_EQ(file.metadata.comment, "edited");
    EXPECT_EQ(file.warnings,
              std::vector<std::string>{stale_checksum_warning});
    EXPECT_EQ(statistics(file.surface).maximum_um, 10e6);
}

// ---------------------------------------------------------------------------
// Conversion guarantees (x3p_format.cpp), over many random doubles.

TEST(X3pConversion, GuaranteesHoldOverRandomDoubles) {
    std::mt19937_64 random(20250101);
    std::size_t readable = 0;
    constexpr std::size_t count = 2'000'000;
    for (std::size_t i = 0; i < count; ++i) {
        // Random mantissa and sign, exponents from 1e-12 to 1e6 in either unit.
        const std::uint64_t exponent = 1023 - 40 + random() % 60;
        const double value = std::bit_cast<double>((random() & 0x800fffffffffffffULL) | (exponent << 52));

        const double micrometres = micrometres_from_metres(value);
        ASSERT_EQ(micrometres, value * 1e6);  // reading is correctly rounded
        // read, write, read gives the first reading
        ASSERT_EQ(bits(micrometres_from_metres(metres_from_micrometres(micrometres))), bits(micrometres)) << value;
        // write, read, write gives the first writing
        const double metres = metres_from_micrometres(value);
        ASSERT_EQ(bits(metres_from_micrometres(micrometres_from_metres(metres))), bits(metres)) << value;
        // write then read is exact when a metre value reads as `value`, and within one ulp always
        const double back = micrometres_from_metres(metres);
        if (bits(back) == bits(value)) {
            ++readable;
        } else {
            ASSERT_TRUE(std::nextafter(value, back) == back) << value;
        }
    }
    // The measured share of micrometre doubles that some metre double reads as.
    EXPECT_GT(static_cast<double>(readable) / count, 0.95);
    EXPECT_LT(static_cast<double>(readable) / count, 0.96);
}

TEST(X3pConversion, NaNKeepsItsBits) {
    for (const std::uint64_t pattern : {0x7ff8000000000000ULL, 0xfff8000000000000ULL, 0x7ff00000000007a2ULL}) {
        const double value = std::bit_cast<double>(pattern);
        EXPECT_EQ(bits(micrometres_from_metres(value)), pattern);
        EXPECT_EQ(bits(metres_from_micrometres(value)), pattern);
    }
}

// ---------------------------------------------------------------------------
// Our own files.

TEST(X3pRoundTrip, DoubleFilesReadBackExactly) {
    for (const double invalid_fraction : {0.0, 0.2}) {
        SCOPED_TRACE(invalid_fraction);
        const Surface surface = readable_surface(37, 23, 0.5, 1.25, 7, invalid_fraction);
        const SurfaceMetadata metadata = example_metadata();
        const Bytes written = x3p_bytes(surface, metadata);
        const X3pFile file = read_x3p(written, "own.x3p");
        EXPECT_TRUE(file.warnings.empty());
        EXPECT_EQ(file.z_data_type, 'D');
        expect_same_surface(file.surface, surface);
        expect_metadata_equal(file.metadata, metadata);
        EXPECT_EQ(has_entry(zip_entries(written), "bindata/valid.bin"), invalid_fraction > 0);
        EXPECT_EQ(file.point_data_md5, md5_hex(entry(zip_entries(written), "bindata/data.bin")));
        // Writing what we read gives the same archive, byte for byte.
        EXPECT_TRUE(x3p_bytes(file.surface, file.metadata) == written);
    }
}

TEST(X3pRoundTrip, FloatFilesReadBackAsTheirFloats) {
    for (const double invalid_fraction : {0.0, 0.1}) {
        SCOPED_TRACE(invalid_fraction);
        const Surface surface = readable_surface(19, 41, 3.0, 0.7, 11, invalid_fraction);
        const Bytes written = x3p_bytes(surface, {}, {.z_data_type = 'F'});
        const X3pFile file = read_x3p(written, "own-float.x3p");
        EXPECT_EQ(file.z_data_type, 'F');
        EXPECT_EQ(entry(zip_entries(written), "bindata/data.bin").size(), surface.size() * 4);
        Surface expected = surface;
        for (std::size_t i = 0; i < expected.size(); ++i)
            if (expected.valid[i] != 0)
                expected.heights_um[i] = micrometres_from_metres(
                    static_cast<double>(static_cast<float>(metres_from_micrometres(surface.heights_um[i]))));
        expect_same_surface(file.surface, expected);
        EXPECT_TRUE(x3p_bytes(file.surface, {}, {.z_data_type = 'F'}) == written);
    }
}

// Point data larger than the reader's inflate buffer arrive in pieces that split
// values (the buffer is one byte short of 1 MiB, a multiple of no value size).
TEST(X3pRoundTrip, LargePointDataDecodeAcrossPieces) {
    const Surface surface = readable_surface(600, 500, 2.0, 2.0, 5, 0.01);
    for (const char type : {'D', 'F'}) {
        SCOPED_TRACE(type);
        const Bytes written = x3p_bytes(surface, {}, {.z_data_type = type});
        ASSERT_GT(entry(zip_entries(written), "bindata/data.bin").size(), std::size_t{1} << 20);
        const X3pFile file = read_x3p(written, "large.x3p");
        EXPECT_TRUE(x3p_bytes(file.surface, {}, {.z_data_type = type}) == written);
        if (type == 'D') expect_same_surface(file.surface, surface);
    }
}

TEST(X3pRoundTrip, ArbitraryHeightsComeBackWithinOneUlpAndThenStay) {
    Surface surface(64, 48, 1.0);
    std::mt19937_64 random(99);
    std::uniform_real_distribution<double> micrometres(-100, 100);
    for (double& height : surface.heights_um) height = micrometres(random);
    const Bytes written = x3p_bytes(surface, {});
    const X3pFile file = read_x3p(written, "arbitrary.x3p");
    std::size_t exact = 0;
    for (std::size_t i = 0; i < surface.size(); ++i) {
        const double original = surface.heights_um[i];
        const double back = file.surface.heights_um[i];
        const bool readable = micrometres_from_metres(metres_from_micrometres(original)) == original;
        if (readable) {
            EXPECT_EQ(bits(back), bits(original)) << i;
        }
        EXPECT_TRUE(back == original || std::nextafter(original, back) == back) << i;
        exact += back == original ? 1 : 0;
    }
    EXPECT_GT(exact, surface.size() * 9 / 10);
    EXPECT_TRUE(x3p_bytes(file.surface, {}) == written);
}

TEST(X3pRoundTrip, AnySpacingComesBackExactly) {
    std::mt19937_64 random(5);
    std::uniform_real_distribution<double> exponent(-3, 3);
    for (int i = 0; i < 300; ++i) {
        Surface surface(2, 1, 1.0);
        surface.spacing_x_um = std::pow(10.0, exponent(random));
        surface.spacing_y_um = std::bit_cast<double>(bits(surface.spacing_x_um) + 1 + random() % 1000);
        const X3pFile file = read_x3p(x3p_bytes(surface, {}), "spacing.x3p");
        ASSERT_EQ(bits(file.surface.spacing_x_um), bits(surface.spacing_x_um)) << surface.spacing_x_um;
        ASSERT_EQ(bits(file.surface.spacing_y_um), bits(surface.spacing_y_um)) << surface.spacing_y_um;
    }
}

TEST(X3pRoundTrip, MetadataEdgeCasesRoundTrip) {
    const Surface surface = readable_surface(4, 3, 1.0, 1.0, 3, 0.0);
    std::vector<SurfaceMetadata> cases(5);
    cases[1] = example_metadata();
    cases[2].probing_system = "Contacting";
    cases[2].creator = "   ";
    cases[3].probing_system = "Odd; ";
    cases[3].comment = "<![CDATA[ not markup ]]> &amp; ]]>";
    cases[4].probing_system = "; identification only";
    cases[4].instrument_model = "Ünïcödé 测量";
    for (const SurfaceMetadata& metadata : cases) {
        const X3pFile file = read_x3p(x3p_bytes(surface, metadata), "metadata.x3p");
        expect_metadata_equal(file.metadata, metadata);
    }
}

TEST(X3pWriter, OutputIsAFunctionOfTheInput) {
    const Surface surface = readable_surface(10, 10, 1.0, 1.0, 1, 0.1);
    const Bytes first = x3p_bytes(surface, example_metadata());
    const Bytes second = x3p_bytes(surface, example_metadata());
    EXPECT_TRUE(first == second);
    Surface changed = surface;
    const auto first_valid = std::find(changed.valid.begin(), changed.valid.end(), 1) - changed.valid.begin();
    changed.heights_um[static_cast<std::size_t>(first_valid)] += 1;
    EXPECT_FALSE(x3p_bytes(changed, example_metadata()) == first);
}

TEST(X3pWriter, MainXmlHasTheStructureX3ptoolsReads) {
    Surface surface = readable_surface(6, 4, 0.5, 2.58, 2, 0.0);
    const Bytes written = x3p_bytes(surface, example_metadata());
    const Entries entries = zip_entries(written);
    std::vector<std::string> names;
    for (const auto& item : entries) names.push_back(item.first);
    EXPECT_EQ(names, (std::vector<std::string>{"bindata/", "bindata/data.bin", "main.xml", "md5checksum.hex"}));

    const std::string xml = text_of(entry(entries, "main.xml"));
    EXPECT_EQ(text_of(entry(entries, "md5checksum.hex")), md5_hex(xml) + " *main.xml\n");
    pugi::xml_document document;
    ASSERT_TRUE(document.load_string(xml.c_str()));
    const pugi::xml_node root = document.document_element();
    EXPECT_STREQ(root.name(), "p:ISO5436_2");
    EXPECT_STREQ(root.attribute("xmlns:p").value(), "http://www.opengps.eu/2008/ISO5436_2");
    std::vector<std::string> records;
    for (const pugi::xml_node record : root.children()) records.push_back(record.name());
    EXPECT_EQ(records, (std::vector<std::string>{"Record1", "Record2", "Record3", "Record4"}));
    EXPECT_STREQ(root.select_node("Record1/Revision").node().text().get(), "ISO5436 - 2000");
    EXPECT_STREQ(root.select_node("Record1/FeatureType").node().text().get(), "SUR");
    EXPECT_STREQ(root.select_node("Record1/Axes/CX/AxisType").node().text().get(), "I");
    EXPECT_STREQ(root.select_node("Record1/Axes/CX/DataType").node().text().get(), "D");
    EXPECT_STREQ(root.select_node("Record1/Axes/CX/Increment").node().text().get(), "5e-07");
    EXPECT_STREQ(root.select_node("Record1/Axes/CX/Offset").node().text().get(), "0");
    EXPECT_STREQ(root.select_node("Record1/Axes/CY/Increment").node().text().get(), "2.58e-06");
    EXPECT_STREQ(root.select_node("Record1/Axes/CZ/AxisType").node().text().get(), "A");
    EXPECT_STREQ(root.select_node("Record1/Axes/CZ/DataType").node().text().get(), "D");
    EXPECT_STREQ(root.select_node("Record2/Instrument/Manufacturer").node().text().get(), "Sensofar");
    EXPECT_STREQ(root.select_node("Record2/ProbingSystem/Type").node().text().get(), "NonContacting");
    EXPECT_STREQ(root.select_node("Record2/ProbingSystem/Identification").node().text().get(), "Nikon EPI 20X; NA 0.45");
    EXPECT_STREQ(root.select_node("Record3/MatrixDimension/SizeX").node().text().get(), "6");
    EXPECT_STREQ(root.select_node("Record3/MatrixDimension/SizeY").node().text().get(), "4");
    EXPECT_STREQ(root.select_node("Record3/MatrixDimension/SizeZ").node().text().get(), "1");
    EXPECT_STREQ(root.select_node("Record3/DataLink/PointDataLink").node().text().get(), "bindata/data.bin");
    EXPECT_EQ(root.select_node("Record3/DataLink/MD5ChecksumPointData").node().text().get(),
              md5_hex(entry(entries, "bindata/data.bin")));
    EXPECT_FALSE(root.select_node("Record3/DataLink/ValidPointsLink"));
    EXPECT_STREQ(root.select_node("Record4/ChecksumFile").node().text().get(), "md5checksum.hex");
    // Heights are little-endian float64 metres, X fastest.
    const std::vector<double> stored = doubles_of(entry(entries, "bindata/data.bin"));
    ASSERT_EQ(stored.size(), surface.size());
    EXPECT_EQ(bits(stored[1 * 6 + 5]), bits(metres_from_micrometres(surface.at(5, 1))));
}

TEST(X3pWriter, InvalidPointsAreNaNAndClearedBitsLeastSignificantFirst) {
    Surface surface = readable_surface(5, 3, 1.0, 1.0, 4, 0.0);  // 15 points, 2 mask bytes
    for (const std::size_t index : {0u, 3u, 9u}) surface.valid[index] = 0;
    surface.heights_um[9] = 12.5;  // an invalid point's height is ignored
    const Entries entries = zip_entries(x3p_bytes(surface, {}));
    const Bytes& mask = entry(entries, "bindata/valid.bin");
    // Bit (i % 8) of byte (i / 8) is point i, 1 = valid; the unused last bit stays 1.
    EXPECT_EQ(mask, (Bytes{0xF6, 0xFD}));
    const std::vector<double> stored = doubles_of(entry(entries, "bindata/data.bin"));
    for (std::size_t i = 0; i < stored.size(); ++i) EXPECT_EQ(std::isnan(stored[i]), i == 0 || i == 3 || i == 9) << i;
    pugi::xml_document document;
    ASSERT_TRUE(document.load_string(text_of(entry(entries, "main.xml")).c_str()));
    EXPECT_STREQ(document.select_node("//ValidPointsLink").node().text().get(), "bindata/valid.bin");
    EXPECT_EQ(document.select_node("//MD5ChecksumValidPoints").node().text().get(), md5_hex(mask));
}

TEST(X3pWriter, RefusesWhatX3pCannotHold) {
    const Surface surface = readable_surface(3, 3, 1.0, 1.0, 1, 0.0);
    EXPECT_THROW(x3p_bytes(surface, {}, {.z_data_type = 'I'}), std::invalid_argument);
    EXPECT_THROW(x3p_bytes(Surface{}, {}), std::invalid_argument);
    Surface bad_spacing = surface;
    bad_spacing.spacing_y_um = 0;
    EXPECT_THROW(x3p_bytes(bad_spacing, {}), std::invalid_argument);
    Surface bad_size = surface;
    bad_size.heights_um.pop_back();
    EXPECT_THROW(x3p_bytes(bad_size, {}), std::invalid_argument);
}

// ---------------------------------------------------------------------------
// Files built here: the forms the samples do not cover.

TEST(X3pReader, ValidPointsMaskMarksFiniteValuesInvalid) {
    // 0x95 0xFD, least significant bit first: points 0,2,4,7,8 valid of 10.
    const Bytes mask{0x95, 0xFD};
    const std::vector<std::uint8_t> expected_valid{1, 0, 1, 0, 1, 0, 0, 1, 1, 0};
    std::vector<double> metres(10);
    for (std::size_t i = 0; i < metres.size(); ++i) metres[i] = static_cast<double>(i) * 1e-6;
    MainXml xml;
    xml.size_x = std::string("5");
    const Bytes data = little_endian(metres);
    xml.data = data_link(data, &mask);
    const X3pFile file = read_x3p(make_x3p(xml.text(), data, &mask), "mask.x3p");
    EXPECT_EQ(file.surface.valid, expected_valid);
    for (std::size_t i = 0; i < metres.size(); ++i)
        if (expected_valid[i] != 0) {
            EXPECT_EQ(file.surface.heights_um[i], static_cast<double>(i));
        } else {
            EXPECT_TRUE(std::isnan(file.surface.heights_um[i]));
        }
}

// As some focus-variation exporters write unmeasured points: +inf, -inf or NaN heights
// and no valid.bin. They are invalid, never heights, and the statistics stay finite.
TEST(X3pReader, NonFiniteHeightsWithoutAMaskAreInvalidPoints) {
    const double infinity = std::numeric_limits<double>::infinity();
    const std::vector<double> metres{1e-6, infinity, -2e-6, -infinity, std::nan(""), 4e-6};
    const std::vector<std::uint8_t> expected_valid{1, 0, 1, 0, 0, 1};
    for (const char* type : {"D", "F"}) {
        MainXml xml;
        xml.z_data_type = std::string(type);
        Bytes data;
        if (std::string(type) == "D") {
            data = little_endian(metres);
        } else {
            std::vector<float> floats;
            for (const double value : metres) floats.push_back(static_cast<float>(value));
            data = little_endian(floats);
        }
        xml.data = data_link(data);
        const X3pFile file = read_x3p(make_x3p(xml.text(), data), "focus-variation.x3p");
        EXPECT_EQ(file.surface.valid, expected_valid) << type;
        for (std::size_t i = 0; i < metres.size(); ++i)
            if (expected_valid[i] == 0) {
                EXPECT_TRUE(std::isnan(file.surface.heights_um[i])) << type << " " << i;
            }
        const SurfaceStatistics stats = statistics(file.surface);
        EXPECT_EQ(stats.invalid_points, 3u) << type;
        EXPECT_NEAR(stats.minimum_um, -2.0, 1e-6) << type;
        EXPECT_NEAR(stats.maximum_um, 4.0, 1e-6) << type;
        EXPECT_NEAR(stats.mean_um, 1.0, 1e-6) << type;
    }
    // Inline, the same words an exporter writes.
    MainXml xml;
    xml.data = std::string("<DataList><Datum>1e-6</Datum><Datum>inf</Datum><Datum>-inf</Datum>"
                           "<Datum>-2e-6</Datum><Datum>nan</Datum><Datum>4e-6</Datum></DataList>");
    const X3pFile file = read_x3p(make_x3p(xml.text(), {}), "inline-inf.x3p");
    EXPECT_EQ(file.surface.valid, (std::vector<std::uint8_t>{1, 0, 0, 1, 0, 1}));
    EXPECT_NEAR(statistics(file.surface).maximum_um, 4.0, 1e-9);
}

TEST(X3pReader, Int16WithIncrementOffsetAndMask) {
    const std::vector<std::int16_t> stored{-3, 0, 7, 32767, -32768, 100};
    const Bytes mask{0x3B};  // point 2 invalid
    MainXml xml;
    xml.z_data_type = std::string("I");
    xml.z_increment = std::string("1e-9");
    xml.z_offset = std::string("2e-6");
    const Bytes data = little_endian(stored);
    xml.data = data_link(data, &mask);
    const X3pFile file = read_x3p(make_x3p(xml.text(), data, &mask), "int16.x3p");
    EXPECT_EQ(file.z_data_type, 'I');
    EXPECT_EQ(file.surface.valid, (std::vector<std::uint8_t>{1, 1, 0, 1, 1, 1}));
    for (const std::size_t i : {0u, 1u, 3u, 4u, 5u})
        EXPECT_DOUBLE_EQ(file.surface.heights_um[i], stored[i] * 0.001 + 2.0) << i;
    EXPECT_EQ(file.surface.spacing_x_um, 1.0);
    EXPECT_EQ(file.surface.spacing_y_um, 2.0);
}

TEST(X3pReader, Int32WithIncrement) {
    const std::vector<std::int32_t> stored{-2000000000, -1, 0, 1, 400000, 2000000000};
    MainXml xml;
    xml.z_data_type = std::string("L");
    xml.z_increment = std::string("2.5E-10");
    xml.z_offset = std::string("");
    const Bytes data = little_endian(stored);
    xml.data = data_link(data);
    const X3pFile file = read_x3p(make_x3p(xml.text(), data), "int32.x3p");
    EXPECT_EQ(file.z_data_type, 'L');
    for (std::size_t i = 0; i < stored.size(); ++i)
        EXPECT_DOUBLE_EQ(file.surface.heights_um[i], stored[i] * 0.00025) << i;
    EXPECT_EQ(statistics(file.surface).invalid_points, 0u);
}

TEST(X3pReader, InlineDataList) {
    MainXml xml;
    // z alone, an empty Datum (invalid), x;y;z, NaN, whitespace around a value.
    xml.data = std::string("<DataList><Datum>1e-6</Datum><Datum/><Datum>2.5E-6</Datum>"
               "<Datum>1;0;-1e-6</Datum><Datum>NaN</Datum><Datum> 0.000003 </Datum></DataList>");
    const X3pFile file = read_x3p(make_x3p(xml.text(), {}), "inline.x3p");
    EXPECT_TRUE(file.point_data_md5.empty());
    EXPECT_EQ(file.surface.valid, (std::vector<std::uint8_t>{1, 0, 1, 1, 0, 1}));
    EXPECT_EQ(file.surface.heights_um[0], 1.0);
    EXPECT_EQ(file.surface.heights_um[2], 2.5);
    EXPECT_EQ(file.surface.heights_um[3], -1.0);
    EXPECT_EQ(file.surface.heights_um[5], 3.0);
    EXPECT_TRUE(file.warnings.empty());
}

TEST(X3pReader, InlineDataListOfIntegers) {
    MainXml xml;
    xml.z_data_type = std::string("I");
    xml.z_increment = std::string("1e-8");
    xml.data = std::string("<DataList><Datum>1</Datum><Datum>-2</Datum><Datum>3</Datum><Datum>4</Datum><Datum></Datum>"
               "<Datum>+6</Datum></DataList>");
    const X3pFile file = read_x3p(make_x3p(xml.text(), {}), "inline-int.x3p");
    EXPECT_EQ(file.surface.valid, (std::vector<std::uint8_t>{1, 1, 1, 1, 0, 1}));
    EXPECT_DOUBLE_EQ(file.surface.heights_um[1], -0.02);
    EXPECT_DOUBLE_EQ(file.surface.heights_um[5], 0.06);
}

TEST(X3pReader, LinksAreRelativeToMainXmlsFolder) {
    const std::vector<double> metres{1e-6, 2e-6, 3e-6, 4e-6, 5e-6, 6e-6};
    const Bytes data = little_endian(metres);
    MainXml xml;
    xml.data = "<DataLink><PointDataLink>./bindata\\data.bin</PointDataLink><MD5ChecksumPointData>" +
               md5_hex(data) + "</MD5ChecksumPointData></DataLink>";
    const std::string text = xml.text();
    const Bytes archive = make_zip({{"scan/", {}},
                                    {"scan/main.xml", bytes_of(text)},
                                    {"scan/md5checksum.hex", bytes_of(md5_hex(text) + "\n")},
                                    {"scan/bindata/data.bin", data},
                                    {"__MACOSX/main.xml", bytes_of("resource fork, not XML")},
                                    {"bindata/data.bin", Bytes(48, 0)}});
    const X3pFile file = read_x3p(archive, "nested.x3p");
    EXPECT_EQ(file.surface.heights_um[5], 6.0);
    EXPECT_TRUE(file.warnings.empty());
}

// ---------------------------------------------------------------------------
// Broken files: each refused with one line that names the file and the fault.

TEST(X3pReader, RefusesTruncatedArchives) {
    const Bytes original = file_bytes(sample_folder + "sample-land.x3p");
    for (const std::size_t kept : {std::size_t{10}, original.size() / 2, original.size() - 30, original.size() - 1}) {
        SCOPED_TRACE(kept);
        const Bytes cut(original.begin(), original.begin() + static_cast<std::ptrdiff_t>(kept));
        expect_file_error([&] { read_x3p(cut, "cut.x3p"); }, "cut.x3p: ");
        expect_file_error([&] { read_x3p(cut, "cut.x3p"); }, "truncated");
    }
}

TEST(X3pReader, RefusesCorruptCompressedData) {
    Bytes damaged = file_bytes(sample_folder + "sample-land.x3p");
    damaged[damaged.size() / 2] ^= 0x55;  // inside data.bin's deflate stream
    expect_file_error([&] { read_x3p(damaged, "damaged.x3p"); }, "damaged.x3p: ");
}

// An archive whose entry inflates cleanly but not to the CRC-32 its headers give: the
// zip's own check still holds, whichever inflater reads the entry.
TEST(X3pReader, RefusesEntriesThatFailTheirZipCrc) {
    Bytes damaged = file_bytes(sample_folder + "testing.x3p");
    const std::string name = "bindata/data.bin";
    int headers = 0;
    const auto crc_field = [&](std::size_t header, std::uint32_t signature, std::size_t name_at, std::size_t crc_at) {
        const auto read32 = [&](std::size_t at) {
            return static_cast<std::uint32_t>(damaged[at] | damaged[at + 1] << 8 | damaged[at + 2] << 16 | damaged[at + 3] << 24);
        };
        if (read32(header) != signature || header + name_at + name.size() > damaged.size()) return;
        if (!std::equal(name.begin(), name.end(), damaged.begin() + static_cast<std::ptrdiff_t>(header + name_at))) return;
        damaged[header + crc_at] ^= 0x01;  // the local header's and the central directory's, alike
        ++headers;
    };
    for (std::size_t at = 0; at + 4 <= damaged.size(); ++at) {
        crc_field(at, 0x04034b50, 30, 14);
        crc_field(at, 0x02014b50, 46, 16);
    }
    ASSERT_EQ(headers, 2);
    expect_file_error([&] { read_x3p(damaged, "crc.x3p"); }, "crc.x3p: bindata/data.bin is corrupt in the archive");
}

TEST(X3pReader, RefusesHeightsThatFailTheirMd5) {
    Entries entries = zip_entries(file_bytes(sample_folder + "testing.x3p"));
    Bytes data = entry(entries, "bindata/data.bin");
    data[100] ^= 0x01;
    replace_entry(entries, "bindata/data.bin", data);
    expect_file_error([&] { read_x3p(make_zip(entries), "flipped.x3p"); },
                      "flipped.x3p: bindata/data.bin fails its MD5 check (corrupt heights)");
}

TEST(X3pReader, RefusesShortPointData) {
    Entries entries = zip_entries(file_bytes(sample_folder + "testing.x3p"));
    Bytes data = entry(entries, "bindata/data.bin");
    data.resize(4000);
    std::string xml = text_of(entry(entries, "main.xml"));
    const std::string old_md5 = "fd9dc7bc75464062fa43028c16707801";
    xml.replace(xml.find(old_md5), old_md5.size(), md5_hex(data));  // a consistent but short file
    replace_entry(entries, "bindata/data.bin", data);
    replace_entry(entries, "main.xml", bytes_of(xml));
    expect_file_error([&] { read_x3p(make_zip(entries), "short.x3p"); },
                      "short.x3p: bindata/data.bin is too short: 4000 bytes for 30 x 20 points of type D (4800 bytes "
                      "needed)");
}

TEST(X3pReader, RefusesArchivesWithoutMainXml) {
    Entries entries = zip_entries(file_bytes(sample_folder + "testing.x3p"));
    std::erase_if(entries, [](const auto& item) { return item.first == "main.xml"; });
    expect_file_error([&] { read_x3p(make_zip(entries), "headless.x3p"); },
                      "headless.x3p: no main.xml in the archive");
}

TEST(X3pReader, RefusesMalformedXml) {
    Entries entries = zip_entries(file_bytes(sample_folder + "testing.x3p"));
    const std::string xml = text_of(entry(entries, "main.xml"));
    replace_entry(entries, "main.xml", bytes_of(xml.substr(0, xml.size() / 2)));
    expect_file_error([&] { read_x3p(make_zip(entries), "broken.x3p"); },
                      "broken.x3p: main.xml is not well-formed XML");
}

TEST(X3pReader, RefusesPointClouds) {
    MainXml xml;
    xml.feature_type = std::string("PCL");
    const Bytes data(48, 0);
    xml.data = data_link(data);
    expect_file_error([&] { read_x3p(make_x3p(xml.text(), data), "cloud.x3p"); },
                      "cloud.x3p: a point cloud (FeatureType PCL: unordered 3-D points, not heights on a grid) is not "
                      "supported");
}

TEST(X3pReader, RefusesUnknownDataType) {
    MainXml xml;
    xml.z_data_type = std::string("Q");
    const Bytes data(48, 0);
    xml.data = data_link(data);
    expect_file_error([&] { read_x3p(make_x3p(xml.text(), data), "odd.x3p"); },
                      "odd.x3p: unknown CZ DataType 'Q' (expected I, L, F or D)");
}

TEST(X3pReader, RefusesZeroAndLayeredDimensions) {
    const Bytes data(48, 0);
    MainXml zero;
    zero.size_y = std::string("0");
    zero.data = data_link(data);
    expect_file_error([&] { read_x3p(make_x3p(zero.text(), data), "zero.x3p"); }, "zero.x3p: zero dimensions");
    MainXml layered;
    layered.size_z = std::string("2");
    layered.data = data_link(data);
    expect_file_error([&] { read_x3p(make_x3p(layered.text(), data), "layers.x3p"); },
                      "layers.x3p: multi-layer x3p (SizeZ 2: a stack of 2 height maps) is not supported");
    MainXml huge;
    huge.size_x = std::string("4000000000");
    huge.size_y = std::string("4000000000");
    huge.data = data_link(data);
    expect_file_error([&] { read_x3p(make_x3p(huge.text(), data), "huge.x3p"); }, "points allowed");
}

TEST(X3pReader, RefusesMissingMembers) {
    MainXml xml;
    const Bytes data(48, 0);
    xml.data = data_link(data);
    const std::string text = xml.text();
    expect_file_error(
        [&] { read_x3p(make_zip({{"main.xml", bytes_of(text)}}), "nodata.x3p"); },
        "nodata.x3p: point data file bindata/data.bin named in main.xml is missing from the archive");
    const Bytes mask{0xFF};  // 6 points need 1 byte: give none
    const Bytes empty_mask;
    MainXml masked;
    masked.data = data_link(data, &empty_mask);
    expect_file_error([&] { read_x3p(make_x3p(masked.text(), data, &empty_mask), "nomask.x3p"); },
                      "nomask.x3p: bindata/valid.bin is too short");
    MainXml wrong_mask;
    wrong_mask.data = data_link(data, &mask);
    const Bytes other_mask{0x0F};
    expect_file_error([&] { read_x3p(make_x3p(wrong_mask.text(), data, &other_mask), "badmask.x3p"); },
                      "badmask.x3p: bindata/valid.bin fails its MD5 check");
}

TEST(X3pReader, RefusesWrongDatumCount) {
    MainXml xml;
    xml.data = std::string("<DataList><Datum>1</Datum><Datum>2</Datum></DataList>");
    expect_file_error([&] { read_x3p(make_x3p(xml.text(), {}), "few.x3p"); },
                      "few.x3p: DataList holds 2 Datum elements, SizeX x SizeY is 6");
}

TEST(X3pReader, RefusesThingsThatAreNotX3p) {
    expect_file_error([] { read_x3p(Bytes{}, "empty.x3p"); }, "empty.x3p: empty file");
    expect_file_error([] { read_x3p(bytes_of("just some text, not a zip archive at all"), "text.x3p"); },
                      "text.x3p: not a zip archive");
    expect_file_error([] { read_x3p(fs::path("/nonexistent/folder/scan.x3p")); },
                      "/nonexistent/folder/scan.x3p: no such file");
}

TEST(X3pReader, TinyFileClaimingAHugeMatrixIsRefusedBeforeAllocating) {
    // 30000 x 30000 doubles would be 7.2 GB; the archive holds 48 bytes.
    MainXml xml;
    xml.size_x = std::string("30000");
    xml.size_y = std::string("30000");
    const Bytes data(48, 0);
    xml.data = data_link(data);
    expect_file_error([&] { read_x3p(make_x3p(xml.text(), data), "claims.x3p"); },
                      "claims.x3p: bindata/data.bin is too short: 48 bytes");
    xml.data = std::string("<DataList><Datum>1</Datum></DataList>");
    expect_file_error([&] { read_x3p(make_x3p(xml.text(), {}), "claims.x3p"); },
                      "claims.x3p: DataList holds 1 Datum elements");
}

TEST(X3pReader, ACallersPointLimitRefusesALargerScanBeforeAllocating) {
    // A service taking uploads sets its own limit: deflated zeros can honestly back any
    // matrix the XML declares, so the archive's sizes are no defence there.
    MainXml xml;
    xml.size_x = std::string("300");
    xml.size_y = std::string("200");
    const Bytes data(300 * 200 * 8, 0);
    xml.data = data_link(data);
    const Bytes file = make_x3p(xml.text(), data);
    EXPECT_EQ(read_x3p(file, "scan.x3p").surface.size(), 300u * 200u);
    X3pReadLimits limits;
    limits.max_points = 300 * 200 - 1;
    expect_file_error([&] { read_x3p(file, "scan.x3p", limits); },
                      "scan.x3p: matrix of 300 x 200 points is larger than the 59999 points allowed");
    limits.max_points = 300 * 200;
    EXPECT_EQ(read_x3p(file, "scan.x3p", limits).surface.size(), 300u * 200u);
}

// Damage anywhere must end in a result or a FileError: no crash, no other
// exception, no read out of bounds (run under the sanitizers).
template <class Read>
void expect_only_file_errors(Read&& read, const std::string& what) {
    try {
        read();
    } catch (const FileError&) {
    } catch (const std::exception& error) {
        ADD_FAILURE() << what << ": escaped as a non-FileError: " << error.what();
    }
}

TEST(X3pReader, RandomlyDamagedArchivesGiveResultsOrFileErrors) {
    const Bytes original = file_bytes(sample_folder + "testing.x3p");
    std::mt19937_64 random(17);
    for (int trial = 0; trial < 400; ++trial) {
        Bytes damaged = original;
        if (trial % 4 == 0) damaged.resize(random() % damaged.size());
        const int changes = 1 + static_cast<int>(random() % 3);
        for (int change = 0; change < changes && !damaged.empty(); ++change)
            damaged[random() % damaged.size()] = static_cast<std::uint8_t>(random());
        expect_only_file_errors([&] { read_x3p(damaged, "damaged.x3p"); }, "archive trial " + std::to_string(trial));
    }
}

TEST(X3pReader, RandomlyDamagedMainXmlGivesResultsOrFileErrors) {
    const Entries original = zip_entries(file_bytes(sample_folder + "testing.x3p"));
    const std::string xml = text_of(entry(original, "main.xml"));
    const std::string alphabet = "<>/&;:=\"' 0123456789-+eE.IADFLQN\n";
    std::mt19937_64 random(23);
    for (int trial = 0; trial < 400; ++trial) {
        std::string damaged = xml;
        const int edits = 1 + static_cast<int>(random() % 4);
        for (int edit = 0; edit < edits && !damaged.empty(); ++edit) {
            const std::size_t at = random() % damaged.size();
            switch (random() % 3) {
            case 0: damaged.erase(at, 1 + random() % 40); break;
            case 1: damaged[at] = alphabet[random() % alphabet.size()]; break;
            default: damaged.insert(at, damaged.substr(random() % damaged.size(), random() % 60)); break;
            }
        }
        Entries entries = original;
        replace_entry(entries, "main.xml", bytes_of(damaged));
        expect_only_file_errors([&] { read_x3p(make_zip(entries), "damaged.x3p"); },
                                "main.xml trial " + std::to_string(trial) + ":\n" + damaged);
    }
}

// ---------------------------------------------------------------------------
// Writing to disk: all or nothing.

class X3pFolder : public ::testing::Test {
protected:
    void SetUp() override {
        folder_ = fs::temp_directory_path() /
                  ("microstamp-x3p-" + std::to_string(::getpid()) + "-" +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(folder_);
        fs::create_directories(folder_);
    }
    void TearDown() override {
        fs::permissions(folder_, fs::perms::owner_all, fs::perm_options::add);
        fs::remove_all(folder_);
    }
    std::vector<std::string> listing() const {
        std::vector<std::string> names;
        for (const auto& item : fs::directory_iterator(folder_)) names.push_back(item.path().filename().string());
        std::sort(names.begin(), names.end());
        return names;
    }
    fs::path folder_;
};

TEST_F(X3pFolder, WritesAFileThatReadsBackAndLeavesNothingElse) {
    const Surface surface = readable_surface(8, 5, 1.5, 1.5, 8, 0.1);
    const fs::path target = folder_ / "scan.x3p";
    write_x3p(target, surface, example_metadata());
    EXPECT_EQ(listing(), std::vector<std::string>{"scan.x3p"});
    EXPECT_TRUE(file_bytes(target) == x3p_bytes(surface, example_metadata()));
    expect_same_surface(read_x3p(target).surface, surface);
    // Replacing an existing file works the same way.
    const Surface other = readable_surface(3, 2, 1.0, 1.0, 9, 0.0);
    write_x3p(target, other, {});
    EXPECT_EQ(listing(), std::vector<std::string>{"scan.x3p"});
    expect_same_surface(read_x3p(target).surface, other);
}

TEST_F(X3pFolder, MissingFolderFailsWithoutCreatingAnything) {
    const fs::path target = folder_ / "missing" / "scan.x3p";
    expect_file_error([&] { write_x3p(target, readable_surface(2, 2, 1, 1, 1, 0), {}); },
                      target.string() + ": cannot create a file in");
    EXPECT_TRUE(listing().empty());
}

TEST_F(X3pFolder, UnwritableFolderFailsWithoutLeavingFiles) {
    // /proc refuses new files even to root.
    expect_file_error([] { write_x3p("/proc/microstamp-x3p-test.x3p", readable_surface(2, 2, 1, 1, 1, 0), {}); },
                      "/proc/microstamp-x3p-test.x3p: cannot create a file in /proc");
    EXPECT_FALSE(fs::exists("/proc/microstamp-x3p-test.x3p"));
    if (::geteuid() != 0) {  // permission bits do not stop root
        fs::permissions(folder_, fs::perms::owner_read | fs::perms::owner_exec);
        expect_file_error([&] { write_x3p(folder_ / "scan.x3p", readable_surface(2, 2, 1, 1, 1, 0), {}); },
                          "cannot create a file in");
        fs::permissions(folder_, fs::perms::owner_all);
        EXPECT_TRUE(listing().empty());
    }
}

TEST_F(X3pFolder, FailedRenameRemovesTheTemporaryFile) {
    // A folder where the file should go: the data are written, the rename fails.
    fs::create_directory(folder_ / "scan.x3p");
    expect_file_error([&] { write_x3p(folder_ / "scan.x3p", readable_surface(2, 2, 1, 1, 1, 0), {}); },
                      "cannot replace the file");
    EXPECT_EQ(listing(), std::vector<std::string>{"scan.x3p"});
    EXPECT_TRUE(fs::is_directory(folder_ / "scan.x3p"));
    EXPECT_TRUE(fs::is_empty(folder_ / "scan.x3p"));
}

TEST_F(X3pFolder, InvalidSurfaceWritesNothing) {
    EXPECT_THROW(write_x3p(folder_ / "scan.x3p", Surface{}, {}), std::invalid_argument);
    EXPECT_TRUE(listing().empty());
}

} // namespace
} // namespace microstamp
