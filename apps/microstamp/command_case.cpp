// `microstamp case`: the evidence store from the command line. Each subcommand logs on
// (every action is some user's), calls one Store operation, prints JSON on stdout, and
// signs an audit checkpoint when the store's key is at hand.

#include "commands.hpp"

#include "code/catalog.hpp"
#include "code/json_depth.hpp"
#include "evidence/errors.hpp"
#include "evidence/store.hpp"
#include "read/read.hpp"
#include "report/report.hpp"
#include "surface/x3p.hpp"
#include "surface/image.hpp"
#include "surface/surface.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace microstamp::cli {
namespace {

struct CaseOptions {
    std::string db = "sqlite:evidence.db";
    std::string user, password, signing_key;
};

std::string from_option_or_environment(const std::string& option, const char* variable, const std::string& what) {
    if (!option.empty()) return option;
    if (const char* value = std::getenv(variable); value && *value) return value;
    throw InputError(what + " missing: give it as an option or set " + variable);
}

StoreOptions store_options(const CaseOptions& options) {
    StoreOptions store;
    store.signing_key_file = options.signing_key;
    // One person's command at a time: the flush per commit (milliseconds) costs nothing
    // anyone notices beside the logon's argon2id, and what a command reported as done
    // then survives a power cut too.
    store.durability = database::Durability::power_loss;
    return store;
}

struct Acting {
    Store store;
    Session session;
};

Acting log_on(const CaseOptions& options) {
    Store store = Store::open(options.db, store_options(options));
    const std::string user = from_option_or_environment(options.user, "MICROSTAMP_USER", "user (--user)");
    const std::string password =
        from_option_or_environment(options.password, "MICROSTAMP_PASSWORD", "password (--password)");
    Session session = store.logon(user, password);
    return {std::move(store), std::move(session)};
}

void sign_if_possible(Store& store) {
    if (store.can_sign()) store.checkpoint();
}

void print(const nlohmann::json& json) { std::cout << json.dump(2) << '\n'; }

std::string read_text_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw FileError(path + ": cannot open");
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

nlohmann::json to_json(const CaseRecord& record) {
    return {{"id", record.id},           {"agency_ori", record.agency_ori}, {"case_number", record.case_number},
            {"offense_code", record.offense_code}, {"opened_at", record.opened_at}, {"opened_by", record.opened_by}};
}

nlohmann::json to_json(const ExhibitRecord& record) {
    return {{"id", record.id},
            {"agency_ori", record.agency_ori},
            {"case_number", record.case_number},
            {"item_number", record.item_number},
            {"collected_at", record.collected_at},
            {"collected_place", record.collected_place},
            {"description", record.description},
            {"created_at", record.created_at},
            {"created_by", record.created_by}};
}

nlohmann::json optional_json(const auto& value) {
    if (!value) return nullptr;
    return *value;
}

nlohmann::json to_json(const ReadingRecord& reading) {
    nlohmann::json json = {{"id", reading.id},
                           {"scan_sha256", reading.scan_sha256},
                           {"reader_version", reading.reader_version},
                           {"status", reading.status},
                           {"manufacturer_code", optional_json(reading.manufacturer_code)},
                           {"model_code", optional_json(reading.model_code)},
                           {"serial", optional_json(reading.serial)},
                           {"recorded_at", reading.recorded_at},
                           {"recorded_by", reading.recorded_by}};
    json["reading"] = nlohmann::json::parse(reading.json, nullptr, false);
    return json;
}

nlohmann::json to_json(const LinkRecord& link) {
    return {{"id", link.id},
            {"exhibit_a", link.exhibit_a},
            {"exhibit_b", link.exhibit_b},
            {"basis", link.basis},
            {"likelihood_ratio", optional_json(link.likelihood_ratio)},
            {"note", link.note},
            {"created_at", link.created_at},
            {"created_by", link.created_by}};
}

nlohmann::json to_json(const LeadSide& side) {
    return {{"exhibit_id", side.exhibit_id},
            {"agency_ori", side.agency_ori},
            {"case_number", side.case_number},
            {"item_number", side.item_number}};
}

nlohmann::json to_json(const LeadRecord& lead) {
    return {{"id", lead.id},
            {"reading_id", lead.reading_id},
            {"found_for", to_json(lead.found_for)},
            {"other", to_json(lead.other)},
            {"other_reading_id", lead.other_reading_id},
            {"kind", lead.kind},
            {"manufacturer_code", lead.manufacturer_code},
            {"model_code", lead.model_code},
            {"serial", lead.serial},
            {"partial_serial", lead.partial_serial},
            {"location", lead.location},
            {"log10_likelihood_ratio", optional_json(lead.log10_likelihood_ratio)},
            {"found_at", lead.found_at},
            {"status", lead.status},
            {"decided_at", lead.decided_at},
            {"decided_by", lead.decided_by},
            {"resolution", lead.resolution},
            {"link_id", optional_json(lead.link_id)}};
}

nlohmann::json to_json(const std::vector<LeadRecord>& leads) {
    nlohmann::json json = nlohmann::json::array();
    for (const auto& lead : leads) json.push_back(to_json(lead));
    return json;
}

nlohmann::json to_json(const ExhibitDetail& detail) {
    nlohmann::json json = to_json(detail.exhibit);
    json["custody"] = nlohmann::json::array();
    for (const auto& event : detail.custody)
        json["custody"].push_back({{"from", event.from},
                                   {"to", event.to},
                                   {"at", event.happened_at},
                                   {"purpose", event.purpose},
                                   {"recorded_at", event.recorded_at},
                                   {"recorded_by", event.recorded_by}});
    json["scans"] = nlohmann::json::array();
    for (const auto& scan : detail.scans)
        json["scans"].push_back({{"sha256", scan.sha256},
                                 {"format", scan.format},
                                 {"file_name", scan.file_name},
                                 {"summary", scan.summary},
                                 {"size_bytes", scan.size_bytes},
                                 {"acquired_at", scan.acquired_at},
                                 {"acquired_by", scan.acquired_by}});
    json["readings"] = nlohmann::json::array();
    for (const auto& reading : detail.readings) json["readings"].push_back(to_json(reading));
    json["links"] = nlohmann::json::array();
    for (const auto& link : detail.links) json["links"].push_back(to_json(link));
    return json;
}

nlohmann::json to_json(const AuditRecord& record) {
    return {{"sequence", record.sequence}, {"recorded_at", record.recorded_at}, {"user", record.user},
            {"role", record.role},         {"action", record.action},           {"object", record.object},
            {"outcome", record.outcome},   {"detail", record.detail},           {"previous_hash", record.previous_hash},
            {"entry_hash", record.entry_hash}};
}

AuditRecord audit_record_from_json(const nlohmann::json& json) {
    return {json.at("sequence").get<std::int64_t>(), json.at("recorded_at").get<std::string>(),
            json.at("user").get<std::string>(),      json.at("role").get<std::string>(),
            json.at("action").get<std::string>(),    json.at("object").get<std::string>(),
            json.at("outcome").get<std::string>(),   json.at("detail").get<std::string>(),
            json.at("previous_hash").get<std::string>(), json.at("entry_hash").get<std::string>()};
}


void write_or_print(const std::string& out, const std::string& text) {
    if (out.empty() || out == "-") std::cout << text << (text.ends_with('\n') ? "" : "\n");
    else write_file_atomically(out, text.data(), text.size());
}

} // namespace

Command add_case(CLI::App& app) {
    auto* command = app.add_subcommand("case", "The evidence store: cases, exhibits, custody, links, searches, trace "
                                               "requests and the audit log");
    command->require_subcommand(1);
    command->fallthrough();
    auto options = std::make_shared<CaseOptions>();
    command->add_option("--db", options->db, "Store URL: sqlite:PATH (default sqlite:evidence.db) or postgresql://...");
    command->add_option("--user", options->user, "Acting user (or MICROSTAMP_USER)");
    command->add_option("--password", options->password, "The user's password (or MICROSTAMP_PASSWORD)");
    command->add_option("--signing-key", options->signing_key,
                        "Audit signing key file (or MICROSTAMP_SIGNING_KEY_FILE; SQLite default: PATH.signing-key)");
    std::vector<std::pair<CLI::App*, std::function<void()>>> actions;

    {
        auto* sub = command->add_subcommand("init", "Create a store and its first administrator");
        auto admin = std::make_shared<std::string>();
        sub->add_option("--admin", *admin, "Name of the first administrator")->required();
        actions.emplace_back(sub, [options, admin] {
            const std::string password =
                from_option_or_environment(options->password, "MICROSTAMP_PASSWORD", "password (--password)");
            Store store = Store::create(options->db, *admin, password, store_options(*options));
            sign_if_possible(store);
            print({{"store", options->db}, {"schema_version", store.schema_version()}, {"admin", *admin},
                   {"audit_public_key", hex(store.public_key())}});
        });
    }
    {
        auto* sub = command->add_subcommand("user-add", "Add a user (admin only)");
        auto name = std::make_shared<std::string>();
        auto role = std::make_shared<std::string>();
        auto new_password = std::make_shared<std::string>();
        auto agency = std::make_shared<std::string>();
        sub->add_option("NAME", *name, "User name")->required();
        sub->add_option("--agency", *agency, "Agency ORI whose cases the user may reach (default: every agency)");
        sub->add_option("--role", *role, "examiner, supervisor, auditor or admin")->required();
        sub->add_option("--new-password", *new_password, "The new user's password (or MICROSTAMP_NEW_PASSWORD)");
        actions.emplace_back(sub, [options, name, role, new_password, agency] {
            auto acting = log_on(*options);
            const UserRecord user = acting.store.add_user(
                acting.session, *name, parse_role(*role),
                from_option_or_environment(*new_password, "MICROSTAMP_NEW_PASSWORD", "new password (--new-password)"),
                *agency);
            sign_if_possible(acting.store);
            print({{"user", user.name}, {"role", role_name(user.role)}, {"agency", user.agency_ori}});
        });
    }
    {
        auto* sub = command->add_subcommand("login", "Check a user's credentials (the attempt is audited)");
        actions.emplace_back(sub, [options] {
            auto acting = log_on(*options);
            sign_if_possible(acting.store);
            print({{"user", acting.session.user()}, {"role", role_name(acting.session.role())}});
        });
    }
    {
        auto* sub = command->add_subcommand("open", "Open a case");
        auto new_case = std::make_shared<NewCase>();
        sub->add_option("--ori", new_case->agency_ori, "Agency ORI (9 characters)")->required();
        sub->add_option("--case", new_case->case_number, "Case number")->required();
        sub->add_option("--offense", new_case->offense_code, "NCIC offense code (4 digits)")->required();
        actions.emplace_back(sub, [options, new_case] {
            auto acting = log_on(*options);
            const CaseRecord record = acting.store.open_case(acting.session, *new_case);
            sign_if_possible(acting.store);
            print(to_json(record));
        });
    }
    {
        auto* sub = command->add_subcommand("add", "Add an exhibit with its scan file(s), read on the way in");
        struct Add {
            NewExhibit exhibit;
            std::vector<std::string> scans, readings;
            std::string reader_version;
            double um_per_px = 0;
        };
        auto add = std::make_shared<Add>();
        sub->add_option("--ori", add->exhibit.case_key.agency_ori, "Agency ORI, when the case number is not unique");
        sub->add_option("--case", add->exhibit.case_key.case_number, "Case number")->required();
        sub->add_option("--item", add->exhibit.item_number, "Item number, unique within the case")->required();
        sub->add_option("--collected-at", add->exhibit.collected_at, "ISO 8601 date or date-time")->required();
        sub->add_option("--place", add->exhibit.collected_place, "Where it was collected")->required();
        sub->add_option("--description", add->exhibit.description, "Free text");
        sub->add_option("--reading", add->readings, "A reader's JSON output for the (first) scan; repeatable");
        sub->add_option("--reader-version", add->reader_version, "Reader version, if the JSON lacks one");
        sub->add_option("--um-per-px", add->um_per_px, "Photographs: micrometres per pixel, so they can be read on the way in");
        sub->add_option("SCAN", add->scans, "Scan files: .x3p, PNG, TIFF or JPEG");
        actions.emplace_back(sub, [options, add] {
            std::vector<NewReading> readings;
            for (const auto& file : add->readings) readings.push_back(parse_reading(read_text_file(file), add->reader_version));
            std::vector<std::filesystem::path> scans(add->scans.begin(), add->scans.end());
            auto acting = log_on(*options);
            // Each scan is read on the way in, unless readings were supplied by hand.
            const double um_per_px = add->um_per_px;
            const ScanReader reader = [um_per_px](const AcquiredScan& scan) -> std::optional<NewReading> {
                Reading reading;
                ReadOptions read_options;
                read_options.um_per_px = um_per_px;
                if (scan.format == "x3p") {
                    reading = read(read_x3p(scan.bytes, scan.file_name).surface, read_options);
                } else if (um_per_px > 0) {
                    reading = read(decode_image(scan.bytes, scan.file_name), read_options);
                } else {
                    fmt::print(stderr, "{}: not read (a photograph needs --um-per-px)\n", scan.file_name);
                    return std::nullopt;
                }
                NewReading record;
                record.scan_sha256 = scan.sha256;
                record.reader_version = PROJECT_VERSION_TEXT;
                record.json = to_json(reading).dump();
                record.status = reading.status == ReadStatus::decoded && reading.fields ? "decoded" : "failed";
                if (record.status == "decoded") {
                    record.manufacturer_code = reading.fields->manufacturer_code;
                    record.model_code = reading.fields->model_code;
                    record.serial = reading.fields->serial;
                }
                return record;
            };
            const ExhibitRecord record = ingest_exhibit(acting.store, acting.session, add->exhibit, scans,
                                                        readings.empty() ? reader : ScanReader{}, readings);
            sign_if_possible(acting.store);
            nlohmann::json json = to_json(acting.store.show_exhibit(acting.session, {add->exhibit.case_key, record.item_number}));
            // The leads its readings raised on arrival, in this agency or any other.
            json["leads"] = to_json(record.leads);
            print(json);
        });
    }
    {
        auto* sub = command->add_subcommand("custody", "Record a chain-of-custody transfer");
        auto key = std::make_shared<ExhibitKey>();
        auto event = std::make_shared<NewCustodyEvent>();
        sub->add_option("--ori", key->case_key.agency_ori, "Agency ORI");
        sub->add_option("--case", key->case_key.case_number, "Case number")->required();
        sub->add_option("--item", key->item_number, "Item number")->required();
        sub->add_option("--from", event->from, "Who or where it came from")->required();
        sub->add_option("--to", event->to, "Who or where it went")->required();
        sub->add_option("--at", event->happened_at, "When (ISO 8601)")->required();
        sub->add_option("--purpose", event->purpose, "Why")->required();
        actions.emplace_back(sub, [options, key, event] {
            auto acting = log_on(*options);
            const CustodyEvent recorded = acting.store.record_custody(acting.session, *key, *event);
            sign_if_possible(acting.store);
            print({{"id", recorded.id}, {"from", recorded.from}, {"to", recorded.to}, {"at", recorded.happened_at},
                   {"purpose", recorded.purpose}, {"recorded_by", recorded.recorded_by}});
        });
    }
    {
        auto* sub = command->add_subcommand("show", "Show a case, or one of its items");
        auto key = std::make_shared<ExhibitKey>();
        sub->add_option("--ori", key->case_key.agency_ori, "Agency ORI");
        sub->add_option("--case", key->case_key.case_number, "Case number")->required();
        sub->add_option("--item", key->item_number, "Item number (default: the whole case)");
        actions.emplace_back(sub, [options, key] {
            auto acting = log_on(*options);
            if (!key->item_number.empty()) {
                print(to_json(acting.store.show_exhibit(acting.session, *key)));
            } else {
                const CaseDetail detail = acting.store.show_case(acting.session, key->case_key);
                nlohmann::json json = to_json(detail.case_record);
                json["exhibits"] = nlohmann::json::array();
                for (const auto& exhibit : detail.exhibits) json["exhibits"].push_back(to_json(exhibit));
                print(json);
            }
            sign_if_possible(acting.store);
        });
    }
    {
        auto* sub = command->add_subcommand("link", "Link two items as fired by one firearm");
        struct Link {
            ExhibitKey first, second;
            bool identical = false;
            double likelihood_ratio = 0;
            std::string note;
        };
        auto link = std::make_shared<Link>();
        sub->add_option("--ori", link->first.case_key.agency_ori, "Agency ORI of the first item");
        sub->add_option("--case", link->first.case_key.case_number, "Case of the first item")->required();
        sub->add_option("--item", link->first.item_number, "First item")->required();
        sub->add_option("--to-ori", link->second.case_key.agency_ori, "Agency ORI of the second item");
        sub->add_option("--to-case", link->second.case_key.case_number, "Case of the second item")->required();
        sub->add_option("--to-item", link->second.item_number, "Second item")->required();
        auto* identical = sub->add_flag("--identical", link->identical, "Both items decode to the same identity");
        auto* ratio = sub->add_option("--likelihood-ratio", link->likelihood_ratio, "Stated likelihood ratio (> 0)");
        identical->excludes(ratio);
        sub->add_option("--note", link->note, "Examiner's note");
        actions.emplace_back(sub, [options, link, ratio] {
            if (!link->identical && ratio->count() == 0) throw InputError("give --identical or --likelihood-ratio LR");
            auto acting = log_on(*options);
            const LinkRecord record =
                acting.store.link(acting.session, link->first, link->second,
                                  link->identical ? LinkBasis::identical_identity : LinkBasis::likelihood_ratio,
                                  link->identical ? std::nullopt : std::optional<double>(link->likelihood_ratio), link->note);
            sign_if_possible(acting.store);
            print(to_json(record));
        });
    }
    {
        auto* leads = command->add_subcommand("leads", "Leads raised when readings arrived: list, confirm (a link) or reject");
        leads->fallthrough();
        auto query = std::make_shared<LeadQuery>();
        auto case_key = std::make_shared<CaseKey>();
        leads->add_option("--ori", case_key->agency_ori, "Agency ORI of --case");
        leads->add_option("--case", case_key->case_number, "Only leads touching this case");
        leads->add_option("--since", query->since, "Only leads found at or after this ISO 8601 time");
        leads->add_option("--status", query->status, "open, confirmed, rejected or resolved (default: all)");
        auto lead_id = std::make_shared<std::int64_t>(0);
        auto note = std::make_shared<std::string>();
        auto* confirm = leads->add_subcommand("confirm", "Confirm a lead: the two items are linked");
        auto* reject = leads->add_subcommand("reject", "Reject a lead");
        for (auto* decision : {confirm, reject}) {
            decision->add_option("ID", *lead_id, "The lead's id")->required();
            decision->add_option("--note", *note, "Examiner's note");
        }
        actions.emplace_back(leads, [options, query, case_key, confirm, reject] {
            if (confirm->parsed() || reject->parsed()) return;
            auto acting = log_on(*options);
            if (!case_key->case_number.empty()) query->case_key = *case_key;
            print(to_json(acting.store.list_leads(acting.session, *query)));
            sign_if_possible(acting.store);
        });
        actions.emplace_back(confirm, [options, lead_id, note] {
            auto acting = log_on(*options);
            const LeadRecord lead = acting.store.confirm_lead(acting.session, *lead_id, *note);
            sign_if_possible(acting.store);
            print(to_json(lead));
        });
        actions.emplace_back(reject, [options, lead_id, note] {
            auto acting = log_on(*options);
            const LeadRecord lead = acting.store.reject_lead(acting.session, *lead_id, *note);
            sign_if_possible(acting.store);
            print(to_json(lead));
        });
    }
    {
        auto* sub = command->add_subcommand("search", "Exact identity lookup, or a ranked partial-serial search");
        struct Search {
            std::string make, model, serial, serials_file, partial;
            std::uint16_t manufacturer_code = 0, model_code = 0;
            std::size_t limit = 20;
            double character_error_rate = 0.05;
        };
        auto search = std::make_shared<Search>();
        sub->add_option("--make", search->make, "Manufacturer (catalog name)");
        sub->add_option("--model", search->model, "Model (catalog name)");
        sub->add_option("--serial", search->serial, "Serial number, for an exact lookup");
        sub->add_option("--serials", search->serials_file,
                        "File of serial numbers, one a line: exact lookups of them all in one transaction");
        sub->add_option("--manufacturer-code", search->manufacturer_code, "Manufacturer code (instead of --make)");
        sub->add_option("--model-code", search->model_code, "Model code (instead of --model)");
        sub->add_option("--partial", search->partial, "Partial serial, '?' for unread characters, e.g. 58A-1?42??");
        sub->add_option("--limit", search->limit, "Candidates to list (partial search)");
        sub->add_option("--character-error-rate", search->character_error_rate,
                        "Per-character misread probability of the model (partial search; assumed 0.05)");
        actions.emplace_back(sub, [options, search] {
            std::optional<std::uint16_t> manufacturer_code, model_code;
            if (!search->make.empty()) {
                const Manufacturer& manufacturer = default_catalog().manufacturer(search->make);
                manufacturer_code = manufacturer.code;
                if (!search->model.empty()) model_code = default_catalog().model(manufacturer, search->model).code;
            }
            if (search->manufacturer_code) manufacturer_code = search->manufacturer_code;
            if (search->model_code) model_code = search->model_code;
            const int forms = int{!search->serial.empty()} + int{!search->serials_file.empty()} + int{!search->partial.empty()};
            if (forms != 1) throw InputError("give one of --serial, --serials FILE (exact lookups) or --partial PATTERN");
            const bool exact = search->partial.empty();
            if (exact && (!manufacturer_code || !model_code))
                throw InputError("an exact lookup needs the make and model (--make/--model or the codes)");
            // Read before logging on: a missing file is bad input, not a store operation.
            std::vector<IdentityQuery> queries;
            if (!search->serials_file.empty()) {
                std::istringstream lines(read_text_file(search->serials_file));
                for (std::string line; std::getline(lines, line);) {
                    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
                    if (!line.empty()) queries.push_back({*manufacturer_code, *model_code, normalise_serial(line)});
                }
                if (queries.empty()) throw InputError(search->serials_file + ": no serial numbers in it");
            }
            auto acting = log_on(*options);
            nlohmann::json json;
            const auto matches_json = [](const std::vector<IdentityMatch>& matches) {
                nlohmann::json items = nlohmann::json::array();
                for (const auto& match : matches) {
                    nlohmann::json item = to_json(match.exhibit);
                    item["reading_id"] = match.reading_id;
                    item["status"] = match.status;
                    items.push_back(item);
                }
                return items;
            };
            if (!search->serial.empty()) {
                const std::string serial = normalise_serial(search->serial);
                json = {{"search", "exact"}, {"manufacturer_code", *manufacturer_code}, {"model_code", *model_code},
                        {"serial", serial},
                        {"matches", matches_json(acting.store.find_identity(acting.session, *manufacturer_code,
                                                                            *model_code, serial))}};
            } else if (!queries.empty()) {
                const auto results = acting.store.find_identities(acting.session, queries);
                json = {{"search", "exact_batch"}, {"manufacturer_code", *manufacturer_code},
                        {"model_code", *model_code}, {"lookups", nlohmann::json::array()}};
                for (std::size_t i = 0; i < queries.size(); ++i)
                    json["lookups"].push_back({{"serial", queries[i].serial}, {"matches", matches_json(results[i])}});
            } else {
                PartialQuery query{search->partial, manufacturer_code, model_code, {search->character_error_rate},
                                   search->limit};
                json = {{"search", "partial"}, {"pattern", search->partial},
                        {"model", {{"character_error_rate", search->character_error_rate}, {"alphabet_size", 37}}},
                        {"candidates", nlohmann::json::array()}};
                int rank = 0;
                for (const auto& candidate : acting.store.search_partial(acting.session, query)) {
                    nlohmann::json item = to_json(candidate.exhibit);
                    item["rank"] = ++rank;
                    item["serial"] = candidate.serial;
                    item["manufacturer_code"] = candidate.manufacturer_code;
                    item["model_code"] = candidate.model_code;
                    item["log10_likelihood_ratio"] = candidate.score.log10_likelihood_ratio;
                    item["matched"] = candidate.score.matched;
                    item["mismatched"] = candidate.score.mismatched;
                    json["candidates"].push_back(item);
                }
            }
            sign_if_possible(acting.store);
            print(json);
        });
    }
    {
        auto* sub = command->add_subcommand("trace-request", "Issue an ATF Form 3312.1 trace request (supervisor)");
        struct Trace {
            NewTraceRequest request;
            std::string format = "json", out;
        };
        auto trace = std::make_shared<Trace>();
        sub->add_option("--ori", trace->request.exhibit.case_key.agency_ori, "Agency ORI");
        sub->add_option("--case", trace->request.exhibit.case_key.case_number, "Case number")->required();
        sub->add_option("--item", trace->request.exhibit.item_number, "Item whose reading names the firearm")->required();
        sub->add_option("--officer", trace->request.officer, "Requesting officer")->required();
        sub->add_option("--priority", trace->request.priority, "routine or urgent");
        sub->add_flag("--obliterated", trace->request.obliterated, "The serial on the recovered firearm is obliterated");
        sub->add_option("--type", trace->request.firearm_type, "Firearm type (default pistol)");
        sub->add_option("--caliber", trace->request.caliber, "Caliber (default: the catalog's)");
        sub->add_option("--country", trace->request.country_of_origin, "Country of origin");
        sub->add_option("--importer", trace->request.importer, "Importer");
        sub->add_option("--format", trace->format, "json or csv")->check(CLI::IsMember({"json", "csv"}));
        sub->add_option("--out", trace->out, "Write to this file instead of stdout");
        actions.emplace_back(sub, [options, trace] {
            auto acting = log_on(*options);
            const TraceRequest request = acting.store.issue_trace_request(acting.session, trace->request);
            sign_if_possible(acting.store);
            write_or_print(trace->out, trace->format == "csv" ? trace_request_csv(request) : trace_request_json(request));
        });
    }
    {
        auto* sub = command->add_subcommand("report", "Issue the examination report of one item (PDF or HTML; audited)");
        struct Report {
            ExhibitKey key;
            ReportOptions options;
            std::string format = "pdf", out;
        };
        auto report = std::make_shared<Report>();
        sub->add_option("--ori", report->key.case_key.agency_ori, "Agency ORI");
        sub->add_option("--case", report->key.case_key.case_number, "Case number")->required();
        sub->add_option("--item", report->key.item_number, "Item number")->required();
        sub->add_option("--out", report->out, "The report file to write")->required();
        sub->add_option("--format", report->format, "pdf (default) or html")->check(CLI::IsMember({"pdf", "html"}));
        sub->add_option("--laboratory", report->options.laboratory, "Laboratory name for the header");
        sub->add_option("--date", report->options.issued_at, "The report's date, ISO 8601 UTC (default: now)");
        actions.emplace_back(sub, [options, report] {
            auto acting = log_on(*options);
            report->options.format = report->format == "html" ? ReportFormat::html : ReportFormat::pdf;
            const IssuedReport issued = issue_report(acting.store, acting.session, options->db, report->key, report->options);
            write_file_atomically(report->out, issued.bytes.data(), issued.bytes.size());
            print({{"file", report->out}, {"format", issued.file_extension}, {"bytes", issued.bytes.size()},
                   {"sha256", issued.sha256}, {"audit_record", issued.audit_sequence}});
        });
    }
    {
        auto* sub = command->add_subcommand("report-verify", "Check a copy of a report against the store's audit log");
        auto file = std::make_shared<std::string>();
        sub->add_option("FILE", *file, "The report file (PDF or HTML)")->required();
        actions.emplace_back(sub, [options, file] {
            const std::string text = read_text_file(*file);
            const std::vector<std::uint8_t> bytes(text.begin(), text.end());
            auto acting = log_on(*options);
            const ReportCheck check = verify_report(acting.store, acting.session, options->db, bytes);
            sign_if_possible(acting.store);
            nlohmann::json json = {{"file", *file}, {"sha256", check.sha256}, {"issued", check.issued.has_value()}};
            if (check.issued) {
                json["audit_record"] = check.issued->sequence;
                json["issued_at"] = check.issued->recorded_at;
                json["issued_by"] = check.issued->user;
                json["object"] = check.issued->object;
            }
            print(json);
            if (!check.issued)
                throw StoreError(*file + ": the store issued no report with SHA-256 " + check.sha256 +
                                 ": this is not a copy of an issued report");
        });
    }
    {
        auto* audit = command->add_subcommand("audit", "Verify the audit log, or prove a record is in it");
        audit->require_subcommand(1);
        audit->fallthrough();
        auto public_key = std::make_shared<std::string>();
        audit->add_option("--public-key", *public_key,
                          "Verify against this Ed25519 public key (hex) rather than the one in the store");
        auto* verify = audit->add_subcommand("verify", "Check every record, the hash chain and the signed checkpoints");
        actions.emplace_back(verify, [options, public_key] {
            auto acting = log_on(*options);
            std::optional<std::vector<std::uint8_t>> pinned;
            if (!public_key->empty()) pinned = bytes_from_hex(*public_key, "--public-key");
            const AuditVerification result = acting.store.verify_audit(acting.session, pinned);
            nlohmann::json json = {{"intact", result.intact},
                                   {"records", result.records},
                                   {"checkpoints_verified", result.checkpoints},
                                   {"root_hash", result.root_hash},
                                   {"first_bad_record", optional_json(result.first_bad_record)},
                                   {"problem", result.problem}};
            print(json);
            if (!result.intact) throw StoreError("audit log: " + result.problem);
            sign_if_possible(acting.store);
        });
        auto* prove = audit->add_subcommand("prove", "Print an inclusion proof for one record");
        auto sequence = std::make_shared<std::int64_t>(0);
        auto out = std::make_shared<std::string>();
        prove->add_option("--record", *sequence, "Record sequence number")->required();
        prove->add_option("--out", *out, "Write the proof to this file instead of stdout");
        actions.emplace_back(prove, [options, sequence, out] {
            auto acting = log_on(*options);
            const InclusionProof proof = acting.store.prove_record(acting.session, *sequence);
            const nlohmann::json json = {{"format", "microstamp-audit-inclusion-proof v1"},
                                         {"record", to_json(proof.record)},
                                         {"tree_size", proof.tree_size},
                                         {"root_hash", proof.root_hash},
                                         {"checkpoint_signature", proof.checkpoint_signature},
                                         {"path", proof.path},
                                         {"public_key", hex(acting.store.public_key())}};
            write_or_print(*out, json.dump(2));
        });
        auto* check = audit->add_subcommand("check-proof", "Check an inclusion proof (no logon; pin the key with --public-key)");
        auto proof_file = std::make_shared<std::string>();
        check->add_option("PROOF", *proof_file, "A proof written by `audit prove`")->required();
        actions.emplace_back(check, [public_key, proof_file] {
            nlohmann::json json;
            const std::string text = read_text_file(*proof_file);
            if (json_nesting_depth(text) > max_json_file_depth)
                throw InputError(*proof_file + ": not a proof: JSON nested deeper than " +
                                 std::to_string(max_json_file_depth) + " levels");
            try {
                json = nlohmann::json::parse(text);
            } catch (const nlohmann::json::exception& error) {
                throw InputError(*proof_file + ": not a proof: " + error.what());
            }
            InclusionProof proof;
            try {
                proof.record = audit_record_from_json(json.at("record"));
                proof.tree_size = json.at("tree_size").get<std::int64_t>();
                proof.root_hash = json.at("root_hash").get<std::string>();
                proof.checkpoint_signature = json.at("checkpoint_signature").get<std::string>();
                proof.path = json.at("path").get<std::vector<std::string>>();
            } catch (const nlohmann::json::exception& error) {
                throw InputError(*proof_file + ": not a proof: " + error.what());
            }
            const std::string key_hex = public_key->empty() ? json.value("public_key", "") : *public_key;
            const std::string problem = check_inclusion_proof(proof, bytes_from_hex(key_hex, "public key"));
            print({{"valid", problem.empty()},
                   {"record", proof.record.sequence},
                   {"tree_size", proof.tree_size},
                   {"key_pinned", !public_key->empty()},
                   {"problem", problem}});
            if (!problem.empty()) throw StoreError("proof does not hold: " + problem);
        });
    }

    return {command, [actions] {
        for (const auto& [sub, action] : actions)
            if (sub->parsed()) action();
    }};
}

} // namespace microstamp::cli
