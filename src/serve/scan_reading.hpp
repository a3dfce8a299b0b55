#pragma once
// An uploaded scan, read: the bytes are checked by decoding them (an x3p surface, or a
// PNG/TIFF/JPEG photograph at a stated scale), read, and drawn for the examiner. The
// same decode serves the acquisition check and the reader, so a scan is parsed once.

#include "evidence/reading.hpp"
#include "evidence/scan.hpp"
#include "read/read.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace microstamp::serve {

struct ScanReading {
    AcquiredScan scan;                    // the original bytes, hashed
    Reading reading;
    std::vector<std::uint8_t> overlay_png;  // what the reader saw, drawn over the scan; empty if not drawn
};

// Drawing (the impression at 512 px, a 256-colour PNG, its base64) costs about 3 ms of
// CPU an upload whatever the scan's size; a client that does not show it can skip it
// and fetch it later if needed.
enum class Overlay { draw, skip };

// Throws HttpError 400 when the bytes are not a casing scan, or a photograph comes
// without its scale (options.um_per_px), or declares more than `max_points` heights or
// pixels (checked before anything that size is allocated).
ScanReading read_uploaded_scan(std::vector<std::uint8_t> bytes, const std::string& file_name,
                               const ReadOptions& options, std::uint64_t max_points, Overlay overlay = Overlay::draw);

// The reading as the store records it. A partial reading keeps the serial pattern its
// reader reported ('?' for unread characters) so partial search can rank candidates.
NewReading stored_reading(const Reading& reading, const std::string& scan_sha256);

// The serial pattern a partial search should use for a reading, if it has one.
std::optional<std::string> partial_serial_pattern(const nlohmann::json& reader_json);

} // namespace microstamp::serve
