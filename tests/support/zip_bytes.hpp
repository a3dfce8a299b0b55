#pragma once
// A zip archive written in memory with libzip directly, so that tests build the files they
// feed the x3p reader without trusting the writer under test.

#include <zip.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace microstamp::testing {

// Entries in order; a name ending in '/' is a folder entry. Contents are deflated at
// `deflate_level` (1-9), or with libzip's default method when it is 0.
inline std::vector<std::uint8_t> zip_bytes(const std::vector<std::pair<std::string, std::vector<std::uint8_t>>>& entries,
                                           int deflate_level = 0) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
    zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
    zip_source_keep(buffer);
    for (const auto& [name, content] : entries) {
        if (name.ends_with('/')) {
            zip_dir_add(archive, name.c_str(), 0);
            continue;
        }
        zip_source_t* source = zip_source_buffer(archive, content.data(), content.size(), 0);
        const zip_int64_t index = zip_file_add(archive, name.c_str(), source, ZIP_FL_OVERWRITE);
        if (deflate_level > 0)
            zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_DEFLATE,
                                     static_cast<zip_uint32_t>(deflate_level));
    }
    zip_close(archive);
    zip_source_open(buffer);
    zip_source_seek(buffer, 0, SEEK_END);
    const zip_int64_t size = zip_source_tell(buffer);
    zip_source_seek(buffer, 0, SEEK_SET);
    std::vector<std::uint8_t> result(static_cast<std::size_t>(size));
    zip_source_read(buffer, result.data(), result.size());
    zip_source_close(buffer);
    zip_source_free(buffer);
    return result;
}

} // namespace microstamp::testing
