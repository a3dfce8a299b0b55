#include "study/manifest.hpp"

#include "code/catalog.hpp"
#include "die/die_files.hpp"
#include "study/design_readers.hpp"
#include "surface/surface.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <fmt/core.h>
#include <fstream>
#include <mutex>
#include <sstream>
#include <tbb/parallel_for.h>

namespace microstamp {

namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// A field as a message quotes it: its first characters, on one line.
std::string shown(std::string_view text) {
    constexpr std::size_t characters = 100;
    return single_line(text.substr(0, characters)) + (text.size() > characters ? "..." : "");
}

} // namespace

Identity parse_expected_identity(const std::string& text) {
    const auto hash = text.rfind(" #");
    if (hash == std::string::npos)
        throw InputError(fmt::format("expected identity '{}' is not written as 'Make Model #Serial'", shown(text)));
    const std::string names = text.substr(0, hash), serial = text.substr(hash + 2);
    // The make may hold spaces ("SIG Sauer"): every split whose first part is a catalogued
    // make is tried (only those: a line of many spaces must not cost a catalog search each).
    const Catalog& catalog = default_catalog();
    const auto is_make = [&](std::string_view make) {
        while (!make.empty() && (make.front() == ' ' || make.front() == '\t')) make.remove_prefix(1);
        return std::any_of(catalog.manufacturers().begin(), catalog.manufacturers().end(), [&](const Manufacturer& known) {
            return equal_ignoring_case(known.name, make) || equal_ignoring_case(known.short_name, make);
        });
    };
    for (std::size_t space = names.find(' '); space != std::string::npos; space = names.find(' ', space + 1)) {
        if (!is_make(names.substr(0, space))) continue;
        try {
            return catalog.identity(names.substr(0, space), names.substr(space + 1), serial);
        } catch (const InputError&) {
        }
    }
    throw InputError(fmt::format("expected identity '{}': no make and model of the catalog", shown(text)));
}

Manifest load_manifest(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw FileError(fmt::format("{}: cannot read the manifest", path.string()));
    std::ostringstream whole;
    whole << file.rdbuf();
    const std::string text = whole.str();
    Manifest manifest;
    manifest.sha256 = sha256_hex(text.data(), text.size());
    std::istringstream lines(text);
    std::string line;
    if (!std::getline(lines, line) || split_csv_line(line) != std::vector<std::string>{"file", "expected", "firearm", "shot"})
        throw InputError(fmt::format("{}: the first line must be the header file,expected,firearm,shot", path.string()));
    for (int number = 2; std::getline(lines, line); ++number) {
        if (line.empty() || line == "\r") continue;
        try {
            const auto fields = split_csv_line(line);
            if (fields.size() != 4) throw InputError(fmt::format("{} columns, not 4", fields.size()));
            ManifestEntry entry;
            entry.file = std::filesystem::path(fields[0]).is_absolute() ? std::filesystem::path(fields[0])
                                                                         : path.parent_path() / fields[0];
            entry.expected = parse_expected_identity(fields[1]);
            entry.firearm = fields[2];
            const auto [end, error] = std::from_chars(fields[3].data(), fields[3].data() + fields[3].size(), entry.shot);
            if (error != std::errc{} || end != fields[3].data() + fields[3].size() || entry.shot < 1)
                throw InputError(fmt::format("shot '{}' is not a round number", fields[3]));
            manifest.entries.push_back(std::move(entry));
        } catch (const InputError& problem) {
            throw InputError(single_line(fmt::format("{}:{}: {}", path.string(), number, problem.what())));
        }
    }
    if (manifest.entries.empty()) throw InputError(fmt::format("{}: the manifest lists no scan", path.string()));
    return manifest;
}

Study manifest_study(const std::filesystem::path& path, const Manifest& manifest, Protocol protocol) {
    Study study;
    study.name = path.stem().string();
    study.description = fmt::format("Measured scans listed in {} ({} files), read by the ring reader.", path.filename().string(),
                                    manifest.entries.size());
    study.sha256 = manifest.sha256;
    study.protocol = protocol;
    study.document = {{"manifest", path.string()}, {"scans", manifest.entries.size()}};
    return study;
}

std::vector<ResultRow> read_manifest(const Manifest& manifest, const ScanFileReader& read_file,
                                     const std::function<void(std::size_t, std::size_t)>& progress) {
    std::vector<ResultRow> rows(manifest.entries.size());
    std::mutex guard;
    std::size_t done = 0;
    // The pistol number: order of first appearance of its firearm name.
    std::vector<std::string> pistols;
    for (const auto& entry : manifest.entries)
        if (std::find(pistols.begin(), pistols.end(), entry.firearm) == pistols.end()) pistols.push_back(entry.firearm);
    tbb::parallel_for(std::size_t{0}, manifest.entries.size(), std::size_t{1}, [&](std::size_t index) {
        const ManifestEntry& entry = manifest.entries[index];
        ResultRow& row = rows[index];
        row.casing = static_cast<long>(index);
        row.pistol = static_cast<int>(std::find(pistols.begin(), pistols.end(), entry.firearm) - pistols.begin()) + 1;
        row.shot = entry.shot;
        row.firearm = entry.firearm;
        row.ammunition = "measured";
        row.designs = "ring";
        row.rounds = entry.shot;
        row.defeat = "none";
        row.scan = entry.file.extension() == ".x3p" ? "topography" : "photograph";
        row.file = entry.file.string();
        row.expected = describe(entry.expected);
        judge_ring_reading(read_file(entry.file), entry.expected, row);
        const std::lock_guard lock(guard);
        if (progress) progress(++done, rows.size());
    });
    return rows;
}

} // namespace microstamp
