#include "study/results.hpp"

#include "code/identity.hpp"
#include "surface/image.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <fmt/core.h>
#include <fstream>

namespace microstamp {
namespace {

constexpr std::array<std::string_view, outcome_count> outcome_names = {"correct", "wrong", "misread_key", "locations_disagree",
                                                                       "partial", "defaced", "no_stamp", "unreadable",
                                                                       "no_reader"};
constexpr std::string_view journal_tag = "# microstamp-study journal v1";

template <typename Number>
Number parse_number(const std::string& text, const char* column) {
    Number value{};
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size())
        throw InputError(fmt::format("results row: column '{}' holds '{}', not a number", column, text));
    return value;
}

} // namespace

std::string_view outcome_name(Outcome outcome) { return outcome_names[static_cast<std::size_t>(outcome)]; }

Outcome parse_outcome(std::string_view text) {
    for (std::size_t index = 0; index < outcome_names.size(); ++index)
        if (outcome_names[index] == text) return static_cast<Outcome>(index);
    throw InputError(fmt::format("results row: '{}' is not an outcome", text));
}

std::vector<std::string> result_columns(bool with_soft_cells) {
    std::vector<std::string> columns = {"casing", "reads", "cell", "pistol", "shot", "seed", "firearm", "ammunition",
                                        "designs", "reader", "rounds", "defeat", "scan", "spacing_um", "file",
                                        "expected", "expected_key", "status", "outcome", "read", "errors", "erasures",
                                        "erased_sectors", "unused_capacity", "decision_margin"};
    if (with_soft_cells) columns.push_back("soft_cells");
    return columns;
}

std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (const char character : text) {
        if (character == '"') quoted += '"';
        quoted += character;
    }
    return quoted + '"';
}

std::vector<std::string> split_csv_line(const std::string& line) {
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (std::size_t index = 0; index < line.size(); ++index) {
        const char character = line[index];
        if (quoted) {
            if (character == '"' && index + 1 < line.size() && line[index + 1] == '"') {
                fields.back() += '"';
                ++index;
            } else if (character == '"') {
                quoted = false;
            } else {
                fields.back() += character;
            }
        } else if (character == '"') {
            quoted = true;
        } else if (character == ',') {
            fields.emplace_back();
        } else if (character != '\r') {
            fields.back() += character;
        }
    }
    if (quoted) throw InputError("CSV line ends inside a quoted field");
    return fields;
}

std::string csv_header(bool with_soft_cells) {
    std::string header;
    for (const auto& column : result_columns(with_soft_cells)) header += (header.empty() ? "" : ",") + column;
    return header;
}

std::string csv_line(const ResultRow& row, bool with_soft_cells) {
    // {} prints the shortest text that reads back as the same double.
    std::string line = fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}", row.casing,
                                   row.reads, row.cell, row.pistol, row.shot, row.seed, csv_field(row.firearm),
                                   csv_field(row.ammunition), csv_field(row.designs), csv_field(row.reader), row.rounds,
                                   csv_field(row.defeat), csv_field(row.scan), row.spacing_um, csv_field(row.file),
                                   csv_field(row.expected), csv_field(row.expected_key), csv_field(row.status),
                                   outcome_name(row.outcome), csv_field(row.read), row.errors, row.erasures,
                                   row.erased_sectors, row.unused_capacity, row.decision_margin);
    if (with_soft_cells) line += "," + row.soft_cells;
    return line;
}

ResultRow parse_csv_line(const std::string& line) {
    const auto fields = split_csv_line(line);
    const auto columns = result_columns(true);
    if (fields.size() != columns.size() && fields.size() + 1 != columns.size())
        throw InputError(fmt::format("results row has {} columns, not {}", fields.size(), columns.size()));
    ResultRow row;
    std::size_t at = 0;
    auto next = [&] { return fields[at++]; };
    row.casing = parse_number<long>(next(), "casing");
    row.reads = parse_number<int>(next(), "reads");
    row.cell = parse_number<int>(next(), "cell");
    row.pistol = parse_number<int>(next(), "pistol");
    row.shot = parse_number<long>(next(), "shot");
    row.seed = parse_number<std::uint64_t>(next(), "seed");
    row.firearm = next();
    row.ammunition = next();
    row.designs = next();
    row.reader = next();
    row.rounds = parse_number<long>(next(), "rounds");
    row.defeat = next();
    row.scan = next();
    row.spacing_um = parse_number<double>(next(), "spacing_um");
    row.file = next();
    row.expected = next();
    row.expected_key = next();
    row.status = next();
    row.outcome = parse_outcome(next());
    row.read = next();
    row.errors = parse_number<int>(next(), "errors");
    row.erasures = parse_number<int>(next(), "erasures");
    row.erased_sectors = parse_number<int>(next(), "erased_sectors");
    row.unused_capacity = parse_number<int>(next(), "unused_capacity");
    row.decision_margin = parse_number<double>(next(), "decision_margin");
    if (at < fields.size()) row.soft_cells = next();
    return row;
}

nlohmann::json to_json(const ResultRow& row) {
    nlohmann::json json = {{"casing", row.casing},
                           {"cell", row.cell},
                           {"pistol", row.pistol},
                           {"shot", row.shot},
                           {"seed", row.seed},
                           {"firearm", row.firearm},
                           {"ammunition", row.ammunition},
                           {"designs", row.designs},
                           {"reader", row.reader},
                           {"rounds", row.rounds},
                           {"defeat", row.defeat},
                           {"scan", row.scan},
                           {"spacing_um", row.spacing_um},
                           {"expected", row.expected},
                           {"expected_key", row.expected_key},
                           {"status", row.status},
                           {"outcome", outcome_name(row.outcome)},
                           {"read", row.read},
                           {"errors", row.errors},
                           {"erasures", row.erasures},
                           {"erased_sectors", row.erased_sectors},
                           {"unused_capacity", row.unused_capacity},
                           {"decision_margin", row.decision_margin}};
    if (!row.file.empty()) json["file"] = row.file;
    return json;
}

std::string journal_first_line(const std::string& study_sha256, std::size_t casings) {
    return fmt::format("{} sha256={} casings={}", journal_tag, study_sha256, casings);
}

Journal read_journal(const std::filesystem::path& path, const std::string& study_sha256, std::size_t casings) {
    Journal journal;
    std::ifstream file(path, std::ios::binary);
    if (!file) return journal;
    std::string line;
    if (!std::getline(file, line) || line.rfind(journal_tag, 0) != 0)
        throw InputError(fmt::format("{} is not a study journal; remove it or choose another --out", path.string()));
    if (line != journal_first_line(study_sha256, casings))
        throw InputError(fmt::format("{} belongs to another version of the study file (its first line: '{}'); "
                                     "choose another --out or remove it to start again", path.string(), line));
    std::getline(file, line);  // the column header
    std::vector<ResultRow> rows;
    while (std::getline(file, line)) {
        if (file.eof()) break;  // a last line with no newline was cut short
        try {
            rows.push_back(parse_csv_line(line));
        } catch (const InputError&) {
            continue;  // a line torn by a crash; its casing is done again
        }
    }
    // A casing counts only with all of its rows.
    std::map<long, int> seen;
    for (const auto& row : rows) ++seen[row.casing];
    for (auto& row : rows)
        if (seen[row.casing] == row.reads) {
            journal.completed.insert(row.casing);
            journal.rows.push_back(std::move(row));
        }
    return journal;
}

void write_journal(const std::filesystem::path& path, const std::string& study_sha256, std::size_t casings,
                   const std::vector<ResultRow>& rows) {
    std::string text = journal_first_line(study_sha256, casings) + '\n' + csv_header(true) + '\n';
    for (const auto& row : rows) text += csv_line(row, true) + '\n';
    write_file_atomically(path, text.data(), text.size());
}

std::vector<ResultRow> read_results_csv(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw FileError(fmt::format("{}: cannot read it", path.string()));
    std::string line;
    if (!std::getline(file, line) || line != csv_header(false))
        throw InputError(fmt::format("{}: not a study's results.csv (its first line is not the results header)", path.string()));
    std::vector<ResultRow> rows;
    for (long number = 2; std::getline(file, line); ++number) {
        try {
            rows.push_back(parse_csv_line(line));
        } catch (const InputError& error) {
            throw InputError(fmt::format("{}, line {}: {}", path.string(), number, error.what()));
        }
    }
    return rows;
}

void sort_rows(std::vector<ResultRow>& rows) {
    std::stable_sort(rows.begin(), rows.end(), [](const ResultRow& a, const ResultRow& b) {
        return a.casing != b.casing ? a.casing < b.casing : a.reader < b.reader;
    });
}

} // namespace microstamp
