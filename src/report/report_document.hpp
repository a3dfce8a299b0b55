#pragma once
// The report as a list of blocks, in reading order: what both renderers (PDF and HTML)
// lay out, so the two formats say the same thing in the same words.

#include "report/report.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace microstamp::report {

enum class BlockKind {
    title,      // the report's name, once
    heading,    // a section
    subheading, // one scan, reading, link ... within a section
    field,      // label: value
    paragraph,  // wrapped prose
    code,       // monospaced lines kept together on one page, never wrapped (proofs)
    image,      // a PNG at print resolution, with a caption
};

struct Block {
    BlockKind kind = BlockKind::paragraph;
    std::string text = {};             // title, heading, paragraph, caption; the field's value
    std::string label = {};            // field label
    std::vector<std::string> lines = {};  // code
    std::vector<std::uint8_t> png = {};   // image
    double width_inches = 0;           // image: printed width
};

std::vector<Block> report_blocks(const ReportContent& content);

// The line at the foot of every page, before "page N of M".
std::string report_footer(const ReportContent& content);

// Markers around each proof: a reader copies the lines between them into a file.
std::string proof_begin_marker(std::int64_t sequence);
std::string proof_end_marker(std::int64_t sequence);

} // namespace microstamp::report
