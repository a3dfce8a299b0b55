#pragma once
// MD5 as x3p uses it: checksums of main.xml and of the binary point data,
// written as 32 lowercase hexadecimal digits like the `md5sum` tool prints.
// MD5 is the format's choice, not a security measure: it catches corruption,
// not tampering.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace microstamp {

// Incremental MD5 over OpenSSL's EVP interface, for data that arrives in
// pieces (a zip entry streamed through a small buffer).
class Md5 {
public:
    Md5();
    ~Md5();
    Md5(const Md5&) = delete;
    Md5& operator=(const Md5&) = delete;

    void update(std::span<const std::uint8_t> bytes);
    void update(std::string_view text);
    // Finishes the digest; the object must not be updated afterwards.
    std::string hex_digest();

private:
    struct Context;
    std::unique_ptr<Context> context_;
};

std::string md5_hex(std::span<const std::uint8_t> bytes);
std::string md5_hex(std::string_view text);

} // namespace microstamp
