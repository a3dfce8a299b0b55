#pragma once
// Measured input: a manifest of real scans runs through the same reader and report.
//
//   file,expected,firearm,shot
//   scans/p1-0001.x3p,SIG Sauer P229 #58A-104233,pistol-1,1
//
// `expected` is the identity as `describe` writes it (make, model, '#', serial);
// `firearm` names the pistol (California's test judges each pistol); `shot` is its
// round number. Relative file names are taken from the manifest's folder.

#include "read/read.hpp"
#include "study/results.hpp"
#include "study/study.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace microstamp {

struct ManifestEntry {
    std::filesystem::path file;
    Identity expected;
    std::string firearm;
    long shot = 0;
};

struct Manifest {
    std::vector<ManifestEntry> entries;
    std::string sha256;
};

// Throws InputError naming the line and column.
Manifest load_manifest(const std::filesystem::path& path);
// "SIG Sauer P229 #58A-104233" -> the catalog's identity. Throws InputError.
Identity parse_expected_identity(const std::string& text);

// A study document for the report: the manifest's name and hash, the protocol.
Study manifest_study(const std::filesystem::path& path, const Manifest& manifest, Protocol protocol);

// Reads every entry (in parallel) with `read_file` (the CLI's reader of x3p and
// image files) and judges it; rows in manifest order.
using ScanFileReader = std::function<Reading(const std::filesystem::path&)>;
std::vector<ResultRow> read_manifest(const Manifest& manifest, const ScanFileReader& read_file,
                                     const std::function<void(std::size_t, std::size_t)>& progress = {});

} // namespace microstamp
