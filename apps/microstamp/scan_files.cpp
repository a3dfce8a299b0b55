#include "scan_files.hpp"

#include "read/overlay.hpp"
#include "surface/image.hpp"
#include "surface/x3p.hpp"

#include <fmt/core.h>

namespace microstamp::cli {

Reading read_scan_file(const std::string& name, const ReadOptions& options, Image* picture) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(name, error)) throw FileError(fmt::format("{}: no such file", name));
    if (looks_like_x3p(name)) {
        FeatureMap map;
        const Reading reading = read(read_x3p(name).surface, options, default_catalog(), picture ? &map : nullptr);
        if (picture) *picture = topography_picture(map);
        return reading;
    }
    Image image = read_image(name);
    if (image.width < 64 || image.height < 64)
        throw FileError(fmt::format("{}: {}x{} pixels is too small to hold a casing impression", name, image.width, image.height));
    Reading reading = read(image, options);
    if (picture) *picture = std::move(image);
    return reading;
}

} // namespace microstamp::cli
