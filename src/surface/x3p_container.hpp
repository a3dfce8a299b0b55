#pragma once
// The x3p container: the zip archive as real instruments and tools write it, read
// within limits. Finds main.xml (nested in a folder, beside macOS noise), resolves
// the names main.xml links to, streams entries with their sizes checked before any
// allocation, and checks main.xml against md5checksum.hex.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>
#include <zip.h>

#include "surface/x3p.hpp"

namespace microstamp::x3p_detail {

using PieceConsumer = std::function<void(std::span<const std::uint8_t>)>;

class ZipReader {
public:
    // The bytes must outlive the reader: libzip reads them in place.
    ZipReader(std::span<const std::uint8_t> bytes, const std::string& name);
    ZipReader(const std::filesystem::path& path, const std::string& name);
    ~ZipReader();
    ZipReader(const ZipReader&) = delete;
    ZipReader& operator=(const ZipReader&) = delete;

    std::vector<std::string> names() const;
    std::optional<zip_uint64_t> locate(const std::string& entry) const;
    std::uint64_t size_of(zip_uint64_t index, const std::string& entry) const;

    // Hands an entry to `consume` in pieces, so that it is hashed and decoded in one
    // pass and never copied again. Refuses entries larger than `maximum_bytes` before
    // reading them.
    std::uint64_t stream(zip_uint64_t index, const std::string& entry, std::uint64_t maximum_bytes,
                         const PieceConsumer& consume);
    std::vector<std::uint8_t> read(zip_uint64_t index, const std::string& entry, std::uint64_t maximum_bytes);

private:
    zip_stat_t stat_of(zip_uint64_t index, const std::string& entry) const;
    std::uint64_t inflate_whole(zip_uint64_t index, const std::string& entry, const zip_stat_t& stat,
                                const PieceConsumer& consume);
    std::unique_ptr<std::uint8_t[]> read_stored(zip_uint64_t index, const std::string& entry, std::size_t stored_size);
    void open(zip_source_t* source, zip_error_t* error);

    std::string name_;
    zip_t* archive_ = nullptr;
};

std::string zip_error_text(zip_error_t* error);

// The archive's member names are relative to main.xml's folder; resolve them
// lexically and refuse names that climb out of the archive.
std::optional<std::string> resolve_link(const std::string& folder, std::string_view link);

// The main.xml entry of an archive: the shallowest one outside macOS noise; more
// than one at that depth is refused.
std::string find_main_xml(const ZipReader& zip, const std::string& name);

// Adds a warning to `warnings` when Record4's checksum file is missing, unreadable
// or stale; a stale main.xml checksum is common in real archives and never refused.
void check_main_checksum(ZipReader& zip, const std::string& folder, pugi::xml_node record4,
                         std::span<const std::uint8_t> main_bytes, std::vector<std::string>& warnings);

} // namespace microstamp::x3p_detail
