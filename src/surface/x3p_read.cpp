#include "surface/x3p.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <type_traits>

#include <pugixml.hpp>

#include "surface/md5.hpp"
#include "surface/x3p_axes.hpp"
#include "surface/x3p_container.hpp"
#include "surface/x3p_format.hpp"

namespace microstamp {

using namespace x3p_detail;

namespace {

std::size_t bytes_per_value(char data_type) {
    switch (data_type) {
    case 'I': return 2;
    case 'L': return 4;
    case 'F': return 4;
    case 'D': return 8;
    default: return 0;
    }
}

// How an absolute axis stores its values: every point carries one.
struct AxisFormat {
    bool absolute = true;
    char data_type = 'D';
    // Applied to integer types only. x3ptools ignores CZ Increment for F and D,
    // and csafe-logo.x3p declares 1e-06 while storing metres: honouring it
    // would shrink such files a millionfold.
    double increment_um = micrometres_per_metre;
    double offset_um = 0;
};

// One point as the point data store it: the values of the absolute axes, X, Y, Z.
struct PointRecord {
    AxisFormat x, y, z;
    std::size_t bytes() const {
        return (x.absolute ? bytes_per_value(x.data_type) : 0) + (y.absolute ? bytes_per_value(y.data_type) : 0) +
               bytes_per_value(z.data_type);
    }
    bool heights_only() const { return !x.absolute && !y.absolute; }
    std::size_t absolute_axes() const { return 1 + (x.absolute ? 1 : 0) + (y.absolute ? 1 : 0); }
};

struct ParsedMain {
    std::size_t size_x = 0;
    std::size_t size_y = 0;
    double spacing_x_um = 1;
    double spacing_y_um = 1;
    PointRecord record;
    SurfaceMetadata metadata;
    pugi::xml_node record3;
    pugi::xml_node record4;
};

// The data type, increment and offset of an axis whose every point carries a value.
AxisFormat absolute_axis_format(pugi::xml_node axis, const std::string& axis_name, const std::string& name) {
    AxisFormat format;
    const std::string data_type(trim(text_of(child(axis, "DataType"))));
    if (!child(axis, "DataType")) fail(name, axis_name + " has no DataType");
    if (data_type.size() != 1 || bytes_per_value(data_type[0]) == 0)
        fail(name, "unknown " + axis_name + " DataType " + quote_for_message(data_type) + " (expected I, L, F or D)");
    format.data_type = data_type[0];
    const std::string increment(trim(text_of(child(axis, "Increment"))));
    const std::string offset(trim(text_of(child(axis, "Offset"))));
    if (!increment.empty()) {
        const auto value = parse_scaled_decimal(increment, 6);
        if (!value || !std::isfinite(*value))
            fail(name, axis_name + " Increment " + quote_for_message(increment) + " is not a number");
        format.increment_um = *value;
    }
    if (!offset.empty()) {
        const auto value = parse_scaled_decimal(offset, 6);
        if (!value || !std::isfinite(*value)) fail(name, axis_name + " Offset " + quote_for_message(offset) + " is not a number");
        format.offset_um = *value;
    }
    return format;
}

// A lateral axis: incremental (its spacing) or absolute (each point's coordinate,
// placed on a grid once the points are read: x3p_axes.hpp).
AxisFormat lateral_axis(pugi::xml_node axes, const char* axis_name, double& spacing_um, const std::string& name) {
    const pugi::xml_node axis = child(axes, axis_name);
    if (!axis) fail(name, std::string("main.xml has no ") + axis_name + " axis in Record1");
    const std::string axis_type(trim(text_of(child(axis, "AxisType"))));
    if (axis_type == "A") return absolute_axis_format(axis, axis_name, name);
    if (axis_type != "I")
        fail(name, std::string(axis_name) + " AxisType " + quote_for_message(axis_type) +
                       " is neither I (incremental) nor A");
    AxisFormat incremental;
    incremental.absolute = false;
    const pugi::xml_node increment = child(axis, "Increment");
    if (!increment) fail(name, std::string(axis_name) + " has no Increment (grid spacing)");
    const auto spacing = parse_scaled_decimal(text_of(increment), 6);
    if (!spacing || !std::isfinite(*spacing) || *spacing <= 0)
        fail(name, std::string(axis_name) + " Increment " + quote_for_message(text_of(increment)) +
                       " is not a positive spacing in metres");
    spacing_um = *spacing;
    return incremental;
}

ParsedMain parse_main(const pugi::xml_document& document, const std::string& name, std::uint64_t max_points) {
    ParsedMain parsed;
    const pugi::xml_node root = document.document_element();
    if (!root || !local_name(root.name()).starts_with("ISO5436"))
        fail(name, "main.xml root element is " + quote_for_message(root ? root.name() : "") + ", not ISO5436_2");

    const pugi::xml_node record1 = child(root, "Record1");
    if (!record1) fail(name, "main.xml has no Record1 (axis description)");
    const std::string feature_type(trim(text_of(child(record1, "FeatureType"))));
    if (feature_type == "PCL") fail(name, "a point cloud (FeatureType PCL: unordered 3-D points, not heights on a grid) is not supported");
    const pugi::xml_node axes = child(record1, "Axes");
    if (!axes) fail(name, "main.xml has no Axes in Record1");
    parsed.record.x = lateral_axis(axes, "CX", parsed.spacing_x_um, name);
    parsed.record.y = lateral_axis(axes, "CY", parsed.spacing_y_um, name);

    const pugi::xml_node z_axis = child(axes, "CZ");
    if (!z_axis) fail(name, "main.xml has no CZ axis in Record1");
    const std::string z_axis_type(trim(text_of(child(z_axis, "AxisType"))));
    if (z_axis_type != "A")
        fail(name, "CZ AxisType " + quote_for_message(z_axis_type) + " is not A (absolute heights)");
    parsed.record.z = absolute_axis_format(z_axis, "CZ", name);

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
        fail(name, "a point cloud (a ListDimension of unordered 3-D points, not heights on a grid) is not supported");
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
    if (size_z != 1)
        fail(name, "multi-layer x3p (SizeZ " + std::to_string(size_z) + ": a stack of " + std::to_string(size_z) +
                       " height maps) is not supported; export one layer");
    if (size_x > max_points / size_y)
        fail(name, "matrix of " + std::to_string(size_x) + " x " + std::to_string(size_y) +
                       " points is larger than the " + std::to_string(max_points) + " points allowed");
    parsed.size_x = static_cast<std::size_t>(size_x);
    parsed.size_y = static_cast<std::size_t>(size_y);
    parsed.record4 = child(root, "Record4");
    return parsed;
}

double height_from_integer(long long stored, const AxisFormat& z) {
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

void decode_binary_points(std::span<const std::uint8_t> data, const AxisFormat& z, Surface& surface, std::size_t first) {
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

// One value of an absolute axis, in micrometres.
double decode_value(const std::uint8_t* bytes, const AxisFormat& axis) {
    switch (axis.data_type) {
    case 'D': return micrometres_from_metres(std::bit_cast<double>(load_little_endian<std::uint64_t>(bytes)));
    case 'F':
        return micrometres_from_metres(static_cast<double>(std::bit_cast<float>(load_little_endian<std::uint32_t>(bytes))));
    case 'I': return height_from_integer(std::bit_cast<std::int16_t>(load_little_endian<std::uint16_t>(bytes)), axis);
    case 'L': return height_from_integer(std::bit_cast<std::int32_t>(load_little_endian<std::uint32_t>(bytes)), axis);
    default: throw std::logic_error("unchecked data type");
    }
}

// Whole records from point `first` on: heights alone in bulk (every incremental file),
// or each record's coordinates and height in turn.
void decode_records(std::span<const std::uint8_t> data, const PointRecord& record, Surface& surface,
                    AxisCoordinates& x_um, AxisCoordinates& y_um, std::size_t first) {
    if (record.heights_only()) {
        decode_binary_points(data, record.z, surface, first);
        return;
    }
    const std::size_t record_bytes = record.bytes();
    for (std::size_t i = 0; i < data.size() / record_bytes; ++i) {
        const std::uint8_t* bytes = data.data() + i * record_bytes;
        if (record.x.absolute) {
            x_um[first + i] = decode_value(bytes, record.x);
            bytes += bytes_per_value(record.x.data_type);
        }
        if (record.y.absolute) {
            y_um[first + i] = decode_value(bytes, record.y);
            bytes += bytes_per_value(record.y.data_type);
        }
        store_height(decode_value(bytes, record.z), surface.heights_um[first + i], surface.valid[first + i]);
    }
}

// Takes the point data as the archive inflates it, in pieces of any length: each
// piece is hashed and decoded in place, so the data are never held whole beside the
// heights. A record split between two pieces waits in `partial`.
class PointDecoder {
public:
    PointDecoder(const PointRecord& record, Surface& surface, AxisCoordinates& x_um, AxisCoordinates& y_um)
        : record_(record), surface_(surface), x_um_(x_um), y_um_(y_um), record_bytes_(record.bytes()) {}

    void consume(std::span<const std::uint8_t> piece) {
        digest_.update(piece);
        if (partial_bytes_ > 0 && decoded_ < surface_.size()) {
            const std::size_t taken = std::min(record_bytes_ - partial_bytes_, piece.size());
            std::copy_n(piece.begin(), taken, partial_.begin() + static_cast<std::ptrdiff_t>(partial_bytes_));
            partial_bytes_ += taken;
            piece = piece.subspan(taken);
            if (partial_bytes_ < record_bytes_) return;
            decode_records(std::span<const std::uint8_t>(partial_.data(), record_bytes_), record_, surface_, x_um_, y_um_,
                           decoded_);
            ++decoded_;
            partial_bytes_ = 0;
        }
        // Bytes past the matrix are hashed (they are part of the stored file) but not decoded.
        const std::size_t whole = std::min(piece.size() / record_bytes_, surface_.size() - decoded_);
        decode_records(piece.first(whole * record_bytes_), record_, surface_, x_um_, y_um_, decoded_);
        decoded_ += whole;
        piece = piece.subspan(whole * record_bytes_);
        if (decoded_ < surface_.size() && !piece.empty()) {
            std::copy(piece.begin(), piece.end(), partial_.begin());
            partial_bytes_ = piece.size();
        }
    }

    std::string hex_digest() { return digest_.hex_digest(); }

private:
    const PointRecord& record_;
    Surface& surface_;
    AxisCoordinates& x_um_;
    AxisCoordinates& y_um_;
    std::size_t record_bytes_;
    std::size_t decoded_ = 0;
    std::array<std::uint8_t, 24> partial_{};  // X, Y and Z of type D
    std::size_t partial_bytes_ = 0;
    Md5 digest_;
};

void read_data_link(ZipReader& zip, const std::string& folder, pugi::xml_node data_link, const PointRecord& record,
                    AxisCoordinates& x_um, AxisCoordinates& y_um, X3pFile& result, const std::string& name) {
    Surface& surface = result.surface;
    const std::string point_link = text_of(child(data_link, "PointDataLink"));
    if (trim(point_link).empty()) fail(name, "DataLink has no PointDataLink");
    const auto point_entry = resolve_link(folder, point_link);
    if (!point_entry)
        fail(name, "PointDataLink " + quote_for_message(point_link) + " is not a file name inside the archive");
    const auto point_index = zip.locate(*point_entry);
    if (!point_index) fail(name, "point data file " + *point_entry + " named in main.xml is missing from the archive");

    const std::uint64_t expected = static_cast<std::uint64_t>(surface.size()) * record.bytes();
    const std::uint64_t stored = zip.size_of(*point_index, *point_entry);
    if (stored < expected)
        fail(name, *point_entry + " is too short: " + std::to_string(stored) + " bytes for " +
                       std::to_string(surface.width) + " x " + std::to_string(surface.height) + " points of " +
                       (record.heights_only() ? "type " + std::string(1, record.z.data_type)
                                              : std::to_string(record.bytes()) + " bytes (coordinates and height)") +
                       " (" + std::to_string(expected) + " bytes needed)");
    // Memory is taken only once the archive vouches for that much data, so a
    // few bytes of XML cannot claim gigabytes. The heights are decoded before the
    // MD5 verdict is known; a failed check throws and they are never returned.
    surface.heights_um.resize(surface.size());
    surface.valid.resize(surface.size());
    if (record.x.absolute) x_um.resize(surface.size());
    if (record.y.absolute) y_um.resize(surface.size());
    PointDecoder decoder(record, surface, x_um, y_um);
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

// One value of a Datum in an axis's type, in micrometres; NaN for the words and the
// empty field by which exporters write an unmeasured point; nullopt when it is none.
std::optional<double> parse_datum_value(std::string_view value, const AxisFormat& axis) {
    const std::string word = lowercase(value);
    if (value.empty() || word == "nan" || word == "inf" || word == "+inf" || word == "-inf" || word == "infinity" ||
        word == "+infinity" || word == "-infinity")
        return std::numeric_limits<double>::quiet_NaN();
    if (axis.data_type == 'I' || axis.data_type == 'L') {
        if (const auto stored = parse_integer(value)) return height_from_integer(*stored, axis);
        return std::nullopt;
    }
    if (axis.data_type == 'F') {
        float metres = 0;
        const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), metres);
        if (error == std::errc{} && end == value.data() + value.size())
            return micrometres_from_metres(static_cast<double>(metres));
        return std::nullopt;
    }
    return parse_scaled_decimal(value, 6);
}

void read_data_list(pugi::xml_node data_list, const PointRecord& record, AxisCoordinates& x_um, AxisCoordinates& y_um,
                    Surface& surface, const std::string& name) {
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
    if (record.x.absolute) x_um.resize(surface.size());
    if (record.y.absolute) y_um.resize(surface.size());
    std::size_t index = 0;
    for (pugi::xml_node datum : data_list.children()) {
        if (!is_datum(datum)) continue;
        // A Datum lists the values of the absolute axes, X, Y, Z, separated by ';'. With X
        // and Y incremental that is z alone, though "x;y;z" also occurs.
        const std::string text(trim(datum.text().get()));
        std::vector<std::string_view> fields;
        std::string_view rest = text;
        for (;;) {
            const std::size_t semicolon = rest.find(';');
            fields.push_back(trim(rest.substr(0, semicolon)));
            if (semicolon == std::string_view::npos) break;
            rest.remove_prefix(semicolon + 1);
        }
        const std::size_t expected = record.absolute_axes();
        if (fields.size() != expected && fields.size() != 3)
            fail(name, "DataList Datum " + std::to_string(index + 1) + " " + quote_for_message(text) + " holds " +
                           std::to_string(fields.size()) + " values, not the " + std::to_string(expected) +
                           " of the absolute axes");
        const auto value_of = [&](std::string_view field, const AxisFormat& axis, char letter) {
            const std::optional<double> value = parse_datum_value(field, axis);
            if (!value)
                fail(name, "DataList Datum " + std::to_string(index + 1) + " " + letter + " " + quote_for_message(field) +
                               " is not a value of type " + std::string(1, axis.data_type));
            return *value;
        };
        // With three fields, x and y are where "x;y;z" puts them; otherwise in axis order.
        std::size_t field = 0;
        if (record.x.absolute) x_um[index] = value_of(fields[fields.size() == 3 ? 0 : field++], record.x, 'X');
        if (record.y.absolute) y_um[index] = value_of(fields[fields.size() == 3 ? 1 : field++], record.y, 'Y');
        store_height(value_of(fields.back(), record.z, 'Z'), surface.heights_um[index], surface.valid[index]);
        ++index;
    }
}

X3pFile read_from_zip(ZipReader& zip, const std::string& name, const X3pReadLimits& limits) {
    const std::string main_entry = find_main_xml(zip, name);
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
    result.z_data_type = main.record.z.data_type;
    Surface& surface = result.surface;
    surface.width = main.size_x;
    surface.height = main.size_y;
    surface.spacing_x_um = main.spacing_x_um;
    surface.spacing_y_um = main.spacing_y_um;

    const pugi::xml_node data_link = child(main.record3, "DataLink");
    const pugi::xml_node data_list = child(main.record3, "DataList");
    if (!data_link && !data_list) fail(name, "Record3 has neither a DataLink nor a DataList");
    AxisCoordinates x_um, y_um;
    if (data_link) {
        read_data_link(zip, folder, data_link, main.record, x_um, y_um, result, name);
    } else {
        read_data_list(data_list, main.record, x_um, y_um, surface, name);
    }
    if (!main.record.heights_only())
        place_on_regular_grid(surface, std::move(x_um), std::move(y_um), result.warnings, name);
    check_main_checksum(zip, folder, main.record4, main_bytes, result.warnings);
    return result;
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

bool looks_like_x3p(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    char signature[4] = {};
    file.read(signature, 4);
    return file.gcount() == 4 && signature[0] == 'P' && signature[1] == 'K' && signature[2] == 3 && signature[3] == 4;
}

} // namespace microstamp
