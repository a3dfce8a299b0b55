#pragma once
// Acquiring a scan: the original bytes, checked to be a casing scan the pipeline can
// read (an x3p surface or a PNG, TIFF or JPEG image), and their SHA-256 computed at
// acquisition (ISO/IEC 27037: hash values recorded when evidence is acquired).
// The store keeps the bytes as they were; nothing is ever re-encoded.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace microstamp {

struct AcquiredScan {
    std::string file_name;            // as given, for the examiner's notes
    std::string format;               // "x3p", "png", "tiff" or "jpeg"
    std::string sha256;               // hex, of `bytes`
    std::string summary;              // e.g. "x3p 1200x1200 at 1.5 um" or "png 2048x1536 16-bit"
    std::vector<std::uint8_t> bytes;  // the original file
};

// Reads and checks the file; throws FileError naming it when it is not a casing scan.
AcquiredScan acquire_scan(const std::filesystem::path& path);
// The same check on bytes already in memory (images are decoded through a temporary file).
AcquiredScan acquire_scan(std::vector<std::uint8_t> bytes, const std::string& file_name);

// Wraps bytes the caller vouches for (already checked, e.g. when copying between
// stores or benchmarking the store alone): hashes them, decodes nothing.
AcquiredScan trusted_scan(std::vector<std::uint8_t> bytes, std::string file_name, std::string format);

} // namespace microstamp
