#pragma once
// The examination report: one exhibit as a laboratory sends it to the case file and to
// court, gathered from the store and the reader, laid out as a paginated PDF (Cairo) or
// as one self-contained HTML page.
//
//   IssuedReport report = issue_report(store, session, "sqlite:lab.db", {{"WA0010000", "24-118"}, "3"},
//                                      {.format = ReportFormat::pdf});
//   write report.bytes; the store's audit log now holds "report.issue" with its SHA-256.
//   ReportCheck check = verify_report(store, session, "sqlite:lab.db", bytes_of_a_copy);
//
// This stage reads the store (through its sessions, so role and agency rules hold and
// every read is audited) and re-reads each stored scan to draw its overlay. It writes to
// the store one thing: the audit record of the issue (or of a refusal).

#include "evidence/exhibit_history.hpp"
#include "evidence/store.hpp"
#include "surface/surface.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace microstamp {

enum class ReportFormat { pdf, html };

struct ReportOptions {
    ReportFormat format = ReportFormat::pdf;
    // Printed in the header above the agency; empty: "Agency <ORI>".
    std::string laboratory;
    // The report's date and time (ISO 8601 UTC); empty: now. Fixed, the same store gives
    // the same bytes (the PDF's creation date is this, not the clock).
    std::string issued_at;
};

struct ReportScan {
    ScanRecord record;
    std::optional<SurfaceMetadata> instrument;  // x3p Record2; none for a photograph
    std::string problem;                        // why the scan could not be opened again, if so
};

struct ReportReading {
    ReadingRecord record;
    nlohmann::json reader;                  // the reader's JSON as stored
    std::vector<std::uint8_t> overlay_png;  // drawn again from the stored scan; empty when not possible
    std::string overlay_note;               // how it was drawn, or why not
};

struct ReportLink {
    LinkRecord link;
    ExhibitRecord other;
};

struct ReportContent {
    std::string laboratory;
    CaseRecord case_record;
    ExhibitRecord exhibit;
    std::vector<CustodyEvent> custody;
    std::vector<ReportScan> scans;
    std::vector<ReportReading> readings;
    std::vector<ReportLink> links;
    ExhibitHistory history;
    std::string audit_public_key;  // hex Ed25519 key the checkpoint is signed with
    std::string examiner, examiner_role, issued_at;
};

// Everything the report prints, read as the session's user. Throws AccessError when the
// user may not read the exhibit (the store audits the refusal of the read).
ReportContent gather_report(Store& store, const Session& session, const std::string& store_url, const ExhibitKey& key,
                            const ReportOptions& options);

std::vector<std::uint8_t> render_report_pdf(const ReportContent& content);
std::string render_report_html(const ReportContent& content);

// The limitations paragraph of one reading, stated from its own figures.
std::string reading_limitations(const nlohmann::json& reader);

struct IssuedReport {
    std::vector<std::uint8_t> bytes;
    std::string sha256;              // hex, of exactly these bytes
    std::int64_t audit_sequence = 0;  // never 0 once issued
    std::string file_extension;       // "pdf" or "html"
};

// Gathers, renders and records "report.issue" (detail: the SHA-256 and format) in the
// audit log. A user who may not read the exhibit is refused; the refusal is recorded as
// "report.issue" with outcome "refused" too, and AccessError propagates.
IssuedReport issue_report(Store& store, const Session& session, const std::string& store_url, const ExhibitKey& key,
                          const ReportOptions& options = {});

struct ReportCheck {
    std::string sha256;                 // of the bytes checked
    std::optional<AuditRecord> issued;  // the record of its issue, when the store has one
};
// Whether the store issued exactly these bytes. Audited as "report.verify"; any user who
// may read evidence or audit may ask.
ReportCheck verify_report(Store& store, const Session& session, const std::string& store_url,
                          const std::vector<std::uint8_t>& bytes);

} // namespace microstamp
