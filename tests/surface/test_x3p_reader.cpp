// x3p files built here: the forms the shared samples do not cover, broken files refused in
// one line, damage that never crashes, and writing to disk all or nothing.

#include "x3p_test_support.hpp"

#include <functional>

namespace microstamp {
namespace {

using namespace x3p_testing;

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

// A valid 48-byte grid whose main.xml is changed one way, then read as `name`.
void expect_changed_main_xml_refused(const std::function<void(MainXml&)>& change, const std::string& name,
                                     const std::string& message) {
    MainXml xml;
    change(xml);
    const Bytes data(48, 0);
    xml.data = data_link(data);
    expect_file_error([&] { read_x3p(make_x3p(xml.text(), data), name); }, message);
}

TEST(X3pReader, RefusesPointClouds) {
    expect_changed_main_xml_refused([](MainXml& xml) { xml.feature_type = std::string("PCL"); }, "cloud.x3p",
                                    "cloud.x3p: a point cloud (FeatureType PCL: unordered 3-D points, not heights on a "
                                    "grid) is not supported");
}

TEST(X3pReader, RefusesUnknownDataType) {
    expect_changed_main_xml_refused([](MainXml& xml) { xml.z_data_type = std::string("Q"); }, "odd.x3p",
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
