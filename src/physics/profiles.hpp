#pragma once
// Firearm and ammunition profiles (data/firearms/*.json, data/ammunition/*.json)
// and the simulator's assumed constants (data/physics.json). Every number that
// drives the physics comes from one of these files; docs/physics.md says which
// have a published source and which are assumed.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace microstamp {

enum class PinShape { hemispherical, flat, rectangular };

struct Firearm {
    std::string name;
    std::string description;
    std::string caliber;
    PinShape pin_shape = PinShape::hemispherical;
    double pin_diameter_um = 1600;          // REFERENCE.md: 1.5-1.8 mm (assumed per model)
    double tip_radius_um = 800;             // sphere radius of a hemispherical tip
    double striker_width_um = 1500;         // rectangular striker face
    double striker_height_um = 1100;
    double pin_hardness_hv = 600;           // REFERENCE.md: hardened steel HV 500-700
    double strike_energy_mj = 60;           // assumed
    double chamber_pressure_mpa = 241;      // SAAMI maximum for the caliber
    double strike_offset_sd_um = 40;        // assumed
    double tilt_sd_deg = 1.0;               // assumed
    bool pin_rotates = true;                // round pins turn in their channel between shots
    double drag_probability = 0;            // tilting-barrel pistols drag the pin as they unlock
    double drag_length_um = 0;
    double drag_direction_deg = 90;         // in the breech-face frame; 90 = towards 12 o'clock
    double double_strike_probability = 0;
    double headspace_um = 100;
    double rim_contact_um = 0;              // > 0: rimfire, contact limited to a band this wide
};

struct Ammunition {
    std::string name;
    std::string description;
    std::string primer;                     // small_pistol, large_pistol, rimfire
    double primer_diameter_um = 4450;       // REFERENCE.md: 4.45 / 5.33 mm
    double cup_thickness_um = 470;          // REFERENCE.md: 0.43-0.51 mm (assumed)
    double primer_hardness_hv = 120;        // REFERENCE.md: cartridge brass HV 90-160
    bool nickel_plated = false;
    double lacquer_um = 0;                  // sealant layer over the cup, softens fine detail
    double roughness_ra_um = 0.25;          // assumed surface finish of the cup
    double head_hardness_hv = 150;          // case head, for the breech-face stamp
    double pressure_factor = 1.0;           // +P loads > 1
};

struct PhysicsConstants {
    nlohmann::json values;  // the parsed data/physics.json
    double get(const std::string& group, const std::string& name) const;
};

Firearm parse_firearm(const nlohmann::json& json, const std::string& source);
Ammunition parse_ammunition(const nlohmann::json& json, const std::string& source);
PhysicsConstants parse_physics_constants(const nlohmann::json& json, const std::string& source);

// A profile by name (a file in data/firearms or data/ammunition) or by path to a .json file.
// Unknown names throw InputError listing the known ones; malformed files name the field.
Firearm load_firearm(const std::string& name_or_path);
Ammunition load_ammunition(const std::string& name_or_path);
const PhysicsConstants& default_physics_constants();
std::vector<std::string> known_firearms();
std::vector<std::string> known_ammunition();

nlohmann::json to_json(const Firearm& firearm);
nlohmann::json to_json(const Ammunition& ammunition);
std::string_view pin_shape_name(PinShape shape);

} // namespace microstamp
