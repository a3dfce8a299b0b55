#pragma once
// x3p (ISO 5436-2 / ISO 25178-72): the surface-texture file of crime labs and
// of NIST's ballistics database. A zip archive holding main.xml (axes, sizes,
// metadata, checksums) and a binary height matrix, heights in metres.
//
//   X3pFile scan = read_x3p("casing.x3p");            // throws FileError
//   write_x3p("copy.x3p", scan.surface, scan.metadata);
//
// The reader takes what real instruments and x3ptools write: archives nested
// in a folder, extra entries (__MACOSX/, .DS_Store, mask.png), stale
// main.xml checksums (a warning), CZ data types I, L, F and D, a ValidPointsLink
// bit mask or NaN for unmeasured points, and an inline DataList. It refuses,
// with one line naming the file and the fault, what it cannot read faithfully:
// point clouds, multi-layer matrices, data that fails its MD5, short data.
//
// The writer writes what x3ptools and openGPS read: namespace-prefixed root,
// Records 1-4, bindata/data.bin with its MD5, bindata/valid.bin only when some
// point is invalid, md5checksum.hex. Output is a pure function of the inputs
// (fixed zip timestamps), and the file appears atomically or not at all.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "surface/surface.hpp"

namespace microstamp {

struct X3pFile {
    Surface surface;                    // heights in micrometres; NaN or masked-out points have valid = 0
    SurfaceMetadata metadata;           // Record2
    char z_data_type = 'D';             // CZ DataType as stored: I, L, F or D
    std::string point_data_md5;         // MD5 of the point data file as stored, lowercase hex; empty for a DataList
    std::vector<std::string> warnings;  // problems that do not make the heights doubtful, one line each
};

// What a file may make the reader allocate before its data have been checked. The
// defaults take any scan we know of (2^30 points is 32768 x 32768); a service taking
// uploads from the network sets its own, since a few kilobytes of deflated zeros can
// honestly hold gigabytes of points.
struct X3pReadLimits {
    std::uint64_t max_points = std::uint64_t{1} << 30;
    std::uint64_t max_xml_bytes = std::uint64_t{256} << 20;  // main.xml, inline DataList included
};

X3pFile read_x3p(const std::filesystem::path& path);
// Whether a file starts like a zip archive (as every x3p does); false if unreadable.
bool looks_like_x3p(const std::filesystem::path& path);
// `name_for_messages` prefixes every error message (usually the file name).
X3pFile read_x3p(std::span<const std::uint8_t> zip_bytes, const std::string& name_for_messages,
                 const X3pReadLimits& limits = {});

struct X3pWriteOptions {
    // 'D' (float64, exact to the conversion guarantee below) or 'F' (float32,
    // half the size, about 7 significant digits). x3ptools reads only these two.
    char z_data_type = 'D';
};

// Invalid points are written as NaN and, because NaN alone cannot mark them for
// every reader, also in bindata/valid.bin. Record2's Date is written as given:
// the library never reads the clock, so callers stamp the date they want.
// Throws FileError when the file cannot be written, std::invalid_argument for a
// surface or option that cannot be represented.
void write_x3p(const std::filesystem::path& path, const Surface& surface, const SurfaceMetadata& metadata,
               const X3pWriteOptions& options = {});
std::vector<std::uint8_t> x3p_bytes(const Surface& surface, const SurfaceMetadata& metadata,
                                    const X3pWriteOptions& options = {});

// Height conversion at the x3p boundary, correctly rounded both ways; NaN
// passes through with its bits unchanged. No conversion can be exact both ways
// for every double; x3p_format.cpp states what these guarantee and why it is the best.
double micrometres_from_metres(double metres);
double metres_from_micrometres(double micrometres);

} // namespace microstamp
