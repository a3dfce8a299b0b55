#include "serve/json_views.hpp"

namespace microstamp {

nlohmann::json reading_json(const ReadingRecord& reading) {
    return {{"id", reading.id},
            {"exhibit_id", reading.exhibit_id},
            {"scan_sha256", reading.scan_sha256},
            {"reader_version", reading.reader_version},
            {"status", reading.status},
            {"manufacturer_code", reading.manufacturer_code},
            {"model_code", reading.model_code},
            {"serial", reading.serial},
            {"recorded_at", reading.recorded_at},
            {"recorded_by", reading.recorded_by},
            // A reading stored by hand may not be an object; it then travels as null.
            {"reading", nlohmann::json::parse(reading.json, nullptr, false, true)}};
}

nlohmann::json exhibit_detail_json(const ExhibitDetail& detail) {
    nlohmann::json json = detail.exhibit;
    json["custody"] = detail.custody;
    json["scans"] = detail.scans;
    json["readings"] = nlohmann::json::array();
    for (const auto& reading : detail.readings) {
        nlohmann::json entry = reading_json(reading);
        if (entry["reading"].is_discarded()) entry["reading"] = nullptr;
        json["readings"].push_back(std::move(entry));
    }
    json["links"] = nlohmann::json::array();
    for (std::size_t i = 0; i < detail.links.size(); ++i) {
        nlohmann::json link = detail.links[i];
        if (i < detail.linked.size()) link["other"] = detail.linked[i];
        json["links"].push_back(std::move(link));
    }
    return json;
}

nlohmann::json case_detail_json(const CaseDetail& detail) {
    nlohmann::json json = detail.case_record;
    json["exhibits"] = nlohmann::json::array();
    for (const auto& exhibit : detail.exhibits) json["exhibits"].push_back(exhibit_detail_json(exhibit));
    return json;
}

nlohmann::json case_summary_json(const CaseSummary& summary) {
    nlohmann::json json = summary.case_record;
    json["items"] = summary.items;
    return json;
}

} // namespace microstamp
