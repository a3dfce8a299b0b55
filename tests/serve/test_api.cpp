// The API on a real server and store: every route, its refusals, the CJIS lockout and
// idle lock (through the injected clock), body limits, agencies, and the audit record
// every request leaves.

#include "raw_http.hpp"
#include "served_store.hpp"

#include "code/identity.hpp"
#include "evidence/database.hpp"
#include "evidence/exhibit_history.hpp"
#include "evidence/hashing.hpp"
#include "surface/surface.hpp"

#include <sodium.h>

namespace microstamp::testing {
namespace {

using nlohmann::json;

json body_of(const httplib::Result& result) {
    EXPECT_TRUE(result) << "no response";
    if (!result) return json();
    return json::parse(result->body, nullptr, false);
}

int status_of(const httplib::Result& result) { return result ? result->status : -1; }

const std::string case_path = "/api/cases/" + lab + "/24-118";

void open_case(const ServedStore& served, const std::string& token, const std::string& agency, const std::string& number) {
    ASSERT_EQ(status_of(served.post(token, "/api/cases",
                                    {{"agency_ori", agency}, {"case_number", number}, {"offense_code", "5212"}})),
              201);
}

httplib::Result upload(const ServedStore& served, const std::string& token, const std::string& case_url,
                       const std::string& item, const std::string& bytes, const std::string& file_name,
                       const std::string& query = "") {
    const httplib::MultipartFormDataItems form = {{"item_number", item, "", ""},
                                                  {"collected_at", "2024-05-01T22:10Z", "", ""},
                                                  {"collected_place", "5th & Pine", "", ""},
                                                  {"scan", bytes, file_name, "application/octet-stream"}};
    return served.client().Post(case_url + "/exhibits" + query, ServedStore::bearer(token), form);
}

TEST(ServeApi, PageAssetsAndDocumentNeedNoSession) {
    ServedStore served;
    const auto page = served.client().Get("/");
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 200);
    EXPECT_NE(page->get_header_value("Content-Type").find("text/html"), std::string::npos);
    EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
    EXPECT_EQ(status_of(served.client().Get("/assets/app.js")), 200);
    EXPECT_EQ(status_of(served.client().Get("/assets/style.css")), 200);
    EXPECT_EQ(status_of(served.client().Get("/assets/nothing.js")), 404);
    const auto document = served.client().Get("/api/openapi.json");
    EXPECT_EQ(body_of(document)["openapi"], "3.0.3");
    EXPECT_EQ(status_of(served.client().Get("/api/no-such-route")), 404);
}

TEST(ServeApi, LoginSessionAndLogout) {
    ServedStore served;
    const std::string token = served.login("avery", examiner_password);
    ASSERT_EQ(token.size(), 64u);
    const json session = body_of(served.get(token, "/api/session"));
    EXPECT_EQ(session["user"], "avery");
    EXPECT_EQ(session["role"], "examiner");
    EXPECT_EQ(session["agency_ori"], lab);
    EXPECT_EQ(session["permissions"]["handle_evidence"], true);
    EXPECT_EQ(session["permissions"]["issue_trace_request"], false);
    EXPECT_EQ(status_of(served.client().Post("/api/logout", ServedStore::bearer(token), "", "text/plain")), 200);
    EXPECT_EQ(status_of(served.get(token, "/api/session")), 401);
    EXPECT_EQ(status_of(served.client().Post("/api/logout", ServedStore::bearer(token), "", "text/plain")), 200)
        << "logging out twice is harmless";
    EXPECT_EQ(status_of(served.client().Post("/api/logout", "", "text/plain")), 401);
    EXPECT_EQ(status_of(served.get("not-a-token", "/api/session")), 401);
}

TEST(ServeApi, NoAnswerTellsWhetherAUserNameExists) {
    ServedStore served;
    const auto attempt = [&](const std::string& user, const std::string& password) {
        const auto response = served.client().Post("/api/login", json{{"user", user}, {"password", password}}.dump(),
                                                    "application/json");
        return std::pair{status_of(response), response ? response->body : ""};
    };
    const auto unknown = attempt("nobody", "whatever");
    const auto wrong_password = attempt("avery", "wrong");
    EXPECT_EQ(unknown, wrong_password);
    for (int i = 0; i < 5; ++i) attempt("blake", "wrong");
    EXPECT_EQ(attempt("blake", supervisor_password), unknown) << "a locked account answers like any refusal";
    for (int i = 0; i < 6; ++i) EXPECT_EQ(attempt("nobody", "wrong"), unknown) << "unknown names never lock, and never say so";
}

TEST(ServeApi, AccountLocksForTenMinutesAfterFiveFailures) {
    ServedStore served;
    for (int i = 0; i < 5; ++i) EXPECT_EQ(served.login("avery", "wrong password"), "");
    EXPECT_EQ(served.login("avery", examiner_password), "") << "locked: even the right password is refused";
    served.advance_clock(std::chrono::minutes(9));
    EXPECT_EQ(served.login("avery", examiner_password), "");
    served.advance_clock(std::chrono::minutes(2));
    EXPECT_NE(served.login("avery", examiner_password), "") << "unlocked after 10 minutes";
}

TEST(ServeApi, SessionLocksAfterThirtyMinutesIdleAndEndsAfterItsLifetime) {
    ServedStore served;
    const std::string token = served.login("avery", examiner_password);
    for (int i = 0; i < 3; ++i) {
        served.advance_clock(std::chrono::minutes(29));
        EXPECT_EQ(status_of(served.get(token, "/api/session")), 200) << "use keeps a session open, " << i;
    }
    served.advance_clock(std::chrono::minutes(31));
    const auto locked = served.get(token, "/api/session");
    EXPECT_EQ(status_of(locked), 401);
    EXPECT_NE(body_of(locked)["error"].get<std::string>().find("idle"), std::string::npos);

    const std::string busy = served.login("avery", examiner_password);
    for (int i = 0; i < 26; ++i) served.advance_clock(std::chrono::minutes(28)), served.get(busy, "/api/session");
    const auto ended = served.get(busy, "/api/session");
    EXPECT_EQ(status_of(ended), 401) << "12 hours after logon a session ends however busy";
    EXPECT_NE(body_of(ended)["error"].get<std::string>().find("hours"), std::string::npos);
}

TEST(ServeApi, EveryRouteButThePublicOnesRefusesWithoutASession) {
    ServedStore served;
    for (const Route& route : served.service().routes()) {
        if (route.path == "/" || route.path.starts_with("/assets/") || route.path == "/api/openapi.json" ||
            route.path == "/api/login")
            continue;
        std::string path;  // every {parameter} as "1"
        bool inside = false;
        for (const char c : route.path) {
            if (c == '{') inside = true, path += '1';
            else if (c == '}') inside = false;
            else if (!inside) path += c;
        }
        const auto response = route.method == "GET" ? served.client().Get(path)
                                                    : served.client().Post(path, "{}", "application/json");
        EXPECT_EQ(status_of(response), 401) << route.method << " " << route.path;
    }
}

TEST(ServeApi, CasesItemsAndCustody) {
    ServedStore served;
    const std::string avery = served.login("avery", examiner_password);
    open_case(served, avery, lab, "24-118");
    EXPECT_EQ(status_of(served.post(avery, "/api/cases", {{"agency_ori", lab}, {"case_number", "24-118"}, {"offense_code", "5212"}})),
              400) << "already open";
    EXPECT_EQ(status_of(served.post(avery, "/api/cases", {{"agency_ori", lab}, {"case_number", "x"}, {"offense_code", "52"}})), 400);
    EXPECT_EQ(status_of(served.post(avery, "/api/cases", {{"agency_ori", lab}, {"case_number", 7}})), 400);
    const auto added = served.post(avery, case_path + "/exhibits",
                                   {{"item_number", "1"}, {"collected_at", "2024-05-01"}, {"collected_place", "alley"}});
    EXPECT_EQ(status_of(added), 201);
    EXPECT_EQ(body_of(added)["item_number"], "1");
    EXPECT_EQ(status_of(served.post(avery, case_path + "/exhibits/1/custody",
                                    {{"from", "Ofc. Diaz"}, {"to", "Evidence room"}, {"happened_at", "2024-05-02T08:00Z"},
                                     {"purpose", "booked"}})),
              201);
    const json item = body_of(served.get(avery, case_path + "/exhibits/1"));
    ASSERT_EQ(item["custody"].size(), 1u);
    EXPECT_EQ(item["custody"][0]["to"], "Evidence room");
    const json whole = body_of(served.get(avery, case_path));
    EXPECT_EQ(whole["exhibits"].size(), 1u);
    EXPECT_EQ(status_of(served.get(avery, "/api/cases/" + lab + "/99-999")), 404);
    EXPECT_EQ(status_of(served.get(avery, case_path + "/exhibits/42")), 404);
    const std::string casey = served.login("casey", auditor_password);
    EXPECT_EQ(status_of(served.get(casey, case_path)), 200) << "auditors read everything";
    EXPECT_EQ(status_of(served.post(casey, "/api/cases", {{"agency_ori", lab}, {"case_number", "24-200"}, {"offense_code", "5212"}})),
              403) << "and change nothing";
}

TEST(ServeApi, AnotherAgencysCaseIsRefusedAndTheRefusalAudited) {
    ServedStore served;
    const std::string avery = served.login("avery", examiner_password);
    const std::string dana = served.login("dana", other_lab_password);
    open_case(served, avery, lab, "24-118");
    EXPECT_EQ(status_of(served.post(dana, "/api/cases", {{"agency_ori", lab}, {"case_number", "24-300"}, {"offense_code", "5212"}})),
              403);
    const std::int64_t before = served.audit_records();
    const auto refused = served.get(dana, case_path);
    EXPECT_EQ(status_of(refused), 403);
    EXPECT_NE(body_of(refused)["error"].get<std::string>().find("agency"), std::string::npos);
    EXPECT_EQ(served.audit_records() - before - 2, 1) << "one record for the refused request";
    EXPECT_EQ(status_of(served.post(dana, case_path + "/exhibits",
                                    {{"item_number", "9"}, {"collected_at", "2024-05-01"}, {"collected_place", "x"}})),
              403);
}

TEST(ServeApi, TheCaseListHoldsTheCasesTheUserMayOpen) {
    ServedStore served;
    const std::string avery = served.login("avery", examiner_password);
    const std::string dana = served.login("dana", other_lab_password);
    open_case(served, avery, lab, "24-118");
    open_case(served, avery, lab, "24-200");
    open_case(served, dana, other_lab, "24-300");
    ASSERT_EQ(status_of(served.post(avery, case_path + "/exhibits",
                                    {{"item_number", "1"}, {"collected_at", "2024-05-01"}, {"collected_place", "x"}})),
              201);
    const auto numbers = [](const json& listing) {
        std::vector<std::string> found;
        for (const json& entry : listing["cases"]) found.push_back(entry["agency_ori"].get<std::string>() + "/" +
                                                                   entry["case_number"].get<std::string>());
        return found;
    };
    const json own = body_of(served.get(avery, "/api/cases"));
    EXPECT_EQ(numbers(own), (std::vector<std::string>{lab + "/24-200", lab + "/24-118"})) << "newest first, no other agency's";
    EXPECT_EQ(own["cases"][1]["items"], 1);
    EXPECT_TRUE(own["next_before"].is_null());
    EXPECT_EQ(numbers(body_of(served.get(dana, "/api/cases"))), std::vector<std::string>{other_lab + "/24-300"});
    const std::string casey = served.login("casey", auditor_password);
    EXPECT_EQ(body_of(served.get(casey, "/api/cases"))["cases"].size(), 3u) << "an auditor has no agency: every case";
    const json page = body_of(served.get(casey, "/api/cases?limit=2"));
    ASSERT_EQ(page["cases"].size(), 2u);
    EXPECT_EQ(numbers(body_of(served.get(casey, "/api/cases?limit=2&before=" + page["next_before"].dump()))),
              std::vector<std::string>{lab + "/24-118"});

    const std::int64_t before = served.audit_records();
    EXPECT_EQ(status_of(served.get(avery, "/api/cases?agency=" + other_lab)), 403) << "another agency's list";
    EXPECT_EQ(served.audit_records() - before - 2, 1) << "the refusal audited";
    const std::string root = served.login("root", admin_password);
    ASSERT_FALSE(root.empty());
    EXPECT_EQ(status_of(served.get(root, "/api/cases")), 403) << "an administrator reads no evidence";
    EXPECT_EQ(status_of(served.client().Get("/api/cases")), 401);
    EXPECT_EQ(status_of(served.get(avery, "/api/cases?limit=0")), 400);
    EXPECT_EQ(status_of(served.get(avery, "/api/cases?before=x")), 400);
}

TEST(ServeApi, AnUploadInAnotherAgencyAnswersWithItsLeadAndALabThatReachesBothConfirmsIt) {
    ServedStore served;
    const std::string avery = served.login("avery", examiner_password);
    const std::string dana = served.login("dana", other_lab_password);
    open_case(served, avery, lab, "24-118");
    open_case(served, dana, other_lab, "P-9");
    const std::string bytes = file_text(casing_scan());
    ASSERT_EQ(status_of(upload(served, avery, case_path, "3", bytes, "casing3.x3p", "?overlay=false")), 201);
    const auto second = upload(served, dana, "/api/cases/" + other_lab + "/P-9", "1", bytes, "c.x3p", "?overlay=false");
    ASSERT_EQ(status_of(second), 201) << second->body;
    const json answer = body_of(second);
    ASSERT_EQ(answer["leads"].size(), 1u) << second->body;
    EXPECT_EQ(answer["leads"][0]["kind"], "exact");
    EXPECT_EQ(answer["leads"][0]["serial"], "58A-104233");
    EXPECT_EQ(answer["leads"][0]["other"]["case_number"], "24-118");
    const std::string lead = std::to_string(answer["leads"][0]["id"].get<int>());

    for (const std::string& token : {avery, dana}) {
        const json listed = body_of(served.get(token, "/api/leads?status=open"));
        ASSERT_EQ(listed["leads"].size(), 1u);
        EXPECT_EQ(listed["leads"][0]["id"].get<int>(), std::stoi(lead));
    }
    EXPECT_EQ(status_of(served.get(dana, case_path)), 403) << "the lead opens no other agency's case";
    EXPECT_EQ(status_of(served.post(dana, "/api/leads/" + lead + "/confirm", json::object())), 403);
    EXPECT_EQ(status_of(served.post(served.login("casey", auditor_password), "/api/leads/" + lead + "/reject",
                                    json::object())),
              403);
    EXPECT_EQ(status_of(served.get(avery, "/api/leads?status=pending")), 400);

    const std::string root = served.login("root", admin_password);
    ASSERT_EQ(status_of(served.post(root, "/api/users",
                                    {{"name", "state"}, {"role", "examiner"}, {"password", examiner_password}})),
              201);
    const std::string state = served.login("state", examiner_password);
    const auto confirmed = served.post(state, "/api/leads/" + lead + "/confirm", {{"note", "one pistol"}});
    ASSERT_EQ(status_of(confirmed), 200) << confirmed->body;
    EXPECT_EQ(body_of(confirmed)["status"], "confirmed");
    EXPECT_EQ(body_of(served.get(avery, case_path + "/exhibits/3"))["links"].size(), 1u);
    EXPECT_EQ(status_of(served.post(state, "/api/leads/" + lead + "/reject", json::object())), 400) << "not open";
}

TEST(ServeApi, UploadedScanIsStoredReadAndRecordedWithItsOverlay) {
    ServedStore served;
    const std::string avery = served.login("avery", examiner_password);
    open_case(served, avery, lab, "24-118");
    const std::string bytes = file_text(casing_scan());
    const auto uploaded = upload(served, avery, case_path, "3", bytes, "casing3.x3p");
    ASSERT_EQ(status_of(uploaded), 201) << uploaded->body;
    const json answer = body_of(uploaded);
    EXPECT_EQ(answer["stored_status"], "decoded");
    EXPECT_EQ(answer["reading"]["identity"]["serial"], "58A-104233");
    EXPECT_GT(answer["reading"]["identity"]["field_confidence"]["serial"].get<double>(), 0.99);
    EXPECT_EQ(answer["scan"]["format"], "x3p");
    EXPECT_GT(answer["overlay_png_base64"].get<std::string>().size(), 1000u);

    const json item = body_of(served.get(avery, case_path + "/exhibits/3"));
    ASSERT_EQ(item["readings"].size(), 1u);
    EXPECT_EQ(item["readings"][0]["serial"], "58A-104233");
    const std::string sha = item["scans"][0]["sha256"];
    const auto original = served.get(avery, "/api/scans/" + sha);
    ASSERT_EQ(status_of(original), 200);
    EXPECT_EQ(original->body, bytes) << "the stored scan is the uploaded bytes";
    const auto overlay =
        served.get(avery, case_path + "/exhibits/3/readings/" + std::to_string(item["readings"][0]["id"].get<int>()) +
                              "/overlay.png");
    ASSERT_EQ(status_of(overlay), 200);
    EXPECT_EQ(overlay->body.substr(1, 3), "PNG");
    const std::string sent = answer["overlay_png_base64"];
    std::string decoded(sent.size(), '\0');
    std::size_t decoded_size = 0;
    ASSERT_EQ(sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(), sent.data(), sent.size(),
                                nullptr, &decoded_size, nullptr, sodium_base64_VARIANT_ORIGINAL),
              0);
    EXPECT_EQ(decoded.substr(0, decoded_size), overlay->body) << "the reader is deterministic: the same overlay drawn again";
    EXPECT_EQ(status_of(served.get(avery, case_path + "/exhibits/3/readings/999/overlay.png")), 404);
    EXPECT_EQ(status_of(served.get(avery, "/api/scans/" + std::string(64, '0'))), 404);

    // A client that shows no overlay can decline it; the reading is the same and the
    // overlay can still be fetched.
    const auto without_overlay = upload(served, avery, case_path, "6", bytes, "casing6.x3p", "?overlay=false");
    ASSERT_EQ(status_of(without_overlay), 201) << without_overlay->body;
    EXPECT_FALSE(body_of(without_overlay).contains("overlay_png_base64"));
    EXPECT_EQ(body_of(without_overlay)["reading"]["identity"]["serial"], "58A-104233");
    const json item6 = body_of(served.get(avery, case_path + "/exhibits/6"));
    ASSERT_EQ(item6["readings"].size(), 1u);
    EXPECT_EQ(status_of(served.get(avery, case_path + "/exhibits/6/readings/" +
                                              std::to_string(item6["readings"][0]["id"].get<int>()) + "/overlay.png")),
              200);
    EXPECT_EQ(status_of(upload(served, avery, case_path, "7", bytes, "casing7.x3p", "?overlay=no")), 400);

    // Malformed forms are read to their end and refused; a refused session's upload is
    // refused before its body is read, and the body dropped.
    const auto form_status = [&](const std::string& token, const httplib::MultipartFormDataItems& form) {
        const auto refused = served.client().Post(case_path + "/exhibits", ServedStore::bearer(token), form);
        return refused ? std::pair(refused->status, refused->body) : std::pair(0, std::string());
    };
    const httplib::MultipartFormDataItems two_scans = {{"item_number", "8", "", ""},
                                                       {"collected_at", "2024-05-01", "", ""},
                                                       {"collected_place", "x", "", ""},
                                                       {"scan", bytes, "a.x3p", "application/octet-stream"},
                                                       {"scan", bytes, "b.x3p", "application/octet-stream"}};
    EXPECT_EQ(form_status(avery, two_scans).first, 400);
    EXPECT_NE(form_status(avery, two_scans).second.find("more than one"), std::string::npos);
    const httplib::MultipartFormDataItems field_as_file = {{"item_number", "8", "item.txt", "text/plain"},
                                                           {"collected_at", "2024-05-01", "", ""},
                                                           {"collected_place", "x", "", ""},
                                                           {"scan", bytes, "a.x3p", "application/octet-stream"}};
    EXPECT_EQ(form_status(avery, field_as_file).first, 400);
    EXPECT_EQ(form_status(avery, {{"item_number", "8", "", ""}}).first, 400) << "no scan";
    EXPECT_EQ(form_status("not-a-session", field_as_file).first, 401);
    EXPECT_EQ(status_of(upload(served, avery, case_path, "4", "not a scan at all", "x.bin")), 400);
    EXPECT_EQ(status_of(upload(served, avery, case_path, "4", file_text(casing_scan().parent_path() / "shot-000001.png"),
                               "photo.png")),
              400) << "a photograph needs its scale";
    const std::string dana = served.login("dana", other_lab_password);
    EXPECT_EQ(status_of(served.get(dana, "/api/scans/" + sha)), 403) << "another agency's scan";
    const std::string casey = served.login("casey", auditor_password);
    EXPECT_EQ(status_of(upload(served, casey, case_path, "5", bytes, "c.x3p")), 403) << "auditors add nothing";
}

TEST(ServeApi, TheItemsReportIsIssuedForItsAgencyOnlyAndBothAreAudited) {
    ServedStore served;
    const std::string avery = served.login("avery", examiner_password);
    const std::string dana = served.login("dana", other_lab_password);
    open_case(served, avery, lab, "24-118");
    ASSERT_EQ(status_of(upload(served, avery, case_path, "3", file_text(casing_scan()), "casing3.x3p")), 201);
    const auto report = served.get(avery, case_path + "/exhibits/3/report");
    ASSERT_EQ(status_of(report), 200) << report->body.substr(0, 300);
    EXPECT_EQ(report->get_header_value("Content-Type"), "application/pdf");
    EXPECT_EQ(report->body.substr(0, 5), "%PDF-");
    const std::string sha = hex(sha256(report->body));
    EXPECT_EQ(report->get_header_value("X-Report-SHA256"), sha);
    const auto html = served.get(avery, case_path + "/exhibits/3/report?format=html");
    ASSERT_EQ(status_of(html), 200);
    EXPECT_NE(html->body.find("<h2>Verification</h2>"), std::string::npos);
    EXPECT_EQ(status_of(served.get(avery, case_path + "/exhibits/3/report?format=docx")), 400);
    EXPECT_EQ(status_of(served.get(avery, case_path + "/exhibits/42/report")), 404);

    const auto refused = served.get(dana, case_path + "/exhibits/3/report");
    EXPECT_EQ(status_of(refused), 403);
    EXPECT_EQ(refused->body.find("%PDF"), std::string::npos);
    const auto issues = find_audit_records(served.url(), "report.issue", sha);
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].user, "avery");
    EXPECT_EQ(issues[0].object, "case " + lab + "/24-118 item 3");
    const auto store = database::open_sqlite((std::filesystem::path(served.url().substr(7))).string(), false);
    std::int64_t refusals = 0;
    store->transact(database::TransactionMode::read, [&](database::Transaction& transaction) {
        refusals = database::as_integer(transaction.query("SELECT COUNT(*) FROM audit_log WHERE action = 'report.issue' "
                                                          "AND outcome = 'refused' AND user_name = 'dana'")[0][0]);
    });
    EXPECT_EQ(refusals, 1);
}

TEST(ServeApi, SearchesLinksAndTraceRequests) {
    ServedStore served;
    const std::string avery = served.login("avery", examiner_password);
    open_case(served, avery, lab, "24-118");
    open_case(served, avery, lab, "24-200");
    const std::string bytes = file_text(casing_scan());
    ASSERT_EQ(status_of(upload(served, avery, case_path, "1", bytes, "a.x3p")), 201);
    ASSERT_EQ(status_of(upload(served, avery, "/api/cases/" + lab + "/24-200", "7", bytes, "b.x3p")), 201);

    const json exact = body_of(served.get(avery, "/api/search/identity?manufacturer=SIG%20Sauer&model=P320&serial=58A-104233"));
    EXPECT_EQ(exact["matches"].size(), 2u);
    EXPECT_EQ(status_of(served.get(avery, "/api/search/identity?manufacturer=Acme&model=X&serial=1")), 400);
    EXPECT_EQ(status_of(served.get(avery, "/api/search/identity?serial=1")), 400);
    const json partial = body_of(served.get(avery, "/api/search/partial?serial=58A-1%3F42%3F%3F&limit=5"));
    ASSERT_EQ(partial["candidates"].size(), 2u);
    EXPECT_EQ(partial["candidates"][0]["serial"], "58A-104233");
    EXPECT_GT(partial["candidates"][0]["score"]["log10_likelihood_ratio"].get<double>(), 0);
    EXPECT_EQ(status_of(served.get(avery, "/api/search/partial?serial=58A&limit=0")), 400);

    const json from = {{"agency_ori", lab}, {"case_number", "24-118"}, {"item_number", "1"}};
    const json to = {{"agency_ori", lab}, {"case_number", "24-200"}, {"item_number", "7"}};
    const auto linked = served.post(avery, "/api/links", {{"from", from}, {"to", to}, {"basis", "identical_identity"}});
    ASSERT_EQ(status_of(linked), 201) << linked->body;
    EXPECT_EQ(status_of(served.post(avery, "/api/links", {{"from", from}, {"to", to}, {"basis", "hunch"}})), 400);
    EXPECT_EQ(status_of(served.post(avery, "/api/links", {{"from", from}, {"to", to}, {"basis", "likelihood_ratio"}})), 400);
    const json item = body_of(served.get(avery, case_path + "/exhibits/1"));
    ASSERT_EQ(item["links"].size(), 1u);
    EXPECT_EQ(item["links"][0]["other"]["case_number"], "24-200") << "the page shows where a link leads";

    const json trace = {{"agency_ori", lab}, {"case_number", "24-118"}, {"item_number", "1"}, {"officer", "Det. Okafor"}};
    EXPECT_EQ(status_of(served.post(avery, "/api/trace-requests", trace)), 403) << "examiners do not export";
    const std::string blake = served.login("blake", supervisor_password);
    const auto issued = served.post(blake, "/api/trace-requests", trace);
    ASSERT_EQ(status_of(issued), 201);
    EXPECT_EQ(body_of(issued)["serial"], "58A-104233");
    EXPECT_EQ(body_of(issued)["manufacturer"], "SIG Sauer");
    const auto csv = served.client().Post("/api/trace-requests?format=csv", ServedStore::bearer(blake), trace.dump(),
                                          "application/json");
    ASSERT_EQ(status_of(csv), 201);
    EXPECT_NE(csv->get_header_value("Content-Type").find("text/csv"), std::string::npos);
    EXPECT_NE(csv->body.find("58A-104233"), std::string::npos);
    EXPECT_EQ(status_of(served.client().Post("/api/trace-requests?format=xml", ServedStore::bearer(blake), trace.dump(),
                                             "application/json")),
              400);
}

TEST(ServeApi, AuditVerificationAndProofsForAuditorsOnlyAndEveryRequestAudited) {
    ServedStore served;
    const std::string avery = served.login("avery", examiner_password);
    const std::string casey = served.login("casey", auditor_password);
    EXPECT_EQ(status_of(served.get(avery, "/api/audit/verify")), 403);
    const json verdict = body_of(served.get(casey, "/api/audit/verify"));
    EXPECT_EQ(verdict["intact"], true);
    const json proof = body_of(served.get(casey, "/api/audit/records/3/proof"));
    EXPECT_EQ(proof["record"]["sequence"], 3);
    EXPECT_FALSE(proof["path"].empty());
    EXPECT_EQ(status_of(served.get(casey, "/api/audit/records/999999/proof")), 400);
    EXPECT_EQ(status_of(served.get(avery, "/api/audit/records/3/proof")), 403);

    // Ten requests of every kind: served, refused by the service, refused by the store,
    // malformed, unknown: ten records.
    const std::int64_t before = served.audit_records();
    served.client().Get("/");
    served.client().Get("/api/nothing");
    served.get(avery, "/api/session");
    served.get("bad-token", "/api/session");
    served.client().Get("/api/session");
    served.get(avery, "/api/audit/verify");
    served.post(avery, "/api/cases", {{"agency_ori", lab}});
    served.client().Post("/api/cases", ServedStore::bearer(avery), "{", "application/json");
    served.client().Post("/api/login", "{\"user\": \"nobody\", \"password\": \"x\"}", "application/json");
    served.client().Post("/api/login", "user=nobody", "application/x-www-form-urlencoded");
    EXPECT_EQ(served.audit_records() - before - 2, 10);
    EXPECT_EQ(body_of(served.get(casey, "/api/audit/verify"))["intact"], true);
}

TEST(ServeApi, BodiesOverTheirLimitsAndWrongContentTypesAreRefused) {
    ServedStore served([](ServeOptions& options) {
        options.max_scan_bytes = 1 << 20;
        options.max_json_bytes = 4096;
    });
    const std::string avery = served.login("avery", examiner_password);
    open_case(served, avery, lab, "24-118");
    const std::string big_json = json{{"agency_ori", lab}, {"case_number", std::string(5000, 'x')}, {"offense_code", "5212"}}.dump();
    EXPECT_EQ(status_of(served.client().Post("/api/cases", ServedStore::bearer(avery), big_json, "application/json")), 413);
    // Chunked: no length up front, so the limit is checked on what arrives.
    const auto chunked = served.client().Post(
        "/api/cases", ServedStore::bearer(avery),
        [&](std::size_t, httplib::DataSink& sink) {
            for (std::size_t at = 0; at < big_json.size(); at += 1000)
                sink.write(big_json.data() + at, std::min<std::size_t>(1000, big_json.size() - at));
            sink.done();
            return true;
        },
        "application/json");
    EXPECT_EQ(status_of(chunked), 413);
    // A declared length over the limit is refused before the body is sent, and the
    // connection closed: the body the client may send next is never read as a request.
    const std::string oversized_upload = "POST " + case_path + "/exhibits HTTP/1.1\r\nHost: x\r\n"
                                         "Authorization: Bearer " + avery + "\r\n"
                                         "Content-Type: multipart/form-data; boundary=b\r\n"
                                         "Content-Length: 2000000\r\n";
    for (const std::string& expect : {std::string(), std::string("Expect: 100-continue\r\n")}) {
        SCOPED_TRACE(expect);
        const RawReply refused =
            raw_exchange_until_closed(served.port(), oversized_upload + expect + "\r\n", std::chrono::milliseconds(1000));
        EXPECT_EQ(raw_status(refused.bytes), 413) << "no 100 Continue first";
        EXPECT_TRUE(refused.closed_by_server) << "the server closes the connection (not only after its 2 s idle timeout)";
        EXPECT_NE(refused.bytes.find("Connection: close"), std::string::npos);
        ASSERT_TRUE(response_complete(refused.bytes)) << refused.bytes;
        const json error = json::parse(refused.bytes.substr(refused.bytes.find("\r\n\r\n") + 4), nullptr, false);
        EXPECT_NE(error.value("error", "").find("over the"), std::string::npos) << refused.bytes;
    }
    EXPECT_EQ(raw_status(raw_exchange(served.port(), "POST /api/cases HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                                     "99999999999999999999999\r\n\r\n",
                                      std::chrono::milliseconds(3000), false)),
              413);
    std::string deep(200, '[');
    deep += std::string(200, ']');
    EXPECT_EQ(status_of(served.client().Post("/api/cases", ServedStore::bearer(avery), "{\"a\":" + deep + "}", "application/json")),
              400);
    EXPECT_EQ(status_of(served.client().Post("/api/cases", ServedStore::bearer(avery), "[1, 2]", "application/json")), 400);
    EXPECT_EQ(status_of(served.client().Post("/api/cases", ServedStore::bearer(avery), "{}", "text/plain")), 415);
    EXPECT_EQ(status_of(served.client().Post("/api/login", "{\"user\": 1}", "application/json")), 400);
    EXPECT_EQ(status_of(served.get(avery, case_path)), 200) << "and the server still answers";
}

TEST(ServeApi, ScansDeclaringMorePointsThanAllowedAreRefusedBeforeBeingDecoded) {
    // The test scan and its photograph are 300 x 300.
    ServedStore served([](ServeOptions& options) { options.max_scan_points = 300 * 300 - 1; });
    const std::string avery = served.login("avery", examiner_password);
    open_case(served, avery, lab, "24-118");
    const auto scan = upload(served, avery, case_path, "3", file_text(casing_scan()), "casing3.x3p");
    ASSERT_EQ(status_of(scan), 400);
    EXPECT_NE(body_of(scan)["error"].get<std::string>().find("89999 points allowed"), std::string::npos) << scan->body;
    const httplib::MultipartFormDataItems photograph = {
        {"item_number", "4", "", ""},
        {"collected_at", "2024-05-01T22:10Z", "", ""},
        {"collected_place", "5th & Pine", "", ""},
        {"um_per_px", "6", "", ""},
        {"scan", file_text(casing_scan().parent_path() / "shot-000001.png"), "photo.png", "application/octet-stream"}};
    const auto refused = served.client().Post(case_path + "/exhibits", ServedStore::bearer(avery), photograph);
    ASSERT_EQ(status_of(refused), 400);
    EXPECT_NE(body_of(refused)["error"].get<std::string>().find("89999 pixels allowed"), std::string::npos)
        << refused->body;
    EXPECT_EQ(status_of(served.get(avery, case_path)), 200) << "and the server still answers";
}

TEST(ServeApi, TheSameServiceOnPostgreSQL) {
    ServedStore served({}, "postgresql");
    if (!served.available()) {
        MICROSTAMP_FAIL_OR_SKIP_WITHOUT_POSTGRES();
    }
    const std::string avery = served.login("avery", examiner_password);
    ASSERT_FALSE(avery.empty());
    open_case(served, avery, lab, "24-118");
    ASSERT_EQ(status_of(upload(served, avery, case_path, "3", file_text(casing_scan()), "casing3.x3p")), 201);
    const json exact = body_of(served.get(avery, "/api/search/identity?manufacturer=SIG%20Sauer&model=P320&serial=58A-104233"));
    EXPECT_EQ(exact["matches"].size(), 1u);
    EXPECT_EQ(status_of(served.get(served.login("dana", other_lab_password), case_path)), 403);
    const auto report = served.get(avery, case_path + "/exhibits/3/report?format=html");
    ASSERT_EQ(status_of(report), 200) << report->body.substr(0, 300);
    EXPECT_NE(report->body.find("-----BEGIN AUDIT PROOF"), std::string::npos) << "proofs from the PostgreSQL log";
    EXPECT_EQ(find_audit_records(served.url(), "report.issue", hex(sha256(report->body))).size(), 1u);
    served.advance_clock(std::chrono::minutes(31));
    EXPECT_EQ(status_of(served.get(avery, "/api/session")), 401);
    EXPECT_EQ(body_of(served.get(served.login("casey", auditor_password), "/api/audit/verify"))["intact"], true);
}

TEST(ServeApi, ServesHttpsWithACertificateAndRefusesABadOne) {
    const auto folder = scratch_folder("tls");
    const std::string make_certificate = fmt::format(
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -keyout {0}/key.pem -out {0}/cert.pem "
        ">/dev/null 2>&1",
        folder.string());
    ASSERT_EQ(std::system(make_certificate.c_str()), 0) << "openssl could not make a test certificate";
    {
        ServedStore served([&](ServeOptions& options) {
            options.certificate_file = folder / "cert.pem";
            options.private_key_file = folder / "key.pem";
        });
        EXPECT_TRUE(served.service().uses_tls());
        httplib::SSLClient secure("127.0.0.1", served.port());
        secure.enable_server_certificate_verification(false);  // self-signed, made just now
        const auto page = secure.Get("/");
        ASSERT_TRUE(page);
        EXPECT_EQ(page->status, 200);
        EXPECT_FALSE(served.client().Get("/")) << "no plain HTTP on a TLS port";
    }
    EXPECT_THROW(ServedStore([&](ServeOptions& options) {
                     options.certificate_file = folder / "key.pem";
                     options.private_key_file = folder / "cert.pem";
                 }),
                 FileError);
    EXPECT_THROW(ServedStore([&](ServeOptions& options) { options.certificate_file = folder / "cert.pem"; }), InputError);
    std::filesystem::remove_all(folder);
}

} // namespace
} // namespace microstamp::testing
