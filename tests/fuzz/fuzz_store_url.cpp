// The store URL parser (`--db`, MICROSTAMP_DB) on any text. Beside refusing in one line,
// it must never repeat a PostgreSQL password: messages and the display form mask it.

#include "evidence/store_url.hpp"
#include "fuzz_support.hpp"

#include <string>

namespace {

// The password of scheme://user:password@host..., when the text has one (a SQLite path
// is a file name, whatever it looks like).
std::string password_in(std::string_view url) {
    if (url.starts_with("sqlite:")) return {};
    const std::size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return {};
    const std::string_view rest = url.substr(scheme_end + 3);
    const std::string_view authority = rest.substr(0, std::min(rest.find_first_of("/?"), rest.size()));
    const std::size_t at = authority.rfind('@');
    if (at == std::string_view::npos) return {};
    const std::size_t colon = authority.substr(0, at).find(':');
    if (colon == std::string_view::npos) return {};
    return std::string(authority.substr(colon + 1, at - colon - 1));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string url(reinterpret_cast<const char*>(data), size);
    // What must not be repeated is the credential as the URL gives it, ":password@"; a
    // short one may occur elsewhere in the URL by chance, in the masked form, or in the
    // refusal's own text naming the accepted forms.
    const std::string password = password_in(url);
    const std::string credential = ":" + password + "@";
    std::string masked = url;
    if (!password.empty()) masked.replace(url.find(credential), credential.size(), ":***@");
    const bool telling = password.size() >= 4 && url.find(credential) == url.rfind(credential) &&
                         masked.find(credential) == std::string::npos &&
                         std::string_view("postgresql://[user[:password]@]host[:port]/database").find(credential) ==
                             std::string_view::npos;
    try {
        const microstamp::StoreLocation location = microstamp::parse_store_url(url);
        if (telling && location.display.find(credential) != std::string::npos)
            microstamp::fuzz::finding("the display form of a store URL shows its password");
    } catch (const microstamp::InputError& refusal) {
        microstamp::fuzz::check_one_line(refusal.what());
        if (telling && std::string_view(refusal.what()).find(credential) != std::string_view::npos)
            microstamp::fuzz::finding("a refusal of a store URL shows its password");
    }
    return 0;
}
