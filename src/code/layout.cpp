#include "code/layout.hpp"

#include "code/identity.hpp"

#include <algorithm>
#include <fmt/core.h>

namespace microstamp {

std::string_view design_name(Design design) {
    switch (design) {
    case Design::ring: return "ring";
    case Design::text: return "text";
    case Design::gear: return "gear";
    case Design::datamatrix: return "datamatrix";
    }
    return "unknown";
}

std::vector<Design> parse_designs(std::string_view specification) {
    std::vector<Design> designs;
    std::size_t start = 0;
    while (start <= specification.size()) {
        const auto plus = specification.find('+', start);
        const std::string_view name = specification.substr(start, plus == std::string_view::npos ? plus : plus - start);
        Design design{};
        if (name == "ring") design = Design::ring;
        else if (name == "text") design = Design::text;
        else if (name == "gear") design = Design::gear;
        else if (name == "datamatrix") design = Design::datamatrix;
        else
            throw InputError(fmt::format("unknown design '{}' in '{}'; designs are ring, text, gear and datamatrix",
                                         name, specification));
        if (std::find(designs.begin(), designs.end(), design) != designs.end())
            throw InputError(fmt::format("design '{}' appears twice in '{}'", name, specification));
        designs.push_back(design);
        if (plus == std::string_view::npos) break;
        start = plus + 1;
    }
    const bool has_text = std::find(designs.begin(), designs.end(), Design::text) != designs.end();
    const bool has_datamatrix = std::find(designs.begin(), designs.end(), Design::datamatrix) != designs.end();
    if (has_text && has_datamatrix)
        throw InputError("designs text and datamatrix both need the centre of the pin face; choose one");
    return designs;
}

std::string designs_name(const std::vector<Design>& designs) {
    std::string name;
    for (const Design design : designs) {
        if (!name.empty()) name += '+';
        name += design_name(design);
    }
    return name;
}

FaceGeometry face_geometry(double pin_diameter_um, double engraving_depth_um) {
    if (!(pin_diameter_um >= 500 && pin_diameter_um <= 5000))
        throw InputError(fmt::format("pin diameter {} um is outside 500..5000 um", pin_diameter_um));
    if (!(engraving_depth_um > 0 && engraving_depth_um <= 100))
        throw InputError(fmt::format("engraving depth {} um is outside (0, 100] um", engraving_depth_um));
    FaceGeometry geometry;
    const double scale = pin_diameter_um / geometry.pin_diameter_um;
    geometry.pin_diameter_um = pin_diameter_um;
    geometry.engraving_depth_um = engraving_depth_um;
    for (double* length : {&geometry.character_height_um, &geometry.character_width_um, &geometry.character_pitch_um,
                           &geometry.centre_radius_um})
        *length *= scale;
    for (double* pair : {geometry.ring_inner_finder_um, geometry.ring_inner_track_um, geometry.ring_outer_track_um,
                         geometry.ring_outer_finder_um, geometry.gear_um}) {
        pair[0] *= scale;
        pair[1] *= scale;
    }
    return geometry;
}

} // namespace microstamp
