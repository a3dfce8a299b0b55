// The API's routes: each parses its input, makes one or a few store calls as the
// session's user (the store checks the role and audits), and answers JSON.
// docs/openapi.json describes every one; tests/serve holds the two together.

#include "serve/service_state.hpp"

#include "code/catalog.hpp"
#include "report/report.hpp"
#include "serve/json_views.hpp"
#include "serve/scan_reading.hpp"
#include "serve/web_assets.hpp"

namespace microstamp {
namespace {

using serve::optional_flag;
using serve::optional_number;
using serve::optional_text;
using serve::required_text;

std::string parameter(const httplib::Request& request, std::size_t index) {
    if (index >= request.matches.size()) throw std::logic_error("route without its path parameter");
    return request.matches[static_cast<int>(index)].str();
}

nlohmann::json session_json(const Session& session) {
    const auto may = [&](Permission permission) { return role_allows(session.role(), permission); };
    const nlohmann::json permissions = {{"handle_evidence", may(Permission::handle_evidence)},
                                        {"read_evidence", may(Permission::read_evidence)},
                                        {"issue_trace_request", may(Permission::issue_trace_request)},
                                        {"audit", may(Permission::audit)},
                                        {"manage_users", may(Permission::manage_users)}};
    return {{"user", session.user()},
            {"role", role_name(session.role())},
            {"agency_ori", session.agency()},
            {"permissions", permissions}};
}

NewExhibit new_exhibit(const CaseKey& case_key, const std::function<std::string(const std::string&)>& field) {
    return {case_key, field("item_number"), field("collected_at"), field("collected_place"), field("description")};
}

// The codes of a make and model given by name, short name or number.
std::pair<std::uint16_t, std::uint16_t> catalog_codes(const std::string& manufacturer, const std::string& model) {
    const Catalog& catalog = default_catalog();
    const Manufacturer& found = catalog.manufacturer(manufacturer);
    return {found.code, catalog.model(found, model).code};
}

std::string query_text(const httplib::Request& request, const std::string& name, bool required) {
    if (!request.has_param(name.c_str())) {
        if (required) throw HttpError(400, "query parameter '" + name + "' is required");
        return {};
    }
    return request.get_param_value(name.c_str());
}

// An optional numeric query parameter, from `minimum` to `maximum`.
std::optional<double> query_number(const httplib::Request& request, const std::string& name, double minimum,
                                   double maximum) {
    const std::string text = query_text(request, name, false);
    if (text.empty()) return std::nullopt;
    return serve::parse_number(text, name, minimum, maximum);
}

// An optional true/false query parameter.
bool query_flag(const httplib::Request& request, const std::string& name, bool fallback) {
    const std::string value = query_text(request, name, false);
    if (value.empty()) return fallback;
    if (value != "true" && value != "false") throw HttpError(400, "query parameter '" + name + "' must be true or false");
    return value == "true";
}

} // namespace

void Service::State::register_routes() {
    // ---- the page and the API description (no session: they hold no evidence) ----
    add("GET", "/", [](const httplib::Request&, httplib::Response& response) {
        const serve::WebAsset* page = serve::find_web_asset("index.html");
        response.set_content(std::string(page->content), std::string(serve::content_type_for(page->name)));
    }, true);
    add("GET", "/assets/{file}", [](const httplib::Request& request, httplib::Response& response) {
        const std::string name = parameter(request, 1);
        const serve::WebAsset* asset = name == "openapi.json" ? nullptr : serve::find_web_asset(name);
        if (!asset) throw HttpError(404, "no asset " + serve::printable(name, 100));
        response.set_content(std::string(asset->content), std::string(serve::content_type_for(asset->name)));
    }, true);
    add("GET", "/api/openapi.json", [](const httplib::Request&, httplib::Response& response) {
        response.set_content(std::string(serve::find_web_asset("openapi.json")->content), "application/json");
    }, true);

    // ---- sessions ----
    add("POST", "/api/login", [this](const httplib::Request& request, httplib::Response& response) {
        const nlohmann::json body = json_body(request);
        const std::string user = required_text(body, "user");
        const std::string password = required_text(body, "password");
        auto lease = logons->acquire();
        request_audit.recorded = true;  // the store audits every logon attempt
        try {
            const OpenedSession opened = lease.store().open_session(user, password);
            nlohmann::json answer = session_json(opened.session);
            answer["token"] = opened.token;
            answer["idle_limit_seconds"] = options.store.session_idle_limit.count() / 1000;
            send_json(response, answer);
        } catch (const LogonError&) {
            // One answer for a wrong name, a wrong password and a locked account, so the
            // response never tells whether a user name exists.
            throw HttpError(401, "logon refused: wrong user name or password, or the account is locked");
        }
    }, true);
    add("POST", "/api/logout", [this](const httplib::Request& request, httplib::Response& response) {
        const std::string token = serve::bearer_token(request.get_header_value("Authorization"));
        if (token.empty()) throw HttpError(401, "no session to log out: send Authorization: Bearer TOKEN");
        auto lease = stores->acquire();
        request_audit.recorded = true;
        lease.store().end_session(token);
        send_json(response, {{"logged_out", true}});
    });
    add("GET", "/api/session", [this](const httplib::Request& request, httplib::Response& response) {
        send_json(response, as_user(request, [](Store&, const Session& session) { return session_json(session); }, false));
    });
    add("POST", "/api/users", [this](const httplib::Request& request, httplib::Response& response) {
        const nlohmann::json body = json_body(request);
        const UserRecord user = as_user(request, [&](Store& store, const Session& session) {
            return store.add_user(session, required_text(body, "name"), parse_role(required_text(body, "role")),
                                  required_text(body, "password"), optional_text(body, "agency_ori"));
        });
        send_json(response, {{"name", user.name}, {"role", role_name(user.role)}, {"agency_ori", user.agency_ori}}, 201);
    });

    // ---- cases, exhibits, custody ----
    add("POST", "/api/cases", [this](const httplib::Request& request, httplib::Response& response) {
        const nlohmann::json body = json_body(request);
        const NewCase new_case{required_text(body, "agency_ori"), required_text(body, "case_number"),
                               required_text(body, "offense_code")};
        send_json(response, as_user(request, [&](Store& store, const Session& session) {
                      return nlohmann::json(store.open_case(session, new_case));
                  }), 201);
    });
    add("GET", "/api/cases", [this](const httplib::Request& request, httplib::Response& response) {
        CaseListQuery query;
        query.agency_ori = query_text(request, "agency", false);
        if (const auto before = query_number(request, "before", 1, 9e15)) query.before = static_cast<std::int64_t>(*before);
        if (const auto limit = query_number(request, "limit", 1, 1000)) query.limit = static_cast<std::size_t>(*limit);
        const std::vector<CaseSummary> cases =
            as_user(request, [&](Store& store, const Session& session) { return store.list_cases(session, query); });
        nlohmann::json answer = {{"cases", nlohmann::json::array()}, {"next_before", nullptr}};
        for (const CaseSummary& summary : cases) answer["cases"].push_back(case_summary_json(summary));
        // A full page may have more behind it: the next starts below its last case.
        if (cases.size() == query.limit) answer["next_before"] = cases.back().case_record.id;
        send_json(response, answer);
    });
    add("GET", "/api/cases/{agency}/{case}", [this](const httplib::Request& request, httplib::Response& response) {
        const CaseKey key{parameter(request, 1), parameter(request, 2)};
        send_json(response, as_user(request, [&](Store& store, const Session& session) {
                      return case_detail_json(store.show_case(session, key));
                  }));
    });
    add_reading_body("/api/cases/{agency}/{case}/exhibits", [this](const httplib::Request& request,
                                                                   httplib::Response& response, serve::RequestBody& body) {
        const CaseKey case_key{parameter(request, 1), parameter(request, 2)};
        if (!request.is_multipart_form_data()) {
            const nlohmann::json fields = serve::parse_json_object(
                body.text(options.max_json_bytes), request.get_header_value("Content-Type"), options.max_json_bytes,
                options.max_json_depth);
            const NewExhibit exhibit = new_exhibit(case_key, [&](const std::string& name) {
                return name == "description" ? optional_text(fields, name) : required_text(fields, name);
            });
            send_json(response, as_user(request, [&](Store& store, const Session& session) {
                          return nlohmann::json(store.add_exhibit(session, exhibit, {}, {}));
                      }), 201);
            return;
        }
        // The session and role are checked before the body is read: a refused upload is
        // never held, and the store audits the refusal (the item is not known yet).
        as_user(request, [&](Store& store, const Session& session) {
            if (!role_allows(session.role(), Permission::handle_evidence))
                store.add_exhibit(session, NewExhibit{case_key, "", "", "", ""}, {}, {});
            return 0;
        }, false);
        serve::UploadForm form = body.form(options.max_scan_bytes, options.max_json_bytes);
        const NewExhibit exhibit = new_exhibit(case_key, [&](const std::string& name) { return form.text(name); });
        if (!form.has_scan) throw HttpError(400, "the form has no file field 'scan'");
        ReadOptions read_options = options.read;
        if (const std::string scale = form.text("um_per_px"); !scale.empty())
            read_options.um_per_px = serve::parse_number(scale, "um_per_px", 0.01, 100);
        serve::ScanReading scanned = serve::read_uploaded_scan(
            std::move(form.scan), form.scan_file_name, read_options, options.max_scan_points,
            query_flag(request, "overlay", true) ? serve::Overlay::draw : serve::Overlay::skip);
        const NewReading reading = serve::stored_reading(scanned.reading, scanned.scan.sha256);
        nlohmann::json answer;
        answer["scan"] = {{"sha256", scanned.scan.sha256}, {"format", scanned.scan.format},
                          {"summary", scanned.scan.summary}, {"size_bytes", scanned.scan.bytes.size()}};
        std::vector<AcquiredScan> scans;
        scans.push_back(std::move(scanned.scan));  // the bytes go to the store without another copy
        answer["exhibit"] = as_user(request, [&](Store& store, const Session& session) {
            return nlohmann::json(store.add_exhibit(session, exhibit, scans, {reading}));
        });
        answer["leads"] = answer["exhibit"]["leads"];
        answer["stored_status"] = reading.status;
        answer["reading"] = nlohmann::json::parse(reading.json);
        answer["candidates"] = nlohmann::json::array();
        if (reading.status == "partial" && reading.serial) {
            PartialQuery query;
            query.serial_pattern = *reading.serial;
            query.manufacturer_code = reading.manufacturer_code;
            query.model_code = reading.model_code;
            answer["candidates"] = as_user(request, [&](Store& store, const Session& session) {
                return nlohmann::json(store.search_partial(session, query));
            });
        }
        if (scanned.overlay_png.empty()) send_json(response, answer, 201);
        else
            serve::send_json_text(response, serve::json_with_base64_member(answer, "overlay_png_base64", scanned.overlay_png),
                                  201);
    });
    add("GET", "/api/cases/{agency}/{case}/exhibits/{item}", [this](const httplib::Request& request, httplib::Response& response) {
        const ExhibitKey key = serve::exhibit_key(parameter(request, 1), parameter(request, 2), parameter(request, 3));
        send_json(response, as_user(request, [&](Store& store, const Session& session) {
                      return exhibit_detail_json(store.show_exhibit(session, key));
                  }));
    });
    add("POST", "/api/cases/{agency}/{case}/exhibits/{item}/custody",
        [this](const httplib::Request& request, httplib::Response& response) {
            const ExhibitKey key = serve::exhibit_key(parameter(request, 1), parameter(request, 2), parameter(request, 3));
            const nlohmann::json body = json_body(request);
            const NewCustodyEvent event{required_text(body, "from"), required_text(body, "to"),
                                        required_text(body, "happened_at"), required_text(body, "purpose")};
            send_json(response, as_user(request, [&](Store& store, const Session& session) {
                          return nlohmann::json(store.record_custody(session, key, event));
                      }), 201);
        });
    add("GET", "/api/cases/{agency}/{case}/exhibits/{item}/readings/{reading}/overlay.png",
        [this](const httplib::Request& request, httplib::Response& response) {
            const ExhibitKey key = serve::exhibit_key(parameter(request, 1), parameter(request, 2), parameter(request, 3));
            const std::int64_t reading_id = static_cast<std::int64_t>(serve::parse_number(parameter(request, 4), "reading", 1, 9e15));
            ReadingRecord reading;
            std::string file_name;
            std::vector<std::uint8_t> bytes = as_user(request, [&](Store& store, const Session& session) {
                const ExhibitDetail detail = store.show_exhibit(session, key);
                const auto found = std::find_if(detail.readings.begin(), detail.readings.end(),
                                                [&](const ReadingRecord& record) { return record.id == reading_id; });
                if (found == detail.readings.end() || found->scan_sha256.empty())
                    throw HttpError(404, "the item has no reading " + std::to_string(reading_id) + " of a stored scan");
                reading = *found;
                for (const ScanRecord& scan : detail.scans)
                    if (scan.sha256 == reading.scan_sha256) file_name = scan.file_name;
                return store.scan_bytes(session, reading.scan_sha256);
            });
            // The reader is deterministic: reading the stored bytes again at the stored
            // scale draws what the recorded reading saw (for this reader version).
            ReadOptions read_options = options.read;
            const nlohmann::json recorded = nlohmann::json::parse(reading.json, nullptr, false);
            const nlohmann::json::json_pointer scale("/geometry/um_per_px");
            if (!recorded.is_discarded() && recorded.contains(scale) && recorded[scale].is_number())
                read_options.um_per_px = recorded[scale].get<double>();
            const serve::ScanReading scanned = serve::read_uploaded_scan(std::move(bytes), file_name, read_options, options.max_scan_points);
            response.set_content(std::string(scanned.overlay_png.begin(), scanned.overlay_png.end()), "image/png");
        });
    add("GET", "/api/cases/{agency}/{case}/exhibits/{item}/report", [this](const httplib::Request& request, httplib::Response& response) {
        const ExhibitKey key = serve::exhibit_key(parameter(request, 1), parameter(request, 2), parameter(request, 3));
        const std::string format = request.has_param("format") ? request.get_param_value("format") : "pdf";
        if (format != "pdf" && format != "html") throw HttpError(400, "format: pdf or html");
        ReportOptions report_options;
        report_options.format = format == "html" ? ReportFormat::html : ReportFormat::pdf;
        // The report makes several store calls and records its own issue or refusal.
        const IssuedReport report = as_user(request, [&](Store& store, const Session& session) {
            return issue_report(store, session, options.store_url, key, report_options);
        });
        response.set_header("Content-Disposition", "attachment; filename=\"report-" + serve::printable(key.case_key.agency_ori, 16) +
                                                       "-" + serve::printable(key.case_key.case_number, 32) + "-item-" +
                                                       serve::printable(key.item_number, 32) + "." + report.file_extension + "\"");
        response.set_header("X-Report-SHA256", report.sha256);
        response.set_content(std::string(report.bytes.begin(), report.bytes.end()),
                             format == "html" ? "text/html; charset=utf-8" : "application/pdf");
    });
    add("GET", "/api/scans/{sha256}", [this](const httplib::Request& request, httplib::Response& response) {
        const std::string sha256 = parameter(request, 1);
        const std::vector<std::uint8_t> bytes =
            as_user(request, [&](Store& store, const Session& session) { return store.scan_bytes(session, sha256); });
        response.set_header("Content-Disposition", "attachment; filename=\"" + sha256.substr(0, 64) + "\"");
        response.set_content(std::string(bytes.begin(), bytes.end()), "application/octet-stream");
    });

    // ---- searches and links ----
    add("GET", "/api/search/identity", [this](const httplib::Request& request, httplib::Response& response) {
        // Named, not bound: clang 14 (the fuzz build) cannot capture structured bindings.
        const auto codes = catalog_codes(query_text(request, "manufacturer", true), query_text(request, "model", true));
        const auto manufacturer = codes.first;
        const auto model = codes.second;
        const std::string serial = query_text(request, "serial", true);
        send_json(response, as_user(request, [&](Store& store, const Session& session) {
                      return nlohmann::json{{"matches", store.find_identity(session, manufacturer, model, serial)}};
                  }));
    });
    add("GET", "/api/search/partial", [this](const httplib::Request& request, httplib::Response& response) {
        PartialQuery query;
        query.serial_pattern = query_text(request, "serial", true);
        if (const auto limit = query_number(request, "limit", 1, 1000)) query.limit = static_cast<std::size_t>(*limit);
        if (const auto rate = query_number(request, "character_error_rate", 1e-6, 0.999))
            query.model.character_error_rate = *rate;
        const std::string manufacturer = query_text(request, "manufacturer", false);
        const std::string model = query_text(request, "model", false);
        if (!manufacturer.empty() && !model.empty()) {
            const auto [manufacturer_code, model_code] = catalog_codes(manufacturer, model);
            query.manufacturer_code = manufacturer_code;
            query.model_code = model_code;
        }
        send_json(response, as_user(request, [&](Store& store, const Session& session) {
                      return nlohmann::json{{"candidates", store.search_partial(session, query)}};
                  }));
    });
    add("POST", "/api/links", [this](const httplib::Request& request, httplib::Response& response) {
        const nlohmann::json body = json_body(request);
        const ExhibitKey first = serve::exhibit_key_from(body, "from");
        const ExhibitKey second = serve::exhibit_key_from(body, "to");
        const std::string basis = required_text(body, "basis");
        if (basis != "identical_identity" && basis != "likelihood_ratio")
            throw HttpError(400, "basis must be identical_identity or likelihood_ratio");
        const std::optional<double> ratio = optional_number(body, "likelihood_ratio");
        const std::string note = optional_text(body, "note");
        send_json(response, as_user(request, [&](Store& store, const Session& session) {
                      return nlohmann::json(store.link(session, first, second,
                                                       basis == "identical_identity" ? LinkBasis::identical_identity
                                                                                     : LinkBasis::likelihood_ratio,
                                                       ratio, note));
                  }), 201);
    });

    // ---- leads raised on arrival ----
    add("GET", "/api/leads", [this](const httplib::Request& request, httplib::Response& response) {
        LeadQuery query;
        if (const std::string case_number = query_text(request, "case", false); !case_number.empty())
            query.case_key = CaseKey{query_text(request, "agency", false), case_number};
        query.since = query_text(request, "since", false);
        query.status = query_text(request, "status", false);
        if (const auto limit = query_number(request, "limit", 1, 10000)) query.limit = static_cast<std::size_t>(*limit);
        send_json(response, as_user(request, [&](Store& store, const Session& session) {
                      return nlohmann::json{{"leads", store.list_leads(session, query)}};
                  }));
    });
    for (const std::string decision : {"confirm", "reject"})
        add("POST", "/api/leads/{id}/" + decision, [this, decision](const httplib::Request& request,
                                                                   httplib::Response& response) {
            const auto lead_id = static_cast<std::int64_t>(
                serve::parse_number(parameter(request, 1), "lead id", 1, 9.007199254740992e15));
            const nlohmann::json body = json_body(request);
            const std::string note = optional_text(body, "note");
            send_json(response, as_user(request, [&](Store& store, const Session& session) {
                          return nlohmann::json(decision == "confirm" ? store.confirm_lead(session, lead_id, note)
                                                                      : store.reject_lead(session, lead_id, note));
                      }));
        });

    // ---- trace requests and audit ----
    add("POST", "/api/trace-requests", [this](const httplib::Request& request, httplib::Response& response) {
        const nlohmann::json body = json_body(request);
        NewTraceRequest trace;
        trace.exhibit = serve::exhibit_key(optional_text(body, "agency_ori"), required_text(body, "case_number"),
                                           required_text(body, "item_number"));
        trace.officer = required_text(body, "officer");
        trace.priority = optional_text(body, "priority", trace.priority);
        trace.obliterated = optional_flag(body, "obliterated", false);
        trace.firearm_type = optional_text(body, "firearm_type", trace.firearm_type);
        trace.caliber = optional_text(body, "caliber");
        trace.country_of_origin = optional_text(body, "country_of_origin");
        trace.importer = optional_text(body, "importer");
        const std::string format = query_text(request, "format", false);
        if (!format.empty() && format != "json" && format != "csv") throw HttpError(400, "format must be json or csv");
        const TraceRequest issued =
            as_user(request, [&](Store& store, const Session& session) { return store.issue_trace_request(session, trace); });
        response.status = 201;
        if (format == "csv") response.set_content(trace_request_csv(issued), "text/csv; charset=utf-8");
        else response.set_content(trace_request_json(issued), "application/json");
    });
    add("GET", "/api/audit/verify", [this](const httplib::Request& request, httplib::Response& response) {
        send_json(response, as_user(request, [&](Store& store, const Session& session) {
                      return nlohmann::json(store.verify_audit(session));
                  }));
    });
    add("GET", "/api/audit/records/{sequence}/proof", [this](const httplib::Request& request, httplib::Response& response) {
        const auto sequence = static_cast<std::int64_t>(serve::parse_number(parameter(request, 1), "sequence", 1, 9e15));
        send_json(response, as_user(request, [&](Store& store, const Session& session) {
                      return nlohmann::json(store.prove_record(session, sequence));
                  }));
    });
}

} // namespace microstamp
