#include "report/report_document.hpp"

#include <fmt/core.h>

namespace microstamp::report {
namespace {

// Figures print as the shortest text that reads back to the same double, so a reader can
// compare them with the store's JSON digit for digit.
std::string figure(const nlohmann::json& value) {
    if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
    if (value.is_number()) return fmt::format("{}", value.get<double>());
    if (value.is_string()) return value.get<std::string>();
    if (value.is_null()) return "-";
    return value.dump();
}

std::string figure_at(const nlohmann::json& object, const char* pointer) {
    const nlohmann::json::json_pointer at(pointer);
    if (!object.is_object() || !object.contains(at)) return "-";
    return figure(object[at]);
}

Block field(std::string label, std::string value) {
    Block block{BlockKind::field};
    block.label = std::move(label);
    block.text = value.empty() ? "-" : std::move(value);
    return block;
}
Block text_block(BlockKind kind, std::string text) {
    Block block{kind};
    block.text = std::move(text);
    return block;
}

std::string item_name(const ExhibitRecord& exhibit) {
    return "item " + exhibit.item_number + " of case " + exhibit.agency_ori + "/" + exhibit.case_number;
}

void add_header(std::vector<Block>& blocks, const ReportContent& content) {
    blocks.push_back(text_block(BlockKind::title, "Firearm microstamp examination report"));
    blocks.push_back(field("Laboratory", content.laboratory));
    blocks.push_back(field("Agency (ORI)", content.case_record.agency_ori));
    blocks.push_back(field("Case", content.case_record.case_number));
    blocks.push_back(field("Item", content.exhibit.item_number));
    blocks.push_back(field("Offense (NCIC)", content.case_record.offense_code));
    blocks.push_back(field("Case opened", content.case_record.opened_at + " by " + content.case_record.opened_by));
    blocks.push_back(field("Examiner", content.examiner + " (" + content.examiner_role + ")"));
    blocks.push_back(field("Report date", content.issued_at));
}

void add_exhibit(std::vector<Block>& blocks, const ReportContent& content) {
    blocks.push_back(text_block(BlockKind::heading, "Exhibit"));
    blocks.push_back(field("Description", content.exhibit.description));
    blocks.push_back(field("Collected at", content.exhibit.collected_at));
    blocks.push_back(field("Collected from", content.exhibit.collected_place));
    blocks.push_back(field("Recorded", content.exhibit.created_at + " by " + content.exhibit.created_by));
}

void add_custody(std::vector<Block>& blocks, const ReportContent& content) {
    blocks.push_back(text_block(BlockKind::heading, "Chain of custody"));
    if (content.custody.empty())
        blocks.push_back(text_block(BlockKind::paragraph, "No transfer has been recorded since the item was collected."));
    int number = 0;
    for (const CustodyEvent& event : content.custody)
        blocks.push_back(field(fmt::format("Transfer {}", ++number),
                               fmt::format("{}: from {} to {}, {}. Recorded {} by {}.", event.happened_at, event.from,
                                           event.to, event.purpose, event.recorded_at, event.recorded_by)));
}

void add_scans(std::vector<Block>& blocks, const ReportContent& content) {
    blocks.push_back(text_block(BlockKind::heading, "Scans"));
    if (content.scans.empty()) blocks.push_back(text_block(BlockKind::paragraph, "The item has no stored scan."));
    for (const ReportScan& scan : content.scans) {
        blocks.push_back(text_block(BlockKind::subheading, "Scan " + scan.record.file_name));
        blocks.push_back(field("File name", scan.record.file_name));
        blocks.push_back(field("Format", scan.record.format));
        blocks.push_back(field("Size", fmt::format("{} bytes", scan.record.size_bytes)));
        blocks.push_back(field("SHA-256", scan.record.sha256));
        blocks.push_back(field("Contents", scan.record.summary));
        blocks.push_back(field("Acquired", scan.record.acquired_at + " by " + scan.record.acquired_by));
        if (scan.instrument) {
            const SurfaceMetadata& meta = *scan.instrument;
            blocks.push_back(field("Instrument", meta.instrument_manufacturer + " " + meta.instrument_model));
            blocks.push_back(field("Instrument serial", meta.instrument_serial));
            blocks.push_back(field("Instrument version", meta.instrument_version));
            blocks.push_back(field("Calibration date", meta.calibration_date));
            blocks.push_back(field("Probing system", meta.probing_system));
            blocks.push_back(field("Measured", meta.date + (meta.creator.empty() ? "" : " by " + meta.creator)));
            if (!meta.comment.empty()) blocks.push_back(field("Instrument comment", meta.comment));
        }
        if (!scan.problem.empty()) blocks.push_back(field("Note", scan.problem));
    }
}

std::string identity_text(const nlohmann::json& reader) {
    for (const char* key : {"identity", "stamp_fields"}) {
        if (!reader.contains(key) || !reader[key].is_object()) continue;
        const nlohmann::json& identity = reader[key];
        std::string name;
        if (identity.contains("manufacturer")) name = figure(identity["manufacturer"]) + " " + figure(identity["model"]) + ", ";
        return name + "serial " + figure_at(identity, "/serial") + " (manufacturer code " +
               figure_at(identity, "/manufacturer_code") + ", model code " + figure_at(identity, "/model_code") + ")";
    }
    return "none";
}

void add_reading(std::vector<Block>& blocks, const ReportReading& reading, int number) {
    const nlohmann::json& reader = reading.reader;
    blocks.push_back(text_block(BlockKind::subheading,
                                fmt::format("Reading {} (record {}, {} by {})", number, reading.record.id,
                                            reading.record.recorded_at, reading.record.recorded_by)));
    blocks.push_back(field("Status", reading.record.status));
    blocks.push_back(field("Identity", identity_text(reader)));
    if (reader.contains("/identity/field_confidence"_json_pointer))
        blocks.push_back(field("Field confidence",
                               "manufacturer " + figure_at(reader, "/identity/field_confidence/manufacturer") +
                                   ", model " + figure_at(reader, "/identity/field_confidence/model") + ", serial " +
                                   figure_at(reader, "/identity/field_confidence/serial")));
    blocks.push_back(field("Confidence", figure_at(reader, "/confidence")));
    blocks.push_back(field("False-identity bound", figure_at(reader, "/false_identity_bound")));
    blocks.push_back(field("Unused error correction", figure_at(reader, "/unused_capacity") + " of " +
                                                          figure_at(reader, "/parity_symbols") + " parity symbols"));
    blocks.push_back(field("Decision margin", figure_at(reader, "/decision_margin")));
    blocks.push_back(field("Errors, erasures", figure_at(reader, "/errors") + " errors, " +
                                                   figure_at(reader, "/erasures") + " erasures"));
    blocks.push_back(field("Design", figure_at(reader, "/design")));
    blocks.push_back(field("Reader version", reading.record.reader_version));
    blocks.push_back(field("Scan", reading.record.scan_sha256.empty() ? "not a stored scan" : reading.record.scan_sha256));
    if (reader.contains("failure")) blocks.push_back(field("Failure", figure(reader["failure"])));
    if (reader.contains("leads") && reader["leads"].is_array() && !reader["leads"].empty()) {
        int lead_number = 0;
        for (const nlohmann::json& lead : reader["leads"]) {
            std::string name = lead.contains("manufacturer") ? figure(lead["manufacturer"]) + " " + figure(lead["model"]) + ", "
                                                             : "";
            blocks.push_back(field(fmt::format("Partial lead {}", ++lead_number),
                                   name + "serial pattern " + figure_at(lead, "/serial_pattern") + " (codes " +
                                       figure_at(lead, "/manufacturer_code") + "/" + figure_at(lead, "/model_code") +
                                       "), likelihood " + figure_at(lead, "/likelihood") + ", " +
                                       figure_at(lead, "/payload_bytes_read") + " payload bytes read"));
        }
    }
    if (!reading.overlay_png.empty()) {
        Block image{BlockKind::image};
        image.png = reading.overlay_png;
        image.width_inches = 3.4;  // 512 pixels: about 150 per inch on paper
        image.text = reading.overlay_note;
        blocks.push_back(std::move(image));
    } else {
        blocks.push_back(field("Overlay", reading.overlay_note));
    }
    blocks.push_back(field("Limitations", reading_limitations(reader)));
}

void add_links(std::vector<Block>& blocks, const ReportContent& content) {
    blocks.push_back(text_block(BlockKind::heading, "Links to other items and cases"));
    if (content.links.empty()) blocks.push_back(text_block(BlockKind::paragraph, "The item is linked to no other item."));
    int number = 0;
    for (const ReportLink& link : content.links) {
        const std::string ratio =
            link.link.likelihood_ratio ? "likelihood ratio " + fmt::format("{}", *link.link.likelihood_ratio) : "no likelihood ratio";
        blocks.push_back(field(fmt::format("Link {}", ++number),
                               fmt::format("{}: {}, {}{}. Recorded {} by {}.", item_name(link.other), link.link.basis,
                                           ratio, link.link.note.empty() ? "" : "; " + link.link.note,
                                           link.link.created_at, link.link.created_by)));
    }
}

void add_trace_requests(std::vector<Block>& blocks, const ReportContent& content) {
    blocks.push_back(text_block(BlockKind::heading, "Trace requests issued"));
    if (content.history.trace_requests.empty())
        blocks.push_back(text_block(BlockKind::paragraph, "No trace request has been issued for the item."));
    for (const TraceRequest& request : content.history.trace_requests)
        blocks.push_back(field(fmt::format("Request {}", request.id),
                               fmt::format("{} {} {} serial {} ({}, {}), {} priority, officer {}{}. Issued {} by {}.",
                                           request.manufacturer, request.model, request.firearm_type, request.serial,
                                           request.caliber, request.offense_code, request.priority, request.officer,
                                           request.obliterated ? ", serial obliterated on the firearm" : "",
                                           request.created_at, request.created_by)));
}

std::vector<std::string> proof_lines(const InclusionProof& proof, const std::string& public_key) {
    const nlohmann::json json = {{"format", "microstamp-audit-inclusion-proof v1"},
                                 {"record",
                                  {{"sequence", proof.record.sequence},
                                   {"recorded_at", proof.record.recorded_at},
                                   {"user", proof.record.user},
                                   {"role", proof.record.role},
                                   {"action", proof.record.action},
                                   {"object", proof.record.object},
                                   {"outcome", proof.record.outcome},
                                   {"detail", proof.record.detail},
                                   {"previous_hash", proof.record.previous_hash},
                                   {"entry_hash", proof.record.entry_hash}}},
                                 {"tree_size", proof.tree_size},
                                 {"root_hash", proof.root_hash},
                                 {"checkpoint_signature", proof.checkpoint_signature},
                                 {"path", proof.path},
                                 {"public_key", public_key}};
    std::vector<std::string> lines{proof_begin_marker(proof.record.sequence)};
    const std::string text = json.dump(1);
    for (std::size_t start = 0; start < text.size();) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    lines.push_back(proof_end_marker(proof.record.sequence));
    return lines;
}

void add_verification(std::vector<Block>& blocks, const ReportContent& content) {
    const ExhibitHistory& history = content.history;
    blocks.push_back(text_block(BlockKind::heading, "Verification"));
    blocks.push_back(text_block(
        BlockKind::paragraph,
        "Every action on this item is a record in the store's audit log, a hash chain under an RFC 6962 Merkle tree "
        "whose head is signed with the laboratory's Ed25519 key. The records naming the item are listed below by "
        "sequence number; each is followed by its inclusion proof against the latest signed checkpoint. To re-check one, "
        "copy the lines between its BEGIN and END markers into a file and run "
        "`microstamp case audit --public-key KEY check-proof FILE`, with KEY the laboratory's public key obtained "
        "independently of this report. This report's own issue is recorded after it was written, with its SHA-256; "
        "`microstamp case report-verify FILE` checks a copy against the store."));
    Block table{BlockKind::code};
    table.lines.push_back(fmt::format("{:>8}  {:<24}  {:<22}  {:<22}  {}", "sequence", "recorded at (UTC)", "user (role)",
                                      "action", "outcome"));
    for (const AuditRecord& record : history.audit_records)
        table.lines.push_back(fmt::format("{:>8}  {:<24}  {:<22}  {:<22}  {}", record.sequence, record.recorded_at,
                                          record.user + " (" + record.role + ")", record.action, record.outcome));
    blocks.push_back(std::move(table));
    if (!history.checkpoint) {
        blocks.push_back(text_block(BlockKind::paragraph,
                                    "The store holds no signed checkpoint yet: no inclusion proof can be given."));
        return;
    }
    blocks.push_back(field("Checkpoint", fmt::format("tree size {}, signed {}", history.checkpoint->tree_size,
                                                     history.checkpoint->signed_at)));
    blocks.push_back(field("Root hash", history.checkpoint->root_hash));
    blocks.push_back(field("Public key", content.audit_public_key));
    for (const InclusionProof& proof : history.proofs) {
        Block block{BlockKind::code};
        block.lines = proof_lines(proof, content.audit_public_key);
        blocks.push_back(std::move(block));
    }
    if (history.proofs.size() < history.audit_records.size())
        blocks.push_back(text_block(BlockKind::paragraph,
                                    fmt::format("{} record(s) came after the checkpoint and are proved by a later one.",
                                                history.audit_records.size() - history.proofs.size())));
}

} // namespace

std::string proof_begin_marker(std::int64_t sequence) {
    return fmt::format("-----BEGIN AUDIT PROOF {}-----", sequence);
}
std::string proof_end_marker(std::int64_t sequence) { return fmt::format("-----END AUDIT PROOF {}-----", sequence); }

std::string report_footer(const ReportContent& content) {
    return fmt::format("Case {}/{} item {}. Issued {} by {} ({}).", content.case_record.agency_ori,
                       content.case_record.case_number, content.exhibit.item_number, content.issued_at,
                       content.examiner, content.examiner_role);
}

std::vector<Block> report_blocks(const ReportContent& content) {
    std::vector<Block> blocks;
    add_header(blocks, content);
    add_exhibit(blocks, content);
    add_custody(blocks, content);
    add_scans(blocks, content);
    blocks.push_back(text_block(BlockKind::heading, "Readings"));
    if (content.readings.empty()) blocks.push_back(text_block(BlockKind::paragraph, "The item has no reading."));
    int number = 0;
    for (const ReportReading& reading : content.readings) add_reading(blocks, reading, ++number);
    add_links(blocks, content);
    add_trace_requests(blocks, content);
    add_verification(blocks, content);
    return blocks;
}

} // namespace microstamp::report
