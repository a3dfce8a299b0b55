#include "surface/x3p_container.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <new>

#include "surface/md5.hpp"
#include "surface/x3p_format.hpp"

namespace microstamp::x3p_detail {

namespace {

// One byte short of 1 MiB, a multiple of no value size: large point data then
// always arrive split mid-value, so that path is exercised, not rare.
constexpr std::size_t piece_bytes = (std::size_t{1} << 20) - 1;
// Deflated entries up to this size are inflated at once by libdeflate, about 1.6
// times as fast as zlib through libzip (the point data of a scan are most of its
// reading time outside the reader; docs/serve.md); larger ones stream through libzip
// in pieces, so that a large scan is never held whole beside its heights (32 MiB: a
// 2,000 x 2,000 scan of doubles; a 4,000 x 4,000 one reads within 1.2 times its point
// data, bench_x3p_memory).
constexpr std::uint64_t whole_entry_bytes = std::uint64_t{32} << 20;
// Deflate expands no byte of its stream into more than 1032 (258-byte matches of two
// bits each, with block overhead).
constexpr std::uint64_t deflate_max_ratio = 1032;

// A limit that keeps a hostile or broken file from exhausting memory before its
// data have been checked (the points and main.xml's size are in X3pReadLimits).
constexpr std::uint64_t maximum_checksum_file_bytes = 64 * 1024;

const char* const stale_checksum_warning =
    "main.xml checksum does not match md5checksum.hex (file edited after writing?)";

bool inflates_whole(const zip_stat_t& stat) {
    constexpr zip_uint64_t needed =
        ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD | ZIP_STAT_CRC | ZIP_STAT_ENCRYPTION_METHOD;
    return (stat.valid & needed) == needed && stat.comp_method == ZIP_CM_DEFLATE &&
           stat.encryption_method == ZIP_EM_NONE && stat.size <= whole_entry_bytes;
}

// Finder metadata and AppleDouble files are noise that macOS adds to archives.
bool is_archive_noise(std::string_view entry) {
    if (entry.starts_with("__MACOSX/") || entry.find("/__MACOSX/") != std::string_view::npos) return true;
    const std::size_t slash = entry.rfind('/');
    const std::string_view base = slash == std::string_view::npos ? entry : entry.substr(slash + 1);
    return base.starts_with("._");
}

} // namespace

std::string zip_error_text(zip_error_t* error) {
    const char* text = zip_error_strerror(error);
    return text != nullptr ? text : "unknown zip error";
}

ZipReader::ZipReader(std::span<const std::uint8_t> bytes, const std::string& name) : name_(name) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (source == nullptr) fail(name, "cannot read zip data: " + zip_error_text(&error));
    open(source, &error);
}

ZipReader::ZipReader(const std::filesystem::path& path, const std::string& name) : name_(name) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_file_create(path.c_str(), 0, -1, &error);
    if (source == nullptr) fail(name, "cannot open: " + zip_error_text(&error));
    open(source, &error);
}

ZipReader::~ZipReader() {
    if (archive_ != nullptr) zip_discard(archive_);
}

std::vector<std::string> ZipReader::names() const {
    std::vector<std::string> result;
    const zip_int64_t count = zip_get_num_entries(archive_, 0);
    for (zip_int64_t i = 0; i < count; ++i) {
        const char* entry = zip_get_name(archive_, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_GUESS);
        result.emplace_back(entry != nullptr ? entry : "");
    }
    return result;
}

std::optional<zip_uint64_t> ZipReader::locate(const std::string& entry) const {
    zip_int64_t index = zip_name_locate(archive_, entry.c_str(), 0);
    if (index < 0) index = zip_name_locate(archive_, entry.c_str(), ZIP_FL_NOCASE);
    if (index < 0) return std::nullopt;
    return static_cast<zip_uint64_t>(index);
}

std::uint64_t ZipReader::size_of(zip_uint64_t index, const std::string& entry) const {
    return stat_of(index, entry).size;
}

std::uint64_t ZipReader::stream(zip_uint64_t index, const std::string& entry, std::uint64_t maximum_bytes,
                                const PieceConsumer& consume) {
    const zip_stat_t stat = stat_of(index, entry);
    if (stat.size > maximum_bytes)
        fail(name_, entry + " is " + std::to_string(stat.size) + " bytes, more than the " +
                        std::to_string(maximum_bytes) + " it may hold");
    if (inflates_whole(stat)) return inflate_whole(index, entry, stat, consume);
    zip_file_t* file = zip_fopen_index(archive_, index, 0);
    if (file == nullptr)
        fail(name_, "cannot read " + entry + " from the archive: " + zip_error_text(zip_get_error(archive_)));
    const std::unique_ptr<std::uint8_t[]> buffer = std::make_unique_for_overwrite<std::uint8_t[]>(piece_bytes);
    std::uint64_t total = 0;
    for (;;) {
        const zip_int64_t got = zip_fread(file, buffer.get(), piece_bytes);
        if (got < 0) {
            const std::string reason = zip_error_text(zip_file_get_error(file));
            zip_fclose(file);
            fail(name_, entry + " is corrupt in the archive (" + reason + ")");
        }
        if (got == 0) break;
        total += static_cast<std::uint64_t>(got);
        if (total > stat.size) break;
        consume(std::span<const std::uint8_t>(buffer.get(), static_cast<std::size_t>(got)));
    }
    zip_fclose(file);
    if (total != stat.size)
        fail(name_, entry + " is truncated or corrupt in the archive (" + std::to_string(total) + " of " +
                        std::to_string(stat.size) + " bytes)");
    return total;
}

std::vector<std::uint8_t> ZipReader::read(zip_uint64_t index, const std::string& entry, std::uint64_t maximum_bytes) {
    std::vector<std::uint8_t> content;
    content.reserve(static_cast<std::size_t>(std::min(size_of(index, entry), maximum_bytes)));
    stream(index, entry, maximum_bytes,
           [&](std::span<const std::uint8_t> piece) { content.insert(content.end(), piece.begin(), piece.end()); });
    return content;
}

// An entry's sizes as the directory declares them, refused when its data could not
// hold them: every size the reader allocates by is vetted here first, so a few bytes
// cannot claim gigabytes.
zip_stat_t ZipReader::stat_of(zip_uint64_t index, const std::string& entry) const {
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(archive_, index, 0, &stat) != 0 || (stat.valid & ZIP_STAT_SIZE) == 0)
        fail(name_, "cannot read the size of " + entry + " in the archive");
    constexpr zip_uint64_t sizes = ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD;
    if ((stat.valid & sizes) == sizes) {
        const bool impossible = stat.comp_method == ZIP_CM_STORE ? stat.size != stat.comp_size
                                : stat.comp_method == ZIP_CM_DEFLATE
                                    ? stat.size / deflate_max_ratio > stat.comp_size + 64
                                    : false;
        if (impossible)
            fail(name_, entry + " claims " + std::to_string(stat.size) + " bytes from " + std::to_string(stat.comp_size) +
                            " stored, more than its compression can give (a corrupt or hostile archive)");
    }
    return stat;
}

// The entry's deflate stream inflated into one buffer of its declared size: a stream
// that would fill more, or less, is corrupt, and so is one whose CRC-32 (the zip's
// own check, which libzip makes on the other path) differs. Handed on in the same
// pieces as the streamed path.
std::uint64_t ZipReader::inflate_whole(zip_uint64_t index, const std::string& entry, const zip_stat_t& stat,
                                       const PieceConsumer& consume) {
    const auto compressed_size = static_cast<std::size_t>(stat.comp_size);
    const std::unique_ptr<std::uint8_t[]> compressed = read_stored(index, entry, compressed_size);
    const auto size = static_cast<std::size_t>(stat.size);
    const std::unique_ptr<std::uint8_t[]> content =
        std::make_unique_for_overwrite<std::uint8_t[]>(std::max<std::size_t>(size, 1));
    const std::unique_ptr<libdeflate_decompressor, void (*)(libdeflate_decompressor*)> inflater(
        libdeflate_alloc_decompressor(), libdeflate_free_decompressor);
    if (!inflater) throw std::bad_alloc();
    std::size_t inflated = 0;
    const libdeflate_result result = libdeflate_deflate_decompress(inflater.get(), compressed.get(), compressed_size,
                                                                    content.get(), size, &inflated);
    if (result != LIBDEFLATE_SUCCESS || inflated != size)
        fail(name_, entry + " is truncated or corrupt in the archive (its deflate stream does not give the " +
                        std::to_string(size) + " bytes declared)");
    if (libdeflate_crc32(0, content.get(), size) != stat.crc)
        fail(name_, entry + " is corrupt in the archive (CRC error)");
    for (std::size_t at = 0; at < size; at += piece_bytes)
        consume(std::span<const std::uint8_t>(content.get() + at, std::min(piece_bytes, size - at)));
    return size;
}

// An entry's bytes as the archive stores them (compressed), checked to be all there.
std::unique_ptr<std::uint8_t[]> ZipReader::read_stored(zip_uint64_t index, const std::string& entry,
                                                       std::size_t stored_size) {
    zip_file_t* file = zip_fopen_index(archive_, index, ZIP_FL_COMPRESSED);
    if (file == nullptr)
        fail(name_, "cannot read " + entry + " from the archive: " + zip_error_text(zip_get_error(archive_)));
    std::unique_ptr<std::uint8_t[]> stored =
        std::make_unique_for_overwrite<std::uint8_t[]>(std::max<std::size_t>(stored_size, 1));
    const zip_int64_t got = zip_fread(file, stored.get(), stored_size);
    zip_fclose(file);
    if (got < 0 || static_cast<std::size_t>(got) != stored_size)
        fail(name_, entry + " is truncated or corrupt in the archive");
    return stored;
}

void ZipReader::open(zip_source_t* source, zip_error_t* error) {
    // ZIP_CHECKCONS compares the central directory with the local headers,
    // which catches archives cut short or spliced, not only missing ends.
    archive_ = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, error);
    if (archive_ != nullptr) return;
    zip_source_free(source);
    const int code = zip_error_code_zip(error);
    if (code == ZIP_ER_NOZIP)
        fail(name_, "not a zip archive, or truncated (no zip central directory found)");
    if (code == ZIP_ER_INCONS)
        fail(name_, "zip archive is truncated or corrupt (inconsistent directory)");
    if (code == ZIP_ER_NOENT || code == ZIP_ER_OPEN || code == ZIP_ER_READ)
        fail(name_, "cannot open: " + zip_error_text(error));
    fail(name_, "cannot open the zip archive: " + zip_error_text(error));
}

std::optional<std::string> resolve_link(const std::string& folder, std::string_view link) {
    std::string text(trim(link));
    std::replace(text.begin(), text.end(), '\\', '/');
    std::vector<std::string> parts;
    std::string combined = folder + text;
    std::size_t start = 0;
    while (start <= combined.size()) {
        std::size_t end = combined.find('/', start);
        if (end == std::string::npos) end = combined.size();
        const std::string part = combined.substr(start, end - start);
        if (part == "..") {
            if (parts.empty()) return std::nullopt;
            parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        start = end + 1;
    }
    if (parts.empty()) return std::nullopt;
    std::string resolved;
    for (const std::string& part : parts) resolved += (resolved.empty() ? "" : "/") + part;
    return resolved;
}

std::string find_main_xml(const ZipReader& zip, const std::string& name) {
    const std::vector<std::string> names = zip.names();
    std::vector<std::string> candidates;
    for (const std::string& entry : names) {
        if (is_archive_noise(entry)) continue;
        const std::size_t slash = entry.rfind('/');
        const std::string base = slash == std::string::npos ? entry : entry.substr(slash + 1);
        if (lowercase(base) == "main.xml") candidates.push_back(entry);
    }
    if (candidates.empty()) fail(name, "no main.xml in the archive (not an x3p file?)");
    const auto depth = [](const std::string& entry) { return std::count(entry.begin(), entry.end(), '/'); };
    std::stable_sort(candidates.begin(), candidates.end(),
                     [&](const std::string& a, const std::string& b) { return depth(a) < depth(b); });
    if (candidates.size() > 1 && depth(candidates[0]) == depth(candidates[1]))
        fail(name, "archive holds more than one main.xml (" + candidates[0] + ", " + candidates[1] + ")");
    return candidates.front();
}

void check_main_checksum(ZipReader& zip, const std::string& folder, pugi::xml_node record4,
                         std::span<const std::uint8_t> main_bytes, std::vector<std::string>& warnings) {
    if (!record4) {
        warnings.push_back("main.xml has no Record4, so its checksum cannot be checked");
        return;
    }
    const std::string checksum_link = text_of(child(record4, "ChecksumFile"));
    const auto checksum_entry = resolve_link(folder, checksum_link);
    const auto checksum_index = checksum_entry ? zip.locate(*checksum_entry) : std::nullopt;
    if (!checksum_index) {
        warnings.push_back("checksum file " + quote_for_message(checksum_link) + " named in Record4 is missing");
        return;
    }
    const std::vector<std::uint8_t> content = zip.read(*checksum_index, *checksum_entry, maximum_checksum_file_bytes);
    // md5sum writes "hash  name" or "hash *name" and prefixes a backslash when
    // the name needed escaping; x3ptools writes the hash alone.
    std::string_view text(reinterpret_cast<const char*>(content.data()), content.size());
    text = trim(text);
    if (!text.empty() && text.front() == '\\') text.remove_prefix(1);
    const std::string_view hash = text.substr(0, text.find_first_of(" \t\r\n"));
    if (!is_hex_md5(hash)) {
        warnings.push_back(*checksum_entry + " does not hold an MD5 checksum of main.xml");
        return;
    }
    if (lowercase(hash) != md5_hex(main_bytes)) warnings.push_back(stale_checksum_warning);
}

} // namespace microstamp::x3p_detail
