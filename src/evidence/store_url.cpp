#include "evidence/store_url.hpp"

#include "code/identity.hpp"

#include <algorithm>

namespace microstamp {
namespace {

constexpr std::string_view accepted_forms = "use sqlite:PATH or postgresql://[user[:password]@]host[:port]/database";

[[noreturn]] void reject(std::string_view url, std::string_view why) {
    throw InputError("store URL '" + std::string(url) + "' " + std::string(why) + ": " + std::string(accepted_forms));
}

// postgresql://user:secret@host/db -> postgresql://user:***@host/db
std::string without_password(std::string_view url, std::size_t authority_start) {
    const std::size_t authority_end = std::min(url.find_first_of("/?", authority_start), url.size());
    const std::string_view authority = url.substr(authority_start, authority_end - authority_start);
    const std::size_t at = authority.rfind('@');
    if (at == std::string_view::npos) return std::string(url);
    const std::size_t colon = authority.substr(0, at).find(':');
    if (colon == std::string_view::npos) return std::string(url);
    return std::string(url.substr(0, authority_start + colon + 1)) + "***" +
           std::string(url.substr(authority_start + at));
}

} // namespace

StoreLocation parse_store_url(std::string_view url) {
    if (url.empty()) reject(url, "is empty");
    if (std::any_of(url.begin(), url.end(), [](char c) { return c == '\n' || c == '\r' || c == '\0'; }))
        reject("(with a line break)", "is malformed");
    if (url.starts_with("sqlite:")) {
        std::string_view path = url.substr(7);
        if (path.starts_with("//")) reject(url, "uses sqlite://, which is ambiguous; write sqlite:PATH");
        if (path.empty()) reject(url, "names no file");
        return {database::Backend::sqlite, std::string(path), std::string(url)};
    }
    for (const std::string_view scheme : {"postgresql://", "postgres://"}) {
        if (!url.starts_with(scheme)) continue;
        // Every message names the URL by its display form: a refusal must not print the password.
        const std::string display = without_password(url, scheme.size());
        if (url.find(' ') != std::string_view::npos) reject(display, "contains a space (percent-encode it as %20)");
        const std::string_view rest = url.substr(scheme.size());
        const std::size_t authority_end = std::min(rest.find_first_of("/?"), rest.size());
        const std::string_view authority = rest.substr(0, authority_end);
        const std::string_view host_port = authority.substr(authority.rfind('@') == std::string_view::npos
                                                                ? 0
                                                                : authority.rfind('@') + 1);
        // A port, when given, is digits only; libpq's own message for "host:abc" is obscure.
        if (host_port.find('[') == std::string_view::npos) {
            const std::size_t colon = host_port.rfind(':');
            if (colon != std::string_view::npos) {
                const std::string_view port = host_port.substr(colon + 1);
                if (port.empty() || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
                    throw InputError("store URL '" + display + "' has a port that is not a number");
            }
        }
        return {database::Backend::postgresql, std::string(url), display};
    }
    if (url.find("://") == std::string_view::npos && url.find(':') == std::string_view::npos)
        reject(url, "has no scheme (did you mean sqlite:" + std::string(url) + "?)");
    // A mistyped scheme ("postgresq://user:secret@host") still hides its password.
    const std::size_t authority_start = url.find("://");
    reject(authority_start == std::string_view::npos ? std::string(url) : without_password(url, authority_start + 3),
           "has an unknown scheme");
}

} // namespace microstamp
