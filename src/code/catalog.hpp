#pragma once
// The reference tables that turn names into the compact codes a stamp carries.
// Shipped under data/ (manufacturers.csv, models.csv); a user extends them by
// adding rows, or points --catalog at a folder of their own tables.

#include "code/identity.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace microstamp {

struct Manufacturer {
    std::uint16_t code = 0;
    std::string short_name;  // three letters, e.g. "GLK"
    std::string name;        // e.g. "Glock"
};

struct Model {
    std::uint16_t manufacturer_code = 0;
    std::uint16_t code = 0;
    std::string name;
    std::string caliber;
    double pin_diameter_um = 1600;
    std::string pin_shape;   // hemispherical, flat, rectangular
};

inline constexpr std::uint16_t max_catalog_code = 1023;  // 10 bits in the payload

class Catalog {
public:
    Catalog(std::vector<Manufacturer> manufacturers, std::vector<Model> models);

    const std::vector<Manufacturer>& manufacturers() const { return manufacturers_; }
    const std::vector<Model>& models() const { return models_; }

    // Names are matched ignoring case; a manufacturer also by its short name and a
    // model also by its number. Unknown names throw InputError naming the closest.
    const Manufacturer& manufacturer(std::string_view name_or_short) const;
    const Model& model(const Manufacturer& manufacturer, std::string_view name_or_code) const;

    const Manufacturer* find_manufacturer(std::uint16_t code) const;
    const Model* find_model(std::uint16_t manufacturer_code, std::uint16_t model_code) const;

    // Make, model and serial as typed by a user -> a checked Identity with its codes.
    Identity identity(std::string_view manufacturer, std::string_view model, std::string_view serial) const;
    // Codes as decoded from a stamp -> Identity, or nothing if the catalog does not know them.
    std::optional<Identity> identity(std::uint16_t manufacturer_code, std::uint16_t model_code,
                                     std::string_view serial) const;

private:
    std::vector<Manufacturer> manufacturers_;
    std::vector<Model> models_;
};

// Parses the two CSV tables (text, not paths); `source` names them in errors.
Catalog parse_catalog(std::string_view manufacturers_csv, std::string_view models_csv,
                      std::string_view source = "catalog");
// Reads manufacturers.csv and models.csv from a folder.
Catalog load_catalog(const std::filesystem::path& folder);
// The shipped tables (the data/ folder of this build, or $MICROSTAMP_DATA).
std::filesystem::path default_data_folder();
const Catalog& default_catalog();

} // namespace microstamp
