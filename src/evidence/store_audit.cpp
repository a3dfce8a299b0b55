// The audit log read back: checkpoints, verification and inclusion proofs.

#include "evidence/store_state.hpp"

#include <fmt/core.h>

namespace microstamp {

std::optional<Checkpoint> Store::checkpoint() {
    if (!state_->signing_key)
        throw StoreError("no audit signing key for " + state_->location.display +
                         ": give --signing-key FILE or set MICROSTAMP_SIGNING_KEY_FILE");
    std::optional<Checkpoint> signed_checkpoint;
    state_->database->transact(TransactionMode::write, [&](Transaction& transaction) {
        const Head head = state_->lock_head(transaction);
        if (head.size == 0) return;
        if (!transaction.query("SELECT 1 FROM audit_checkpoints WHERE tree_size = $1", {head.size}).empty()) return;
        signed_checkpoint = state_->insert_checkpoint(transaction, head);
    });
    return signed_checkpoint;
}

namespace {

struct AuditSnapshot {
    std::vector<AuditRecord> records;
    std::vector<Checkpoint> checkpoints;
    AuditHead head;
};

AuditSnapshot read_audit(Transaction& transaction) {
    AuditSnapshot snapshot;
    for (const Row& row : transaction.query("SELECT sequence, recorded_at, user_name, role, action, object, outcome, "
                                            "detail, previous_hash, entry_hash FROM audit_log ORDER BY sequence"))
        snapshot.records.push_back(audit_from_row(row));
    for (const Row& row : transaction.query("SELECT tree_size, root_hash, signed_at, signature FROM "
                                            "audit_checkpoints ORDER BY tree_size"))
        snapshot.checkpoints.push_back({as_integer(row[0]), as_text(row[1]), as_text(row[2]), as_text(row[3])});
    const Rows head = transaction.query("SELECT size, last_hash FROM audit_head WHERE singleton = 1");
    if (!head.empty()) snapshot.head = {as_integer(head[0][0]), as_text(head[0][1])};
    return snapshot;
}

} // namespace

AuditVerification Store::verify_audit(const Session& session, std::optional<std::vector<std::uint8_t>> pinned_public_key) {
    state_->check_session(session, state_.get());
    if (!role_allows(session.role(), Permission::audit))
        state_->perform(session, Permission::audit, "audit.verify", "audit log", [](Transaction&, AuditNote&) { return 0; });
    AuditSnapshot snapshot;
    state_->database->transact(TransactionMode::read, [&](Transaction& transaction) { snapshot = read_audit(transaction); });
    const std::vector<std::uint8_t> key = pinned_public_key ? *pinned_public_key : state_->public_key;
    const AuditVerification verification = verify_audit_log(snapshot.records, snapshot.checkpoints, snapshot.head, key);
    const std::string detail = verification.intact ? fmt::format("intact: {} records, {} checkpoints",
                                                                 verification.records, verification.checkpoints)
                                                   : "BROKEN: " + verification.problem;
    // The verdict must reach the auditor even when the damage stops the log taking a record.
    try {
        state_->append_alone(session.user(), std::string(role_name(session.role())), "audit.verify", "audit log",
                             verification.intact ? "success" : "failure", detail);
    } catch (const StoreError&) {
        if (verification.intact) throw;
    }
    return verification;
}

InclusionProof Store::prove_record(const Session& session, std::int64_t sequence) {
    if (role_allows(session.role(), Permission::audit) && state_->signing_key) {
        bool covered = false;
        state_->database->transact(TransactionMode::read, [&](Transaction& transaction) {
            const Rows rows = transaction.query("SELECT COALESCE(MAX(tree_size), 0) FROM audit_checkpoints");
            covered = as_integer(rows[0][0]) >= sequence;
        });
        if (!covered) checkpoint();
    }
    return state_->perform(
        session, Permission::audit, "audit.prove", fmt::format("record {}", sequence),
        [&](Transaction& transaction, AuditNote& note) {
            const AuditSnapshot snapshot = read_audit(transaction);
            if (sequence < 1 || sequence > static_cast<std::int64_t>(snapshot.records.size()))
                throw InputError(fmt::format("the audit log has no record {} (it holds {})", sequence,
                                             snapshot.records.size()));
            const Checkpoint* against = nullptr;
            for (const auto& checkpoint : snapshot.checkpoints)
                if (checkpoint.tree_size >= sequence) {
                    against = &checkpoint;
                    break;
                }
            if (!against)
                throw InputError(fmt::format("no signed checkpoint covers record {} yet, and no signing key is at hand",
                                             sequence));
            if (against->tree_size > static_cast<std::int64_t>(snapshot.records.size()))
                throw InputError("the audit log is shorter than its checkpoint: run `audit verify`");
            std::vector<Sha256> leaves;
            leaves.reserve(static_cast<std::size_t>(against->tree_size));
            for (std::int64_t i = 0; i < against->tree_size; ++i)
                leaves.push_back(merkle_leaf_hash(audit_leaf_data(snapshot.records[static_cast<std::size_t>(i)])));
            InclusionProof proof;
            proof.record = snapshot.records[static_cast<std::size_t>(sequence - 1)];
            proof.tree_size = against->tree_size;
            proof.root_hash = against->root_hash;
            proof.checkpoint_signature = against->signature;
            for (const auto& step : inclusion_path(leaves, static_cast<std::uint64_t>(sequence - 1)))
                proof.path.push_back(hex(step));
            note.detail = fmt::format("against checkpoint at tree size {}", against->tree_size);
            return proof;
        });
}


} // namespace microstamp
