#include "study/study.hpp"

#include "code/json_depth.hpp"

#include "code/catalog.hpp"
#include "code/identity.hpp"
#include "die/die_files.hpp"
#include "physics/random.hpp"
#include "surface/surface.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/core.h>
#include <fmt/ranges.h>
#include <fstream>
#include <sstream>

namespace microstamp {
namespace {

constexpr std::uint64_t pistol_purpose = 0x9157;

// Every study error names the file and the field, in one line.
[[noreturn]] void refuse(const std::string& source, const std::string& message) {
    throw InputError(single_line(fmt::format("{}: {}", source, message)));
}

const nlohmann::json& required(const nlohmann::json& json, const char* key, const std::string& source) {
    if (!json.contains(key)) refuse(source, fmt::format("'{}' is required", key));
    return json[key];
}

std::vector<std::string> string_levels(const nlohmann::json& json, const char* key, const std::string& source,
                                       std::vector<std::string> fallback = {}) {
    if (!json.contains(key)) {
        if (fallback.empty()) refuse(source, fmt::format("factor '{}' is required", key));
        return fallback;
    }
    const auto& levels = json[key];
    if (!levels.is_array() || levels.empty()) refuse(source, fmt::format("factor '{}' must be a non-empty list", key));
    std::vector<std::string> values;
    for (const auto& level : levels) {
        if (!level.is_string()) refuse(source, fmt::format("factor '{}': every level must be a string", key));
        values.push_back(level.get<std::string>());
    }
    return values;
}

template <typename Integer>
std::vector<Integer> integer_levels(const nlohmann::json& json, const char* key, const std::string& source,
                                    Integer low, Integer high, std::vector<Integer> fallback) {
    if (!json.contains(key)) return fallback;
    const auto& levels = json[key];
    if (!levels.is_array() || levels.empty()) refuse(source, fmt::format("factor '{}' must be a non-empty list", key));
    std::vector<Integer> values;
    for (const auto& level : levels) {
        if (!level.is_number_integer() || level.get<long long>() < static_cast<long long>(low) ||
            level.get<long long>() > static_cast<long long>(high))
            refuse(source, fmt::format("factor '{}': {} is not a whole number in {}..{}", key, level.dump(), low, high));
        values.push_back(level.get<Integer>());
    }
    return values;
}

int whole_number(const nlohmann::json& json, const char* key, int fallback, int low, int high, const std::string& source) {
    if (!json.contains(key)) return fallback;
    const auto& value = json[key];
    if (!value.is_number_integer() || value.get<long long>() < low || value.get<long long>() > high)
        refuse(source, fmt::format("'{}' must be a whole number in {}..{}", key, low, high));
    return value.get<int>();
}

std::string text_field(const nlohmann::json& json, const char* key, const std::string& fallback, const std::string& source) {
    if (!json.contains(key)) return fallback;
    if (!json[key].is_string()) refuse(source, fmt::format("'{}' must be a string", key));
    return json[key].get<std::string>();
}

void reject_unknown(const nlohmann::json& json, const std::vector<std::string>& known, const std::string& source,
                    const std::string& where) {
    for (const auto& [key, value] : json.items())
        if (!key.starts_with('_') && std::find(known.begin(), known.end(), key) == known.end())
            refuse(source, fmt::format("unknown field '{}'{}; known: {}", key, where, fmt::join(known, ", ")));
}

ScanSetting parse_scan(const nlohmann::json& json, const std::string& source) {
    if (!json.is_object()) refuse(source, "every level of 'scans' is an object such as {\"kind\": \"topography\"}");
    reject_unknown(json, {"kind", "spacing_um", "size"}, source, " in a scan");
    ScanSetting scan;
    const std::string kind = text_field(json, "kind", "topography", source);
    if (kind == "topography") scan.kind = ScanKind::topography;
    else if (kind == "photograph") scan.kind = ScanKind::photograph;
    else refuse(source, fmt::format("scan kind '{}' is not topography or photograph", kind));
    if (json.contains("spacing_um")) {
        if (!json["spacing_um"].is_number()) refuse(source, "scan 'spacing_um' must be a number");
        scan.spacing_um = json["spacing_um"].get<double>();
    }
    if (!(scan.spacing_um >= 0.25 && scan.spacing_um <= 10))
        refuse(source, fmt::format("scan spacing {} um is outside 0.25..10", scan.spacing_um));
    scan.size = whole_number(json, "size", scan.size, 64, 8192, source);
    return scan;
}

Protocol parse_protocol(const std::string& text, const std::string& source) {
    if (text == "identity") return Protocol::identity;
    if (text == "pistol_pass") return Protocol::pistol_pass;
    refuse(source, fmt::format("protocol '{}' is not identity or pistol_pass", text));
}

PublishedFigure parse_published(const nlohmann::json& json, const std::string& source) {
    if (!json.is_object()) refuse(source, "every entry of 'published' is an object");
    reject_unknown(json, {"source", "text", "rate", "design"}, source, " in a published figure");
    PublishedFigure figure;
    figure.source = text_field(json, "source", "", source);
    figure.text = text_field(json, "text", "", source);
    figure.design = text_field(json, "design", "", source);
    const auto& rate = required(json, "rate", source);
    if (!rate.is_number() || rate.get<double>() < 0 || rate.get<double>() > 1)
        refuse(source, "a published 'rate' is a share between 0 and 1");
    figure.rate = rate.get<double>();
    return figure;
}

// Overrides may only name constants that exist: a misspelt name would silently do nothing.
void check_physics_overrides(const nlohmann::json& overrides, const std::string& source) {
    if (!overrides.is_object()) refuse(source, "'physics' must be an object of groups, as in data/physics.json");
    const auto& defaults = default_physics_constants().values;
    for (const auto& [group, entries] : overrides.items()) {
        if (group.front() == '_') continue;
        if (!defaults.contains(group) || !entries.is_object())
            refuse(source, fmt::format("physics: '{}' is not a group of data/physics.json", group));
        for (const auto& [name, value] : entries.items()) {
            if (!defaults[group].contains(name))
                refuse(source, fmt::format("physics: '{}.{}' is not a constant of data/physics.json", group, name));
            if (!value.is_number() || value.get<double>() < 0)
                refuse(source, fmt::format("physics: {}.{} must be a non-negative number", group, name));
        }
    }
}

std::map<std::string, nlohmann::json> profile_overrides(const nlohmann::json& json, const char* key,
                                                        const std::vector<std::string>& levels, const std::string& source) {
    std::map<std::string, nlohmann::json> overrides;
    if (!json.contains(key)) return overrides;
    if (!json[key].is_object()) refuse(source, fmt::format("'{}' must be an object keyed by profile name", key));
    for (const auto& [name, fields] : json[key].items()) {
        if (std::find(levels.begin(), levels.end(), name) == levels.end())
            refuse(source, fmt::format("{}: '{}' is not one of the study's levels", key, name));
        if (!fields.is_object()) refuse(source, fmt::format("{}.{} must be an object of profile fields", key, name));
        overrides[name] = fields;
    }
    return overrides;
}

long parse_count(std::string_view text, const std::string& whole) {
    long value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value < 1 || value > 100000)
        throw InputError(fmt::format("shots '{}': '{}' is not a count in 1..100000", whole, text));
    return value;
}

std::string read_file_text(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw FileError(fmt::format("{}: cannot read the study file", path.string()));
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

} // namespace

std::string_view scan_kind_name(ScanKind kind) { return kind == ScanKind::topography ? "topography" : "photograph"; }

ShotPlan parse_shot_plan(const std::string& text) {
    ShotPlan plan;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto plus = text.find('+', start);
        const std::string part = text.substr(start, plus == std::string::npos ? std::string::npos : plus - start);
        const auto colon = part.find(':');
        if (colon == std::string::npos)
            throw InputError(fmt::format("shots '{}': expected first:N, last:N or spread:N joined by '+'", text));
        const std::string kind = part.substr(0, colon);
        const auto count = static_cast<int>(parse_count(std::string_view(part).substr(colon + 1), text));
        if (kind == "first") plan.first = count;
        else if (kind == "last") plan.last = count;
        else if (kind == "spread") plan.spread = count;
        else throw InputError(fmt::format("shots '{}': '{}' is not first, last or spread", text, kind));
        if (plus == std::string::npos) break;
        start = plus + 1;
    }
    return plan;
}

std::vector<long> planned_shots(const ShotPlan& plan, long rounds) {
    std::vector<long> shots;
    for (long shot = 1; shot <= std::min<long>(plan.first, rounds); ++shot) shots.push_back(shot);
    for (long shot = std::max<long>(1, rounds - plan.last + 1); shot <= rounds && plan.last > 0; ++shot) shots.push_back(shot);
    // Spread: rounds * k / S for k = 1..S, so the last kept round is the last fired.
    for (long k = 1; k <= plan.spread; ++k) shots.push_back(std::max<long>(1, rounds * k / plan.spread));
    std::sort(shots.begin(), shots.end());
    shots.erase(std::unique(shots.begin(), shots.end()), shots.end());
    return shots;
}

std::vector<Defeat> parse_defeats(const std::string& text) {
    std::vector<Defeat> defeats;
    if (text == "none") return defeats;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto plus = text.find('+', start);
        defeats.push_back(parse_defeat(text.substr(start, plus == std::string::npos ? std::string::npos : plus - start)));
        if (plus == std::string::npos) break;
        start = plus + 1;
    }
    return defeats;
}

Study parse_study(const nlohmann::json& document, const std::string& source, const std::string& sha256) {
    if (!document.is_object()) refuse(source, "a study file is a JSON object");
    reject_unknown(document,
                   {"format", "format_version", "name", "description", "protocol", "published", "identity", "factors",
                    "pistols", "shots", "fusion_group", "engraving_depth_um", "physics", "firearm_overrides", "ammunition_overrides",
                    "breech_face"},
                   source, "");
    if (text_field(document, "format", "", source) != "microstamp-study")
        refuse(source, "'format' must be \"microstamp-study\"");
    if (whole_number(document, "format_version", 0, 0, 1000, source) != 1)
        refuse(source, "'format_version' must be 1 (the version this program reads)");
    Study study;
    study.document = document;
    study.sha256 = sha256;
    study.name = text_field(document, "name", "", source);
    if (study.name.empty()) refuse(source, "'name' is required");
    study.description = text_field(document, "description", "", source);
    study.protocol = parse_protocol(text_field(document, "protocol", "identity", source), source);
    if (document.contains("published")) {
        if (!document["published"].is_array()) refuse(source, "'published' must be a list");
        for (const auto& entry : document["published"]) study.published.push_back(parse_published(entry, source));
    }
    if (document.contains("identity")) {
        const auto& identity = document["identity"];
        if (!identity.is_object()) refuse(source, "'identity' must be an object with make, model and serial");
        reject_unknown(identity, {"make", "model", "serial"}, source, " in 'identity'");
        study.make = text_field(identity, "make", study.make, source);
        study.model = text_field(identity, "model", study.model, source);
        study.serial = text_field(identity, "serial", study.serial, source);
    }

    const auto& factors = required(document, "factors", source);
    if (!factors.is_object()) refuse(source, "'factors' must be an object of factor lists");
    reject_unknown(factors, {"seeds", "firearms", "ammunition", "designs", "rounds", "defeats", "scans"}, source,
                   " in 'factors'");
    study.seeds = integer_levels<std::uint64_t>(factors, "seeds", source, 0, (1ULL << 53), {1});
    study.firearms = string_levels(factors, "firearms", source);
    study.ammunition = string_levels(factors, "ammunition", source);
    study.designs = string_levels(factors, "designs", source, {"ring"});
    study.rounds = integer_levels<long>(factors, "rounds", source, 1, 10'000'000, {});
    if (study.rounds.empty()) refuse(source, "factor 'rounds' is required");
    study.defeats = string_levels(factors, "defeats", source, {"none"});
    study.scans = {ScanSetting{}};
    if (factors.contains("scans")) {
        if (!factors["scans"].is_array() || factors["scans"].empty()) refuse(source, "factor 'scans' must be a non-empty list");
        study.scans.clear();
        for (const auto& scan : factors["scans"]) study.scans.push_back(parse_scan(scan, source));
    }
    study.pistols = whole_number(document, "pistols", 1, 1, 100000, source);
    if (document.contains("engraving_depth_um")) {
        const auto& depth = document["engraving_depth_um"];
        if (!depth.is_number() || depth.get<double>() < 2 || depth.get<double>() > 100)
            refuse(source, "'engraving_depth_um' must be a number in 2..100");
        study.engraving_depth_um = depth.get<double>();
    }
    study.fusion_group = whole_number(document, "fusion_group", 3, 2, 100, source);
    if (document.contains("breech_face")) {
        if (!document["breech_face"].is_boolean()) refuse(source, "'breech_face' must be true or false");
        study.breech_face = document["breech_face"].get<bool>();
    }
    for (const auto& defeat : study.defeats)
        if (defeat.find("swap:other") != std::string::npos && study.serial.find('#') == std::string::npos)
            refuse(source, "defeat 'swap:other' needs pistols of their own serials: put '#' in the identity's serial");
    try {
        study.shots = parse_shot_plan(text_field(document, "shots", "last:1", source));
        for (const auto& designs : study.designs) parse_designs(designs);
        for (const auto& defeat : study.defeats) parse_defeats(defeat);
        for (const auto& firearm : study.firearms) load_firearm(firearm);
        for (const auto& ammunition : study.ammunition) load_ammunition(ammunition);
        const std::string sample_serial = pistol_serial(study, study.pistols);
        default_catalog().identity(study.make, study.model, sample_serial);
    } catch (const InputError& problem) {
        refuse(source, problem.what());
    }
    if (document.contains("physics")) {
        check_physics_overrides(document["physics"], source);
        study.physics_overrides = document["physics"];
    }
    study.firearm_overrides = profile_overrides(document, "firearm_overrides", study.firearms, source);
    study.ammunition_overrides = profile_overrides(document, "ammunition_overrides", study.ammunition, source);
    try {
        for (const auto& firearm : study.firearms) study_firearm(study, firearm);
        for (const auto& ammunition : study.ammunition) study_ammunition(study, ammunition);
    } catch (const InputError& problem) {
        refuse(source, problem.what());
    }
    for (const long rounds : study.rounds)
        if (planned_shots(study.shots, rounds).empty()) refuse(source, "the shot plan keeps no casing");
    return study;
}

std::vector<std::string> known_studies() {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(default_data_folder() / "studies", error))
        if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
}

Study load_study(const std::string& name_or_path) {
    std::filesystem::path path(name_or_path);
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error) && path.extension() != ".json") {
        path = default_data_folder() / "studies" / (name_or_path + ".json");
        if (!std::filesystem::is_regular_file(path, error))
            throw InputError(fmt::format("no study file '{}'; shipped studies: {}", name_or_path, fmt::join(known_studies(), ", ")));
    }
    const std::string text = read_file_text(path);
    if (json_nesting_depth(text) > max_json_file_depth)
        throw InputError(fmt::format("{}: JSON nested deeper than {} levels", path.string(), max_json_file_depth));
    nlohmann::json document;
    try {
        document = nlohmann::json::parse(text, nullptr, true, true);
    } catch (const nlohmann::json::exception& problem) {
        // nlohmann's message already says where ("at line 3, column 5").
        std::string reason = problem.what();
        std::replace(reason.begin(), reason.end(), '\n', ' ');
        throw InputError(fmt::format("{}: not valid JSON: {}", path.string(), reason));
    }
    return parse_study(document, path.string(), sha256_hex(text.data(), text.size()));
}

Study with_seeds(Study study, const std::string& range) {
    constexpr std::uint64_t most_seed = 1ULL << 53, most_seeds = 100000;
    const auto number = [&](std::string_view text) {
        std::uint64_t value = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || error != std::errc() || end != text.data() + text.size() || value > most_seed)
            throw InputError(fmt::format("--seeds '{}' is not FIRST-LAST or N (whole numbers 0..2^53)", range));
        return value;
    };
    const auto dash = range.find('-');
    const std::uint64_t first = number(std::string_view(range).substr(0, dash));
    const std::uint64_t last = dash == std::string::npos ? first : number(std::string_view(range).substr(dash + 1));
    if (last < first || last - first >= most_seeds)
        throw InputError(fmt::format("--seeds '{}' must run upwards over at most {} seeds", range, most_seeds));
    study.seeds.clear();
    for (std::uint64_t seed = first; seed <= last; ++seed) study.seeds.push_back(seed);
    study.document["factors"]["seeds"] = study.seeds;
    const std::string fingerprint = fmt::format("{} seeds {}-{}", study.sha256, first, last);
    study.sha256 = sha256_hex(fingerprint.data(), fingerprint.size());
    return study;
}

PhysicsConstants study_constants(const Study& study) {
    nlohmann::json values = default_physics_constants().values;
    values.merge_patch(study.physics_overrides);
    return parse_physics_constants(values, study.name + " physics");
}

Firearm study_firearm(const Study& study, const std::string& name) {
    Firearm firearm = load_firearm(name);
    const auto found = study.firearm_overrides.find(name);
    if (found == study.firearm_overrides.end()) return firearm;
    nlohmann::json merged = to_json(firearm);
    merged.merge_patch(found->second);
    return parse_firearm(merged, fmt::format("firearm_overrides.{}", name));
}

Ammunition study_ammunition(const Study& study, const std::string& name) {
    Ammunition ammunition = load_ammunition(name);
    const auto found = study.ammunition_overrides.find(name);
    if (found == study.ammunition_overrides.end()) return ammunition;
    nlohmann::json merged = to_json(ammunition);
    merged.merge_patch(found->second);
    return parse_ammunition(merged, fmt::format("ammunition_overrides.{}", name));
}

std::vector<StudyCell> cells(const Study& study) {
    std::vector<StudyCell> result;
    for (const auto seed : study.seeds)
        for (const auto& firearm : study.firearms)
            for (const auto& ammunition : study.ammunition)
                for (const auto& design : study.designs)
                    for (const long rounds : study.rounds)
                        for (const auto& defeat : study.defeats)
                            for (const auto& scan : study.scans)
                                result.push_back({static_cast<int>(result.size()), seed, firearm, ammunition, design,
                                                  rounds, defeat, scan});
    return result;
}

std::vector<Casing> casings(const Study& study) {
    std::vector<Casing> result;
    for (const StudyCell& cell : cells(study)) {
        const auto shots = planned_shots(study.shots, cell.rounds);
        for (int pistol = 1; pistol <= study.pistols; ++pistol)
            for (const long shot : shots)
                result.push_back({static_cast<long>(result.size()), cell.index, pistol, shot});
    }
    return result;
}

std::string pistol_serial(const Study& study, int pistol) {
    std::string serial = study.serial;
    const auto digits = static_cast<std::size_t>(std::count(serial.begin(), serial.end(), '#'));
    if (digits == 0) return serial;
    std::string number = fmt::format("{:0{}}", pistol, digits);
    if (number.size() > digits) throw InputError(fmt::format("serial '{}' has too few '#' for {} pistols", study.serial, pistol));
    std::size_t next = 0;
    for (char& character : serial)
        if (character == '#') character = number[next++];
    return serial;
}

int swap_donor(const Study& study, int pistol) { return pistol % std::max(study.pistols, 2) + 1; }

std::uint64_t pistol_seed(std::uint64_t seed, int pistol) {
    return derive_seed(seed, pistol_purpose, static_cast<std::uint64_t>(pistol));
}

} // namespace microstamp
