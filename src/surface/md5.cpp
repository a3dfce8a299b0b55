#include "surface/md5.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

namespace microstamp {

struct Md5::Context {
    EVP_MD_CTX* handle = nullptr;
    bool finished = false;
};

Md5::Md5() : context_(std::make_unique<Context>()) {
    context_->handle = EVP_MD_CTX_new();
    if (context_->handle == nullptr || EVP_DigestInit_ex(context_->handle, EVP_md5(), nullptr) != 1) {
        EVP_MD_CTX_free(context_->handle);
        throw std::runtime_error("OpenSSL cannot start an MD5 digest");
    }
}

Md5::~Md5() { EVP_MD_CTX_free(context_->handle); }

void Md5::update(std::span<const std::uint8_t> bytes) {
    if (context_->finished) throw std::logic_error("Md5::update after hex_digest");
    if (bytes.empty()) return;
    if (EVP_DigestUpdate(context_->handle, bytes.data(), bytes.size()) != 1)
        throw std::runtime_error("OpenSSL MD5 update failed");
}

void Md5::update(std::string_view text) {
    update(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::string Md5::hex_digest() {
    if (context_->finished) throw std::logic_error("Md5::hex_digest called twice");
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(context_->handle, digest.data(), &length) != 1)
        throw std::runtime_error("OpenSSL MD5 finish failed");
    context_->finished = true;
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(2 * length);
    for (unsigned int i = 0; i < length; ++i) {
        hex.push_back(digits[digest[i] >> 4]);
        hex.push_back(digits[digest[i] & 0x0f]);
    }
    return hex;
}

std::string md5_hex(std::span<const std::uint8_t> bytes) {
    Md5 digest;
    digest.update(bytes);
    return digest.hex_digest();
}

std::string md5_hex(std::string_view text) {
    Md5 digest;
    digest.update(text);
    return digest.hex_digest();
}

} // namespace microstamp
