#include "surface/x3p.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zip.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <pugixml.hpp>

#include "surface/md5.hpp"
#include "surface/x3p_container.hpp"
#include "surface/x3p_format.hpp"

namespace microstamp {

using namespace x3p_detail;

namespace {

const char* const x3p_namespace = "http://www.opengps.eu/2008/ISO5436_2";

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

} // namespace microstamp
