#include "physics/profiles.hpp"

#include "code/catalog.hpp"
#include "code/identity.hpp"
#include "code/json_depth.hpp"

#include <algorithm>
#include <fmt/core.h>
#include <fmt/ranges.h>
#include <fstream>
#include <iterator>

namespace microstamp {
namespace {

nlohmann::json read_json(const std::filesystem::path& path) {
    std::ifstream file(path);
    if (!file) throw InputError(fmt::format("cannot read profile {}", path.string()));
    const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (json_nesting_depth(text) > max_json_file_depth)
        throw InputError(fmt::format("{}: JSON nested deeper than {} levels", path.string(), max_json_file_depth));
    try {
        return nlohmann::json::parse(text, nullptr, true, true);
    } catch (const nlohmann::json::exception& problem) {
        throw InputError(fmt::format("{}: malformed JSON ({})", path.string(), problem.what()));
    }
}

// Reads a number that must lie in [low, high]; absent -> keeps the default.
void number(const nlohmann::json& json, const char* key, double& value, double low, double high,
            const std::string& source) {
    if (!json.contains(key)) return;
    if (!json[key].is_number()) throw InputError(fmt::format("{}: '{}' must be a number", source, key));
    value = json[key].get<double>();
    if (!(value >= low && value <= high))
        throw InputError(fmt::format("{}: '{}' = {} is outside {}..{}", source, key, value, low, high));
}

void text(const nlohmann::json& json, const char* key, std::string& value, const std::string& source) {
    if (!json.contains(key)) return;
    if (!json[key].is_string()) throw InputError(fmt::format("{}: '{}' must be a string", source, key));
    value = json[key].get<std::string>();
}

void flag(const nlohmann::json& json, const char* key, bool& value, const std::string& source) {
    if (!json.contains(key)) return;
    if (!json[key].is_boolean()) throw InputError(fmt::format("{}: '{}' must be true or false", source, key));
    value = json[key].get<bool>();
}

void reject_unknown_keys(const nlohmann::json& json, const std::vector<std::string>& known, const std::string& source) {
    for (const auto& [key, value] : json.items())
        if (!key.starts_with('_') && std::find(known.begin(), known.end(), key) == known.end())
            throw InputError(fmt::format("{}: unknown field '{}'", source, single_line(key)));
}

std::filesystem::path profile_path(const std::string& name_or_path, const char* folder) {
    const std::filesystem::path direct(name_or_path);
    std::error_code error;
    if (direct.extension() == ".json" || std::filesystem::is_regular_file(direct, error)) return direct;
    return default_data_folder() / folder / (name_or_path + ".json");
}

std::vector<std::string> profile_names(const char* folder) {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(default_data_folder() / folder, error))
        if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
}

template <typename Parse>
auto load_profile(const std::string& name_or_path, const char* folder, const char* kind, Parse parse) {
    const auto path = profile_path(name_or_path, folder);
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error))
        throw InputError(fmt::format("unknown {} profile '{}'; known: {}", kind, name_or_path,
                                     fmt::join(profile_names(folder), ", ")));
    return parse(read_json(path), path.string());
}

} // namespace

std::string_view pin_shape_name(PinShape shape) {
    switch (shape) {
    case PinShape::hemispherical: return "hemispherical";
    case PinShape::flat: return "flat";
    case PinShape::rectangular: return "rectangular";
    }
    return "unknown";
}

double PhysicsConstants::get(const std::string& group, const std::string& name) const {
    if (!values.contains(group) || !values[group].contains(name) || !values[group][name].is_number())
        throw InputError(fmt::format("physics constants: missing number {}.{}", group, name));
    return values[group][name].get<double>();
}

Firearm parse_firearm(const nlohmann::json& json, const std::string& source) {
    if (!json.is_object()) throw InputError(fmt::format("{}: a firearm profile is a JSON object", source));
    reject_unknown_keys(json,
                        {"name", "description", "caliber", "pin_shape", "pin_diameter_um", "tip_radius_um",
                         "striker_width_um", "striker_height_um", "pin_hardness_hv", "strike_energy_mj",
                         "chamber_pressure_mpa", "strike_offset_sd_um", "tilt_sd_deg", "pin_rotates",
                         "drag_probability", "drag_length_um", "drag_direction_deg", "double_strike_probability",
                         "headspace_um", "rim_contact_um"},
                        source);
    Firearm firearm;
    text(json, "name", firearm.name, source);
    if (firearm.name.empty()) throw InputError(fmt::format("{}: 'name' is required", source));
    text(json, "description", firearm.description, source);
    text(json, "caliber", firearm.caliber, source);
    std::string shape = "hemispherical";
    text(json, "pin_shape", shape, source);
    if (shape == "hemispherical") firearm.pin_shape = PinShape::hemispherical;
    else if (shape == "flat") firearm.pin_shape = PinShape::flat;
    else if (shape == "rectangular") firearm.pin_shape = PinShape::rectangular;
    else throw InputError(fmt::format("{}: pin_shape '{}' is not hemispherical, flat or rectangular", source, shape));
    number(json, "pin_diameter_um", firearm.pin_diameter_um, 500, 5000, source);
    firearm.tip_radius_um = firearm.pin_diameter_um / 2;
    number(json, "tip_radius_um", firearm.tip_radius_um, 200, 10000, source);
    number(json, "striker_width_um", firearm.striker_width_um, 200, 5000, source);
    number(json, "striker_height_um", firearm.striker_height_um, 200, 5000, source);
    number(json, "pin_hardness_hv", firearm.pin_hardness_hv, 100, 2000, source);
    number(json, "strike_energy_mj", firearm.strike_energy_mj, 1, 1000, source);
    number(json, "chamber_pressure_mpa", firearm.chamber_pressure_mpa, 10, 600, source);
    number(json, "strike_offset_sd_um", firearm.strike_offset_sd_um, 0, 1000, source);
    number(json, "tilt_sd_deg", firearm.tilt_sd_deg, 0, 20, source);
    flag(json, "pin_rotates", firearm.pin_rotates, source);
    number(json, "drag_probability", firearm.drag_probability, 0, 1, source);
    number(json, "drag_length_um", firearm.drag_length_um, 0, 2000, source);
    number(json, "drag_direction_deg", firearm.drag_direction_deg, -360, 360, source);
    number(json, "double_strike_probability", firearm.double_strike_probability, 0, 1, source);
    number(json, "headspace_um", firearm.headspace_um, 0, 1000, source);
    number(json, "rim_contact_um", firearm.rim_contact_um, 0, 5000, source);
    return firearm;
}

Ammunition parse_ammunition(const nlohmann::json& json, const std::string& source) {
    if (!json.is_object()) throw InputError(fmt::format("{}: an ammunition profile is a JSON object", source));
    reject_unknown_keys(json,
                        {"name", "description", "primer", "primer_diameter_um", "cup_thickness_um",
                         "primer_hardness_hv", "nickel_plated", "lacquer_um", "roughness_ra_um", "head_hardness_hv",
                         "pressure_factor"},
                        source);
    Ammunition ammunition;
    text(json, "name", ammunition.name, source);
    if (ammunition.name.empty()) throw InputError(fmt::format("{}: 'name' is required", source));
    text(json, "description", ammunition.description, source);
    text(json, "primer", ammunition.primer, source);
    if (ammunition.primer != "small_pistol" && ammunition.primer != "large_pistol" && ammunition.primer != "rimfire")
        throw InputError(fmt::format("{}: primer '{}' is not small_pistol, large_pistol or rimfire", source,
                                     ammunition.primer));
    if (ammunition.primer == "large_pistol") ammunition.primer_diameter_um = 5330;
    number(json, "primer_diameter_um", ammunition.primer_diameter_um, 1000, 10000, source);
    number(json, "cup_thickness_um", ammunition.cup_thickness_um, 100, 2000, source);
    number(json, "primer_hardness_hv", ammunition.primer_hardness_hv, 30, 600, source);
    flag(json, "nickel_plated", ammunition.nickel_plated, source);
    number(json, "lacquer_um", ammunition.lacquer_um, 0, 50, source);
    number(json, "roughness_ra_um", ammunition.roughness_ra_um, 0, 10, source);
    number(json, "head_hardness_hv", ammunition.head_hardness_hv, 30, 600, source);
    number(json, "pressure_factor", ammunition.pressure_factor, 0.5, 2, source);
    return ammunition;
}

PhysicsConstants parse_physics_constants(const nlohmann::json& json, const std::string& source) {
    if (!json.is_object()) throw InputError(fmt::format("{}: physics constants are a JSON object", source));
    PhysicsConstants constants{json};
    for (const auto& [group, entries] : json.items()) {
        if (group.front() == '_') continue;
        if (!entries.is_object()) throw InputError(fmt::format("{}: '{}' must be an object", source, group));
        for (const auto& [name, value] : entries.items())
            if (!value.is_number() || value.get<double>() < 0)
                throw InputError(fmt::format("{}: {}.{} must be a non-negative number", source, group, name));
    }
    return constants;
}

Firearm load_firearm(const std::string& name_or_path) {
    return load_profile(name_or_path, "firearms", "firearm", parse_firearm);
}

Ammunition load_ammunition(const std::string& name_or_path) {
    return load_profile(name_or_path, "ammunition", "ammunition", parse_ammunition);
}

const PhysicsConstants& default_physics_constants() {
    static const PhysicsConstants constants = [] {
        const auto path = default_data_folder() / "physics.json";
        return parse_physics_constants(read_json(path), path.string());
    }();
    return constants;
}

std::vector<std::string> known_firearms() { return profile_names("firearms"); }
std::vector<std::string> known_ammunition() { return profile_names("ammunition"); }

nlohmann::json to_json(const Firearm& firearm) {
    return {{"name", firearm.name},
            {"description", firearm.description},
            {"caliber", firearm.caliber},
            {"pin_shape", pin_shape_name(firearm.pin_shape)},
            {"pin_diameter_um", firearm.pin_diameter_um},
            {"tip_radius_um", firearm.tip_radius_um},
            {"striker_width_um", firearm.striker_width_um},
            {"striker_height_um", firearm.striker_height_um},
            {"pin_hardness_hv", firearm.pin_hardness_hv},
            {"strike_energy_mj", firearm.strike_energy_mj},
            {"chamber_pressure_mpa", firearm.chamber_pressure_mpa},
            {"strike_offset_sd_um", firearm.strike_offset_sd_um},
            {"tilt_sd_deg", firearm.tilt_sd_deg},
            {"pin_rotates", firearm.pin_rotates},
            {"drag_probability", firearm.drag_probability},
            {"drag_length_um", firearm.drag_length_um},
            {"drag_direction_deg", firearm.drag_direction_deg},
            {"double_strike_probability", firearm.double_strike_probability},
            {"headspace_um", firearm.headspace_um},
            {"rim_contact_um", firearm.rim_contact_um}};
}

nlohmann::json to_json(const Ammunition& ammunition) {
    return {{"name", ammunition.name},
            {"description", ammunition.description},
            {"primer", ammunition.primer},
            {"primer_diameter_um", ammunition.primer_diameter_um},
            {"cup_thickness_um", ammunition.cup_thickness_um},
            {"primer_hardness_hv", ammunition.primer_hardness_hv},
            {"nickel_plated", ammunition.nickel_plated},
            {"lacquer_um", ammunition.lacquer_um},
            {"roughness_ra_um", ammunition.roughness_ra_um},
            {"head_hardness_hv", ammunition.head_hardness_hv},
            {"pressure_factor", ammunition.pressure_factor}};
}

} // namespace microstamp
