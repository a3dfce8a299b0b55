#include "evidence/hashing.hpp"

#include "code/identity.hpp"

#include "evidence/errors.hpp"

#include <openssl/evp.h>

namespace microstamp {
namespace {

// OpenSSL's libcrypto rather than libsodium for SHA-256: it uses the processor's SHA
// instructions where there are some, and every audit record costs three hashes (its
// entry hash, its Merkle leaf, the frontier's nodes): about a sixth of an audited
// lookup's time with libsodium's portable code (bench_store, perf). Same digests.
const EVP_MD* sha256_algorithm() {
    static const EVP_MD* algorithm = [] {
        EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
        if (fetched == nullptr) throw StoreError("OpenSSL provides no SHA-256: check the libssl3 installation");
        return fetched;
    }();
    return algorithm;
}

// One context per thread, reused: creating one costs more than hashing a record.
class DigestContext {
public:
    DigestContext() : context_(EVP_MD_CTX_new()) {
        if (context_ == nullptr) throw StoreError("OpenSSL could not allocate a digest context");
    }
    ~DigestContext() { EVP_MD_CTX_free(context_); }
    DigestContext(const DigestContext&) = delete;
    DigestContext& operator=(const DigestContext&) = delete;
    EVP_MD_CTX* get() const { return context_; }

private:
    EVP_MD_CTX* context_;
};

} // namespace

Sha256 sha256_of(std::initializer_list<std::span<const std::uint8_t>> pieces) {
    thread_local DigestContext context;
    Sha256 digest{};
    bool ok = EVP_DigestInit_ex2(context.get(), sha256_algorithm(), nullptr) == 1;
    for (const auto& piece : pieces) ok = ok && EVP_DigestUpdate(context.get(), piece.data(), piece.size()) == 1;
    ok = ok && EVP_DigestFinal_ex(context.get(), digest.data(), nullptr) == 1;
    if (!ok) throw StoreError("OpenSSL failed to compute a SHA-256");
    return digest;
}

Sha256 sha256(std::span<const std::uint8_t> bytes) { return sha256_of({bytes}); }

Sha256 sha256(std::string_view text) {
    return sha256(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::string hex(std::span<const std::uint8_t> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string text;
    text.reserve(bytes.size() * 2);
    for (const auto byte : bytes) {
        text.push_back(digits[byte >> 4]);
        text.push_back(digits[byte & 15]);
    }
    return text;
}

std::vector<std::uint8_t> bytes_from_hex(std::string_view text, std::string_view what) {
    auto value = [&](char digit) -> int {
        if (digit >= '0' && digit <= '9') return digit - '0';
        if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
        if (digit >= 'A' && digit <= 'F') return digit - 'A' + 10;
        throw InputError(std::string(what) + " is not hexadecimal");
    };
    if (text.size() % 2 != 0) throw InputError(std::string(what) + " has an odd number of hex digits");
    std::vector<std::uint8_t> bytes;
    bytes.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2)
        bytes.push_back(static_cast<std::uint8_t>(value(text[i]) * 16 + value(text[i + 1])));
    return bytes;
}

Sha256 sha256_from_hex(std::string_view text, std::string_view what) {
    const auto bytes = bytes_from_hex(text, what);
    if (bytes.size() != 32) throw InputError(std::string(what) + " is not a SHA-256 (64 hex digits)");
    Sha256 digest{};
    std::copy(bytes.begin(), bytes.end(), digest.begin());
    return digest;
}

} // namespace microstamp
