// Links between items and the searches that suggest them: exact identity and partial serial.

#include "evidence/store_state.hpp"

#include <fmt/core.h>

#include <cmath>

namespace microstamp {

LinkRecord Store::link(const Session& session, const ExhibitKey& first, const ExhibitKey& second, LinkBasis basis,
                       std::optional<double> likelihood_ratio, const std::string& note_text) {
    const std::string object = "case " + first.case_key.case_number + " item " + first.item_number + " ~ case " +
                               second.case_key.case_number + " item " + second.item_number;
    return state_->perform(
        session, Permission::handle_evidence, "link.add", object, [&](Transaction& transaction, AuditNote& note) {
            require_optional_text("link note", note_text);
            const ExhibitRecord a = state_->find_exhibit(transaction, session, first);
            const ExhibitRecord b = state_->find_exhibit(transaction, session, second);
            if (a.id == b.id) throw InputError("an item cannot be linked to itself");
            std::string basis_name;
            if (basis == LinkBasis::identical_identity) {
                if (likelihood_ratio) throw InputError("a link by identical identity takes no likelihood ratio");
                const Rows shared = transaction.query(
                    "SELECT r1.manufacturer_code, r1.model_code, r1.serial FROM readings r1 JOIN readings r2 "
                    "ON r1.manufacturer_code = r2.manufacturer_code AND r1.model_code = r2.model_code AND "
                    "r1.serial = r2.serial WHERE r1.exhibit_id = $1 AND r2.exhibit_id = $2 AND "
                    "r1.status = 'decoded' AND r2.status = 'decoded' LIMIT 1",
                    {a.id, b.id});
                if (shared.empty())
                    throw InputError("the two items share no decoded identity: link them with a likelihood ratio instead");
                basis_name = "identical_identity";
                note.detail = fmt::format("identical identity {}/{}/{}", as_integer(shared[0][0]),
                                          as_integer(shared[0][1]), as_text(shared[0][2]));
            } else {
                if (!likelihood_ratio || !std::isfinite(*likelihood_ratio) || *likelihood_ratio <= 0)
                    throw InputError("a link by likelihood ratio needs a positive, finite ratio");
                basis_name = "likelihood_ratio";
                note.detail = fmt::format("likelihood ratio {}", *likelihood_ratio);
            }
            return state_->insert_link(transaction, a.id, b.id, basis_name, likelihood_ratio, note_text, session.user());
        });
}

namespace {

std::string identity_object(const IdentityQuery& query) {
    return fmt::format("identity {}/{}/{}", query.manufacturer_code, query.model_code, query.serial);
}

std::vector<IdentityMatch> identity_matches(Transaction& transaction, const IdentityQuery& query) {
    static const std::string sql = "SELECT " + std::string(exhibit_columns) +
                                   ", r.id, r.status FROM readings r JOIN exhibits e ON e.id = r.exhibit_id "
                                   "JOIN cases c ON c.id = e.case_id WHERE r.manufacturer_code = $1 AND "
                                   "r.model_code = $2 AND r.serial = $3 ORDER BY r.id";
    std::vector<IdentityMatch> matches;
    for (const Row& row : transaction.query(
             sql, {std::int64_t{query.manufacturer_code}, std::int64_t{query.model_code}, query.serial}))
        matches.push_back({exhibit_from_row(row), as_integer(row[10]), as_text(row[11])});
    return matches;
}

// Many lookups to a statement: the queries travel as a VALUES list joined to the
// readings, so PostgreSQL answers a chunk in one round trip instead of one per lookup,
// and SQLite runs one statement per chunk. Full chunks share one (prepared) text.
constexpr std::size_t lookups_per_statement = 64;

std::string identity_batch_sql(std::size_t count) {
    std::string sql = "WITH q (query_index, manufacturer_code, model_code, serial) AS (VALUES ";
    for (std::size_t i = 0; i < count; ++i)
        sql += fmt::format("{}(CAST(${} AS INTEGER), CAST(${} AS INTEGER), CAST(${} AS INTEGER), CAST(${} AS TEXT))",
                           i == 0 ? "" : ", ", 4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4);
    return sql + ") SELECT " + std::string(exhibit_columns) +
           ", r.id, r.status, q.query_index FROM q JOIN readings r ON r.manufacturer_code = q.manufacturer_code AND "
           "r.model_code = q.model_code AND r.serial = q.serial JOIN exhibits e ON e.id = r.exhibit_id "
           "JOIN cases c ON c.id = e.case_id ORDER BY q.query_index, r.id";
}

std::vector<std::vector<IdentityMatch>> identity_matches(Transaction& transaction, std::span<const IdentityQuery> queries) {
    static const std::string full_chunk = identity_batch_sql(lookups_per_statement);
    std::vector<std::vector<IdentityMatch>> results(queries.size());
    for (std::size_t start = 0; start < queries.size(); start += lookups_per_statement) {
        const std::size_t count = std::min(lookups_per_statement, queries.size() - start);
        Parameters parameters;
        parameters.reserve(4 * count);
        for (std::size_t i = start; i < start + count; ++i)
            parameters.insert(parameters.end(), {static_cast<std::int64_t>(i), std::int64_t{queries[i].manufacturer_code},
                                                 std::int64_t{queries[i].model_code}, queries[i].serial});
        for (const Row& row :
             transaction.query(count == lookups_per_statement ? full_chunk : identity_batch_sql(count), parameters))
            results[static_cast<std::size_t>(as_integer(row[12]))].push_back(
                {exhibit_from_row(row), as_integer(row[10]), as_text(row[11])});
    }
    return results;
}

} // namespace

std::vector<IdentityMatch> Store::find_identity(const Session& session, std::uint16_t manufacturer_code,
                                                std::uint16_t model_code, const std::string& serial) {
    const IdentityQuery query{manufacturer_code, model_code, serial};
    return state_->perform(session, Permission::read_evidence, "search.identity", identity_object(query),
                           [&](Transaction& transaction, AuditNote& note) {
                               std::vector<IdentityMatch> matches = identity_matches(transaction, query);
                               note.detail = fmt::format("{} matches", matches.size());
                               return matches;
                           });
}

std::vector<std::vector<IdentityMatch>> Store::find_identities(const Session& session,
                                                               std::span<const IdentityQuery> queries) {
    if (queries.empty()) return {};
    return state_->perform(session, Permission::read_evidence, "search.identity",
                           fmt::format("{} identities", queries.size()),
                           [&](Transaction& transaction, AuditNote& note) {
                               std::vector<std::vector<IdentityMatch>> results = identity_matches(transaction, queries);
                               note.each.reserve(queries.size());
                               for (std::size_t i = 0; i < queries.size(); ++i)
                                   note.each.push_back({identity_object(queries[i]),
                                                        fmt::format("{} matches", results[i].size())});
                               return results;
                           });
}

std::vector<Candidate> Store::search_partial(const Session& session, const PartialQuery& query) {
    const std::string pattern = normalise_serial_pattern(query.serial_pattern);
    return state_->perform(session, Permission::read_evidence, "search.partial", "serial pattern " + pattern,
                           [&](Transaction& transaction, AuditNote& note) {
                               state_->refresh_serial_index(transaction);
                               std::vector<Candidate> candidates;
                               for (const auto& ranked :
                                    state_->serial_index.rank(pattern, query.model, query.limit, query.manufacturer_code,
                                                              query.model_code))
                                   candidates.push_back({state_->exhibit_by_id(transaction, ranked.exhibit_id),
                                                         ranked.serial, ranked.manufacturer_code, ranked.model_code,
                                                         ranked.score});
                               note.detail = fmt::format("{} candidates of {} readings", candidates.size(),
                                                         state_->serial_index.size());
                               return candidates;
                           });
}


} // namespace microstamp
