// Galois-field arithmetic: every product of every field size against an independent
// shift-and-add multiplier, exp/log/inverse consistency, the QR field, and primitivity
// against the known count of primitive polynomials of each degree.

#include "code/galois_field.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace microstamp {
namespace {

// Carry-less multiplication with reduction, one bit at a time: shares nothing
// with the table-driven field, so agreement is evidence, not tautology.
unsigned slow_multiply(unsigned a, unsigned b, int bits, unsigned polynomial) {
    unsigned product = 0;
    while (b != 0) {
        if ((b & 1U) != 0) {
            product ^= a;
        }
        b >>= 1U;
        a <<= 1U;
        if ((a & (1U << bits)) != 0) {
            a ^= polynomial;
        }
    }
    return product;
}

TEST(GaloisField, MultiplicationMatchesShiftAndAddForEveryPairInEveryFieldSize) {
    const std::vector<std::pair<int, unsigned>> fields = {{2, 0x7},   {3, 0xB},   {3, 0xD},   {4, 0x13},
                                                          {4, 0x19},  {5, 0x25},  {6, 0x43},  {7, 0x89},
                                                          {8, 0x11D}, {8, 0x12D}, {8, 0x187}};
    for (const auto& [bits, polynomial] : fields) {
        const GaloisField field(bits, polynomial);
        ASSERT_EQ(field.bits(), bits);
        ASSERT_EQ(field.size(), 1 << bits);
        long long mismatches = 0;
        for (int a = 0; a < field.size(); ++a) {
            for (int b = 0; b < field.size(); ++b) {
                const auto ua = static_cast<std::uint8_t>(a);
                const auto ub = static_cast<std::uint8_t>(b);
                const unsigned expected =
                    slow_multiply(static_cast<unsigned>(a), static_cast<unsigned>(b), bits, polynomial);
                mismatches += field.multiply(ua, ub) != expected ? 1 : 0;
                mismatches += field.add(ua, ub) != (a ^ b) ? 1 : 0;
                if (b != 0) {
                    // Division undoes multiplication.
                    mismatches += field.multiply(field.divide(ua, ub), ub) != ua ? 1 : 0;
                }
            }
        }
        EXPECT_EQ(mismatches, 0) << "GF(2^" << bits << ") polynomial " << polynomial;
    }
}

TEST(GaloisField, ExpLogAndInverseAreConsistent) {
    const GaloisField field(4, 0x13);
    std::set<int> seen;
    for (int i = 0; i < 15; ++i) {
        const std::uint8_t x = field.exp(i);
        EXPECT_NE(x, 0);
        EXPECT_EQ(field.log(x), i);
        seen.insert(x);
        EXPECT_EQ(field.multiply(x, field.inverse(x)), 1);
        EXPECT_EQ(field.exp(i + 15), x);
        EXPECT_EQ(field.exp(i - 15), x);
        EXPECT_EQ(field.exp(-i), field.inverse(x));
    }
    EXPECT_EQ(seen.size(), 15U);  // alpha generates every non-zero element
    // Extreme powers reduce correctly instead of overflowing.
    EXPECT_EQ(field.exp(INT_MAX), field.exp(INT_MAX % 15));
    EXPECT_EQ(field.exp(INT_MIN), field.exp(INT_MIN % 15 + 15));
}

TEST(GaloisField, Gf256IsTheQrField) {
    const GaloisField& field = gf256();
    EXPECT_EQ(&field, &gf256());
    EXPECT_EQ(field.bits(), 8);
    EXPECT_EQ(field.size(), 256);
    EXPECT_EQ(field.primitive_polynomial(), 0x11DU);
    // Antilog table of ISO/IEC 18004 (alpha^8 = x^4 + x^3 + x^2 + 1 = 29).
    EXPECT_EQ(field.exp(0), 1);
    EXPECT_EQ(field.exp(7), 128);
    EXPECT_EQ(field.exp(8), 29);
    EXPECT_EQ(field.exp(9), 58);
    EXPECT_EQ(field.exp(25), 3);
    EXPECT_EQ(field.exp(255), 1);
    EXPECT_EQ(field.log(2), 1);
    EXPECT_EQ(field.inverse(2), 0x8E);
}

TEST(GaloisField, AcceptsExactlyThePrimitivePolynomials) {
    // Number of primitive polynomials of degree m over GF(2): phi(2^m - 1) / m.
    const int expected[] = {0, 0, 1, 2, 2, 6, 6, 18, 16};
    for (int bits = 2; bits <= 8; ++bits) {
        int accepted = 0;
        for (unsigned polynomial = 1U << bits; polynomial < (2U << bits); ++polynomial) {
            try {
                const GaloisField field(bits, polynomial);
                ++accepted;
            } catch (const std::invalid_argument&) {
            }
        }
        EXPECT_EQ(accepted, expected[bits]) << "degree " << bits;
    }
}

TEST(GaloisField, RejectsBadConstructionAndOperands) {
    // Irreducible but not primitive: the AES polynomial, and x^4+x^3+x^2+x+1 (order 5).
    EXPECT_THROW(GaloisField(8, 0x11B), std::invalid_argument);
    EXPECT_THROW(GaloisField(4, 0x1F), std::invalid_argument);
    EXPECT_THROW(GaloisField(8, 0x100), std::invalid_argument);  // x^8, reducible
    EXPECT_THROW(GaloisField(8, 0x1D), std::invalid_argument);   // degree 4, not 8
    EXPECT_THROW(GaloisField(4, 0x11D), std::invalid_argument);  // degree 8, not 4
    EXPECT_THROW(GaloisField(1, 0x3), std::invalid_argument);
    EXPECT_THROW(GaloisField(9, 0x211), std::invalid_argument);
    try {
        GaloisField(8, 0x11B);
        FAIL() << "no exception";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("0x11B"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("not primitive"), std::string::npos) << e.what();
    }

    const GaloisField field(4, 0x13);
    EXPECT_THROW(field.divide(3, 0), std::invalid_argument);
    EXPECT_THROW(field.inverse(0), std::invalid_argument);
    EXPECT_THROW(field.log(0), std::invalid_argument);
    EXPECT_THROW(field.multiply(16, 1), std::invalid_argument);
    EXPECT_THROW(field.add(1, 200), std::invalid_argument);
    EXPECT_THROW(field.log(16), std::invalid_argument);
    EXPECT_EQ(field.divide(0, 5), 0);
}

} // namespace
} // namespace microstamp
