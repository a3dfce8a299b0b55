// The report as one self-contained HTML page (overlays inline), for screens and for
// laboratories whose case system takes HTML.

#include "report/report_document.hpp"

#include "evidence/base64.hpp"

#include <fmt/core.h>

namespace microstamp {
namespace {

std::string escape(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
    }
    return out;
}

} // namespace

std::string render_report_html(const ReportContent& content) {
    using report::BlockKind;
    std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
                       escape(fmt::format("Examination report, case {}/{} item {}", content.case_record.agency_ori,
                                          content.case_record.case_number, content.exhibit.item_number)) +
                       "</title><style>body{font-family:sans-serif;max-width:50em;margin:2em auto;font-size:11pt}"
                       "dl{display:grid;grid-template-columns:11em 1fr;gap:.1em 1em;margin:.3em 0}dt{font-weight:bold}"
                       "dd{margin:0;overflow-wrap:anywhere}pre{font-size:8pt;overflow-x:auto}h2{border-bottom:1px solid}"
                       "img{width:3.4in}</style></head><body>\n";
    bool in_list = false;
    const auto close_list = [&] {
        if (in_list) html += "</dl>\n";
        in_list = false;
    };
    for (const report::Block& block : report::report_blocks(content)) {
        if (block.kind != BlockKind::field) close_list();
        switch (block.kind) {
        case BlockKind::title: html += "<h1>" + escape(block.text) + "</h1>\n"; break;
        case BlockKind::heading: html += "<h2>" + escape(block.text) + "</h2>\n"; break;
        case BlockKind::subheading: html += "<h3>" + escape(block.text) + "</h3>\n"; break;
        case BlockKind::paragraph: html += "<p>" + escape(block.text) + "</p>\n"; break;
        case BlockKind::field:
            if (!in_list) html += "<dl>\n";
            in_list = true;
            html += "<dt>" + escape(block.label) + "</dt><dd>" + escape(block.text) + "</dd>\n";
            break;
        case BlockKind::code: {
            html += "<pre>";
            for (const std::string& line : block.lines) html += escape(line) + "\n";
            html += "</pre>\n";
            break;
        }
        case BlockKind::image:
            html += "<figure><img alt=\"reader overlay\" src=\"data:image/png;base64," + base64(block.png) +
                    "\"><figcaption>" + escape(block.text) + "</figcaption></figure>\n";
            break;
        }
    }
    close_list();
    html += "<footer><p>" + escape(report::report_footer(content)) + "</p></footer>\n</body></html>\n";
    return html;
}

} // namespace microstamp
