#include "evidence/scan.hpp"

#include "evidence/hashing.hpp"
#include "surface/image.hpp"
#include "surface/x3p.hpp"

#include <fmt/core.h>

#include <fstream>
#include <iterator>
#include <unistd.h>

namespace microstamp {
namespace {

bool starts_with(std::span<const std::uint8_t> bytes, std::initializer_list<std::uint8_t> prefix) {
    return bytes.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), bytes.begin());
}

std::string image_format(std::span<const std::uint8_t> bytes) {
    if (starts_with(bytes, {0x89, 'P', 'N', 'G'})) return "png";
    if (starts_with(bytes, {0xFF, 0xD8, 0xFF})) return "jpeg";
    if (starts_with(bytes, {'I', 'I', 42, 0}) || starts_with(bytes, {'M', 'M', 0, 42})) return "tiff";
    return {};
}

std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw FileError(path.string() + ": cannot open the scan file");
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (file.bad()) throw FileError(path.string() + ": cannot read the scan file");
    return bytes;
}

// Decodes the image to prove it is one; read_image wants a path, so a copy in memory
// goes through a private temporary file.
std::string image_summary(const std::filesystem::path& path, const std::string& format) {
    const Image image = read_image(path);
    if (image.width < 16 || image.height < 16)
        throw FileError(fmt::format("{}: a {}x{} image is too small to be a casing scan", path.string(), image.width,
                                    image.height));
    return fmt::format("{} {}x{} {}-bit", format, image.width, image.height, image.bits);
}

std::string checked_summary(const std::vector<std::uint8_t>& bytes, const std::string& file_name,
                            const std::filesystem::path* path_on_disk) {
    if (starts_with(bytes, {'P', 'K', 3, 4})) {
        const X3pFile x3p = read_x3p(bytes, file_name);
        return fmt::format("x3p {}x{} at {} um", x3p.surface.width, x3p.surface.height, x3p.surface.spacing_x_um);
    }
    const std::string format = image_format(bytes);
    if (format.empty())
        throw FileError(file_name + ": not a casing scan: expected an .x3p surface or a PNG, TIFF or JPEG image");
    if (path_on_disk) return image_summary(*path_on_disk, format);
    char pattern[] = "/tmp/microstamp-scan-XXXXXX";
    const int descriptor = mkstemp(pattern);
    if (descriptor < 0) throw FileError(file_name + ": cannot make a temporary file to check the image");
    close(descriptor);
    const std::filesystem::path temporary = pattern;
    try {
        write_file_atomically(temporary, bytes.data(), bytes.size());
        std::string summary = image_summary(temporary, format);
        std::filesystem::remove(temporary);
        return summary;
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        throw;
    }
}

std::string format_of(const std::vector<std::uint8_t>& bytes) {
    return starts_with(bytes, {'P', 'K', 3, 4}) ? "x3p" : image_format(bytes);
}

} // namespace

AcquiredScan acquire_scan(const std::filesystem::path& path) {
    std::vector<std::uint8_t> bytes = read_bytes(path);
    const std::string name = path.filename().string();
    std::string summary = checked_summary(bytes, path.string(), &path);
    AcquiredScan scan = trusted_scan(std::move(bytes), name, "");
    scan.format = format_of(scan.bytes);
    scan.summary = std::move(summary);
    return scan;
}

AcquiredScan acquire_scan(std::vector<std::uint8_t> bytes, const std::string& file_name) {
    std::string summary = checked_summary(bytes, file_name, nullptr);
    AcquiredScan scan = trusted_scan(std::move(bytes), file_name, "");
    scan.format = format_of(scan.bytes);
    scan.summary = std::move(summary);
    return scan;
}

AcquiredScan trusted_scan(std::vector<std::uint8_t> bytes, std::string file_name, std::string format) {
    AcquiredScan scan;
    scan.file_name = std::move(file_name);
    scan.format = std::move(format);
    scan.sha256 = hex(sha256(bytes));
    scan.summary = scan.format;
    scan.bytes = std::move(bytes);
    return scan;
}

} // namespace microstamp
