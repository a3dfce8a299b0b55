#pragma once
// Who may do what. The rules live here, in the library, so every caller (the command
// line, the server, a script) is held to them; the Store checks them on every call.
//
//                                examiner  supervisor  auditor  admin
//   open cases, add exhibits,       x          x
//   custody, readings, links
//   show and search                 x          x          x
//   trace requests (leave the lab)             x
//   audit verify and prove                                x        x
//   manage users                                                   x
//
// Separation of duties: the administrator manages accounts but handles no evidence;
// the auditor reads everything and changes nothing.

#include <optional>
#include <string>
#include <string_view>

namespace microstamp {

enum class Role { examiner, supervisor, auditor, admin };

enum class Permission { handle_evidence, read_evidence, issue_trace_request, audit, manage_users };

std::string_view role_name(Role role);
// Throws InputError listing the roles.
Role parse_role(std::string_view name);
std::string_view permission_name(Permission permission);
bool role_allows(Role role, Permission permission);
// The roles that hold a permission, for messages: "supervisor".
std::string roles_allowed(Permission permission);

// CJIS Security Policy 5.5.3: lock after 5 failed logons for at least 10 minutes.
inline constexpr int failed_logons_before_lock = 5;
inline constexpr long long lock_duration_ms = 10 * 60 * 1000;

// argon2id cost for new passwords (libsodium crypto_pwhash_str). `interactive` is
// libsodium's recommendation for logons (64 MiB, about 0.1 s on a laptop); `minimum`
// exists only so that tests which create many users stay fast.
enum class PasswordCost { interactive, moderate, minimum };

std::string hash_password(std::string_view password, PasswordCost cost);
bool password_matches(std::string_view stored_hash, std::string_view password);

} // namespace microstamp
