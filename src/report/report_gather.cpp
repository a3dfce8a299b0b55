// Gathering a report from the store and the reader, issuing it (audited), and checking a
// copy against the store.

#include "report/report.hpp"

#include "evidence/errors.hpp"
#include "evidence/hashing.hpp"
#include "read/overlay.hpp"
#include "read/read.hpp"
#include "surface/image.hpp"
#include "surface/x3p.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <ctime>

namespace microstamp {
namespace {

bool is_x3p(const std::vector<std::uint8_t>& bytes) {
    return bytes.size() >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4;
}

std::string utc_now() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm parts{};
    gmtime_r(&now, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return text;
}

// The reader is deterministic: the stored bytes read again at the recorded scale draw
// what the recorded reading saw, when the reader's version is the one that recorded it.
void draw_overlay(ReportReading& reading, const std::vector<std::uint8_t>& bytes, const std::string& file_name) {
    ReadOptions options;
    const nlohmann::json::json_pointer scale("/geometry/um_per_px");
    if (reading.reader.is_object() && reading.reader.contains(scale) && reading.reader[scale].is_number())
        options.um_per_px = reading.reader[scale].get<double>();
    Image picture;
    Reading again;
    if (is_x3p(bytes)) {
        FeatureMap map;
        again = read(read_x3p(bytes, file_name).surface, options, default_catalog(), &map);
        picture = topography_picture(map);
    } else {
        if (options.um_per_px <= 0) throw InputError("the recorded reading gives no scale for the photograph");
        picture = decode_image(bytes, file_name);
        again = read(picture, options);
    }
    reading.overlay_png = overlay_png(picture, again);
    reading.overlay_note = fmt::format("What the reader saw in {}: located impression, ring cells as read (green printed, "
                                       "blue flat, red unsure), drawn by reader {} from the stored scan",
                                       file_name, PROJECT_VERSION_TEXT);
    if (reading.record.reader_version != PROJECT_VERSION_TEXT)
        reading.overlay_note += fmt::format(" (the reading was recorded by reader {})", reading.record.reader_version);
    reading.overlay_note += ".";
}

std::string item_object(const ExhibitKey& key) {
    const std::string label = key.case_key.agency_ori.empty() ? key.case_key.case_number
                                                              : key.case_key.agency_ori + "/" + key.case_key.case_number;
    return "case " + label + " item " + key.item_number;
}

} // namespace

std::string reading_limitations(const nlohmann::json& reader) {
    const auto number = [&](const char* pointer) {
        const nlohmann::json::json_pointer at(pointer);
        return reader.is_object() && reader.contains(at) && reader[at].is_number() ? fmt::format("{}", reader[at].get<double>())
                                                                                     : std::string("-");
    };
    const std::string status = reader.is_object() ? reader.value("status", "") : "";
    const std::string common =
        " A reading concerns the stamp on this casing only: it does not establish who fired the firearm, when, "
        "or that the firearm was in any one person's possession; a stamping die moved to another firing pin, or a "
        "casing carried to the scene, would leave the same reading.";
    if (status == "decoded")
        return fmt::format(
                   "The stamp decoded with {} errors and {} erasures corrected, leaving {} of {} parity symbols unused "
                   "(decision margin {}) after {} decoding attempts. The chance that an impression of another stamp, "
                   "or of none, decodes to this identity and passes the 32-bit integrity check is at most {} "
                   "(confidence {}). The identity names the serial engraved on the die, not the firearm's frame.",
                   number("/errors"), number("/erasures"), number("/unused_capacity"), number("/parity_symbols"),
                   number("/decision_margin"), number("/decode_attempts"), number("/false_identity_bound"),
                   number("/confidence")) +
               common;
    if (status == "partial")
        return "A stamp is present but its code could not be completed, so the reading names no identity. Any partial "
               "leads listed are candidates ranked by likelihood for investigation, not identifications; a firearm "
               "matching a lead must be test-fired and its casing read before any conclusion." +
               common;
    if (status == "defaced")
        return fmt::format("The code area shows abrasion or peening (texture ratio {}, scratch coherence {}): no identity "
                           "can be read, and the reading does not say who defaced it or when.",
                           number("/blank_impression/texture_ratio"), number("/blank_impression/scratch_coherence")) +
               common;
    return "No stamp was read (status " + (status.empty() ? std::string("unknown") : status) +
           "). This establishes neither that the firearm carries no microstamp nor that one was removed: wear, "
           "ammunition and the scan's quality all limit what a reader can see." +
           common;
}

ReportContent gather_report(Store& store, const Session& session, const std::string& store_url, const ExhibitKey& key,
                            const ReportOptions& options) {
    const CaseDetail detail = store.show_case(session, key.case_key);
    const auto found = std::find_if(detail.exhibits.begin(), detail.exhibits.end(), [&](const ExhibitDetail& exhibit) {
        return exhibit.exhibit.item_number == key.item_number;
    });
    if (found == detail.exhibits.end())
        throw InputError("case " + detail.case_record.agency_ori + "/" + detail.case_record.case_number + " has no item " +
                         key.item_number);
    ReportContent content;
    content.case_record = detail.case_record;
    content.laboratory = options.laboratory.empty() ? "Agency " + detail.case_record.agency_ori : options.laboratory;
    content.exhibit = found->exhibit;
    content.custody = found->custody;
    content.examiner = session.user();
    content.examiner_role = std::string(role_name(session.role()));
    content.issued_at = options.issued_at.empty() ? utc_now() : options.issued_at;
    content.audit_public_key = hex(store.public_key());
    for (std::size_t index = 0; index < found->links.size(); ++index)
        content.links.push_back({found->links[index], found->linked.at(index)});

    std::vector<std::pair<std::string, std::vector<std::uint8_t>>> scan_bytes;
    for (const ScanRecord& record : found->scans) {
        ReportScan scan{record, std::nullopt, {}};
        try {
            std::vector<std::uint8_t> bytes = store.scan_bytes(session, record.sha256);
            if (is_x3p(bytes)) scan.instrument = read_x3p(bytes, record.file_name).metadata;
            scan_bytes.emplace_back(record.sha256, std::move(bytes));
        } catch (const FileError& error) {
            scan.problem = error.what();
        }
        content.scans.push_back(std::move(scan));
    }
    for (const ReadingRecord& record : found->readings) {
        ReportReading reading{record, nlohmann::json::parse(record.json, nullptr, false), {}, {}};
        if (reading.reader.is_discarded()) reading.reader = nlohmann::json::object();
        const auto bytes = std::find_if(scan_bytes.begin(), scan_bytes.end(),
                                        [&](const auto& scan) { return scan.first == record.scan_sha256; });
        const auto scan = std::find_if(found->scans.begin(), found->scans.end(),
                                       [&](const ScanRecord& stored) { return stored.sha256 == record.scan_sha256; });
        if (bytes == scan_bytes.end() || scan == found->scans.end()) {
            reading.overlay_note = "No overlay: the reading is not of a stored scan.";
        } else {
            try {
                draw_overlay(reading, bytes->second, scan->file_name);
            } catch (const std::exception& error) {
                reading.overlay_note = std::string("No overlay: ") + error.what();
            }
        }
        content.readings.push_back(std::move(reading));
    }
    // The proofs are against a checkpoint that covers every record so far, this read included.
    if (store.can_sign()) store.checkpoint();
    content.history = read_exhibit_history(store_url, content.exhibit);
    return content;
}

IssuedReport issue_report(Store& store, const Session& session, const std::string& store_url, const ExhibitKey& key,
                          const ReportOptions& options) {
    const std::string role(role_name(session.role()));
    ReportContent content;
    try {
        content = gather_report(store, session, store_url, key, options);
    } catch (const AccessError& error) {
        store.record_event(session.user(), role, "report.issue", item_object(key), "refused", error.what());
        throw;
    }
    IssuedReport report;
    report.file_extension = options.format == ReportFormat::pdf ? "pdf" : "html";
    if (options.format == ReportFormat::pdf) {
        report.bytes = render_report_pdf(content);
    } else {
        const std::string html = render_report_html(content);
        report.bytes.assign(html.begin(), html.end());
    }
    report.sha256 = hex(sha256(report.bytes));
    const std::string object = exhibit_audit_object(content.exhibit);
    store.record_event(session.user(), role, "report.issue", object, "success",
                       "sha256 " + report.sha256 + " " + report.file_extension + " " +
                           std::to_string(report.bytes.size()) + " bytes");
    const std::vector<AuditRecord> issued = find_audit_records(store_url, "report.issue", report.sha256);
    if (issued.empty()) throw StoreError("the report's issue was not found in the audit log after recording it");
    report.audit_sequence = issued.back().sequence;
    if (store.can_sign()) store.checkpoint();
    return report;
}

ReportCheck verify_report(Store& store, const Session& session, const std::string& store_url,
                          const std::vector<std::uint8_t>& bytes) {
    const std::string role(role_name(session.role()));
    ReportCheck check;
    check.sha256 = hex(sha256(bytes));
    if (!role_allows(session.role(), Permission::read_evidence) && !role_allows(session.role(), Permission::audit)) {
        store.record_event(session.user(), role, "report.verify", "report " + check.sha256, "refused",
                           "the role may not read evidence");
        throw AccessError(session.user() + " (" + role + ") may not check reports");
    }
    const std::vector<AuditRecord> issued = find_audit_records(store_url, "report.issue", check.sha256);
    if (!issued.empty()) check.issued = issued.front();
    store.record_event(session.user(), role, "report.verify", "report " + check.sha256, "success",
                       check.issued ? fmt::format("issued in record {}", check.issued->sequence)
                                    : std::string("no report with this SHA-256 was issued"));
    return check;
}

} // namespace microstamp
