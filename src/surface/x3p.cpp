#include "surface/x3p.hpp"

#include <fstream>

#include "surface/md5.hpp"

#include <fcntl.h>
#include <libdeflate.h>
#include <pugixml.hpp>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

namespace microstamp {

// ---------------------------------------------------------------------------
// Height conversion, metres <-> micrometres.
//
// No pair of conversions between binary64 metres and binary64 micrometres can
// be exact both ways for every double: log2(10^6) is not an integer, so in
// part of every octave the micrometre doubles are denser than the images of
// the metre doubles (some micrometre values cannot survive a write) and in the
// rest they are sparser (some metre values cannot survive a read). Measured
// over random doubles, about 4.4% of values fail each way; among the samples,
// 9 of the 115 distinct heights of csafe-logo.x3p share their micrometre
// reading with a neighbouring double.
//
// Both directions are therefore plain correctly rounded operations, which is
// the best possible: the metre values that read as a given micrometre value u
// form an interval centred on u / 10^6, so if any double lies in it, the
// nearest double to u / 10^6 does; the same holds the other way round. Hence,
// bit for bit (tests/surface/test_x3p.cpp checks each over random doubles):
//  - write then read gives u back whenever any metre value would (about 95.6%
//    of arbitrary doubles, and every height that itself came from a file),
//    and is otherwise one ulp away;
//  - read(write(read(file))) has the heights of read(file), for every file;
//  - write(read(write(surface))) has the data.bin of write(surface);
//  - a third-party D file keeps its data.bin bytes through read and write
//    unless it holds metre values that share a reading with a neighbour
//    (pyramid, testing and sample-land keep theirs; csafe-logo changes 4697
//    of 310479 values by one ulp in metres, its micrometre heights unchanged);
//  - NaN keeps its bits (R writes NA and -NaN; sample-land has both).
// Grid spacing does not go through binary metres at all: it is converted as
// decimal text by shifting the exponent, which is exact both ways.

namespace {
constexpr double micrometres_per_metre = 1e6;
} // namespace

double micrometres_from_metres(double metres) {
    if (std::isnan(metres)) return metres;
    return metres * micrometres_per_metre;
}

double metres_from_micrometres(double micrometres) {
    if (std::isnan(micrometres)) return micrometres;
    return micrometres / micrometres_per_metre;
}

namespace {

// ---------------------------------------------------------------------------
// Text helpers.

std::string_view trim(std::string_view text) {
    const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
}

std::string lowercase(std::string_view text) {
    std::string result(text);
    for (char& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return result;
}

// Quoting keeps a message on one line whatever the file put in its XML.
std::string quote_for_message(std::string_view text) {
    std::string result = "'";
    for (char c : text.substr(0, 80)) result.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
    if (text.size() > 80) result += "...";
    return result + "'";
}

[[noreturn]] void fail(const std::string& name, const std::string& what) { throw FileError(name + ": " + what); }

bool is_hex_md5(std::string_view text) {
    return text.size() == 32 && std::all_of(text.begin(), text.end(), [](char c) {
               return std::isxdigit(static_cast<unsigned char>(c)) != 0;
           });
}

std::optional<long long> parse_integer(std::string_view text) {
    text = trim(text);
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    long long value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

// Parses a decimal number and multiplies it by 10^shift exactly, by moving the
// exponent before the one rounding to binary. Accepts what xsd:double allows
// except INF and NaN.
std::optional<double> parse_scaled_decimal(std::string_view text, int shift) {
    text = trim(text);
    const std::size_t exponent_position = text.find_first_of("eE");
    std::string_view mantissa = text.substr(0, exponent_position);
    long long exponent = 0;
    if (exponent_position != std::string_view::npos) {
        const auto parsed = parse_integer(text.substr(exponent_position + 1));
        if (!parsed || *parsed > 100000 || *parsed < -100000) return std::nullopt;
        exponent = *parsed;
    }
    std::string digits;
    if (!mantissa.empty() && (mantissa.front() == '+' || mantissa.front() == '-')) {
        if (mantissa.front() == '-') digits.push_back('-');
        mantissa.remove_prefix(1);
    }
    bool seen_digit = false;
    bool seen_point = false;
    for (char c : mantissa) {
        if (c >= '0' && c <= '9') {
            seen_digit = true;
        } else if (c == '.' && !seen_point) {
            seen_point = true;
        } else {
            return std::nullopt;
        }
    }
    if (!seen_digit) return std::nullopt;
    digits.append(mantissa);
    digits += "e" + std::to_string(exponent + shift);
    double value = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    return value;
}

// The shortest decimal that reads back as `value`, times 10^shift, as text.
std::string format_scaled_decimal(double value, int shift) {
    std::array<char, 64> buffer{};
    const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                            std::chars_format::scientific);
    if (error != std::errc{}) throw std::logic_error("cannot format a double");
    const std::string_view text(buffer.data(), static_cast<std::size_t>(end - buffer.data()));
    const std::size_t exponent_position = text.find('e');
    const long long exponent = parse_integer(text.substr(exponent_position + 1)).value() + shift;
    std::string exponent_text = std::to_string(exponent < 0 ? -exponent : exponent);
    if (exponent_text.size() < 2) exponent_text.insert(0, "0");
    return std::string(text.substr(0, exponent_position)) + (exponent < 0 ? "e-" : "e+") + exponent_text;
}

// ---------------------------------------------------------------------------
// Little-endian numbers, independent of the host's byte order.

template <class Unsigned>
Unsigned load_little_endian(const std::uint8_t* bytes) {
    Unsigned value = 0;
    for (std::size_t i = 0; i < sizeof(Unsigned); ++i) value |= static_cast<Unsigned>(Unsigned{bytes[i]} << (8 * i));
    return value;
}

template <class Unsigned>
void append_little_endian(std::vector<std::uint8_t>& bytes, Unsigned value) {
    for (std::size_t i = 0; i < sizeof(Unsigned); ++i) bytes.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

// ---------------------------------------------------------------------------
// Zip archives through libzip.

std::string zip_error_text(zip_error_t* error) {
    const char* text = zip_error_strerror(error);
    return text != nullptr ? text : "unknown zip error";
}

class ZipReader {
public:
    // The bytes must outlive the reader: libzip reads them in place.
    ZipReader(std::span<const std::uint8_t> bytes, const std::string& name) : name_(name) {
        zip_error_t error;
        zip_error_init(&error);
        zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
        if (source == nullptr) fail(name, "cannot read zip data: " + zip_error_text(&error));
        open(source, &error);
    }

    ZipReader(const std::filesystem::path& path, const std::string& name) : name_(name) {
        zip_error_t error;
        zip_error_init(&error);
        zip_source_t* source = zip_source_file_create(path.c_str(), 0, -1, &error);
        if (source == nullptr) fail(name, "cannot open: " + zip_error_text(&error));
        open(source, &error);
    }

    ~ZipReader() {
        if (archive_ != nullptr) zip_discard(archive_);
    }
    ZipReader(const ZipReader&) = delete;
    ZipReader& operator=(const ZipReader&) = delete;

    std::vector<std::string> names() const {
        std::vector<std::string> result;
        const zip_int64_t count = zip_get_num_entries(archive_, 0);
        for (zip_int64_t i = 0; i < count; ++i) {
            const char* entry = zip_get_name(archive_, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_GUESS);
            result.emplace_back(entry != nullptr ? entry : "");
        }
        return result;
    }

    std::optional<zip_uint64_t> locate(const std::string& entry) const {
        zip_int64_t index = zip_name_locate(archive_, entry.c_str(), 0);
        if (index < 0) index = zip_name_locate(archive_, entry.c_str(), ZIP_FL_NOCASE);
        if (index < 0) return std::nullopt;
        return static_cast<zip_uint64_t>(index);
    }

    std::uint64_t size_of(zip_uint64_t index, const std::string& entry) const { return stat_of(index, entry).size; }

    // Hands an entry to `consume` in pieces, so that it is hashed and decoded in one
    // pass and never copied again. Refuses entries larger than `maximum_bytes` before
    // reading them.
    template <class Consume>
    std::uint64_t stream(zip_uint64_t index, const std::string& entry, std::uint64_t maximum_bytes, Consume&& consume) {
        const zip_stat_t stat = stat_of(index, entry);
        if (stat.size > maximum_bytes)
            fail(name_, entry + " is " + std::to_string(stat.size) + " bytes, more than the " +
                            std::to_string(maximum_bytes) + " it may hold");
        if (inflates_whole(stat)) return inflate_whole(index, entry, stat, consume);
        zip_file_t* file = zip_fopen_index(archive_, index, 0);
        if (file == nullptr)
            fail(name_, "cannot read " + entry + " from the archive: " + zip_error_text(zip_get_error(archive_)));
        const std::unique_ptr<std::uint8_t[]> buffer = std::make_unique_for_overwrite<std::uint8_t[]>(piece_bytes);
        std::uint64_t total = 0;
        for (;;) {
            const zip_int64_t got = zip_fread(file, buffer.get(), piece_bytes);
            if (got < 0) {
                const std::string reason = zip_error_text(zip_file_get_error(file));
                zip_fclose(file);
                fail(name_, entry + " is corrupt in the archive (" + reason + ")");
            }
            if (got == 0) break;
            total += static_cast<std::uint64_t>(got);
            if (total > stat.size) break;
            consume(std::span<const std::uint8_t>(buffer.get(), static_cast<std::size_t>(got)));
        }
        zip_fclose(file);
        if (total != stat.size)
            fail(name_, entry + " is truncated or corrupt in the archive (" + std::to_string(total) + " of " +
                            std::to_string(stat.size) + " bytes)");
        return total;
    }

    std::vector<std::uint8_t> read(zip_uint64_t index, const std::string& entry, std::uint64_t maximum_bytes) {
        std::vector<std::uint8_t> content;
        content.reserve(static_cast<std::size_t>(std::min(size_of(index, entry), maximum_bytes)));
        stream(index, entry, maximum_bytes,
               [&](std::span<const std::uint8_t> piece) { content.insert(content.end(), piece.begin(), piece.end()); });
        return content;
    }

private:
    // One byte short of 1 MiB, a multiple of no value size: large point data then
    // always arrive split mid-value, so that path is exercised, not rare.
    static constexpr std::size_t piece_bytes = (std::size_t{1} << 20) - 1;
    // Deflated entries up to this size are inflated at once by libdeflate, about 1.6
    // times as fast as zlib through libzip (the point data of a scan are most of its
    // reading time outside the reader; docs/serve.md); larger ones stream through libzip,
    // so no entry is ever held whole above it (256 MiB: a 5,800 x 5,800 scan of doubles).
    static constexpr std::uint64_t whole_entry_bytes = std::uint64_t{256} << 20;

    zip_stat_t stat_of(zip_uint64_t index, const std::string& entry) const {
        zip_stat_t stat;
        zip_stat_init(&stat);
        if (zip_stat_index(archive_, index, 0, &stat) != 0 || (stat.valid & ZIP_STAT_SIZE) == 0)
            fail(name_, "cannot read the size of " + entry + " in the archive");
        return stat;
    }

    static bool inflates_whole(const zip_stat_t& stat) {
        constexpr zip_uint64_t needed =
            ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD | ZIP_STAT_CRC | ZIP_STAT_ENCRYPTION_METHOD;
        return (stat.valid & needed) == needed && stat.comp_method == ZIP_CM_DEFLATE &&
               stat.encryption_method == ZIP_EM_NONE && stat.size <= whole_entry_bytes;
    }

    // The entry's deflate stream inflated into one buffer of its declared size: a stream
    // that would fill more, or less, is corrupt, and so is one whose CRC-32 (the zip's
    // own check, which libzip makes on the other path) differs. Handed on in the same
    // pieces as the streamed path.
    template <class Consume>
    std::uint64_t inflate_whole(zip_uint64_t index, const std::string& entry, const zip_stat_t& stat, Consume& consume) {
        const auto compressed_size = static_cast<std::size_t>(stat.comp_size);
        const std::unique_ptr<std::uint8_t[]> compressed = read_stored(index, entry, compressed_size);
        const auto size = static_cast<std::size_t>(stat.size);
        const std::unique_ptr<std::uint8_t[]> content =
            std::make_unique_for_overwrite<std::uint8_t[]>(std::max<std::size_t>(size, 1));
        const std::unique_ptr<libdeflate_decompressor, void (*)(libdeflate_decompressor*)> inflater(
            libdeflate_alloc_decompressor(), libdeflate_free_decompressor);
        if (!inflater) throw std::bad_alloc();
        std::size_t inflated = 0;
        const libdeflate_result result = libdeflate_deflate_decompress(inflater.get(), compressed.get(), compressed_size,
                                                                        content.get(), size, &inflated);
        if (result != LIBDEFLATE_SUCCESS || inflated != size)
            fail(name_, entry + " is truncated or corrupt in the archive (its deflate stream does not give the " +
                            std::to_string(size) + " bytes declared)");
        if (libdeflate_crc32(0, content.get(), size) != stat.crc)
            fail(name_, entry + " is corrupt in the archive (CRC error)");
        for (std::size_t at = 0; at < size; at += piece_bytes)
            consume(std::span<const std::uint8_t>(content.get() + at, std::min(piece_bytes, size - at)));
        return size;
    }

    // An entry's bytes as the archive stores them (compressed), checked to be all there.
    std::unique_ptr<std::uint8_t[]> read_stored(zip_uint64_t index, const std::string& entry, std::size_t stored_size) {
        zip_file_t* file = zip_fopen_index(archive_, index, ZIP_FL_COMPRESSED);
        if (file == nullptr)
            fail(name_, "cannot read " + entry + " from the archive: " + zip_error_text(zip_get_error(archive_)));
        std::unique_ptr<std::uint8_t[]> stored =
            std::make_unique_for_overwrite<std::uint8_t[]>(std::max<std::size_t>(stored_size, 1));
        const zip_int64_t got = zip_fread(file, stored.get(), stored_size);
        zip_fclose(file);
        if (got < 0 || static_cast<std::size_t>(got) != stored_size)
            fail(name_, entry + " is truncated or corrupt in the archive");
        return stored;
    }

    void open(zip_source_t* source, zip_error_t* error) {
        // ZIP_CHECKCONS compares the central directory with the local headers,
        // which catches archives cut short or spliced, not only missing ends.
        archive_ = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, error);
        if (archive_ != nullptr) return;
        zip_source_free(source);
        const int code = zip_error_code_zip(error);
        if (code == ZIP_ER_NOZIP)
            fail(name_, "not a zip archive, or truncated (no zip central directory found)");
        if (code == ZIP_ER_INCONS)
            fail(name_, "zip archive is truncated or corrupt (inconsistent directory)");
        if (code == ZIP_ER_NOENT || code == ZIP_ER_OPEN || code == ZIP_ER_READ)
            fail(name_, "cannot open: " + zip_error_text(error));
        fail(name_, "cannot open the zip archive: " + zip_error_text(error));
    }

    std::string name_;
    zip_t* archive_ = nullptr;
};

// ---------------------------------------------------------------------------
// main.xml access by local name: real files spell the root p:ISO5436_2,
// ISO5436_2 or ISO5436, and the records carry no prefix.

std::string_view local_name(const char* qualified) {
    std::string_view name(qualified);
    const std::size_t colon = name.find(':');
    return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child(pugi::xml_node parent, std::string_view name) {
    for (pugi::xml_node node : parent.children())
        if (node.type() == pugi::node_element && local_name(node.name()) == name) return node;
    return {};
}

std::string text_of(pugi::xml_node node) { return node ? std::string(node.text().get()) : std::string(); }

// The archive's member names are relative to main.xml's folder; resolve them
// lexically and refuse names that climb out of the archive.
std::optional<std::string> resolve_link(const std::string& folder, std::string_view link) {
    std::string text(trim(link));
    std::replace(text.begin(), text.end(), '\\', '/');
    std::vector<std::string> parts;
    std::string combined = folder + text;
    std::size_t start = 0;
    while (start <= combined.size()) {
        std::size_t end = combined.find('/', start);
        if (end == std::string::npos) end = combined.size();
        const std::string part = combined.substr(start, end - start);
        if (part == "..") {
            if (parts.empty()) return std::nullopt;
            parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        start = end + 1;
    }
    if (parts.empty()) return std::nullopt;
    std::string resolved;
    for (const std::string& part : parts) resolved += (resolved.empty() ? "" : "/") + part;
    return resolved;
}

// Finder metadata and AppleDouble files are noise that macOS adds to archives.
bool is_archive_noise(std::string_view entry) {
    if (entry.starts_with("__MACOSX/") || entry.find("/__MACOSX/") != std::string_view::npos) return true;
    const std::size_t slash = entry.rfind('/');
    const std::string_view base = slash == std::string_view::npos ? entry : entry.substr(slash + 1);
    return base.starts_with("._");
}

// A limit that keeps a hostile or broken file from exhausting memory before its
// data have been checked (the points and main.xml's size are in X3pReadLimits).
constexpr std::uint64_t maximum_checksum_file_bytes = 64 * 1024;

const char* const x3p_namespace = "http://www.opengps.eu/2008/ISO5436_2";
const char* const stale_checksum_warning =
    "main.xml checksum does not match md5checksum.hex (file edited after writing?)";

// SurfaceMetadata holds the probing system in one string; x3p splits it into
// Type and Identification. Joining with this separator and splitting at its
// first occurrence (only when something follows) gives back every string.
constexpr std::string_view probing_separator = "; ";

std::size_t bytes_per_value(char data_type) {
    switch (data_type) {
    case 'I': return 2;
    case 'L': return 4;
    case 'F': return 4;
    case 'D': return 8;
    default: return 0;
    }
}

struct ZAxis {
    char data_type = 'D';
    // Applied to integer types only. x3ptools ignores CZ Increment for F and D,
    // and csafe-logo.x3p declares 1e-06 while storing metres: honouring it
    // would shrink such files a millionfold.
    double increment_um = micrometres_per_metre;
    double offset_um = 0;
};

struct ParsedMain {
    std::size_t size_x = 0;
    std::size_t size_y = 0;
    double spacing_x_um = 0;
    double spacing_y_um = 0;
    ZAxis z;
    SurfaceMetadata metadata;
    pugi::xml_node record3;
    pugi::xml_node record4;
};

double incremental_axis_spacing(pugi::xml_node axes, const char* axis_name, const std::string& name) {
    const pugi::xml_node axis = child(axes, axis_name);
    if (!axis) fail(name, std::string("main.xml has no ") + axis_name + " axis in Record1");
    const std::string axis_type(trim(text_of(child(axis, "AxisType"))));
    if (axis_type == "A")
        fail(name, std::string("point-cloud x3p (absolute ") + axis_name[1] + " axis) is not supported");
    if (axis_type != "I")
        fail(name, std::string(axis_name) + " AxisType " + quote_for_message(axis_type) +
                       " is neither I (incremental) nor A");
    const pugi::xml_node increment = child(axis, "Increment");
    if (!increment) fail(name, std::string(axis_name) + " has no Increment (grid spacing)");
    const auto spacing = parse_scaled_decimal(text_of(increment), 6);
    if (!spacing || !std::isfinite(*spacing) || *spacing <= 0)
        fail(name, std::string(axis_name) + " Increment " + quote_for_message(text_of(increment)) +
                       " is not a positive spacing in metres");
    return *spacing;
}

ParsedMain parse_main(const pugi::xml_document& document, const std::string& name, std::uint64_t max_points) {
    ParsedMain parsed;
    const pugi::xml_node root = document.document_element();
    if (!root || !local_name(root.name()).starts_with("ISO5436"))
        fail(name, "main.xml root element is " + quote_for_message(root ? root.name() : "") + ", not ISO5436_2");

    const pugi::xml_node record1 = child(root, "Record1");
    if (!record1) fail(name, "main.xml has no Record1 (axis description)");
    const std::string feature_type(trim(text_of(child(record1, "FeatureType"))));
    if (feature_type == "PCL") fail(name, "point-cloud x3p (FeatureType PCL) is not supported");
    const pugi::xml_node axes = child(record1, "Axes");
    if (!axes) fail(name, "main.xml has no Axes in Record1");
    parsed.spacing_x_um = incremental_axis_spacing(axes, "CX", name);
    parsed.spacing_y_um = incremental_axis_spacing(axes, "CY", name);

    const pugi::xml_node z_axis = child(axes, "CZ");
    if (!z_axis) fail(name, "main.xml has no CZ axis in Record1");
    const std::string z_axis_type(trim(text_of(child(z_axis, "AxisType"))));
    if (z_axis_type != "A")
        fail(name, "CZ AxisType " + quote_for_message(z_axis_type) + " is not A (absolute heights)");
    const std::string z_type(trim(text_of(child(z_axis, "DataType"))));
    if (!child(z_axis, "DataType")) fail(name, "CZ has no DataType");
    if (z_type.size() != 1 || bytes_per_value(z_type[0]) == 0)
        fail(name, "unknown CZ DataType " + quote_for_message(z_type) + " (expected I, L, F or D)");
    parsed.z.data_type = z_type[0];
    const std::string z_increment(trim(text_of(child(z_axis, "Increment"))));
    const std::string z_offset(trim(text_of(child(z_axis, "Offset"))));
    if (!z_increment.empty()) {
        const auto value = parse_scaled_decimal(z_increment, 6);
        if (!value || !std::isfinite(*value))
            fail(name, "CZ Increment " + quote_for_message(z_increment) + " is not a number");
        parsed.z.increment_um = *value;
    }
    if (!z_offset.empty()) {
        const auto value = parse_scaled_decimal(z_offset, 6);
        if (!value || !std::isfinite(*value))
            fail(name, "CZ Offset " + quote_for_message(z_offset) + " is not a number");
        parsed.z.offset_um = *value;
    }

    const pugi::xml_node record2 = child(root, "Record2");
    if (record2) {
        SurfaceMetadata& metadata = parsed.metadata;
        metadata.date = text_of(child(record2, "Date"));
        metadata.creator = text_of(child(record2, "Creator"));
        const pugi::xml_node instrument = child(record2, "Instrument");
        metadata.instrument_manufacturer = text_of(child(instrument, "Manufacturer"));
        metadata.instrument_model = text_of(child(instrument, "Model"));
        metadata.instrument_serial = text_of(child(instrument, "Serial"));
        metadata.instrument_version = text_of(child(instrument, "Version"));
        metadata.calibration_date = text_of(child(record2, "CalibrationDate"));
        const pugi::xml_node probing = child(record2, "ProbingSystem");
        metadata.probing_system = text_of(child(probing, "Type"));
        const std::string identification = text_of(child(probing, "Identification"));
        if (!identification.empty())
            metadata.probing_system += std::string(probing_separator) + identification;
        metadata.comment = text_of(child(record2, "Comment"));
    }

    parsed.record3 = child(root, "Record3");
    if (!parsed.record3) fail(name, "main.xml has no Record3 (the data)");
    if (child(parsed.record3, "ListDimension"))
        fail(name, "point-cloud x3p (unordered ListDimension) is not supported");
    const pugi::xml_node dimensions = child(parsed.record3, "MatrixDimension");
    if (!dimensions) fail(name, "main.xml has no MatrixDimension in Record3");
    const auto dimension = [&](const char* element, std::optional<long long> absent) {
        const pugi::xml_node node = child(dimensions, element);
        if (!node) {
            if (absent) return static_cast<std::uint64_t>(*absent);
            fail(name, std::string("MatrixDimension has no ") + element);
        }
        const auto value = parse_integer(text_of(node));
        if (!value || *value < 0)
            fail(name, std::string("MatrixDimension ") + element + " " + quote_for_message(text_of(node)) +
                           " is not a whole number");
        return static_cast<std::uint64_t>(*value);
    };
    const std::uint64_t size_x = dimension("SizeX", std::nullopt);
    const std::uint64_t size_y = dimension("SizeY", std::nullopt);
    const std::uint64_t size_z = dimension("SizeZ", 1);
    if (size_x == 0 || size_y == 0 || size_z == 0)
        fail(name, "zero dimensions (SizeX " + std::to_string(size_x) + ", SizeY " + std::to_string(size_y) +
                       ", SizeZ " + std::to_string(size_z) + ")");
    if (size_z != 1) fail(name, "multi-layer x3p (SizeZ " + std::to_string(size_z) + ", must be 1) is not supported");
    if (size_x > max_points / size_y)
        fail(name, "matrix of " + std::to_string(size_x) + " x " + std::to_string(size_y) +
                       " points is larger than the " + std::to_string(max_points) + " points allowed");
    parsed.size_x = static_cast<std::size_t>(size_x);
    parsed.size_y = static_cast<std::size_t>(size_y);
    parsed.record4 = child(root, "Record4");
    return parsed;
}

double height_from_integer(long long stored, const ZAxis& z) {
    return static_cast<double>(stored) * z.increment_um + z.offset_um;
}

// Decodes whole values of the binary point data, X fastest, into micrometres,
// starting at point `first`. NaN keeps its bits in heights_um so that writing the
// surface again reproduces them. Instruments also write unmeasured points as +inf or
// -inf (some focus-variation exporters, with no valid.bin): those are invalid too, and
// become NaN so that no consumer can take them for a height.
inline void store_height(double height, double& stored, std::uint8_t& valid) {
    if (std::isfinite(height)) {
        stored = height;
        valid = 1;
    } else {
        stored = std::isnan(height) ? height : std::numeric_limits<double>::quiet_NaN();
        valid = 0;
    }
}

template <class Stored, class ToMicrometres>
void decode_values(std::span<const std::uint8_t> data, Surface& surface, std::size_t first, ToMicrometres&& convert) {
    const std::size_t count = data.size() / sizeof(Stored);
    const std::uint8_t* bytes = data.data();
    double* heights = surface.heights_um.data() + first;
    std::uint8_t* valid = surface.valid.data() + first;
    for (std::size_t i = 0; i < count; ++i) {
        const double height = convert(std::bit_cast<Stored>(load_little_endian<std::make_unsigned_t<Stored>>(
            bytes + sizeof(Stored) * i)));
        store_height(height, heights[i], valid[i]);
    }
}

void decode_binary_points(std::span<const std::uint8_t> data, const ZAxis& z, Surface& surface, std::size_t first) {
    const auto from_integer = [&](auto stored) { return height_from_integer(stored, z); };
    switch (z.data_type) {
    case 'D':
        decode_values<std::int64_t>(data, surface, first, [](std::int64_t bits) {
            return micrometres_from_metres(std::bit_cast<double>(bits));
        });
        break;
    case 'F':
        decode_values<std::int32_t>(data, surface, first, [](std::int32_t bits) {
            return micrometres_from_metres(static_cast<double>(std::bit_cast<float>(bits)));
        });
        break;
    case 'I': decode_values<std::int16_t>(data, surface, first, from_integer); break;
    case 'L': decode_values<std::int32_t>(data, surface, first, from_integer); break;
    default: throw std::logic_error("unchecked data type");
    }
}

// Takes the point data as the archive inflates it, in pieces of any length: each
// piece is hashed and decoded in place, so the data are never held whole beside the
// heights. A value split between two pieces waits in `partial`.
class PointDecoder {
public:
    PointDecoder(const ZAxis& z, Surface& surface)
        : z_(z), surface_(surface), value_bytes_(bytes_per_value(z.data_type)) {}

    void consume(std::span<const std::uint8_t> piece) {
        digest_.update(piece);
        if (partial_bytes_ > 0 && decoded_ < surface_.size()) {
            const std::size_t taken = std::min(value_bytes_ - partial_bytes_, piece.size());
            std::copy_n(piece.begin(), taken, partial_.begin() + static_cast<std::ptrdiff_t>(partial_bytes_));
            partial_bytes_ += taken;
            piece = piece.subspan(taken);
            if (partial_bytes_ < value_bytes_) return;
            decode_binary_points(std::span<const std::uint8_t>(partial_.data(), value_bytes_), z_, surface_, decoded_);
            ++decoded_;
            partial_bytes_ = 0;
        }
        // Bytes past the matrix are hashed (they are part of the stored file) but not decoded.
        const std::size_t whole = std::min(piece.size() / value_bytes_, surface_.size() - decoded_);
        decode_binary_points(piece.first(whole * value_bytes_), z_, surface_, decoded_);
        decoded_ += whole;
        piece = piece.subspan(whole * value_bytes_);
        if (decoded_ < surface_.size() && !piece.empty()) {
            std::copy(piece.begin(), piece.end(), partial_.begin());
            partial_bytes_ = piece.size();
        }
    }

    std::string hex_digest() { return digest_.hex_digest(); }

private:
    const ZAxis& z_;
    Surface& surface_;
    std::size_t value_bytes_;
    std::size_t decoded_ = 0;
    std::array<std::uint8_t, 8> partial_{};
    std::size_t partial_bytes_ = 0;
    Md5 digest_;
};

void read_data_link(ZipReader& zip, const std::string& folder, pugi::xml_node data_link, const ZAxis& z,
                    X3pFile& result, const std::string& name) {
    Surface& surface = result.surface;
    const std::string point_link = text_of(child(data_link, "PointDataLink"));
    if (trim(point_link).empty()) fail(name, "DataLink has no PointDataLink");
    const auto point_entry = resolve_link(folder, point_link);
    if (!point_entry)
        fail(name, "PointDataLink " + quote_for_message(point_link) + " is not a file name inside the archive");
    const auto point_index = zip.locate(*point_entry);
    if (!point_index) fail(name, "point data file " + *point_entry + " named in main.xml is missing from the archive");

    const std::uint64_t expected = static_cast<std::uint64_t>(surface.size()) * bytes_per_value(z.data_type);
    const std::uint64_t stored = zip.size_of(*point_index, *point_entry);
    if (stored < expected)
        fail(name, *point_entry + " is too short: " + std::to_string(stored) + " bytes for " +
                       std::to_string(surface.width) + " x " + std::to_string(surface.height) + " points of type " +
                       std::string(1, z.data_type) + " (" + std::to_string(expected) + " bytes needed)");
    // Memory is taken only once the archive vouches for that much data, so a
    // few bytes of XML cannot claim gigabytes. The heights are decoded before the
    // MD5 verdict is known; a failed check throws and they are never returned.
    surface.heights_um.resize(surface.size());
    surface.valid.resize(surface.size());
    PointDecoder decoder(z, surface);
    zip.stream(*point_index, *point_entry, std::numeric_limits<std::uint64_t>::max(),
               [&](std::span<const std::uint8_t> piece) { decoder.consume(piece); });
    result.point_data_md5 = decoder.hex_digest();
    if (stored > expected)
        result.warnings.push_back(*point_entry + " holds " + std::to_string(stored - expected) +
                                  " bytes more than the matrix needs; they were ignored");

    const std::string declared_md5 = lowercase(trim(text_of(child(data_link, "MD5ChecksumPointData"))));
    if (declared_md5.empty()) {
        result.warnings.push_back("main.xml gives no MD5ChecksumPointData: " + *point_entry + " is unchecked");
    } else if (declared_md5 != result.point_data_md5) {
        fail(name, *point_entry + " fails its MD5 check (corrupt heights): main.xml says " + declared_md5 +
                       ", the data hash to " + result.point_data_md5);
    }

    const std::string valid_link = text_of(child(data_link, "ValidPointsLink"));
    if (trim(valid_link).empty()) return;
    const auto valid_entry = resolve_link(folder, valid_link);
    if (!valid_entry)
        fail(name, "ValidPointsLink " + quote_for_message(valid_link) + " is not a file name inside the archive");
    const auto valid_index = zip.locate(*valid_entry);
    if (!valid_index) fail(name, "valid-point mask " + *valid_entry + " named in main.xml is missing from the archive");
    const std::uint64_t mask_bytes = (static_cast<std::uint64_t>(surface.size()) + 7) / 8;
    const std::vector<std::uint8_t> mask = zip.read(*valid_index, *valid_entry, mask_bytes + (1 << 20));
    if (mask.size() < mask_bytes)
        fail(name, *valid_entry + " is too short: " + std::to_string(mask.size()) + " bytes, " +
                       std::to_string(mask_bytes) + " needed for one bit per point");
    const std::string declared_mask_md5 = lowercase(trim(text_of(child(data_link, "MD5ChecksumValidPoints"))));
    if (!declared_mask_md5.empty() && declared_mask_md5 != md5_hex(mask))
        fail(name, *valid_entry + " fails its MD5 check (corrupt valid-point mask)");
    // The schema says only "a packed array of bools"; the bit order is the
    // reference implementation's: openGPS ValidBuffer::IsValid tests bit
    // (index % 8) of byte (index / 8), least significant first, 1 = measured.
    const double not_a_number = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t i = 0; i < surface.size(); ++i) {
        if (((mask[i / 8] >> (i % 8)) & 1U) != 0) continue;
        surface.valid[i] = 0;
        if (!std::isnan(surface.heights_um[i])) surface.heights_um[i] = not_a_number;
    }
}

void read_data_list(pugi::xml_node data_list, const ZAxis& z, Surface& surface, const std::string& name) {
    const auto is_datum = [](pugi::xml_node node) {
        return node.type() == pugi::node_element && local_name(node.name()) == "Datum";
    };
    const auto count = static_cast<std::size_t>(
        std::count_if(data_list.children().begin(), data_list.children().end(), is_datum));
    if (count != surface.size())
        fail(name, "DataList holds " + std::to_string(count) + " Datum elements, SizeX x SizeY is " +
                       std::to_string(surface.size()));
    surface.heights_um.assign(surface.size(), 0.0);
    surface.valid.assign(surface.size(), 1);
    std::size_t index = 0;
    const double not_a_number = std::numeric_limits<double>::quiet_NaN();
    for (pugi::xml_node datum : data_list.children()) {
        if (!is_datum(datum)) continue;
        // A Datum lists the coordinates of the absolute axes separated by ';'.
        // With X and Y incremental that is z alone; "x;y;z" also occurs.
        const std::string text(trim(datum.text().get()));
        std::vector<std::string_view> fields;
        std::string_view rest = text;
        for (;;) {
            const std::size_t semicolon = rest.find(';');
            fields.push_back(trim(rest.substr(0, semicolon)));
            if (semicolon == std::string_view::npos) break;
            rest.remove_prefix(semicolon + 1);
        }
        if (fields.size() != 1 && fields.size() != 3)
            fail(name, "DataList Datum " + std::to_string(index + 1) + " " + quote_for_message(text) +
                           " is neither 'z' nor 'x;y;z'");
        const std::string_view value = fields.back();
        double height = not_a_number;
        // Unmeasured points as exporters spell them: empty, NaN, or an infinity.
        const std::string word = lowercase(value);
        const bool unmeasured = word == "nan" || word == "inf" || word == "+inf" || word == "-inf" || word == "infinity" ||
                                word == "+infinity" || word == "-infinity";
        if (!value.empty() && !unmeasured) {
            std::optional<double> parsed;
            if (z.data_type == 'I' || z.data_type == 'L') {
                if (const auto stored = parse_integer(value)) parsed = height_from_integer(*stored, z);
            } else if (z.data_type == 'F') {
                float metres = 0;
                const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), metres);
                if (error == std::errc{} && end == value.data() + value.size())
                    parsed = micrometres_from_metres(static_cast<double>(metres));
            } else {
                parsed = parse_scaled_decimal(value, 6);
            }
            if (!parsed)
                fail(name, "DataList Datum " + std::to_string(index + 1) + " " + quote_for_message(value) +
                               " is not a value of type " + std::string(1, z.data_type));
            height = *parsed;
        }
        store_height(height, surface.heights_um[index], surface.valid[index]);
        ++index;
    }
}

void check_main_checksum(ZipReader& zip, const std::string& folder, pugi::xml_node record4,
                         std::span<const std::uint8_t> main_bytes, X3pFile& result) {
    if (!record4) {
        result.warnings.push_back("main.xml has no Record4, so its checksum cannot be checked");
        return;
    }
    const std::string checksum_link = text_of(child(record4, "ChecksumFile"));
    const auto checksum_entry = resolve_link(folder, checksum_link);
    const auto checksum_index = checksum_entry ? zip.locate(*checksum_entry) : std::nullopt;
    if (!checksum_index) {
        result.warnings.push_back("checksum file " + quote_for_message(checksum_link) + " named in Record4 is missing");
        return;
    }
    const std::vector<std::uint8_t> content = zip.read(*checksum_index, *checksum_entry, maximum_checksum_file_bytes);
    // md5sum writes "hash  name" or "hash *name" and prefixes a backslash when
    // the name needed escaping; x3ptools writes the hash alone.
    std::string_view text(reinterpret_cast<const char*>(content.data()), content.size());
    text = trim(text);
    if (!text.empty() && text.front() == '\\') text.remove_prefix(1);
    const std::string_view hash = text.substr(0, text.find_first_of(" \t\r\n"));
    if (!is_hex_md5(hash)) {
        result.warnings.push_back(*checksum_entry + " does not hold an MD5 checksum of main.xml");
        return;
    }
    if (lowercase(hash) != md5_hex(main_bytes)) result.warnings.push_back(stale_checksum_warning);
}

X3pFile read_from_zip(ZipReader& zip, const std::string& name, const X3pReadLimits& limits) {
    const std::vector<std::string> names = zip.names();
    std::vector<std::string> candidates;
    for (const std::string& entry : names) {
        if (is_archive_noise(entry)) continue;
        const std::size_t slash = entry.rfind('/');
        const std::string base = slash == std::string::npos ? entry : entry.substr(slash + 1);
        if (lowercase(base) == "main.xml") candidates.push_back(entry);
    }
    if (candidates.empty()) fail(name, "no main.xml in the archive (not an x3p file?)");
    const auto depth = [](const std::string& entry) { return std::count(entry.begin(), entry.end(), '/'); };
    std::stable_sort(candidates.begin(), candidates.end(),
                     [&](const std::string& a, const std::string& b) { return depth(a) < depth(b); });
    if (candidates.size() > 1 && depth(candidates[0]) == depth(candidates[1]))
        fail(name, "archive holds more than one main.xml (" + candidates[0] + ", " + candidates[1] + ")");
    const std::string& main_entry = candidates.front();
    const std::string folder = main_entry.substr(0, main_entry.rfind('/') + 1);

    const std::vector<std::uint8_t> main_bytes = zip.read(*zip.locate(main_entry), main_entry, limits.max_xml_bytes);
    pugi::xml_document document;
    const pugi::xml_parse_result parsed_xml = document.load_buffer(
        main_bytes.data(), main_bytes.size(), pugi::parse_default | pugi::parse_ws_pcdata_single);
    if (!parsed_xml)
        fail(name, "main.xml is not well-formed XML (" + std::string(parsed_xml.description()) + " at byte " +
                       std::to_string(parsed_xml.offset) + ")");

    const ParsedMain main = parse_main(document, name, limits.max_points);
    X3pFile result;
    result.metadata = main.metadata;
    result.z_data_type = main.z.data_type;
    Surface& surface = result.surface;
    surface.width = main.size_x;
    surface.height = main.size_y;
    surface.spacing_x_um = main.spacing_x_um;
    surface.spacing_y_um = main.spacing_y_um;

    const pugi::xml_node data_link = child(main.record3, "DataLink");
    const pugi::xml_node data_list = child(main.record3, "DataList");
    if (!data_link && !data_list) fail(name, "Record3 has neither a DataLink nor a DataList");
    if (data_link) {
        read_data_link(zip, folder, data_link, main.z, result, name);
    } else {
        read_data_list(data_list, main.z, surface, name);
    }
    check_main_checksum(zip, folder, main.record4, main_bytes, result);
    return result;
}

// ---------------------------------------------------------------------------
// Writing.

// XML 1.0 forbids most control characters even when escaped; replacing them
// keeps the file readable by every parser at the cost of those characters.
std::string xml_safe(std::string_view text) {
    std::string result;
    result.reserve(text.size());
    for (char c : text) {
        const auto code = static_cast<unsigned char>(c);
        if (code < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            result += "\xEF\xBF\xBD";
        } else {
            result.push_back(c);
        }
    }
    return result;
}

pugi::xml_node add_element(pugi::xml_node parent, const char* element, std::string_view value) {
    pugi::xml_node node = parent.append_child(element);
    if (!value.empty()) node.append_child(pugi::node_pcdata).set_value(xml_safe(value).c_str());
    return node;
}

void add_axis(pugi::xml_node axes, const char* axis_name, const char* axis_type, const char* data_type,
              const std::string& increment) {
    pugi::xml_node axis = axes.append_child(axis_name);
    add_element(axis, "AxisType", axis_type);
    add_element(axis, "DataType", data_type);
    add_element(axis, "Increment", increment);
    add_element(axis, "Offset", "0");
}

std::string main_xml(const Surface& surface, const SurfaceMetadata& metadata, char z_data_type,
                     const std::string& data_md5, const std::string& valid_md5) {
    pugi::xml_document document;
    pugi::xml_node declaration = document.append_child(pugi::node_declaration);
    declaration.append_attribute("version") = "1.0";
    declaration.append_attribute("encoding") = "UTF-8";
    pugi::xml_node root = document.append_child("p:ISO5436_2");
    root.append_attribute("xmlns:p") = x3p_namespace;
    root.append_attribute("xmlns:xsi") = "http://www.w3.org/2001/XMLSchema-instance";
    root.append_attribute("xsi:schemaLocation") =
        "http://www.opengps.eu/2008/ISO5436_2 http://www.opengps.eu/2008/ISO5436_2/ISO5436_2.xsd";

    pugi::xml_node record1 = root.append_child("Record1");
    add_element(record1, "Revision", "ISO5436 - 2000");
    add_element(record1, "FeatureType", "SUR");
    pugi::xml_node axes = record1.append_child("Axes");
    add_axis(axes, "CX", "I", "D", format_scaled_decimal(surface.spacing_x_um, -6));
    add_axis(axes, "CY", "I", "D", format_scaled_decimal(surface.spacing_y_um, -6));
    // Increment 1 reads the same whether a reader applies it to floats or not.
    add_axis(axes, "CZ", "A", z_data_type == 'F' ? "F" : "D", "1");

    pugi::xml_node record2 = root.append_child("Record2");
    add_element(record2, "Date", metadata.date);
    add_element(record2, "Creator", metadata.creator);
    pugi::xml_node instrument = record2.append_child("Instrument");
    add_element(instrument, "Manufacturer", metadata.instrument_manufacturer);
    add_element(instrument, "Model", metadata.instrument_model);
    add_element(instrument, "Serial", metadata.instrument_serial);
    add_element(instrument, "Version", metadata.instrument_version);
    add_element(record2, "CalibrationDate", metadata.calibration_date);
    pugi::xml_node probing = record2.append_child("ProbingSystem");
    std::string_view probing_type = metadata.probing_system;
    std::string_view identification;
    const std::size_t separator = probing_type.find(probing_separator);
    if (separator != std::string_view::npos && separator + probing_separator.size() < probing_type.size()) {
        identification = probing_type.substr(separator + probing_separator.size());
        probing_type = probing_type.substr(0, separator);
    }
    add_element(probing, "Type", probing_type);
    add_element(probing, "Identification", identification);
    add_element(record2, "Comment", metadata.comment);

    pugi::xml_node record3 = root.append_child("Record3");
    pugi::xml_node dimensions = record3.append_child("MatrixDimension");
    add_element(dimensions, "SizeX", std::to_string(surface.width));
    add_element(dimensions, "SizeY", std::to_string(surface.height));
    add_element(dimensions, "SizeZ", "1");
    pugi::xml_node data_link = record3.append_child("DataLink");
    add_element(data_link, "PointDataLink", "bindata/data.bin");
    add_element(data_link, "MD5ChecksumPointData", data_md5);
    if (!valid_md5.empty()) {
        add_element(data_link, "ValidPointsLink", "bindata/valid.bin");
        add_element(data_link, "MD5ChecksumValidPoints", valid_md5);
    }

    pugi::xml_node record4 = root.append_child("Record4");
    add_element(record4, "ChecksumFile", "md5checksum.hex");

    std::ostringstream out;
    document.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
    return out.str();
}

class ZipWriter {
public:
    ZipWriter() {
        zip_error_t error;
        zip_error_init(&error);
        buffer_ = zip_source_buffer_create(nullptr, 0, 0, &error);
        if (buffer_ == nullptr) throw std::runtime_error("libzip cannot create a buffer: " + zip_error_text(&error));
        archive_ = zip_open_from_source(buffer_, ZIP_TRUNCATE, &error);
        if (archive_ == nullptr) {
            zip_source_free(buffer_);
            throw std::runtime_error("libzip cannot create an archive: " + zip_error_text(&error));
        }
        // Keep the buffer alive past zip_close: it holds the finished archive.
        zip_source_keep(buffer_);
    }
    ~ZipWriter() {
        if (archive_ != nullptr) zip_discard(archive_);
        zip_source_free(buffer_);
    }
    ZipWriter(const ZipWriter&) = delete;
    ZipWriter& operator=(const ZipWriter&) = delete;

    void add_folder(const char* entry) { stamp(zip_dir_add(archive_, entry, ZIP_FL_ENC_UTF_8), entry); }

    // The content must stay alive until finish(): libzip reads it then.
    void add_file(const char* entry, std::span<const std::uint8_t> content) {
        zip_source_t* source = zip_source_buffer(archive_, content.data(), content.size(), 0);
        if (source == nullptr) failure(entry);
        const zip_int64_t index = zip_file_add(archive_, entry, source, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
        if (index < 0) {
            zip_source_free(source);
            failure(entry);
        }
        stamp(index, entry);
    }

    std::vector<std::uint8_t> finish() {
        if (zip_close(archive_) != 0) failure("the archive");
        archive_ = nullptr;
        std::vector<std::uint8_t> bytes;
        if (zip_source_open(buffer_) != 0) throw std::runtime_error("libzip cannot reopen its buffer");
        zip_source_seek(buffer_, 0, SEEK_END);
        const zip_int64_t size = zip_source_tell(buffer_);
        zip_source_seek(buffer_, 0, SEEK_SET);
        bytes.resize(static_cast<std::size_t>(std::max<zip_int64_t>(size, 0)));
        const zip_int64_t got = zip_source_read(buffer_, bytes.data(), bytes.size());
        zip_source_close(buffer_);
        if (size < 0 || got != size) throw std::runtime_error("libzip cannot read back the archive");
        return bytes;
    }

private:
    // A fixed timestamp (1980-01-01 00:00, the zip epoch) makes the archive a
    // function of its content; the scan's own date is in Record2.
    void stamp(zip_int64_t index, const char* entry) {
        if (index < 0) failure(entry);
        constexpr zip_uint16_t dos_time = 0;
        constexpr zip_uint16_t dos_date = (0 << 9) | (1 << 5) | 1;
        if (zip_file_set_dostime(archive_, static_cast<zip_uint64_t>(index), dos_time, dos_date, 0) != 0)
            failure(entry);
    }

    [[noreturn]] void failure(const char* entry) {
        throw std::runtime_error(std::string("libzip cannot write ") + entry + ": " +
                                 zip_error_text(zip_get_error(archive_)));
    }

    zip_source_t* buffer_ = nullptr;
    zip_t* archive_ = nullptr;
};

std::string system_message(int error_number) { return std::system_category().message(error_number); }

// Writes to a fresh file beside the target and renames it into place, so a
// reader never sees half a file and a failure leaves nothing behind.
void write_file_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
    const std::string name = path.string();
    const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    std::random_device entropy;
    std::filesystem::path temporary;
    int descriptor = -1;
    for (int attempt = 0; attempt < 100 && descriptor < 0; ++attempt) {
        std::string temporary_name = ".";
        temporary_name += path.filename().string();
        temporary_name += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(entropy());
        temporary = folder / temporary_name;
        // 0666 lets the process umask decide the permissions, as for any new file.
        descriptor = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (descriptor < 0 && errno != EEXIST)
            throw FileError(name + ": cannot create a file in " + folder.string() + ": " + system_message(errno));
    }
    if (descriptor < 0) throw FileError(name + ": cannot create a unique temporary file in " + folder.string());

    const auto abandon = [&](const std::string& what, int error_number) {
        if (descriptor >= 0) ::close(descriptor);
        ::unlink(temporary.c_str());
        throw FileError(name + ": " + what + ": " + system_message(error_number));
    };
    std::size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t result = ::write(descriptor, bytes.data() + written, bytes.size() - written);
        if (result < 0) {
            if (errno == EINTR) continue;
            abandon("cannot write", errno);
        }
        written += static_cast<std::size_t>(result);
    }
    if (::fsync(descriptor) != 0) abandon("cannot flush to disk", errno);
    const int closed = ::close(descriptor);
    descriptor = -1;
    if (closed != 0) abandon("cannot write", errno);
    if (::rename(temporary.c_str(), path.c_str()) != 0) abandon("cannot replace the file", errno);
    // Make the rename itself durable; a failure here loses nothing already visible.
    const int folder_descriptor = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (folder_descriptor >= 0) {
        ::fsync(folder_descriptor);
        ::close(folder_descriptor);
    }
}

} // namespace

X3pFile read_x3p(std::span<const std::uint8_t> zip_bytes, const std::string& name_for_messages,
                 const X3pReadLimits& limits) {
    if (zip_bytes.empty()) fail(name_for_messages, "empty file, not a zip archive");
    ZipReader zip(zip_bytes, name_for_messages);
    return read_from_zip(zip, name_for_messages, limits);
}

X3pFile read_x3p(const std::filesystem::path& path) {
    const std::string name = path.string();
    std::error_code error;
    const auto status = std::filesystem::status(path, error);
    if (error || !std::filesystem::exists(status)) fail(name, "no such file");
    if (std::filesystem::is_directory(status)) fail(name, "is a folder, not an x3p file");
    if (std::filesystem::file_size(path, error) == 0 && !error) fail(name, "empty file, not a zip archive");
    ZipReader zip(path, name);
    return read_from_zip(zip, name, X3pReadLimits{});
}

std::vector<std::uint8_t> x3p_bytes(const Surface& surface, const SurfaceMetadata& metadata,
                                    const X3pWriteOptions& options) {
    const char z_data_type = options.z_data_type;
    if (z_data_type != 'D' && z_data_type != 'F')
        throw std::invalid_argument(std::string("x3p z data type must be D or F, not '") + z_data_type + "'");
    if (surface.empty()) throw std::invalid_argument("cannot write an empty surface to x3p");
    if (surface.heights_um.size() != surface.size() || surface.valid.size() != surface.size())
        throw std::invalid_argument("surface heights and validity do not match its width x height");
    for (const double spacing : {surface.spacing_x_um, surface.spacing_y_um})
        if (!std::isfinite(spacing) || spacing <= 0)
            throw std::invalid_argument("surface spacing must be positive and finite to write x3p");

    const std::size_t count = surface.size();
    std::vector<std::uint8_t> data;
    data.reserve(count * (z_data_type == 'D' ? 8 : 4));
    // Unused bits of the last byte stay 1, as openGPS writes them.
    std::vector<std::uint8_t> valid_bits((count + 7) / 8, 0xFF);
    bool any_invalid = false;
    const double not_a_number = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t i = 0; i < count; ++i) {
        const double height = surface.heights_um[i];
        const bool invalid = surface.valid[i] == 0 || std::isnan(height);
        double metres = 0;
        if (invalid) {
            any_invalid = true;
            valid_bits[i / 8] = static_cast<std::uint8_t>(valid_bits[i / 8] & ~(1U << (i % 8)));
            metres = std::isnan(height) ? height : not_a_number;
        } else {
            metres = metres_from_micrometres(height);
        }
        if (z_data_type == 'D') {
            append_little_endian(data, std::bit_cast<std::uint64_t>(metres));
        } else {
            append_little_endian(data, std::bit_cast<std::uint32_t>(static_cast<float>(metres)));
        }
    }
    const std::string data_md5 = md5_hex(data);
    const std::string valid_md5 = any_invalid ? md5_hex(valid_bits) : std::string();
    const std::string xml = main_xml(surface, metadata, z_data_type, data_md5, valid_md5);
    const std::string checksum_line = md5_hex(xml) + " *main.xml\n";

    ZipWriter zip;
    zip.add_folder("bindata/");
    zip.add_file("bindata/data.bin", data);
    if (any_invalid) zip.add_file("bindata/valid.bin", valid_bits);
    zip.add_file("main.xml", std::span(reinterpret_cast<const std::uint8_t*>(xml.data()), xml.size()));
    zip.add_file("md5checksum.hex",
                 std::span(reinterpret_cast<const std::uint8_t*>(checksum_line.data()), checksum_line.size()));
    return zip.finish();
}

void write_x3p(const std::filesystem::path& path, const Surface& surface, const SurfaceMetadata& metadata,
               const X3pWriteOptions& options) {
    const std::vector<std::uint8_t> bytes = x3p_bytes(surface, metadata, options);
    write_file_atomically(path, bytes);
}

bool looks_like_x3p(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    char signature[4] = {};
    file.read(signature, 4);
    return file.gcount() == 4 && signature[0] == 'P' && signature[1] == 'K' && signature[2] == 3 && signature[3] == 4;
}

} // namespace microstamp
