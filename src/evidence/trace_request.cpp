#include "evidence/trace_request.hpp"

#include <nlohmann/json.hpp>

#include <utility>
#include <vector>

namespace microstamp {
namespace {

std::vector<std::pair<std::string, std::string>> fields(const TraceRequest& request) {
    return {{"id", std::to_string(request.id)},
            {"priority", request.priority},
            {"offense_code", request.offense_code},
            {"agency_ori", request.agency_ori},
            {"officer", request.officer},
            {"case_number", request.case_number},
            {"item_number", request.item_number},
            {"serial", request.serial},
            {"obliterated", request.obliterated ? "true" : "false"},
            {"manufacturer", request.manufacturer},
            {"firearm_type", request.firearm_type},
            {"caliber", request.caliber},
            {"model", request.model},
            {"country_of_origin", request.country_of_origin},
            {"importer", request.importer},
            {"created_at", request.created_at},
            {"created_by", request.created_by}};
}

std::string csv_cell(const std::string& text) {
    // A leading = + - @ makes spreadsheets run the cell as a formula: quote and prefix it.
    const bool formula = !text.empty() && std::string_view("=+-@").find(text[0]) != std::string_view::npos;
    if (!formula && text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string quoted = formula ? "\"'" : "\"";
    for (const char character : text) {
        if (character == '"') quoted += '"';
        quoted += character;
    }
    return quoted + '"';
}

} // namespace

std::string trace_request_json(const TraceRequest& request) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& [name, value] : fields(request)) object[name] = value;
    object["id"] = request.id;
    object["obliterated"] = request.obliterated;
    object["form"] = "ATF 3312.1";
    return object.dump(2);
}

std::string trace_request_csv(const TraceRequest& request) {
    std::string header, row;
    bool first = true;
    for (const auto& [name, value] : fields(request)) {
        if (!first) {
            header += ',';
            row += ',';
        }
        header += name;
        row += csv_cell(value);
        first = false;
    }
    return header + "\r\n" + row + "\r\n";
}

} // namespace microstamp
