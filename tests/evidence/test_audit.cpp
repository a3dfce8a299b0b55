// The audit log: hashing and Merkle tree by RFC 6962, signed checkpoints, proofs, and
// tampering behind the program's back with plain SQL, on both backends.

#include "store_fixture.hpp"

#include "evidence/errors.hpp"

#include <fmt/core.h>

namespace microstamp::testing {
namespace {

TEST(Merkle, FrontierRootEqualsTheRecursiveRootForEverySize) {
    std::vector<Sha256> leaves;
    MerkleFrontier frontier;
    for (int n = 1; n <= 70; ++n) {
        leaves.push_back(merkle_leaf_hash(std::to_string(n)));
        frontier.append(leaves.back());
        ASSERT_EQ(frontier.root(), merkle_root(leaves)) << n;
        ASSERT_EQ(MerkleFrontier::parse(frontier.serialise()).root(), frontier.root());
    }
}

TEST(Merkle, HashingFollowsRfc6962) {
    // Leaf = SHA-256(0x00 || d), node = SHA-256(0x01 || l || r), empty tree = SHA-256("").
    EXPECT_EQ(hex(merkle_root({})), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(hex(merkle_leaf_hash("")), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    const Sha256 a = merkle_leaf_hash("a"), b = merkle_leaf_hash("b"), c = merkle_leaf_hash("c");
    std::array<std::uint8_t, 65> node{};
    node[0] = 1;
    std::copy(a.begin(), a.end(), node.begin() + 1);
    std::copy(b.begin(), b.end(), node.begin() + 33);
    EXPECT_EQ(merkle_node_hash(a, b), sha256(node));
    const std::vector<Sha256> three = {a, b, c};
    EXPECT_EQ(merkle_root(three), merkle_node_hash(merkle_node_hash(a, b), c));
}

TEST(Merkle, InclusionProofsVerifyAndForgeriesDoNot) {
    std::vector<Sha256> leaves;
    for (int n = 0; n < 37; ++n) leaves.push_back(merkle_leaf_hash(std::to_string(n)));
    for (std::size_t size = 1; size <= leaves.size(); ++size) {
        const std::span<const Sha256> tree(leaves.data(), size);
        const Sha256 root = merkle_root(tree);
        for (std::uint64_t index = 0; index < size; ++index) {
            const auto path = inclusion_path(tree, index);
            ASSERT_TRUE(verify_inclusion(leaves[index], index, size, path, root)) << size << " " << index;
            if (size > 1) {
                ASSERT_FALSE(verify_inclusion(leaves[index], (index + 1) % size, size, path, root));
                ASSERT_FALSE(verify_inclusion(merkle_leaf_hash("forged"), index, size, path, root));
            }
        }
    }
}

TEST(Checkpoint, SignatureBindsSizeAndRoot) {
    const SigningKey key = generate_signing_key();
    const Checkpoint checkpoint = sign_checkpoint(10, merkle_leaf_hash("x"), "2024-01-01T00:00:00Z", key);
    EXPECT_TRUE(checkpoint_signature_valid(checkpoint, key.public_key));
    Checkpoint resized = checkpoint;
    resized.tree_size = 11;
    EXPECT_FALSE(checkpoint_signature_valid(resized, key.public_key));
    EXPECT_FALSE(checkpoint_signature_valid(checkpoint, generate_signing_key().public_key));
}

class Tamper : public StoreTest {
protected:
    // Twenty-odd records: logons, users, a case, items.
    void fill() {
        const Session session = examiner();
        store->open_case(session, {"WA0010000", "24-118", "5212"});
        for (int item = 1; item <= 6; ++item)
            store->add_exhibit(session, {{"", "24-118"}, std::to_string(item), "2024-05-01", "scene", ""}, {},
                               {decoded_reading(412, 7, "58A-10423" + std::to_string(item))});
        const AuditVerification before = store->verify_audit(auditor());
        ASSERT_TRUE(before.intact) << before.problem;
        records = before.records;
        audit_session.emplace(auditor());
        ASSERT_GE(records, 15);
    }
    void disable_guards() {
        if (GetParam() == "sqlite")
            scratch.execute("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;");
        else scratch.execute("ALTER TABLE audit_log DISABLE TRIGGER USER");
    }
    // With a session taken before the tampering: a damaged log may refuse new logons.
    AuditVerification verify() { return store->verify_audit(*audit_session); }
    std::int64_t records = 0;
    std::optional<Session> audit_session;
};

TEST_P(Tamper, TheDatabaseRefusesToRewriteTheLog) {
    fill();
    EXPECT_THROW(scratch.execute("UPDATE audit_log SET outcome = 'success' WHERE sequence = 3"), StoreError);
    EXPECT_THROW(scratch.execute("DELETE FROM audit_log WHERE sequence = 3"), StoreError);
    EXPECT_TRUE(verify().intact);
}

TEST_P(Tamper, AnEditedRecordIsNamed) {
    fill();
    disable_guards();
    scratch.execute("UPDATE audit_log SET user_name = 'mallory' WHERE sequence = 9");
    const AuditVerification result = verify();
    EXPECT_FALSE(result.intact);
    EXPECT_EQ(result.first_bad_record, 9);
    EXPECT_NE(result.problem.find("record 9"), std::string::npos) << result.problem;
}

TEST_P(Tamper, ADeletedRecordIsNamed) {
    fill();
    disable_guards();
    scratch.execute("DELETE FROM audit_log WHERE sequence = 7");
    const AuditVerification result = verify();
    EXPECT_FALSE(result.intact);
    EXPECT_EQ(result.first_bad_record, 7);
    EXPECT_NE(result.problem.find("missing"), std::string::npos) << result.problem;
}

TEST_P(Tamper, DeletingTheNewestRecordsIsCaught) {
    fill();
    disable_guards();
    scratch.execute(fmt::format("DELETE FROM audit_log WHERE sequence > {}", records - 2));
    const AuditVerification result = verify();
    EXPECT_FALSE(result.intact);
    EXPECT_EQ(result.first_bad_record, records - 1);
}

TEST_P(Tamper, AnInsertedRecordIsNamed) {
    fill();
    disable_guards();
    // Make room at 5 by shifting later records up, then slip in a copy of record 4.
    scratch.execute(fmt::format("UPDATE audit_log SET sequence = -sequence WHERE sequence >= 5;"
                                "UPDATE audit_log SET sequence = 1 - sequence WHERE sequence < 0;"
                                "INSERT INTO audit_log SELECT 5, recorded_at, user_name, role, action, 'case forged', "
                                "outcome, detail, previous_hash, entry_hash FROM audit_log WHERE sequence = 4;"));
    const AuditVerification result = verify();
    EXPECT_FALSE(result.intact);
    EXPECT_EQ(result.first_bad_record, 5);
}

TEST_P(Tamper, ReorderedRecordsAreNamed) {
    fill();
    disable_guards();
    scratch.execute("UPDATE audit_log SET sequence = -1 WHERE sequence = 6;"
                    "UPDATE audit_log SET sequence = 6 WHERE sequence = 7;"
                    "UPDATE audit_log SET sequence = 7 WHERE sequence = -1;");
    const AuditVerification result = verify();
    EXPECT_FALSE(result.intact);
    EXPECT_EQ(result.first_bad_record, 6);
}

TEST_P(Tamper, RewritingAndRehashingTheWholeLogBreaksTheSignedCheckpoint) {
    fill();
    ASSERT_TRUE(store->checkpoint().has_value());
    disable_guards();
    // The tamperer recomputes every hash consistently, but cannot sign.
    std::vector<AuditRecord> rewritten;
    scratch.raw()->transact(database::TransactionMode::read, [&](database::Transaction& transaction) {
        for (const auto& row : transaction.query("SELECT sequence, recorded_at, user_name, role, action, object, outcome, "
                                                 "detail, previous_hash, entry_hash FROM audit_log ORDER BY sequence"))
            rewritten.push_back({database::as_integer(row[0]), database::as_text(row[1]), database::as_text(row[2]),
                                 database::as_text(row[3]), database::as_text(row[4]), database::as_text(row[5]),
                                 database::as_text(row[6]), database::as_text(row[7]), database::as_text(row[8]),
                                 database::as_text(row[9])});
    });
    std::string previous = genesis_hash;
    std::string sql;
    for (auto& record : rewritten) {
        if (record.sequence == 3) record.user = "mallory";
        record.previous_hash = previous;
        record.entry_hash = audit_entry_hash(record);
        previous = record.entry_hash;
        sql += fmt::format("UPDATE audit_log SET user_name = '{}', previous_hash = '{}', entry_hash = '{}' WHERE "
                           "sequence = {};",
                           record.user, record.previous_hash, record.entry_hash, record.sequence);
    }
    sql += fmt::format("UPDATE audit_head SET last_hash = '{}';", previous);
    scratch.execute(sql);
    const AuditVerification result = verify();
    EXPECT_FALSE(result.intact);
    EXPECT_NE(result.problem.find("signed root"), std::string::npos) << result.problem;
}

TEST_P(Tamper, AForgedCheckpointOrAReplacedKeyIsCaughtWithAPinnedKey) {
    fill();
    ASSERT_TRUE(store->checkpoint().has_value());
    const auto genuine_key = store->public_key();
    const SigningKey forger = generate_signing_key();
    scratch.execute("UPDATE store_meta SET value = '" + hex(forger.public_key) + "' WHERE name = 'audit_public_key'");
    if (GetParam() == "sqlite")
        scratch.execute("DROP TRIGGER checkpoints_no_update; DROP TRIGGER checkpoints_no_delete;");
    else scratch.execute("ALTER TABLE audit_checkpoints DISABLE TRIGGER USER");
    scratch.execute("DELETE FROM audit_checkpoints");
    std::filesystem::remove(scratch.key_file());
    Store reopened = Store::open(scratch.url, scratch.options());
    const AuditVerification pinned = reopened.verify_audit(reopened.logon("casey", auditor_password), genuine_key);
    EXPECT_TRUE(pinned.intact);  // no checkpoints left to disagree; a forged one would fail:
    scratch.execute(fmt::format("INSERT INTO audit_checkpoints VALUES (3, '{}', 'now', '{}')", std::string(64, 'a'),
                                sign_checkpoint(3, {}, "now", forger).signature));
    const AuditVerification forged = reopened.verify_audit(reopened.logon("casey", auditor_password), genuine_key);
    EXPECT_FALSE(forged.intact);
    EXPECT_NE(forged.problem.find("signature"), std::string::npos) << forged.problem;
}

TEST_P(Tamper, AnInclusionProofIsProducedAndChecked) {
    fill();
    const Session session = auditor();
    const InclusionProof proof = store->prove_record(session, 5);
    EXPECT_EQ(proof.record.sequence, 5);
    EXPECT_GE(proof.tree_size, 5);
    EXPECT_EQ(check_inclusion_proof(proof, store->public_key()), "");
    InclusionProof altered = proof;
    altered.record.user = "mallory";
    altered.record.entry_hash = audit_entry_hash(altered.record);
    EXPECT_NE(check_inclusion_proof(altered, store->public_key()), "");
    EXPECT_THROW(store->prove_record(examiner(), 5), AccessError);
    EXPECT_THROW(store->prove_record(session, 100000), InputError);
}

MICROSTAMP_ON_BOTH_BACKENDS(Tamper);

} // namespace
} // namespace microstamp::testing
