#pragma once
// What a request may carry, checked before anything acts on it: bodies within their
// size, JSON nested no deeper than a limit, fields of the right type. Pure functions
// over text, so the fuzz test and the unit tests reach them without a socket.

#include <nlohmann/json.hpp>

#include "code/json_depth.hpp"

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace microstamp::serve {

// A refusal with the HTTP status that says why (400, 401, 403, 404, 409, 413, 415, 503).
struct HttpError : std::runtime_error {
    HttpError(int status_code, const std::string& message) : std::runtime_error(message), status(status_code) {}
    int status;
};

// The deepest nesting of arrays and objects in JSON text (strings skipped), counted
// without parsing, so a hostile document is refused before the parser sees it.
using microstamp::json_nesting_depth;

// The body as a JSON object. Throws HttpError: 415 unless the content type is
// application/json, 413 when longer than `max_bytes`, 400 when deeper than `max_depth`,
// not JSON, or not an object.
nlohmann::json parse_json_object(std::string_view body, std::string_view content_type, std::size_t max_bytes,
                                 int max_depth);

// Fields of a JSON object; a missing or mistyped required field is HttpError 400 naming it.
std::string required_text(const nlohmann::json& object, const std::string& key);
std::string optional_text(const nlohmann::json& object, const std::string& key, const std::string& fallback = "");
std::optional<double> optional_number(const nlohmann::json& object, const std::string& key);
bool optional_flag(const nlohmann::json& object, const std::string& key, bool fallback);

// A query or form parameter as a number within [minimum, maximum]; HttpError 400 otherwise.
double parse_number(std::string_view text, std::string_view what, double minimum, double maximum);

// At most `maximum` characters of client text for a message or an audit record, control
// characters replaced, so it stays one line.
inline std::string printable(std::string_view text, std::size_t maximum) {
    std::string out;
    for (const char c : text.substr(0, maximum)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
    return out;
}

// "Bearer <token>" -> token; empty when the header is absent or of another scheme.
std::string bearer_token(std::string_view authorization_header);

} // namespace microstamp::serve
