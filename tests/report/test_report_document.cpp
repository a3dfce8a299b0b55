// The report's content as values: a partial reading prints its leads and says it names no
// identity; the same content gives the same PDF bytes (so a hash taken later is of a
// reproducible file).

#include "report/report.hpp"

#include <gtest/gtest.h>

#include <string>

namespace microstamp::testing {
namespace {

ReportContent partial_content() {
    ReportContent content;
    content.laboratory = "Pine County Crime Laboratory";
    content.case_record = {1, "WA0010000", "26-1125", "5212", "2026-11-25T23:00:00.000Z", "avery"};
    content.exhibit.item_number = "4";
    content.exhibit.agency_ori = "WA0010000";
    content.exhibit.case_number = "26-1125";
    content.examiner = "avery";
    content.examiner_role = "examiner";
    content.issued_at = "2026-12-01T09:00:00Z";
    ReportReading reading;
    reading.record.id = 7;
    reading.record.status = "partial";
    reading.record.reader_version = "0.1.0";
    reading.reader = nlohmann::json::parse(R"({"status": "partial", "design": "ring", "confidence": 0,
        "false_identity_bound": 0, "unused_capacity": 0, "parity_symbols": 33, "decision_margin": 0, "errors": 0,
        "erasures": 21, "stamp_fields": {"manufacturer_code": 2, "model_code": 229, "serial": "58A-1?4233"},
        "leads": [{"manufacturer_code": 2, "model_code": 229, "serial_pattern": "58A-1?4233", "likelihood": 0.625,
                   "payload_bytes_read": 9, "manufacturer": "SIG Sauer", "model": "P229"}]})");
    reading.overlay_note = "No overlay: the reading is not of a stored scan.";
    content.readings.push_back(reading);
    return content;
}

TEST(ReportDocument, APartialReadingPrintsItsLeadsAndNamesNoIdentity) {
    const std::string html = render_report_html(partial_content());
    EXPECT_NE(html.find("<dt>Partial lead 1</dt><dd>SIG Sauer P229, serial pattern 58A-1?4233 (codes 2/229), "
                        "likelihood 0.625, 9 payload bytes read</dd>"),
              std::string::npos)
        << html;
    EXPECT_NE(html.find("the reading names no identity"), std::string::npos);
    EXPECT_NE(html.find("not identifications"), std::string::npos);
    EXPECT_EQ(html.find("<dt>Field confidence</dt>"), std::string::npos) << "a partial reading has no per-field confidence";
}

TEST(ReportDocument, TheSameContentGivesTheSamePdfBytes) {
    const auto first = render_report_pdf(partial_content());
    const auto second = render_report_pdf(partial_content());
    ASSERT_GT(first.size(), 1000U);
    EXPECT_EQ(std::string(first.begin(), first.begin() + 5), "%PDF-");
    EXPECT_EQ(first, second);
    ReportContent later = partial_content();
    later.issued_at = "2026-12-02T09:00:00Z";
    EXPECT_NE(render_report_pdf(later), first) << "the date is printed and embedded";
}

} // namespace
} // namespace microstamp::testing
