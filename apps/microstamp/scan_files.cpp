#include "scan_files.hpp"

#include "read/locations.hpp"
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

std::vector<CasingFiles> casing_files(const std::vector<std::string>& firing_pins, const std::vector<std::string>& breech_faces) {
    if (!breech_faces.empty() && breech_faces.size() != firing_pins.size())
        throw InputError(fmt::format("{} casing scan(s) and {} --breech-face scan(s): give one breech face per casing, in order",
                                     firing_pins.size(), breech_faces.size()));
    std::vector<CasingFiles> casings;
    for (std::size_t index = 0; index < firing_pins.size(); ++index)
        casings.push_back({firing_pins[index], breech_faces.empty() ? std::string() : breech_faces[index]});
    return casings;
}

Reading read_casing(const CasingFiles& files, const ReadOptions& options, Image* picture) {
    const Reading firing_pin = read_scan_file(files.firing_pin, options, picture);
    if (files.breech_face.empty()) return firing_pin;
    return compare_locations(firing_pin, read_scan_file(files.breech_face, options));
}

} // namespace microstamp::cli
