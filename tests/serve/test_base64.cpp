#include "serve/service_state.hpp"

#include <gtest/gtest.h>
#include <random>
#include <sodium.h>

namespace microstamp::serve {
namespace {

std::vector<std::uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

TEST(Base64, GivesTheRfc4648TestVectors) {
    const std::pair<const char*, const char*> vectors[] = {{"", ""},          {"f", "Zg=="},         {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},   {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) EXPECT_EQ(base64(bytes_of(plain)), encoded) << plain;
}

TEST(Base64, DecodesBackToEveryByte) {
    std::mt19937 random(11);
    for (std::size_t size = 0; size < 300; size += 1 + size / 8) {
        std::vector<std::uint8_t> bytes(size);
        for (std::uint8_t& byte : bytes) byte = static_cast<std::uint8_t>(random());
        const std::string encoded = base64(bytes);
        std::vector<std::uint8_t> decoded(size + 3);
        std::size_t decoded_size = 0;
        ASSERT_EQ(sodium_base642bin(decoded.data(), decoded.size(), encoded.data(), encoded.size(), nullptr, &decoded_size,
                                    nullptr, sodium_base64_VARIANT_ORIGINAL),
                  0)
            << size;
        decoded.resize(decoded_size);
        EXPECT_EQ(decoded, bytes) << size;
    }
}

TEST(Base64, MemberAppendedToJsonTextParsesAsIfSetThroughTheSerializer) {
    const std::vector<std::uint8_t> bytes = {0x89, 'P', 'N', 'G', 0, 255, 7};
    for (nlohmann::json object : {nlohmann::json::object(), nlohmann::json{{"reading", {{"serial", "58A-\"1\""}}}, {"a", 1}}}) {
        const nlohmann::json parsed = nlohmann::json::parse(json_with_base64_member(object, "overlay_png_base64", bytes));
        object["overlay_png_base64"] = base64(bytes);
        EXPECT_EQ(parsed, object);
    }
    EXPECT_THROW(json_with_base64_member(nlohmann::json{{"a", 1}}, "a", bytes), std::logic_error) << "a member twice";
    EXPECT_THROW(json_with_base64_member(nlohmann::json::array(), "a", bytes), std::logic_error);
}

} // namespace
} // namespace microstamp::serve
