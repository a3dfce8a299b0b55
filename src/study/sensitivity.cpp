#include "study/sensitivity.hpp"

#include "code/catalog.hpp"
#include "die/die_files.hpp"
#include "physics/profiles.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/core.h>
#include <fstream>
#include <numeric>
#include <random>

namespace microstamp {
namespace {

double number_field(const nlohmann::json& entry, const char* field, const std::string& name) {
    if (!entry.is_object() || !entry.contains(field) || !entry[field].is_number())
        throw InputError(fmt::format("physics.json: the range of {} needs a number '{}'", name, field));
    return entry[field].get<double>();
}

std::string reason_of(const nlohmann::json& entry, const std::string& name) {
    if (!entry.contains("reason") || !entry["reason"].is_string() || entry["reason"].get<std::string>().empty())
        throw InputError(fmt::format("physics.json: the range of {} needs its 'reason'", name));
    return entry["reason"].get<std::string>();
}

} // namespace

double value_at(const UncertainConstant& constant, double share) {
    const double value = constant.low + (constant.high - constant.low) * share;
    if (value == 0) return 0;
    const double scale = std::pow(10.0, 5 - std::floor(std::log10(std::abs(value))));
    return std::round(value * scale) / scale;
}

std::vector<UncertainConstant> uncertain_constants(const nlohmann::json& physics) {
    std::vector<UncertainConstant> constants;
    const nlohmann::json ranges = physics.value("_ranges", nlohmann::json::object());
    for (const auto& [group, entries] : physics.items()) {
        if (group.front() == '_') continue;
        for (const auto& [name, value] : entries.items()) {
            const std::string full = group + "." + name;
            if (!ranges.contains(group) || !ranges[group].contains(name))
                throw InputError(fmt::format("physics.json: {} has no range in _ranges (every assumed constant needs one)", full));
            const auto& entry = ranges[group][name];
            UncertainConstant constant{full, number_field(entry, "low", full), number_field(entry, "high", full), false,
                                       reason_of(entry, full)};
            const double at = value.get<double>();
            if (!(constant.low <= at && at <= constant.high && constant.low < constant.high))
                throw InputError(fmt::format("physics.json: the range {}-{} of {} does not hold its value {}", constant.low,
                                             constant.high, full, at));
            constants.push_back(constant);
        }
    }
    const nlohmann::json profile_ranges = physics.value("_profile_ranges", nlohmann::json::object());
    for (const auto& [name, entry] : profile_ranges.items()) {
        if (!name.starts_with("firearm.") && !name.starts_with("ammunition."))
            throw InputError(fmt::format("physics.json: _profile_ranges entry '{}' is not firearm.* or ammunition.*", name));
        UncertainConstant constant{name, number_field(entry, "low_factor", name), number_field(entry, "high_factor", name),
                                   true, reason_of(entry, name)};
        if (!(constant.low <= 1 && 1 <= constant.high && 0 < constant.low))
            throw InputError(fmt::format("physics.json: the factors {}-{} of {} must hold 1", constant.low, constant.high, name));
        constants.push_back(constant);
    }
    return constants;
}

std::vector<UncertainConstant> uncertain_constants() {
    const auto path = default_data_folder() / "physics.json";
    std::ifstream file(path);
    if (!file) throw FileError(fmt::format("{}: cannot read", path.string()));
    try {
        return uncertain_constants(nlohmann::json::parse(file));
    } catch (const nlohmann::json::exception& error) {
        throw InputError(fmt::format("{}: {}", path.string(), error.what()));
    }
}

std::vector<UncertainConstant> select_constants(const std::vector<UncertainConstant>& all, const std::vector<std::string>& names) {
    if (names.empty()) return all;
    std::vector<UncertainConstant> chosen;
    for (const auto& name : names) {
        const auto found = std::find_if(all.begin(), all.end(), [&](const UncertainConstant& c) { return c.name == name; });
        if (found == all.end()) throw InputError(fmt::format("'{}' is not an assumed constant with a range in data/physics.json", name));
        chosen.push_back(*found);
    }
    return chosen;
}

Study study_at(const Study& study, const std::vector<UncertainConstant>& constants, const std::vector<double>& shares) {
    Study point = study;
    std::string tag = study.sha256;
    for (std::size_t index = 0; index < constants.size(); ++index) {
        const UncertainConstant& constant = constants[index];
        const double value = value_at(constant, shares[index]);
        tag += fmt::format(";{}={}", constant.name, value);
        const auto dot = constant.name.find('.');
        const std::string group = constant.name.substr(0, dot), field = constant.name.substr(dot + 1);
        if (!constant.profile_factor) {
            point.physics_overrides[group][field] = value;
            continue;
        }
        const bool firearm = group == "firearm";
        for (const auto& name : firearm ? study.firearms : study.ammunition) {
            nlohmann::json profile = firearm ? to_json(study_firearm(study, name)) : to_json(study_ammunition(study, name));
            double moved = profile.at(field).get<double>() * value;
            if (field.ends_with("_probability")) moved = std::min(1.0, moved);
            auto& overrides = firearm ? point.firearm_overrides[name] : point.ammunition_overrides[name];
            if (overrides.is_null()) overrides = nlohmann::json::object();
            overrides[field] = moved;
        }
    }
    point.sha256 = sha256_hex(tag.data(), tag.size());
    return point;
}

MorrisDesign morris_design(int constants, int trajectories, std::uint64_t seed, int levels) {
    if (constants < 1 || trajectories < 1 || levels < 2 || levels % 2 != 0)
        throw InputError(fmt::format("a Morris design needs constants, trajectories >= 1 and an even number of levels"));
    MorrisDesign design;
    design.constants = constants;
    design.levels = levels;
    const double delta = static_cast<double>(levels) / (2.0 * (levels - 1));
    std::mt19937_64 random(seed);
    // Starting levels from which a step of delta up stays inside [0, 1].
    std::uniform_int_distribution<int> start_level(0, levels / 2 - 1);
    const auto k = static_cast<std::size_t>(constants);
    for (int walk = 0; walk < trajectories; ++walk) {
        std::vector<double> point(k);
        std::vector<int> direction(k);
        for (std::size_t index = 0; index < k; ++index) {
            point[index] = start_level(random) / static_cast<double>(levels - 1);
            direction[index] = random() % 2 == 0 ? 1 : -1;
            if (direction[index] < 0) point[index] += delta;  // start high, step down
        }
        std::vector<int> order(k);
        std::iota(order.begin(), order.end(), 0);
        std::shuffle(order.begin(), order.end(), random);
        design.points.push_back(point);
        design.moved.push_back(-1);
        for (const int moved : order) {
            point[static_cast<std::size_t>(moved)] += direction[static_cast<std::size_t>(moved)] * delta;
            design.points.push_back(point);
            design.moved.push_back(moved);
        }
    }
    return design;
}

std::vector<ElementaryEffect> morris_effects(const MorrisDesign& design, const std::vector<UncertainConstant>& constants,
                                             const std::vector<double>& responses) {
    if (responses.size() != design.points.size())
        throw InputError(fmt::format("{} responses for {} design points", responses.size(), design.points.size()));
    std::vector<std::vector<double>> effects(static_cast<std::size_t>(design.constants));
    for (std::size_t at = 1; at < design.points.size(); ++at) {
        const int moved = design.moved[at];
        if (moved < 0) continue;
        const auto index = static_cast<std::size_t>(moved);
        const double step = design.points[at][index] - design.points[at - 1][index];
        effects[index].push_back((responses[at] - responses[at - 1]) / step);
    }
    std::vector<ElementaryEffect> result;
    for (std::size_t index = 0; index < effects.size(); ++index) {
        ElementaryEffect effect{constants[index].name};
        const auto& values = effects[index];
        const auto n = static_cast<double>(values.size());
        for (const double value : values) {
            effect.mu += value / n;
            effect.mu_star += std::abs(value) / n;
        }
        for (const double value : values) effect.sigma += (value - effect.mu) * (value - effect.mu);
        effect.sigma = values.size() > 1 ? std::sqrt(effect.sigma / (n - 1)) : 0;
        result.push_back(effect);
    }
    std::stable_sort(result.begin(), result.end(),
                     [](const ElementaryEffect& a, const ElementaryEffect& b) { return a.mu_star > b.mu_star; });
    return result;
}

std::vector<std::vector<double>> latin_hypercube(int constants, int samples, std::uint64_t seed) {
    if (constants < 1 || samples < 1) throw InputError("a Latin hypercube needs constants and samples >= 1");
    std::mt19937_64 random(seed);
    std::uniform_real_distribution<double> within(0.0, 1.0);
    std::vector<std::vector<double>> points(static_cast<std::size_t>(samples), std::vector<double>(static_cast<std::size_t>(constants)));
    for (std::size_t constant = 0; constant < static_cast<std::size_t>(constants); ++constant) {
        std::vector<int> strata(static_cast<std::size_t>(samples));
        std::iota(strata.begin(), strata.end(), 0);
        std::shuffle(strata.begin(), strata.end(), random);
        for (std::size_t sample = 0; sample < points.size(); ++sample)
            points[sample][constant] = (strata[sample] + within(random)) / samples;
    }
    return points;
}

double quantile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const double at = p * static_cast<double>(values.size() - 1);
    const auto below = static_cast<std::size_t>(std::floor(at));
    const std::size_t above = std::min(values.size() - 1, below + 1);
    return values[below] + (values[above] - values[below]) * (at - static_cast<double>(below));
}

} // namespace microstamp
