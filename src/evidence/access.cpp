#include "evidence/access.hpp"

#include "code/identity.hpp"

#include <sodium.h>

#include <array>
#include <stdexcept>

namespace microstamp {
namespace {

constexpr std::array roles = {Role::examiner, Role::supervisor, Role::auditor, Role::admin};

void require_sodium() {
    if (sodium_init() < 0) throw std::runtime_error("libsodium could not initialise");
}

} // namespace

std::string_view role_name(Role role) {
    switch (role) {
    case Role::examiner: return "examiner";
    case Role::supervisor: return "supervisor";
    case Role::auditor: return "auditor";
    case Role::admin: return "admin";
    }
    return "unknown";
}

Role parse_role(std::string_view name) {
    for (const auto role : roles)
        if (role_name(role) == name) return role;
    throw InputError("unknown role '" + std::string(name) + "': use examiner, supervisor, auditor or admin");
}

std::string_view permission_name(Permission permission) {
    switch (permission) {
    case Permission::handle_evidence: return "handle evidence";
    case Permission::read_evidence: return "read evidence";
    case Permission::issue_trace_request: return "issue trace requests";
    case Permission::audit: return "audit the log";
    case Permission::manage_users: return "manage users";
    }
    return "unknown";
}

bool role_allows(Role role, Permission permission) {
    switch (permission) {
    case Permission::handle_evidence: return role == Role::examiner || role == Role::supervisor;
    case Permission::read_evidence: return role == Role::examiner || role == Role::supervisor || role == Role::auditor;
    case Permission::issue_trace_request: return role == Role::supervisor;
    case Permission::audit: return role == Role::auditor || role == Role::admin;
    case Permission::manage_users: return role == Role::admin;
    }
    return false;
}

std::string roles_allowed(Permission permission) {
    std::string names;
    for (const auto role : roles)
        if (role_allows(role, permission)) names += (names.empty() ? "" : " or ") + std::string(role_name(role));
    return names;
}

std::string hash_password(std::string_view password, PasswordCost cost) {
    require_sodium();
    if (password.size() < 8) throw InputError("password too short: use at least 8 characters");
    unsigned long long operations = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    std::size_t memory = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    if (cost == PasswordCost::moderate) {
        operations = crypto_pwhash_OPSLIMIT_MODERATE;
        memory = crypto_pwhash_MEMLIMIT_MODERATE;
    } else if (cost == PasswordCost::minimum) {
        operations = crypto_pwhash_OPSLIMIT_MIN;
        memory = crypto_pwhash_MEMLIMIT_MIN;
    }
    std::array<char, crypto_pwhash_STRBYTES> text{};
    // crypto_pwhash_str is argon2id in libsodium >= 1.0.15 ("$argon2id$..." strings).
    if (crypto_pwhash_str(text.data(), password.data(), password.size(), operations, memory) != 0)
        throw std::runtime_error("out of memory while hashing a password");
    return text.data();
}

bool password_matches(std::string_view stored_hash, std::string_view password) {
    require_sodium();
    const std::string terminated(stored_hash);
    return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

} // namespace microstamp
