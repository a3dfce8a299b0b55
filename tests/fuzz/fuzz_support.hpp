#pragma once
// What every harness holds a parser to: given any bytes, it returns a value or refuses
// with one of the program's one-line errors (InputError, and std::runtime_error with its
// kin: FileError, HttpError, StoreError). Anything else escaping -- std::logic_error, std::bad_alloc, a
// library's own exception type -- or a message spanning lines, is a finding: the harness
// aborts and libFuzzer keeps the input.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include <unistd.h>

#include "code/identity.hpp"

namespace microstamp::fuzz {

[[noreturn]] inline void finding(std::string_view what) {
    std::fprintf(stderr, "fuzz finding: %.*s\n", static_cast<int>(what.size()), what.data());
    std::abort();
}

inline void check_one_line(std::string_view message) {
    if (message.empty()) finding("an empty error message");
    if (message.find_first_of("\n\r") != std::string_view::npos)
        finding(std::string("an error message over lines: ") + std::string(message));
}

// Runs `parse`; a refusal must be one of the program's errors, in one line.
template <class Parse>
void parse_or_refuse(Parse&& parse) {
    try {
        parse();
    } catch (const std::runtime_error& refusal) {
        check_one_line(refusal.what());
    } catch (const InputError& refusal) {
        check_one_line(refusal.what());
    }
}

inline std::span<const std::uint8_t> bytes_of(const std::uint8_t* data, std::size_t size) { return {data, size}; }

// A folder of this process's own for the entry points that take a path, as the program
// calls them; libFuzzer runs one input at a time per process.
// The folder goes when the process exits normally.
inline const std::filesystem::path& scratch_folder() {
    struct Folder {
        std::filesystem::path path;
        Folder() {
            const char* base = std::getenv("TMPDIR");
            path = std::filesystem::path(base != nullptr ? base : "/tmp") / ("microstamp-fuzz-" + std::to_string(::getpid()));
            std::filesystem::create_directories(path);
        }
        ~Folder() {
            std::error_code ignored;
            std::filesystem::remove_all(path, ignored);
        }
    };
    static const Folder folder;
    return folder.path;
}

inline void write_file(const std::filesystem::path& path, const std::uint8_t* data, std::size_t size) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!file) finding("cannot write the scratch file " + path.string());
}

} // namespace microstamp::fuzz
