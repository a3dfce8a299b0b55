#pragma once
// The audit log as values: records, their hash chain, the RFC 6962 Merkle tree over
// them, signed checkpoints, inclusion proofs, and verification. No I/O here; the
// Store loads rows and hands them to these functions.
//
// Each record commits to the previous one (previous_hash) and is hashed as
//   entry_hash = SHA-256(leaf data),
// where the leaf data is a canonical, length-prefixed text of every field including
// previous_hash, so the chain detects an edited, deleted, inserted or reordered row.
// The same leaf data are the Merkle leaves (RFC 6962: leaf = SHA-256(0x00 || d),
// node = SHA-256(0x01 || left || right)). A checkpoint signs (tree size, root) with
// the store's Ed25519 key, so rewriting the log and recomputing every hash is caught
// too, as long as the verifier trusts the public key (pin it: see docs/evidence.md).

#include "evidence/hashing.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace microstamp {

struct AuditRecord {
    std::int64_t sequence = 0;   // 1, 2, 3 ... with no gaps; the Merkle leaf index is sequence - 1
    std::string recorded_at;     // ISO 8601 UTC, milliseconds
    std::string user;            // who acted ("-" before a logon succeeded, "system" for migrations)
    std::string role;
    std::string action;          // e.g. "case.open", "exhibit.add", "logon"
    std::string object;          // what it acted on, e.g. "case WA0010000/24-118 item 3"
    std::string outcome;         // "success", "refused" or "failure"
    std::string detail;          // one line of context (never a password)
    std::string previous_hash;   // hex entry_hash of the record before; 64 zeros for the first
    std::string entry_hash;      // hex SHA-256 of audit_leaf_data(record)
};

inline const std::string genesis_hash(64, '0');

std::string audit_leaf_data(const AuditRecord& record);
std::string audit_entry_hash(const AuditRecord& record);

Sha256 merkle_leaf_hash(std::string_view leaf_data);
Sha256 merkle_node_hash(const Sha256& left, const Sha256& right);
// RFC 6962 MTH over leaf hashes; the empty tree's root is SHA-256 of nothing.
Sha256 merkle_root(std::span<const Sha256> leaf_hashes);

// The roots of the perfect subtrees that make up a tree of `size` leaves, largest
// first: enough to append a leaf and to compute the root in O(log n).
struct MerkleFrontier {
    std::uint64_t size = 0;
    std::vector<Sha256> subtree_roots;

    void append(const Sha256& leaf_hash);
    Sha256 root() const;
    std::string serialise() const;
    static MerkleFrontier parse(std::string_view text);
};

// RFC 6962 audit path for leaf `index` in the tree of the first `leaf_hashes.size()` leaves.
std::vector<Sha256> inclusion_path(std::span<const Sha256> leaf_hashes, std::uint64_t index);
// RFC 9162 section 2.1.3.2: true when `path` proves `leaf_hash` is leaf `index` of the tree.
bool verify_inclusion(const Sha256& leaf_hash, std::uint64_t index, std::uint64_t tree_size,
                      std::span<const Sha256> path, const Sha256& root);

// Ed25519 keys (libsodium): 32-byte public key, 64-byte secret key.
struct SigningKey {
    std::vector<std::uint8_t> public_key;
    std::vector<std::uint8_t> secret_key;
};
SigningKey generate_signing_key();

struct Checkpoint {
    std::int64_t tree_size = 0;
    std::string root_hash;   // hex
    std::string signed_at;   // ISO 8601 UTC
    std::string signature;   // hex Ed25519 over checkpoint_message(tree_size, root)
};
std::string checkpoint_message(std::int64_t tree_size, std::string_view root_hash);
Checkpoint sign_checkpoint(std::int64_t tree_size, const Sha256& root, std::string signed_at, const SigningKey& key);
bool checkpoint_signature_valid(const Checkpoint& checkpoint, std::span<const std::uint8_t> public_key);

// The head the Store keeps beside the log (size and last hash), written with every append.
struct AuditHead {
    std::int64_t size = 0;
    std::string last_hash = genesis_hash;
};

struct AuditVerification {
    bool intact = true;
    std::int64_t records = 0;             // records examined
    std::int64_t checkpoints = 0;         // signed checkpoints that verified
    std::optional<std::int64_t> first_bad_record;  // the sequence number named by `problem`
    std::string problem;                  // one line; empty when intact
    std::string root_hash;                // hex root over the records as stored
};

// `records` in stored order (by sequence); `checkpoints` by tree size.
AuditVerification verify_audit_log(std::span<const AuditRecord> records, std::span<const Checkpoint> checkpoints,
                                   const AuditHead& head, std::span<const std::uint8_t> public_key);

struct InclusionProof {
    AuditRecord record;
    std::int64_t tree_size = 0;
    std::string root_hash;
    std::string checkpoint_signature;  // hex; the checkpoint the proof is against
    std::vector<std::string> path;     // hex hashes, leaf to root
};
// Checks the record's own hash, its path to the root, and the checkpoint signature.
// Returns an empty string when the proof holds, else the reason.
std::string check_inclusion_proof(const InclusionProof& proof, std::span<const std::uint8_t> public_key);

} // namespace microstamp
