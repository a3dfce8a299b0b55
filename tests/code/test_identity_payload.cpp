#include "code/catalog.hpp"
#include "code/payload.hpp"
#include "support/identities.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace microstamp {
namespace {

TEST(Catalog, ResolvesNamesShortCodesAndModelNumbers) {
    const Catalog& catalog = default_catalog();
    EXPECT_GE(catalog.manufacturers().size(), 30u);
    EXPECT_GE(catalog.models().size(), 50u);
    const Identity by_name = catalog.identity("Glock", "G17", "bxr123");
    const Identity by_code = catalog.identity("glk", "17", "BXR123");
    EXPECT_EQ(by_name, by_code);
    EXPECT_EQ(by_name.serial, "BXR123");
    EXPECT_EQ(by_name.manufacturer_code, 1);
    EXPECT_EQ(by_name.model_code, 17);
}

TEST(Catalog, UnknownManufacturerNamesTheClosestKnown) {
    try {
        default_catalog().identity("Glok", "G17", "1");
        FAIL() << "no error";
    } catch (const InputError& error) {
        EXPECT_NE(std::string(error.what()).find("unknown manufacturer 'Glok'"), std::string::npos) << error.what();
        EXPECT_NE(std::string(error.what()).find("'Glock'"), std::string::npos) << error.what();
    }
}

TEST(Catalog, UnknownModelNamesTheClosestKnown) {
    try {
        default_catalog().identity("SIG Sauer", "P2290", "1");
        FAIL() << "no error";
    } catch (const InputError& error) {
        EXPECT_NE(std::string(error.what()).find("'P229'"), std::string::npos) << error.what();
    }
}

TEST(Catalog, RejectsMalformedTables) {
    EXPECT_THROW(parse_catalog("code,short,name\n1,GLK,Glock\n1,XXX,Other\n", "manufacturer,model_code,model,caliber,pin_diameter_um,pin_shape\n"), InputError);
    EXPECT_THROW(parse_catalog("code,short,name\n2000,GLK,Glock\n", "manufacturer,model_code,model,caliber,pin_diameter_um,pin_shape\n"), InputError);
    EXPECT_THROW(parse_catalog("code,short,name\n1,GLK,Glock\n",
                               "manufacturer,model_code,model,caliber,pin_diameter_um,pin_shape\nZZZ,1,X,9mm,1600,flat\n"),
                 InputError);
    EXPECT_THROW(parse_catalog("code,short,name\n1,GLK,Glock\n",
                               "manufacturer,model_code,model,caliber,pin_diameter_um,pin_shape\nGLK,1,X,9mm,wide,flat\n"),
                 InputError);
    EXPECT_THROW(parse_catalog("name,code\n", ""), InputError);
}

TEST(Serial, RejectsForbiddenCharactersAndLength) {
    EXPECT_THROW(normalise_serial(""), InputError);
    EXPECT_THROW(normalise_serial("ABC_123"), InputError);
    EXPECT_THROW(normalise_serial("ABCDEFGHIJKLM"), InputError);
    EXPECT_EQ(normalise_serial("ab-12"), "AB-12");
}

TEST(Serial, IndexIsABijectionAtTheEdges) {
    EXPECT_EQ(serial_index("0"), 0u);
    EXPECT_EQ(*serial_from_index(0), "0");
    EXPECT_EQ(*serial_from_index(36), "-");
    EXPECT_EQ(*serial_from_index(37), "00");
    const std::string longest(max_serial_length, '-');
    const auto last = serial_index(longest);
    EXPECT_EQ(*serial_from_index(last), longest);
    EXPECT_FALSE(serial_from_index(last + 1).has_value());
    EXPECT_LT(last, std::uint64_t{1} << 63);
}

RC_GTEST_PROP(Payload, PackUnpackRoundTrips, ()) {
    std::mt19937_64 random(*rc::gen::arbitrary<std::uint64_t>());
    const Identity identity = testing::random_identity(random);
    const auto fields = unpack_payload(pack_payload(identity));
    RC_ASSERT(fields.has_value());
    RC_ASSERT(fields->manufacturer_code == identity.manufacturer_code);
    RC_ASSERT(fields->model_code == identity.model_code);
    RC_ASSERT(fields->serial == identity.serial);
}

TEST(Payload, IntegrityTagRejectsEverySingleBitFlip) {
    std::mt19937_64 random(11);
    const ProtectedPayload message = protect(pack_payload(testing::random_identity(random)));
    ASSERT_TRUE(verify(message).has_value());
    for (std::size_t bit = 0; bit < message.size() * 8; ++bit) {
        ProtectedPayload altered = message;
        altered[bit / 8] = static_cast<std::uint8_t>(altered[bit / 8] ^ (1U << (bit % 8)));
        EXPECT_FALSE(verify(altered).has_value()) << "bit " << bit;
    }
}

TEST(Payload, RandomMessagesPassTheTagAtAboutTwoToTheMinus32) {
    // 2^20 random messages: at 2^-32 the expected number of passes is 2^-12; seeing
    // even one would put the check's real rate far above its design bound.
    std::mt19937_64 random(12);
    int passed = 0;
    ProtectedPayload message{};
    for (int trial = 0; trial < (1 << 20); ++trial) {
        for (auto& byte : message) byte = static_cast<std::uint8_t>(random());
        passed += verify(message).has_value();
    }
    EXPECT_EQ(passed, 0);
}

TEST(Payload, RejectsReservedBitsAndUnknownVersion) {
    std::mt19937_64 random(13);
    Payload payload = pack_payload(testing::random_identity(random));
    Payload reserved = payload;
    reserved.back() |= 1;
    EXPECT_FALSE(unpack_payload(reserved).has_value());
    Payload version = payload;
    version[0] = static_cast<std::uint8_t>((version[0] & 0x0F) | 0x20);
    EXPECT_FALSE(unpack_payload(version).has_value());
}

} // namespace
} // namespace microstamp
