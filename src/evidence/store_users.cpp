// Users, logons and bearer sessions.

#include "evidence/store_state.hpp"

#include <fmt/core.h>
#include <sodium.h>

namespace microstamp {

Session Store::logon(const std::string& name, const std::string& password) {
    std::optional<Role> role;
    std::string stored_hash, agency;
    std::int64_t locked_until = 0;
    state_->database->transact(TransactionMode::read, [&](Transaction& transaction) {
        const Rows rows = transaction.query(
            "SELECT role, password_hash, locked_until_ms, agency_ori FROM users WHERE name = $1", {name});
        if (rows.empty()) return;
        role = parse_role(as_text(rows[0][0]));
        stored_hash = as_text(rows[0][1]);
        locked_until = as_integer(rows[0][2]);
        agency = as_text(rows[0][3]);
    });
    const std::int64_t now_ms = milliseconds_since_epoch(state_->options.clock());
    const std::string object = "user " + name;
    const std::string role_text = role ? std::string(role_name(*role)) : "-";
    if (!role || locked_until > now_ms) {
        // An unknown or locked name costs the same argon2id check as a real one, so the
        // time a refusal takes does not tell whether the name exists.
        if (state_->decoy_hash.empty()) state_->decoy_hash = hash_password("decoy password", state_->options.password_cost);
        password_matches(state_->decoy_hash, password);
    }
    if (!role) {
        state_->append_alone(name, "-", "logon", object, "failure", "unknown user");
        throw LogonError("logon refused: wrong user name or password");
    }
    if (locked_until > now_ms) {
        const std::string until = format_utc(std::chrono::system_clock::time_point(std::chrono::milliseconds(locked_until)));
        state_->append_alone(name, role_text, "logon", object, "refused", "account locked until " + until);
        throw LogonError("logon refused: account '" + name + "' is locked until " + until + " after 5 failed logons");
    }
    // The slow argon2id check runs outside any transaction, so it never holds the write lock.
    if (password_matches(stored_hash, password)) {
        state_->database->transact(TransactionMode::write, [&](Transaction& transaction) {
            Head head = state_->lock_head(transaction);
            transaction.query("UPDATE users SET failed_logons = 0, locked_until_ms = 0 WHERE name = $1", {name});
            state_->append_audit(transaction, head, name, role_text, "logon", object, "success", "");
        });
        return Session(name, *role, agency, state_.get());
    }
    bool locked_now = false;
    state_->database->transact(TransactionMode::write, [&](Transaction& transaction) {
        Head head = state_->lock_head(transaction);
        const Rows rows = transaction.query("SELECT failed_logons FROM users WHERE name = $1", {name});
        const std::int64_t failures = as_integer(rows[0][0]) + 1;
        locked_now = failures >= failed_logons_before_lock;
        transaction.query("UPDATE users SET failed_logons = $1, locked_until_ms = $2 WHERE name = $3",
                          {locked_now ? std::int64_t{0} : failures, locked_now ? now_ms + lock_duration_ms : std::int64_t{0},
                           name});
        state_->append_audit(transaction, head, name, role_text, "logon", object, "failure",
                             locked_now ? "wrong password; account locked for 10 minutes"
                                        : fmt::format("wrong password ({} of {})", failures, failed_logons_before_lock));
    });
    if (locked_now)
        throw LogonError("logon refused: account '" + name + "' is now locked for 10 minutes after 5 failed logons");
    throw LogonError("logon refused: wrong user name or password");
}

UserRecord Store::add_user(const Session& session, const std::string& name, Role role, const std::string& password,
                           const std::string& agency_ori) {
    require_user_name(name);
    if (!agency_ori.empty()) require_ori(agency_ori);
    const std::string password_hash = hash_password(password, state_->options.password_cost);
    return state_->perform(session, Permission::manage_users, "user.add", "user " + name,
                           [&](Transaction& transaction, AuditNote& note) {
                               if (!transaction.query("SELECT 1 FROM users WHERE name = $1", {name}).empty())
                                   throw InputError("user '" + name + "' already exists");
                               transaction.query("INSERT INTO users (name, role, password_hash, created_at, created_by, "
                                                 "agency_ori) VALUES ($1, $2, $3, $4, $5, $6)",
                                                 {name, std::string(role_name(role)), password_hash, state_->now(),
                                                  session.user(), agency_ori});
                               note.detail = "role " + std::string(role_name(role)) +
                                             (agency_ori.empty() ? "" : ", agency " + agency_ori);
                               return UserRecord{name, role, agency_ori};
                           });
}

// ---- bearer sessions ----------------------------------------------------------------------

namespace {

// A busy session's last use is written at most this often, so a stream of requests
// costs reads, not writes; the idle lock is exact to within this interval.
constexpr std::int64_t session_touch_interval_ms = 10'000;

} // namespace

OpenedSession Store::open_session(const std::string& name, const std::string& password) {
    Session session = logon(name, password);
    std::vector<std::uint8_t> secret(32);
    randombytes_buf(secret.data(), secret.size());
    std::string token = hex(secret);
    const std::int64_t now_ms = milliseconds_since_epoch(state_->options.clock());
    state_->database->transact(TransactionMode::write, [&](Transaction& transaction) {
        transaction.query("INSERT INTO sessions (token_sha256, user_name, started_ms, last_used_ms) VALUES ($1, $2, $3, $3)",
                          {hex(sha256(token)), name, now_ms});
    });
    return {std::move(session), std::move(token)};
}

Session Store::resume_session(const std::string& token) {
    const std::string token_hash = hex(sha256(token));
    const std::int64_t now_ms = milliseconds_since_epoch(state_->options.clock());
    std::string user = "-", role_text = "-", agency, refusal;
    std::int64_t last_used = 0;
    state_->database->transact(TransactionMode::read, [&](Transaction& transaction) {
        const Rows rows = transaction.query("SELECT s.user_name, s.started_ms, s.last_used_ms, s.ended, u.role, u.agency_ori "
                                            "FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.token_sha256 = $1",
                                            {token_hash});
        if (rows.empty()) {
            refusal = "no such session";
            return;
        }
        user = as_text(rows[0][0]);
        role_text = as_text(rows[0][4]);
        agency = as_text(rows[0][5]);
        last_used = as_integer(rows[0][2]);
        if (as_integer(rows[0][3]) != 0) refusal = "the session was logged out";
        else if (now_ms - last_used > state_->options.session_idle_limit.count())
            refusal = fmt::format("the session locked after {} minutes idle", state_->options.session_idle_limit.count() / 60'000);
        else if (now_ms - as_integer(rows[0][1]) > state_->options.session_lifetime.count())
            refusal = fmt::format("the session ended {} hours after logon", state_->options.session_lifetime.count() / 3'600'000);
    });
    if (!refusal.empty()) {
        state_->append_alone(user, role_text, "session.resume", "user " + user, "refused", refusal);
        throw LogonError("session refused: " + refusal + "; log on again");
    }
    if (now_ms - last_used >= session_touch_interval_ms)
        state_->database->transact(TransactionMode::write, [&](Transaction& transaction) {
            transaction.query("UPDATE sessions SET last_used_ms = $1 WHERE token_sha256 = $2 AND last_used_ms < $1",
                              {now_ms, token_hash});
        });
    return Session(user, parse_role(role_text), agency, state_.get());
}

void Store::end_session(const std::string& token) {
    const std::string token_hash = hex(sha256(token));
    state_->database->transact(TransactionMode::write, [&](Transaction& transaction) {
        Head head = state_->lock_head(transaction);
        const Rows rows = transaction.query("SELECT s.user_name, u.role FROM sessions s JOIN users u ON u.name = s.user_name "
                                            "WHERE s.token_sha256 = $1 AND s.ended = 0",
                                            {token_hash});
        if (rows.empty()) {
            state_->append_audit(transaction, head, "-", "-", "logout", "session", "failure", "no such open session");
            return;
        }
        transaction.query("UPDATE sessions SET ended = 1 WHERE token_sha256 = $1", {token_hash});
        state_->append_audit(transaction, head, as_text(rows[0][0]), as_text(rows[0][1]), "logout",
                             "user " + as_text(rows[0][0]), "success", "");
    });
}

void Store::record_event(const std::string& user, const std::string& role, const std::string& action,
                         const std::string& object, const std::string& outcome, const std::string& detail) {
    state_->append_alone(user, role, action, object, outcome, detail);
}


} // namespace microstamp
