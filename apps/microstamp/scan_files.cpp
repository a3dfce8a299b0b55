#include "scan_files.hpp"

#include "surface/image.hpp"
#include "surface/x3p.hpp"

#include <fmt/core.h>

namespace microstamp::cli {

Reading read_scan_file(const std::string& name, const ReadOptions& options) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(name, error)) throw FileError(fmt::format("{}: no such file", name));
    if (looks_like_x3p(name)) return read(read_x3p(name).surface, options);
    const Image image = read_image(name);
    if (image.width < 64 || image.height < 64)
        throw FileError(fmt::format("{}: {}x{} pixels is too small to hold a casing impression", name, image.width, image.height));
    return read(image, options);
}

} // namespace microstamp::cli
