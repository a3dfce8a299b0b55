#pragma once
// x3p archives written the way instruments and their exporters write them, with libzip
// directly (never with the writer under test): files nested in a folder, absolute
// lateral axes carrying each point's coordinate, integer heights with an increment and
// an offset, unmeasured points as NaN or infinities with or without valid.bin, inline
// DataLists, upper-case checksums, stale md5checksum.hex files.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/zip_bytes.hpp"
#include "surface/md5.hpp"

namespace microstamp::testing {

using Bytes = std::vector<std::uint8_t>;

// One axis as Record1 declares it.
struct InstrumentAxis {
    std::string type = "I";        // I (incremental) or A (absolute: every point carries a value)
    std::string data_type = "D";   // I, L, F or D
    std::string increment = "1e-06";
    std::string offset = "0";
};

struct InstrumentX3p {
    std::string folder;                     // "" or e.g. "scan/": instruments nest the files
    std::string feature_type = "SUR";
    InstrumentAxis cx, cy, cz{"A", "D", "1", "0"};
    std::size_t size_x = 0, size_y = 0, size_z = 1;
    // Each point's stored values in axis order (X, Y, Z; only the absolute axes), as
    // text for a DataList; written in their axis's binary type for a DataLink.
    std::vector<std::vector<std::string>> points;
    bool inline_data = false;               // a DataList instead of bindata/data.bin
    std::optional<std::vector<bool>> valid; // bindata/valid.bin, one flag per point
    bool upper_case_md5 = false;
    bool stale_checksum_file = false;       // md5checksum.hex of an earlier main.xml

    static void append_value(Bytes& bytes, const std::string& data_type, const std::string& text) {
        const auto put = [&](const auto value) {
            const auto* raw = reinterpret_cast<const std::uint8_t*>(&value);  // the test host is little-endian
            bytes.insert(bytes.end(), raw, raw + sizeof value);
        };
        if (data_type == "I") put(static_cast<std::int16_t>(std::stol(text)));
        else if (data_type == "L") put(static_cast<std::int32_t>(std::stol(text)));
        else if (data_type == "F") put(std::stof(text));
        else put(std::stod(text));
    }

    Bytes point_data() const {
        Bytes bytes;
        for (const auto& values : points) {
            std::size_t field = 0;
            if (cx.type == "A") append_value(bytes, cx.data_type, values.at(field++));
            if (cy.type == "A") append_value(bytes, cy.data_type, values.at(field++));
            append_value(bytes, cz.data_type, values.at(field));
        }
        return bytes;
    }

    Bytes valid_bits() const {
        Bytes bits((valid->size() + 7) / 8, 0);
        for (std::size_t i = 0; i < valid->size(); ++i)
            if ((*valid)[i]) bits[i / 8] = static_cast<std::uint8_t>(bits[i / 8] | (1u << (i % 8)));
        return bits;
    }

    std::string checksum(const Bytes& bytes) const {
        std::string hex = md5_hex(bytes);
        if (upper_case_md5)
            for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return hex;
    }

    static std::string axis_xml(const char* name, const InstrumentAxis& axis) {
        return std::string("<") + name + "><AxisType>" + axis.type + "</AxisType><DataType>" + axis.data_type +
               "</DataType><Increment>" + axis.increment + "</Increment><Offset>" + axis.offset + "</Offset></" + name + ">";
    }

    std::string main_xml() const {
        std::string data;
        if (inline_data) {
            data = "<DataList>";
            for (const auto& values : points) {
                std::string datum;
                for (const auto& value : values) datum += (datum.empty() ? "" : ";") + value;
                data += "<Datum>" + datum + "</Datum>";
            }
            data += "</DataList>";
        } else {
            data = "<DataLink><PointDataLink>bindata/data.bin</PointDataLink><MD5ChecksumPointData>" +
                   checksum(point_data()) + "</MD5ChecksumPointData>";
            if (valid)
                data += "<ValidPointsLink>bindata/valid.bin</ValidPointsLink><MD5ChecksumValidPoints>" +
                        checksum(valid_bits()) + "</MD5ChecksumValidPoints>";
            data += "</DataLink>";
        }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<p:ISO5436_2 xmlns:p=\"http://www.opengps.eu/2008/ISO5436_2\">"
               "<Record1><Revision>ISO5436 - 2000</Revision><FeatureType>" + feature_type + "</FeatureType><Axes>" +
               axis_xml("CX", cx) + axis_xml("CY", cy) + axis_xml("CZ", cz) +
               "</Axes></Record1><Record2><Date>2024-05-01T10:00:00+02:00</Date><Creator>operator</Creator><Instrument>"
               "<Manufacturer>Instrument maker</Manufacturer><Model>FV-100</Model><Serial>0042</Serial><Version>7.1</Version>"
               "</Instrument><CalibrationDate>2024-01-01T00:00:00</CalibrationDate><ProbingSystem><Type>NonContacting</Type>"
               "<Identification>50x</Identification></ProbingSystem><Comment>exported</Comment></Record2><Record3>"
               "<MatrixDimension><SizeX>" + std::to_string(size_x) + "</SizeX><SizeY>" + std::to_string(size_y) +
               "</SizeY><SizeZ>" + std::to_string(size_z) + "</SizeZ></MatrixDimension>" + data +
               "</Record3><Record4><ChecksumFile>md5checksum.hex</ChecksumFile></Record4></p:ISO5436_2>\n";
    }

    // The archive, deflated as instruments' zip libraries write it.
    Bytes archive() const {
        const std::string xml = main_xml();
        const std::string hashed = stale_checksum_file ? xml + " " : xml;
        std::vector<std::pair<std::string, Bytes>> entries;
        entries.emplace_back(folder + "main.xml", Bytes(xml.begin(), xml.end()));
        const std::string line = md5_hex(Bytes(hashed.begin(), hashed.end())) + " *main.xml\n";
        entries.emplace_back(folder + "md5checksum.hex", Bytes(line.begin(), line.end()));
        if (!inline_data) entries.emplace_back(folder + "bindata/data.bin", point_data());
        if (!inline_data && valid) entries.emplace_back(folder + "bindata/valid.bin", valid_bits());

        return zip_bytes(entries, 6);
    }
};

} // namespace microstamp::testing
