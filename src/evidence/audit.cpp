#include "evidence/audit.hpp"

#include "code/identity.hpp"

#include <fmt/core.h>
#include <sodium.h>

#include <bit>
#include <map>

namespace microstamp {
namespace {

void append_field(std::string& out, std::string_view field) {
    // Length-prefixed, so no choice of field contents can make two records serialise alike.
    out += std::to_string(field.size());
    out += ':';
    out += field;
    out += '\n';
}

std::uint64_t largest_power_of_two_below(std::uint64_t n) {
    std::uint64_t k = 1;
    while (k * 2 < n) k *= 2;
    return k;
}

Sha256 hash_with_prefix(std::uint8_t prefix, std::span<const std::uint8_t> first, std::span<const std::uint8_t> second) {
    return sha256_of({std::span(&prefix, 1), first, second});
}

void build_path(std::span<const Sha256> leaves, std::uint64_t index, std::vector<Sha256>& path) {
    if (leaves.size() <= 1) return;
    const std::uint64_t k = largest_power_of_two_below(leaves.size());
    if (index < k) {
        build_path(leaves.first(k), index, path);
        path.push_back(merkle_root(leaves.subspan(k)));
    } else {
        build_path(leaves.subspan(k), index - k, path);
        path.push_back(merkle_root(leaves.first(k)));
    }
}

} // namespace

std::string audit_leaf_data(const AuditRecord& record) {
    std::string data = "microstamp audit record v1\n";
    append_field(data, std::to_string(record.sequence));
    for (const std::string* field : {&record.recorded_at, &record.user, &record.role, &record.action, &record.object,
                                     &record.outcome, &record.detail, &record.previous_hash})
        append_field(data, *field);
    return data;
}

std::string audit_entry_hash(const AuditRecord& record) { return hex(sha256(audit_leaf_data(record))); }

Sha256 merkle_leaf_hash(std::string_view leaf_data) {
    return hash_with_prefix(0x00, std::span(reinterpret_cast<const std::uint8_t*>(leaf_data.data()), leaf_data.size()),
                            {});
}

Sha256 merkle_node_hash(const Sha256& left, const Sha256& right) { return hash_with_prefix(0x01, left, right); }

Sha256 merkle_root(std::span<const Sha256> leaf_hashes) {
    if (leaf_hashes.empty()) return sha256(std::string_view{});
    if (leaf_hashes.size() == 1) return leaf_hashes[0];
    const std::uint64_t k = largest_power_of_two_below(leaf_hashes.size());
    return merkle_node_hash(merkle_root(leaf_hashes.first(k)), merkle_root(leaf_hashes.subspan(k)));
}

void MerkleFrontier::append(const Sha256& leaf_hash) {
    Sha256 carry = leaf_hash;
    for (std::uint64_t n = size; n & 1; n >>= 1) {
        carry = merkle_node_hash(subtree_roots.back(), carry);
        subtree_roots.pop_back();
    }
    subtree_roots.push_back(carry);
    ++size;
}

Sha256 MerkleFrontier::root() const {
    // RFC 6962 always splits off the largest power of two on the left, so the root
    // folds the subtree roots from the smallest (rightmost) up.
    if (subtree_roots.empty()) return sha256(std::string_view{});
    Sha256 root = subtree_roots.back();
    for (std::size_t i = subtree_roots.size() - 1; i-- > 0;) root = merkle_node_hash(subtree_roots[i], root);
    return root;
}

std::string MerkleFrontier::serialise() const {
    std::string text = std::to_string(size);
    for (const auto& root : subtree_roots) {
        text += ':';
        text += hex(root);
    }
    return text;
}

MerkleFrontier MerkleFrontier::parse(std::string_view text) {
    MerkleFrontier frontier;
    const std::size_t first = text.find(':');
    frontier.size = std::stoull(std::string(text.substr(0, first)));
    for (std::size_t start = first; start != std::string_view::npos;) {
        const std::size_t next = text.find(':', start + 1);
        frontier.subtree_roots.push_back(sha256_from_hex(
            text.substr(start + 1, next == std::string_view::npos ? std::string_view::npos : next - start - 1),
            "audit head"));
        start = next;
    }
    if (static_cast<std::size_t>(std::popcount(frontier.size)) != frontier.subtree_roots.size())
        throw InputError("audit head is damaged: its Merkle frontier does not fit its size");
    return frontier;
}

std::vector<Sha256> inclusion_path(std::span<const Sha256> leaf_hashes, std::uint64_t index) {
    if (index >= leaf_hashes.size()) throw InputError("record is not in the tree the proof is for");
    std::vector<Sha256> path;
    build_path(leaf_hashes, index, path);
    return path;
}

bool verify_inclusion(const Sha256& leaf_hash, std::uint64_t index, std::uint64_t tree_size,
                      std::span<const Sha256> path, const Sha256& root) {
    if (index >= tree_size) return false;
    std::uint64_t fn = index, sn = tree_size - 1;
    Sha256 r = leaf_hash;
    for (const auto& sibling : path) {
        if (sn == 0) return false;
        if ((fn & 1) || fn == sn) {
            r = merkle_node_hash(sibling, r);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            r = merkle_node_hash(r, sibling);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && r == root;
}

SigningKey generate_signing_key() {
    SigningKey key{std::vector<std::uint8_t>(crypto_sign_PUBLICKEYBYTES),
                   std::vector<std::uint8_t>(crypto_sign_SECRETKEYBYTES)};
    crypto_sign_keypair(key.public_key.data(), key.secret_key.data());
    return key;
}

std::string checkpoint_message(std::int64_t tree_size, std::string_view root_hash) {
    return fmt::format("microstamp audit checkpoint v1\n{}\n{}\n", tree_size, root_hash);
}

Checkpoint sign_checkpoint(std::int64_t tree_size, const Sha256& root, std::string signed_at, const SigningKey& key) {
    Checkpoint checkpoint{tree_size, hex(root), std::move(signed_at), {}};
    const std::string message = checkpoint_message(tree_size, checkpoint.root_hash);
    std::array<std::uint8_t, crypto_sign_BYTES> signature{};
    crypto_sign_detached(signature.data(), nullptr, reinterpret_cast<const std::uint8_t*>(message.data()),
                         message.size(), key.secret_key.data());
    checkpoint.signature = hex(signature);
    return checkpoint;
}

bool checkpoint_signature_valid(const Checkpoint& checkpoint, std::span<const std::uint8_t> public_key) {
    if (public_key.size() != crypto_sign_PUBLICKEYBYTES) return false;
    std::vector<std::uint8_t> signature;
    try {
        signature = bytes_from_hex(checkpoint.signature, "signature");
    } catch (const InputError&) {
        return false;
    }
    if (signature.size() != crypto_sign_BYTES) return false;
    const std::string message = checkpoint_message(checkpoint.tree_size, checkpoint.root_hash);
    return crypto_sign_verify_detached(signature.data(), reinterpret_cast<const std::uint8_t*>(message.data()),
                                       message.size(), public_key.data()) == 0;
}

AuditVerification verify_audit_log(std::span<const AuditRecord> records, std::span<const Checkpoint> checkpoints,
                                   const AuditHead& head, std::span<const std::uint8_t> public_key) {
    AuditVerification result;
    auto fail = [&](std::optional<std::int64_t> record, std::string problem) {
        result.intact = false;
        result.first_bad_record = record;
        result.problem = std::move(problem);
        return result;
    };
    std::map<std::int64_t, const Checkpoint*> checkpoint_at;
    for (const auto& checkpoint : checkpoints) {
        if (!checkpoint_signature_valid(checkpoint, public_key))
            return fail(std::nullopt, fmt::format("checkpoint at tree size {}: the signature does not verify with the "
                                                  "store's public key (checkpoint forged, or key replaced)",
                                                  checkpoint.tree_size));
        checkpoint_at[checkpoint.tree_size] = &checkpoint;
    }
    MerkleFrontier frontier;
    std::string previous = genesis_hash;
    std::int64_t expected = 1;
    for (const auto& record : records) {
        if (record.sequence > expected)
            return fail(expected, fmt::format("record {}: missing (the log jumps from record {} to {}: deleted)",
                                              expected, expected - 1, record.sequence));
        if (record.sequence < expected)
            return fail(record.sequence, fmt::format("record {}: out of order after record {}", record.sequence,
                                                     expected - 1));
        if (audit_entry_hash(record) != record.entry_hash)
            return fail(expected, fmt::format("record {}: its contents do not match its hash (edited, or moved from "
                                              "another position)",
                                              expected));
        if (record.previous_hash != previous)
            return fail(expected, fmt::format("record {}: does not follow record {} (a record was inserted, deleted or "
                                              "reordered here)",
                                              expected, expected - 1));
        frontier.append(merkle_leaf_hash(audit_leaf_data(record)));
        previous = record.entry_hash;
        ++result.records;
        if (const auto found = checkpoint_at.find(expected); found != checkpoint_at.end()) {
            if (hex(frontier.root()) != found->second->root_hash)
                return fail(expected, fmt::format("checkpoint at tree size {}: the records up to {} do not give the "
                                                  "signed root (rewritten and rehashed)",
                                                  expected, expected));
            ++result.checkpoints;
        }
        ++expected;
    }
    if (!checkpoint_at.empty() && checkpoint_at.rbegin()->first >= expected)
        return fail(expected, fmt::format("record {}: missing (a signed checkpoint covers {} records, the log holds {}: "
                                          "records deleted from the end)",
                                          expected, checkpoint_at.rbegin()->first, expected - 1));
    if (head.size > result.records)
        return fail(expected, fmt::format("record {}: missing (the log head counts {} records, the log holds {}: "
                                          "records deleted from the end)",
                                          expected, head.size, result.records));
    if (head.size < result.records)
        return fail(head.size + 1, fmt::format("record {}: not counted by the log head (appended behind the "
                                               "program's back)",
                                               head.size + 1));
    if (head.last_hash != previous)
        return fail(result.records, fmt::format("record {}: its hash differs from the one the log head recorded",
                                                result.records));
    result.root_hash = hex(frontier.root());
    return result;
}

std::string check_inclusion_proof(const InclusionProof& proof, std::span<const std::uint8_t> public_key) {
    if (audit_entry_hash(proof.record) != proof.record.entry_hash)
        return fmt::format("record {} does not match its own hash", proof.record.sequence);
    std::vector<Sha256> path;
    Sha256 root{};
    try {
        for (const auto& step : proof.path) path.push_back(sha256_from_hex(step, "proof path"));
        root = sha256_from_hex(proof.root_hash, "proof root");
    } catch (const InputError& error) {
        return error.what();
    }
    if (proof.record.sequence < 1 ||
        !verify_inclusion(merkle_leaf_hash(audit_leaf_data(proof.record)),
                          static_cast<std::uint64_t>(proof.record.sequence - 1),
                          static_cast<std::uint64_t>(proof.tree_size), path, root))
        return fmt::format("the path does not lead from record {} to the root of the {}-record tree",
                           proof.record.sequence, proof.tree_size);
    const Checkpoint checkpoint{proof.tree_size, proof.root_hash, {}, proof.checkpoint_signature};
    if (!checkpoint_signature_valid(checkpoint, public_key))
        return "the checkpoint signature does not verify with the given public key";
    return {};
}

} // namespace microstamp
