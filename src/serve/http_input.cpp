#include "serve/http_input.hpp"

#include <fmt/core.h>

#include <charconv>
#include <cmath>

namespace microstamp::serve {

nlohmann::json parse_json_object(std::string_view body, std::string_view content_type, std::size_t max_bytes,
                                 int max_depth) {
    if (!content_type.starts_with("application/json"))
        throw HttpError(415, "the body must be application/json");
    if (body.size() > max_bytes)
        throw HttpError(413, fmt::format("the body is {} bytes; at most {} are accepted", body.size(), max_bytes));
    if (json_nesting_depth(body) > max_depth)
        throw HttpError(400, fmt::format("the JSON is nested deeper than {} levels", max_depth));
    nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
    if (parsed.is_discarded()) throw HttpError(400, "the body is not valid JSON");
    if (!parsed.is_object()) throw HttpError(400, "the body must be a JSON object");
    return parsed;
}

std::string required_text(const nlohmann::json& object, const std::string& key) {
    const auto found = object.find(key);
    if (found == object.end() || !found->is_string())
        throw HttpError(400, "field '" + key + "' is required and must be a string");
    return found->get<std::string>();
}

std::string optional_text(const nlohmann::json& object, const std::string& key, const std::string& fallback) {
    const auto found = object.find(key);
    if (found == object.end() || found->is_null()) return fallback;
    if (!found->is_string()) throw HttpError(400, "field '" + key + "' must be a string");
    return found->get<std::string>();
}

std::optional<double> optional_number(const nlohmann::json& object, const std::string& key) {
    const auto found = object.find(key);
    if (found == object.end() || found->is_null()) return std::nullopt;
    if (!found->is_number()) throw HttpError(400, "field '" + key + "' must be a number");
    return found->get<double>();
}

bool optional_flag(const nlohmann::json& object, const std::string& key, bool fallback) {
    const auto found = object.find(key);
    if (found == object.end() || found->is_null()) return fallback;
    if (!found->is_boolean()) throw HttpError(400, "field '" + key + "' must be true or false");
    return found->get<bool>();
}

double parse_number(std::string_view text, std::string_view what, double minimum, double maximum) {
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || !std::isfinite(value) || value < minimum ||
        value > maximum)
        throw HttpError(400, fmt::format("{} must be a number from {} to {}", what, minimum, maximum));
    return value;
}

std::string bearer_token(std::string_view authorization_header) {
    constexpr std::string_view scheme = "Bearer ";
    if (!authorization_header.starts_with(scheme)) return {};
    return std::string(authorization_header.substr(scheme.size()));
}

} // namespace microstamp::serve
