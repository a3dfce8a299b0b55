#include "code/catalog.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <dlfcn.h>
#include <fstream>
#include <fmt/core.h>
#include <fmt/ranges.h>
#include <sstream>

namespace microstamp {
namespace {

std::string lower(std::string_view text) {
    std::string result(text);
    for (char& character : result) character = static_cast<char>(std::tolower(static_cast<unsigned char>(character)));
    return result;
}

std::string trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(" \t\r");
    return std::string(text.substr(first, last - first + 1));
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> previous(b.size() + 1), current(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
        }
        std::swap(previous, current);
    }
    return previous[b.size()];
}

// The few known names nearest to what the user typed, for the error message. Only the
// first characters are compared: no name is longer, and the edit distance grows with
// the product of the lengths (a hostile manifest's 9 kB "make" once took 15 s).
std::string closest(std::string_view typed, const std::vector<std::string>& known) {
    constexpr std::size_t compared_characters = 64;
    std::vector<std::pair<std::size_t, std::string>> ranked;
    const std::string typed_lower = lower(typed.substr(0, compared_characters));
    for (const auto& name : known) {
        const std::string name_lower = lower(name);
        std::size_t distance = edit_distance(typed_lower, name_lower);
        if (!typed_lower.empty() && name_lower.find(typed_lower) != std::string::npos) distance = 0;
        ranked.emplace_back(distance, name);
    }
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> names;
    for (std::size_t i = 0; i < ranked.size() && i < 3; ++i) names.push_back("'" + ranked[i].second + "'");
    return fmt::format("{}", fmt::join(names, ", "));
}

// A typed name as a message quotes it: one line, and short.
std::string quoted_name(std::string_view typed) {
    constexpr std::size_t shown = 80;
    return single_line(typed.substr(0, shown)) + (typed.size() > shown ? "..." : "");
}

struct CsvRow {
    std::size_t line = 0;
    std::vector<std::string> fields;
};

// Comma-separated rows without quoting ('#' starts a comment line); the first
// row names the columns and must match `columns`.
std::vector<CsvRow> parse_rows(std::string_view text, const std::vector<std::string>& columns,
                               std::string_view source) {
    std::vector<CsvRow> rows;
    std::istringstream stream{std::string(text)};
    std::string line;
    std::size_t number = 0;
    bool header_seen = false;
    while (std::getline(stream, line)) {
        ++number;
        const std::string trimmed = trim(line);
        if (trimmed.empty() || trimmed.front() == '#') continue;
        if (trimmed.find('"') != std::string::npos)
            throw InputError(fmt::format("{}:{}: quoted fields are not supported", source, number));
        CsvRow row{number, {}};
        std::size_t start = 0;
        while (true) {
            const auto comma = trimmed.find(',', start);
            row.fields.push_back(trim(std::string_view(trimmed).substr(start, comma - start)));
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
        if (!header_seen) {
            if (row.fields != columns)
                throw InputError(fmt::format("{}:{}: expected the columns {}", source, number, fmt::join(columns, ",")));
            header_seen = true;
            continue;
        }
        if (row.fields.size() != columns.size())
            throw InputError(fmt::format("{}:{}: expected {} fields, found {}", source, number,
                                         columns.size(), row.fields.size()));
        rows.push_back(std::move(row));
    }
    if (!header_seen) throw InputError(fmt::format("{}: no header line", source));
    return rows;
}

template <typename Number>
Number parse_number(const std::string& text, std::string_view what, std::string_view source, std::size_t line) {
    Number value{};
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size())
        throw InputError(fmt::format("{}:{}: {} '{}' is not a number", source, line, what, text));
    return value;
}

std::uint16_t parse_code(const std::string& text, std::string_view what, std::string_view source, std::size_t line) {
    const auto value = parse_number<unsigned>(text, what, source, line);
    if (value < 1 || value > max_catalog_code)
        throw InputError(fmt::format("{}:{}: {} {} is outside 1..{}", source, line, what, value, max_catalog_code));
    return static_cast<std::uint16_t>(value);
}

std::string read_text(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw InputError(fmt::format("cannot read catalog table {}", path.string()));
    std::ostringstream content;
    content << file.rdbuf();
    return content.str();
}

} // namespace

Catalog::Catalog(std::vector<Manufacturer> manufacturers, std::vector<Model> models)
    : manufacturers_(std::move(manufacturers)), models_(std::move(models)) {}

const Manufacturer& Catalog::manufacturer(std::string_view name_or_short) const {
    const std::string wanted = lower(trim(name_or_short));
    for (const auto& manufacturer : manufacturers_)
        if (lower(manufacturer.name) == wanted || lower(manufacturer.short_name) == wanted) return manufacturer;
    std::vector<std::string> names;
    for (const auto& manufacturer : manufacturers_) names.push_back(manufacturer.name);
    throw InputError(fmt::format("unknown manufacturer '{}'; closest known: {}", quoted_name(name_or_short),
                                 closest(name_or_short, names)));
}

const Model& Catalog::model(const Manufacturer& manufacturer, std::string_view name_or_code) const {
    const std::string wanted = lower(trim(name_or_code));
    std::vector<std::string> names;
    for (const auto& model : models_) {
        if (model.manufacturer_code != manufacturer.code) continue;
        if (lower(model.name) == wanted || std::to_string(model.code) == wanted) return model;
        names.push_back(model.name);
    }
    if (names.empty())
        throw InputError(fmt::format("manufacturer '{}' has no models in the catalog", manufacturer.name));
    throw InputError(fmt::format("unknown {} model '{}'; closest known: {}", manufacturer.name,
                                 quoted_name(name_or_code), closest(name_or_code, names)));
}

const Manufacturer* Catalog::find_manufacturer(std::uint16_t code) const {
    for (const auto& manufacturer : manufacturers_)
        if (manufacturer.code == code) return &manufacturer;
    return nullptr;
}

const Model* Catalog::find_model(std::uint16_t manufacturer_code, std::uint16_t model_code) const {
    for (const auto& model : models_)
        if (model.manufacturer_code == manufacturer_code && model.code == model_code) return &model;
    return nullptr;
}

Identity Catalog::identity(std::string_view manufacturer_name, std::string_view model_name,
                           std::string_view serial) const {
    const Manufacturer& found_manufacturer = manufacturer(manufacturer_name);
    const Model& found_model = model(found_manufacturer, model_name);
    return Identity{found_manufacturer.name, found_model.name, normalise_serial(serial),
                    found_manufacturer.code, found_model.code};
}

std::optional<Identity> Catalog::identity(std::uint16_t manufacturer_code, std::uint16_t model_code,
                                          std::string_view serial) const {
    const Manufacturer* found_manufacturer = find_manufacturer(manufacturer_code);
    const Model* found_model = find_model(manufacturer_code, model_code);
    if (!found_manufacturer || !found_model) return std::nullopt;
    return Identity{found_manufacturer->name, found_model->name, std::string(serial), manufacturer_code, model_code};
}

Catalog parse_catalog(std::string_view manufacturers_csv, std::string_view models_csv, std::string_view source) {
    const std::string manufacturers_source = fmt::format("{}/manufacturers.csv", source);
    const std::string models_source = fmt::format("{}/models.csv", source);
    std::vector<Manufacturer> manufacturers;
    for (const auto& row : parse_rows(manufacturers_csv, {"code", "short", "name"}, manufacturers_source)) {
        Manufacturer manufacturer{parse_code(row.fields[0], "manufacturer code", manufacturers_source, row.line),
                                  row.fields[1], row.fields[2]};
        if (manufacturer.name.empty() || manufacturer.short_name.empty())
            throw InputError(fmt::format("{}:{}: empty name", manufacturers_source, row.line));
        for (const auto& existing : manufacturers)
            if (existing.code == manufacturer.code || lower(existing.name) == lower(manufacturer.name) ||
                lower(existing.short_name) == lower(manufacturer.short_name))
                throw InputError(fmt::format("{}:{}: manufacturer '{}' duplicates '{}'", manufacturers_source,
                                             row.line, manufacturer.name, existing.name));
        manufacturers.push_back(std::move(manufacturer));
    }
    std::vector<Model> models;
    for (const auto& row : parse_rows(models_csv,
                                      {"manufacturer", "model_code", "model", "caliber", "pin_diameter_um", "pin_shape"},
                                      models_source)) {
        const Manufacturer* owner = nullptr;
        for (const auto& manufacturer : manufacturers)
            if (lower(manufacturer.short_name) == lower(row.fields[0])) owner = &manufacturer;
        if (!owner)
            throw InputError(fmt::format("{}:{}: manufacturer '{}' is not in manufacturers.csv", models_source,
                                         row.line, row.fields[0]));
        Model model{owner->code, parse_code(row.fields[1], "model code", models_source, row.line), row.fields[2],
                    row.fields[3], parse_number<double>(row.fields[4], "pin diameter", models_source, row.line),
                    row.fields[5]};
        if (model.pin_diameter_um < 500 || model.pin_diameter_um > 5000)
            throw InputError(fmt::format("{}:{}: pin diameter {} um is outside 500..5000", models_source, row.line,
                                         model.pin_diameter_um));
        if (model.pin_shape != "hemispherical" && model.pin_shape != "flat" && model.pin_shape != "rectangular")
            throw InputError(fmt::format("{}:{}: pin shape '{}' is not hemispherical, flat or rectangular",
                                         models_source, row.line, model.pin_shape));
        for (const auto& existing : models)
            if (existing.manufacturer_code == model.manufacturer_code &&
                (existing.code == model.code || lower(existing.name) == lower(model.name)))
                throw InputError(fmt::format("{}:{}: model '{}' duplicates '{}'", models_source, row.line,
                                             model.name, existing.name));
        models.push_back(std::move(model));
    }
    return Catalog(std::move(manufacturers), std::move(models));
}

Catalog load_catalog(const std::filesystem::path& folder) {
    return parse_catalog(read_text(folder / "manufacturers.csv"), read_text(folder / "models.csv"), folder.string());
}

// The folder of the program or shared library this code was linked into: an installed
// tree finds its data beside it (bin/../share/microstamp, lib/<arch>/../../share/microstamp),
// wherever the tree was unpacked.
std::filesystem::path installed_data_folder() {
    std::error_code error;
    std::vector<std::filesystem::path> modules = {std::filesystem::canonical("/proc/self/exe", error)};
    Dl_info info{};
    if (::dladdr(reinterpret_cast<const void*>(&installed_data_folder), &info) != 0 && info.dli_fname != nullptr &&
        info.dli_fname[0] == '/')
        modules.emplace_back(info.dli_fname);
    for (const auto& module : modules)
        for (const char* relative : {MICROSTAMP_DATA_FROM_BIN, MICROSTAMP_DATA_FROM_LIB}) {
            const auto candidate = (module.parent_path() / relative).lexically_normal();
            if (std::filesystem::is_regular_file(candidate / "manufacturers.csv", error)) return candidate;
        }
    return {};
}

std::filesystem::path default_data_folder() {
    if (const char* override_folder = std::getenv("MICROSTAMP_DATA")) return override_folder;
    static const std::filesystem::path installed = installed_data_folder();
    if (!installed.empty()) return installed;
    return MICROSTAMP_DATA_DIR;
}

const Catalog& default_catalog() {
    static const Catalog catalog = load_catalog(default_data_folder());
    return catalog;
}

} // namespace microstamp
