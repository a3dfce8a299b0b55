// x3p files: the shared samples, the conversion guarantees and our own files written and
// read back.

#include "x3p_test_support.hpp"

namespace microstamp {
namespace {

using namespace x3p_testing;

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

} // namespace
} // namespace microstamp
