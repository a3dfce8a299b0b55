// The Reed-Solomon errors-and-erasures codec (its field: test_galois_field.cpp).
//
// What is proved here, and against what:
//  * the encoder against published vectors (ISO/IEC 18004 QR Code, and the
//    Data Matrix / Aztec vectors of the ZXing test suite), which also pins the
//    symbol order, the first generator root and the field polynomial;
//  * the decoder exhaustively on small codes: every position and every value of
//    every error/erasure pattern within 2e + f <= n - k comes back to the
//    original, and beyond the bound it fails or returns a true codeword;
//  * the same on GF(256) by property tests over random (shortened) lengths;
//  * every bad argument throws std::invalid_argument.
// Codeword validity is always judged by re-encoding the data part, never by the
// decoder's own syndrome routine, so a bug there cannot hide itself.

#include "code/galois_field.hpp"
#include "code/reed_solomon.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <functional>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace microstamp {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes concat(const Bytes& a, const Bytes& b) {
    Bytes out = a;
    out.insert(out.end(), b.begin(), b.end());
    return out;
}

std::string show(const Bytes& v) {
    std::ostringstream out;
    for (std::size_t i = 0; i < v.size(); ++i) {
        out << (i == 0 ? "" : " ") << static_cast<int>(v[i]);
    }
    return out.str();
}

std::string show(const std::vector<int>& v) {
    std::ostringstream out;
    for (std::size_t i = 0; i < v.size(); ++i) {
        out << (i == 0 ? "" : " ") << v[i];
    }
    return out.str();
}

bool is_valid_codeword(const ReedSolomon& rs, const Bytes& word) {
    if (word.size() != static_cast<std::size_t>(rs.codeword_length())) {
        return false;
    }
    const Bytes data(word.begin(), word.begin() + rs.data_length());
    return rs.encode(data) == word;
}

Bytes random_data(const ReedSolomon& rs, std::mt19937_64& rng) {
    std::uniform_int_distribution<int> symbol(0, rs.field().size() - 1);
    Bytes data(static_cast<std::size_t>(rs.data_length()));
    for (auto& s : data) {
        s = static_cast<std::uint8_t>(symbol(rng));
    }
    return data;
}

// A corruption of a codeword: `delta[i]` is XORed into symbol i; positions in
// `erasures` are flagged to the decoder (their delta may be zero: an erased
// symbol can happen to be right). Non-erased positions with a non-zero delta
// are the errors.
struct Pattern {
    Bytes delta;
    std::vector<int> erasures;
};

int error_count(const Pattern& p) {
    int e = 0;
    for (std::size_t i = 0; i < p.delta.size(); ++i) {
        const bool erased = std::find(p.erasures.begin(), p.erasures.end(), static_cast<int>(i)) != p.erasures.end();
        e += (!erased && p.delta[i] != 0) ? 1 : 0;
    }
    return e;
}

Bytes corrupt(const Bytes& codeword, const Pattern& p) {
    Bytes out = codeword;
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] ^= p.delta[i];
    }
    return out;
}

// Empty when the decoder's answer for a pattern within the bound is exactly right.
std::string check_recovered(const ReedSolomon& rs, const Bytes& original, const Pattern& p) {
    const Bytes received = corrupt(original, p);
    const auto decoded = rs.decode(received, p.erasures);
    std::vector<int> expected_positions;
    for (std::size_t i = 0; i < p.delta.size(); ++i) {
        if (p.delta[i] != 0) {
            expected_positions.push_back(static_cast<int>(i));
        }
    }
    const int e = error_count(p);
    const int f = static_cast<int>(p.erasures.size());
    std::string why;
    if (!decoded.ok) {
        why = "decode failed";
    } else if (decoded.codeword != original) {
        why = "wrong codeword " + show(decoded.codeword);
    } else if (decoded.errors != e || decoded.erasures != f) {
        why = "counted errors " + std::to_string(decoded.errors) + " erasures " + std::to_string(decoded.erasures);
    } else if (decoded.corrected_positions != expected_positions) {
        why = "corrected positions " + show(decoded.corrected_positions);
    } else if (decoded.unused_capacity() != rs.parity_length() - (2 * e + f)) {
        why = "unused capacity " + std::to_string(decoded.unused_capacity());
    }
    if (why.empty()) {
        return why;
    }
    return why + " for RS(" + std::to_string(rs.codeword_length()) + "," + std::to_string(rs.data_length()) +
           ") b=" + std::to_string(rs.first_root()) + " original [" + show(original) + "] delta [" +
           show(p.delta) + "] erasures [" + show(p.erasures) + "]";
}

// Empty when an answer for any pattern (typically beyond the bound) keeps the
// promises: ok means a true codeword, honestly accounted, within the bound.
std::string check_never_lies(const ReedSolomon& rs, const Bytes& received, const std::vector<int>& erasures) {
    const auto decoded = rs.decode(received, erasures);
    const std::set<int> erased(erasures.begin(), erasures.end());
    const int f = static_cast<int>(erased.size());
    std::string why;
    if (decoded.erasures != f) {
        why = "erasure count " + std::to_string(decoded.erasures);
    } else if (!decoded.ok) {
        if (!decoded.codeword.empty()) {
            why = "failed decode returned a codeword";
        }
    } else if (f > rs.parity_length()) {
        why = "ok with more erasures than parity symbols";
    } else if (!is_valid_codeword(rs, decoded.codeword)) {
        why = "ok with a non-codeword " + show(decoded.codeword);
    } else {
        std::vector<int> changed;
        int errors = 0;
        for (std::size_t i = 0; i < received.size(); ++i) {
            if (received[i] != decoded.codeword[i]) {
                changed.push_back(static_cast<int>(i));
                errors += erased.count(static_cast<int>(i)) == 0 ? 1 : 0;
            }
        }
        if (changed != decoded.corrected_positions) {
            why = "corrected positions " + show(decoded.corrected_positions) + " but changed " + show(changed);
        } else if (errors != decoded.errors) {
            why = "reported " + std::to_string(decoded.errors) + " errors, changed " + std::to_string(errors);
        } else if (2 * errors + f > rs.parity_length() || decoded.unused_capacity() < 0) {
            why = "ok beyond the correction bound";
        }
    }
    if (why.empty()) {
        return why;
    }
    return why + " for RS(" + std::to_string(rs.codeword_length()) + "," + std::to_string(rs.data_length()) +
           ") received [" + show(received) + "] erasures [" + show(erasures) + "]";
}

// Visits every pattern on n positions whose cost 2e + f lies in [min_cost, max_cost].
// Error values run over all non-zero symbols. Erased symbols run over all q
// values when `all_erasure_values`, else take one value drawn from `rng`.
void for_each_pattern(int n, int q, int min_cost, int max_cost, bool all_erasure_values, std::mt19937_64& rng,
                      const std::function<void(const Pattern&)>& visit) {
    Pattern p;
    p.delta.assign(static_cast<std::size_t>(n), 0);
    std::uniform_int_distribution<int> any_symbol(0, q - 1);
    std::function<void(int, int)> recurse = [&](int position, int cost) {
        if (position == n) {
            if (cost >= min_cost) {
                visit(p);
            }
            return;
        }
        const auto at = static_cast<std::size_t>(position);
        recurse(position + 1, cost);
        if (cost + 2 <= max_cost) {
            for (int v = 1; v < q; ++v) {
                p.delta[at] = static_cast<std::uint8_t>(v);
                recurse(position + 1, cost + 2);
            }
            p.delta[at] = 0;
        }
        if (cost + 1 <= max_cost) {
            p.erasures.push_back(position);
            if (all_erasure_values) {
                for (int v = 0; v < q; ++v) {
                    p.delta[at] = static_cast<std::uint8_t>(v);
                    recurse(position + 1, cost + 1);
                }
            } else {
                p.delta[at] = static_cast<std::uint8_t>(any_symbol(rng));
                recurse(position + 1, cost + 1);
            }
            p.delta[at] = 0;
            p.erasures.pop_back();
        }
    };
    recurse(0, 0);
}

// Accumulates failures in tight loops without drowning the log.
struct Tally {
    long long checked = 0;
    long long failures = 0;
    std::string first;
    void add(const std::string& why) {
        ++checked;
        if (!why.empty()) {
            if (failures == 0) {
                first = why;
            }
            ++failures;
        }
    }
};

// ---------------------------------------------------------------------------
// Published vectors

struct Vector {
    const char* name;
    int bits;
    unsigned polynomial;
    int first_root;
    Bytes data;
    Bytes parity;
};

std::vector<Vector> published_vectors() {
    return {
        // ISO/IEC 18004 Annex I: "01234567" in numeric mode, version 1-M.
        // Also the ISO case in zxing/zxing core/src/test/java/com/google/zxing/
        // common/reedsolomon/ReedSolomonTestCase.java (testQRCode).
        {"QR 1-M 01234567 (ISO/IEC 18004 Annex I)",
         8,
         0x11D,
         0,
         {16, 32, 12, 86, 97, 128, 236, 17, 236, 17, 236, 17, 236, 17, 236, 17},
         {165, 36, 212, 193, 237, 54, 199, 135, 44, 85}},
        // "HELLO WORLD" in alphanumeric mode, version 1-M: the worked example of the
        // Thonky.com QR Code Tutorial (Error Correction Coding), reproduced in the
        // tests of many independent public QR encoders.
        {"QR 1-M HELLO WORLD (Thonky QR tutorial)",
         8,
         0x11D,
         0,
         {32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17},
         {196, 35, 39, 119, 235, 215, 231, 226, 93, 23}},
        // zxing ReedSolomonTestCase.testQRCode, second case (32 data, 18 EC).
        {"QR 32+18 (zxing)",
         8,
         0x11D,
         0,
         {0x72, 0x67, 0x2F, 0x77, 0x69, 0x6B, 0x69, 0x2F, 0x4D, 0x61, 0x69, 0x6E, 0x5F, 0x50, 0x61, 0x67,
          0x65, 0x3B, 0x3B, 0x00, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11},
         {0xD8, 0xB8, 0xEF, 0x14, 0xEC, 0xD0, 0xCC, 0x85, 0x73, 0x40, 0x0B, 0xB5, 0x5A, 0xB8, 0x8B, 0x2E, 0x08,
          0x62}},
        // zxing ReedSolomonTestCase.testDataMatrix: GF(256)/0x12D, generator roots from alpha^1.
        {"Data Matrix 3+5 (zxing)", 8, 0x12D, 1, {142, 164, 186}, {114, 25, 5, 88, 102}},
        {"Data Matrix 36+24 (zxing)",
         8,
         0x12D,
         1,
         {0x69, 0x75, 0x75, 0x71, 0x3B, 0x30, 0x30, 0x64, 0x70, 0x65, 0x66, 0x2F, 0x68, 0x70, 0x70, 0x68, 0x6D, 0x66,
          0x2F, 0x64, 0x70, 0x6E, 0x30, 0x71, 0x30, 0x7B, 0x79, 0x6A, 0x6F, 0x68, 0x30, 0x81, 0xF0, 0x88, 0x1F, 0xB5},
         {0x1C, 0x64, 0xEE, 0xEB, 0xD0, 0x1D, 0x00, 0x03, 0xF0, 0x1C, 0xF1, 0xD0,
          0x6D, 0x00, 0x98, 0xDA, 0x80, 0x88, 0xBE, 0xFF, 0xB7, 0xFA, 0xA9, 0x95}},
        // zxing ReedSolomonTestCase.testAztec: GF(16)/0x13 and GF(64)/0x43, roots from alpha^1.
        {"Aztec parameters 2+5 (zxing)", 4, 0x13, 1, {0x5, 0x6}, {0x3, 0x2, 0xB, 0xB, 0x7}},
        {"Aztec parameters 4+6 (zxing)", 4, 0x13, 1, {0x0, 0x0, 0x0, 0x9}, {0xA, 0xD, 0x8, 0x6, 0x5, 0x6}},
        {"Aztec parameters 4+6 b (zxing)", 4, 0x13, 1, {0x2, 0x8, 0x8, 0x7}, {0xE, 0xC, 0xA, 0x9, 0x6, 0x8}},
        {"Aztec 6-bit 10+11 (zxing)",
         6,
         0x43,
         1,
         {0x9, 0x32, 0x1, 0x29, 0x2F, 0x2, 0x27, 0x25, 0x1, 0x1B},
         {0x2C, 0x2, 0xD, 0xD, 0xA, 0x16, 0x28, 0x9, 0x22, 0xA, 0x14}},
    };
}

TEST(ReedSolomonVectors, EncoderReproducesPublishedParity) {
    for (const auto& v : published_vectors()) {
        const GaloisField field(v.bits, v.polynomial);
        const int k = static_cast<int>(v.data.size());
        const int n = k + static_cast<int>(v.parity.size());
        const ReedSolomon rs(field, n, k, v.first_root);
        EXPECT_EQ(rs.parity(v.data), v.parity) << v.name;
        EXPECT_EQ(rs.encode(v.data), concat(v.data, v.parity)) << v.name;
        EXPECT_TRUE(rs.is_codeword(concat(v.data, v.parity))) << v.name;
    }
}

TEST(ReedSolomonVectors, QrGeneratorPolynomialsMatchIsoAnnexA) {
    // Generator polynomials as exponents of alpha, highest degree first, as tabulated
    // in ISO/IEC 18004 Annex A (7 and 10 error correction codewords).
    const std::vector<std::vector<int>> tables = {{0, 87, 229, 146, 149, 238, 102, 21},
                                                  {0, 251, 67, 46, 61, 118, 70, 64, 94, 32, 45}};
    for (const auto& exponents : tables) {
        const int r = static_cast<int>(exponents.size()) - 1;
        const ReedSolomon rs(gf256(), 26, 26 - r, 0);
        ASSERT_EQ(rs.generator().size(), exponents.size());
        for (std::size_t i = 0; i < exponents.size(); ++i) {
            EXPECT_EQ(gf256().log(rs.generator()[i]), exponents[i]) << "r=" << r << " term " << i;
        }
    }
}

TEST(ReedSolomonVectors, DecodesPublishedCodewordsWithErrorsAndErasures) {
    std::mt19937_64 rng(0x5EED0001);
    for (const auto& v : published_vectors()) {
        const GaloisField field(v.bits, v.polynomial);
        const int k = static_cast<int>(v.data.size());
        const int r = static_cast<int>(v.parity.size());
        const int n = k + r;
        const ReedSolomon rs(field, n, k, v.first_root);
        const Bytes original = concat(v.data, v.parity);
        std::uniform_int_distribution<int> nonzero(1, field.size() - 1);

        // Every split of the redundancy between errors and erasures, at the bound.
        for (int e = 0; 2 * e <= r; ++e) {
            const int f = r - 2 * e;
            for (int trial = 0; trial < 20; ++trial) {
                std::vector<int> positions(static_cast<std::size_t>(n));
                std::iota(positions.begin(), positions.end(), 0);
                std::shuffle(positions.begin(), positions.end(), rng);
                Pattern p;
                p.delta.assign(static_cast<std::size_t>(n), 0);
                for (int i = 0; i < e + f; ++i) {
                    const int at = positions[static_cast<std::size_t>(i)];
                    p.delta[static_cast<std::size_t>(at)] = static_cast<std::uint8_t>(nonzero(rng));
                    if (i >= e) {
                        p.erasures.push_back(at);
                    }
                }
                const std::string why = check_recovered(rs, original, p);
                EXPECT_TRUE(why.empty()) << v.name << ": " << why;
            }
        }
    }
}

TEST(ReedSolomonVectors, QrHelloWorldWorkedCorrections) {
    const ReedSolomon rs(gf256(), 26, 16, 0);
    const Bytes original = {32, 91, 11, 120, 209, 114, 220, 77, 67,  64,  236, 17,  236,
                            17, 236, 17, 196, 35,  39,  119, 235, 215, 231, 226, 93, 23};
    // Five errors, the most ten parity symbols can correct blind.
    Bytes received = original;
    received[0] = 0;
    received[7] = 255;
    received[15] = 1;
    received[20] ^= 0x5A;
    received[25] = 0;
    auto decoded = rs.decode(received);
    ASSERT_TRUE(decoded.ok);
    EXPECT_EQ(decoded.codeword, original);
    EXPECT_EQ(decoded.errors, 5);
    EXPECT_EQ(decoded.erasures, 0);
    EXPECT_EQ(decoded.corrected_positions, (std::vector<int>{0, 7, 15, 20, 25}));
    EXPECT_EQ(decoded.unused_capacity(), 0);

    // Ten erasures, all symbols zeroed: the full redundancy, spent on known positions.
    received = original;
    std::vector<int> erasures = {25, 0, 1, 2, 3, 4, 5, 6, 7, 8};
    for (const int i : erasures) {
        received[static_cast<std::size_t>(i)] = 0;
    }
    decoded = rs.decode(received, erasures);
    ASSERT_TRUE(decoded.ok);
    EXPECT_EQ(decoded.codeword, original);
    EXPECT_EQ(decoded.errors, 0);
    EXPECT_EQ(decoded.erasures, 10);
    EXPECT_EQ(decoded.unused_capacity(), 0);

    // Three errors and four erasures, one of which actually holds the right symbol.
    received = original;
    received[2] ^= 1;
    received[11] ^= 0x80;
    received[24] ^= 0xFF;
    erasures = {5, 6, 18, 19};
    received[5] = 0;
    received[6] = 0;
    received[18] = 0;  // erased but unchanged below: position 19 keeps its symbol
    decoded = rs.decode(received, erasures);
    ASSERT_TRUE(decoded.ok);
    EXPECT_EQ(decoded.codeword, original);
    EXPECT_EQ(decoded.errors, 3);
    EXPECT_EQ(decoded.erasures, 4);
    EXPECT_EQ(decoded.corrected_positions, (std::vector<int>{2, 5, 6, 11, 18, 24}));
    EXPECT_EQ(decoded.unused_capacity(), 0);

    // Untouched codeword: nothing to do, full margin.
    decoded = rs.decode(original);
    ASSERT_TRUE(decoded.ok);
    EXPECT_EQ(decoded.codeword, original);
    EXPECT_TRUE(decoded.corrected_positions.empty());
    EXPECT_EQ(decoded.unused_capacity(), 10);

    // Six errors exceed the bound: the decoder may only fail or land on a true codeword.
    received = original;
    for (const int i : {1, 4, 9, 14, 19, 24}) {
        received[static_cast<std::size_t>(i)] ^= 0x33;
    }
    const std::string why = check_never_lies(rs, received, {});
    EXPECT_TRUE(why.empty()) << why;
    EXPECT_NE(rs.decode(received).codeword, original);
}

// ---------------------------------------------------------------------------
// Exhaustive on small fields

TEST(ReedSolomonExhaustive, Gf8Rs73EveryMessageEveryPositionEveryErrorValue) {
    // All 512 messages, every placement of errors and erasures within 2e + f <= 4,
    // every non-zero error value; erased symbols take a random value per pattern.
    const GaloisField field(3, 0xB);
    std::mt19937_64 rng(0x5EED0002);
    for (const int first_root : {0, 1}) {
        const ReedSolomon rs(field, 7, 3, first_root);
        Tally tally;
        for (int message = 0; message < 512; ++message) {
            const Bytes data = {static_cast<std::uint8_t>(message >> 6), static_cast<std::uint8_t>((message >> 3) & 7),
                                static_cast<std::uint8_t>(message & 7)};
            const Bytes original = rs.encode(data);
            for_each_pattern(7, 8, 0, 4, false, rng,
                             [&](const Pattern& p) { tally.add(check_recovered(rs, original, p)); });
        }
        EXPECT_EQ(tally.failures, 0) << tally.first;
        EXPECT_EQ(tally.checked, 512LL * 2206) << "pattern count";
    }
}

TEST(ReedSolomonExhaustive, Gf8Rs73EveryErasedValueToo) {
    // The full pattern space, erased symbols over all 8 values as well, on a spread
    // of messages; the decoder sees only syndromes, so messages matter less than patterns.
    const GaloisField field(3, 0xB);
    const ReedSolomon rs(field, 7, 3, 0);
    std::mt19937_64 rng(0x5EED0003);
    Tally tally;
    std::vector<int> messages = {0, 0777};
    std::uniform_int_distribution<int> any_message(1, 0776);
    while (messages.size() < 32) {
        messages.push_back(any_message(rng));
    }
    for (const int message : messages) {
        const Bytes data = {static_cast<std::uint8_t>(message >> 6), static_cast<std::uint8_t>((message >> 3) & 7),
                            static_cast<std::uint8_t>(message & 7)};
        const Bytes original = rs.encode(data);
        for_each_pattern(7, 8, 0, 4, true, rng, [&](const Pattern& p) { tally.add(check_recovered(rs, original, p)); });
    }
    EXPECT_EQ(tally.failures, 0) << tally.first;
    EXPECT_EQ(tally.checked, 32LL * 213'151) << "pattern count";
}

TEST(ReedSolomonExhaustive, Gf8Rs73BeyondTheBoundNeverReturnsANonCodeword) {
    // Every placement and error value with 2e + f in [5, 8], on random messages;
    // includes f > n - k, which must fail outright.
    const GaloisField field(3, 0xB);
    std::mt19937_64 rng(0x5EED0004);
    for (const int first_root : {0, 5}) {
        const ReedSolomon rs(field, 7, 3, first_root);
        Tally tally;
        long long successes = 0;
        for_each_pattern(7, 8, 5, 8, false, rng, [&](const Pattern& p) {
            const Bytes original = rs.encode(random_data(rs, rng));
            const Bytes received = corrupt(original, p);
            tally.add(check_never_lies(rs, received, p.erasures));
            successes += rs.decode(received, p.erasures).ok ? 1 : 0;
        });
        EXPECT_EQ(tally.failures, 0) << tally.first;
        EXPECT_GT(tally.checked, 100'000);
        // Some patterns land within distance of another codeword: the check above was exercised.
        EXPECT_GT(successes, 0);
    }
}

TEST(ReedSolomonExhaustive, Gf16ShortenedRs12_6EveryPlacement) {
    // Shortened code (n = 12 < 15) with first root alpha^1: every placement of
    // errors and erasures within 2e + f <= 6, each with several random values,
    // plus every value of every one- and two-error pattern.
    const GaloisField field(4, 0x13);
    const ReedSolomon rs(field, 12, 6, 1);
    std::mt19937_64 rng(0x5EED0005);
    Tally tally;
    for (int repeat = 0; repeat < 4; ++repeat) {
        std::uniform_int_distribution<int> nonzero(1, 15);
        std::uniform_int_distribution<int> any(0, 15);
        for_each_pattern(12, 2, 0, 6, false, rng, [&](const Pattern& placement) {
            // Placement drawn over a 2-symbol alphabet, then given real random values.
            Pattern p = placement;
            for (std::size_t i = 0; i < p.delta.size(); ++i) {
                const bool erased =
                    std::find(p.erasures.begin(), p.erasures.end(), static_cast<int>(i)) != p.erasures.end();
                if (p.delta[i] != 0 && !erased) {
                    p.delta[i] = static_cast<std::uint8_t>(nonzero(rng));
                } else if (erased) {
                    p.delta[i] = static_cast<std::uint8_t>(any(rng));
                }
            }
            tally.add(check_recovered(rs, rs.encode(random_data(rs, rng)), p));
        });
    }
    const Bytes original = rs.encode(random_data(rs, rng));
    for_each_pattern(12, 16, 0, 4, false, rng, [&](const Pattern& p) {
        if (p.erasures.empty()) {
            tally.add(check_recovered(rs, original, p));
        }
    });
    EXPECT_EQ(tally.failures, 0) << tally.first;
    EXPECT_GT(tally.checked, 60'000);
}

TEST(ReedSolomonExhaustive, Gf16ShortenedRs12_6BeyondTheBoundNeverReturnsANonCodeword) {
    // A shortened code is where roots outside the n real positions show up.
    const GaloisField field(4, 0x13);
    const ReedSolomon rs(field, 12, 6, 1);
    std::mt19937_64 rng(0x5EED0006);
    std::uniform_int_distribution<int> nonzero(1, 15);
    Tally tally;
    long long successes = 0;
    for_each_pattern(12, 2, 7, 9, false, rng, [&](const Pattern& placement) {
        Pattern p = placement;
        for (std::size_t i = 0; i < p.delta.size(); ++i) {
            if (p.delta[i] != 0) {
                p.delta[i] = static_cast<std::uint8_t>(nonzero(rng));
            }
        }
        const Bytes received = corrupt(rs.encode(random_data(rs, rng)), p);
        tally.add(check_never_lies(rs, received, p.erasures));
        successes += rs.decode(received, p.erasures).ok ? 1 : 0;
    });
    EXPECT_EQ(tally.failures, 0) << tally.first;
    EXPECT_GT(tally.checked, 50'000);
    EXPECT_GT(successes, 0);
}

// ---------------------------------------------------------------------------
// Properties over GF(256)

struct Case {
    int n;
    int k;
    int first_root;
};

// A random corruption with exactly e errors and f erasures on distinct positions.
Pattern make_pattern(int n, int e, int f, std::uint64_t seed, int q) {
    std::mt19937_64 rng(seed);
    std::vector<int> positions(static_cast<std::size_t>(n));
    std::iota(positions.begin(), positions.end(), 0);
    std::shuffle(positions.begin(), positions.end(), rng);
    std::uniform_int_distribution<int> nonzero(1, q - 1);
    std::uniform_int_distribution<int> any(0, q - 1);
    Pattern p;
    p.delta.assign(static_cast<std::size_t>(n), 0);
    for (int i = 0; i < e + f; ++i) {
        const auto at = static_cast<std::size_t>(positions[static_cast<std::size_t>(i)]);
        p.delta[at] = static_cast<std::uint8_t>(i < e ? nonzero(rng) : any(rng));
        if (i >= e) {
            p.erasures.push_back(static_cast<int>(at));
        }
    }
    return p;
}

void property_within_bound(const ReedSolomon& rs) {
    const int n = rs.codeword_length();
    const int r = rs.parity_length();
    const auto data = *rc::gen::container<Bytes>(static_cast<std::size_t>(rs.data_length()),
                                                 rc::gen::arbitrary<std::uint8_t>());
    const int f = *rc::gen::inRange(0, r + 1);
    const int e = *rc::gen::inRange(0, (r - f) / 2 + 1);
    const auto seed = *rc::gen::arbitrary<std::uint64_t>();
    Pattern p = make_pattern(n, e, f, seed, 256);
    // Duplicated erasure indices must not count twice.
    if (!p.erasures.empty() && *rc::gen::arbitrary<bool>()) {
        p.erasures.push_back(p.erasures.front());
    }
    const Bytes original = rs.encode(data);
    const auto decoded = rs.decode(corrupt(original, p), p.erasures);
    RC_ASSERT(decoded.ok);
    RC_ASSERT(decoded.codeword == original);
    RC_ASSERT(decoded.errors == e);
    RC_ASSERT(decoded.erasures == f);
    std::vector<int> changed;
    for (int i = 0; i < n; ++i) {
        if (p.delta[static_cast<std::size_t>(i)] != 0) {
            changed.push_back(i);
        }
    }
    RC_ASSERT(decoded.corrected_positions == changed);
    RC_ASSERT(decoded.unused_capacity() == r - 2 * e - f);
}

void property_beyond_bound(const ReedSolomon& rs) {
    const int n = rs.codeword_length();
    const int r = rs.parity_length();
    const auto data = *rc::gen::container<Bytes>(static_cast<std::size_t>(rs.data_length()),
                                                 rc::gen::arbitrary<std::uint8_t>());
    const int f = *rc::gen::inRange(0, n + 1);
    const int min_e = std::max(0, (r - f) / 2 + 1);
    RC_PRE(min_e <= n - f);
    const int e = *rc::gen::inRange(min_e, n - f + 1);
    const auto seed = *rc::gen::arbitrary<std::uint64_t>();
    const Pattern p = make_pattern(n, e, f, seed, 256);
    const Bytes received = corrupt(rs.encode(data), p);
    const std::string why = check_never_lies(rs, received, p.erasures);
    RC_ASSERT(why.empty());
    RC_CLASSIFY(rs.decode(received, p.erasures).ok, "landed on another codeword");
    if (f > r) {
        RC_ASSERT(!rs.decode(received, p.erasures).ok);
    }
}

Case random_case() {
    const int n = *rc::gen::inRange(2, 256);
    const int k = *rc::gen::inRange(1, n);
    const int first_root = *rc::gen::element(0, 1, 120, 254);
    return {n, k, first_root};
}

RC_GTEST_PROP(ReedSolomonProperty, AnyCodeCorrectsEverythingWithinTheBound, ()) {
    const Case c = random_case();
    RC_TAG(c.n == 255 ? "full length" : "shortened");
    property_within_bound(ReedSolomon(gf256(), c.n, c.k, c.first_root));
}

RC_GTEST_PROP(ReedSolomonProperty, Rs52_15CorrectsEverythingWithinTheBound, ()) {
    property_within_bound(ReedSolomon(gf256(), 52, 15, 0));
}

RC_GTEST_PROP(ReedSolomonProperty, Rs255_223CorrectsEverythingWithinTheBound, ()) {
    property_within_bound(ReedSolomon(gf256(), 255, 223, 0));
}

RC_GTEST_PROP(ReedSolomonProperty, AnyCodeNeverLiesBeyondTheBound, ()) {
    const Case c = random_case();
    property_beyond_bound(ReedSolomon(gf256(), c.n, c.k, c.first_root));
}

RC_GTEST_PROP(ReedSolomonProperty, Rs52_15NeverLiesBeyondTheBound, ()) {
    property_beyond_bound(ReedSolomon(gf256(), 52, 15, 0));
}

RC_GTEST_PROP(ReedSolomonProperty, NearlyAllParityCodesNeverLie, ()) {
    // Few data symbols and many parity symbols make miscorrection rare but the
    // algebra deep; a near-bound case on a small-k code exercises the long BM runs.
    const int n = *rc::gen::inRange(20, 256);
    property_beyond_bound(ReedSolomon(gf256(), n, *rc::gen::inRange(1, 4), 0));
}

RC_GTEST_PROP(ReedSolomonProperty, LowRedundancyCodesNeverLie, ()) {
    // With one to four parity symbols a pattern beyond the bound often sits
    // within reach of another codeword, so the ok-path promises get exercised.
    const int n = *rc::gen::inRange(3, 256);
    const int r = *rc::gen::inRange(1, std::min(n, 5));
    property_beyond_bound(ReedSolomon(gf256(), n, n - r, *rc::gen::element(0, 1)));
}

// ---------------------------------------------------------------------------
// Bad arguments

template <class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "(no std::invalid_argument thrown)";
}

TEST(ReedSolomonArguments, ConstructorRejectsImpossibleCodes) {
    const GaloisField gf16(4, 0x13);
    EXPECT_THROW(ReedSolomon(gf256(), 256, 200), std::invalid_argument);  // longer than the field allows
    EXPECT_THROW(ReedSolomon(gf16, 16, 8), std::invalid_argument);
    EXPECT_THROW(ReedSolomon(gf256(), 1, 1), std::invalid_argument);
    EXPECT_THROW(ReedSolomon(gf256(), 10, 0), std::invalid_argument);
    EXPECT_THROW(ReedSolomon(gf256(), 10, 10), std::invalid_argument);  // no parity
    EXPECT_THROW(ReedSolomon(gf256(), 10, 11), std::invalid_argument);
    EXPECT_THROW(ReedSolomon(gf256(), 10, -1), std::invalid_argument);
    EXPECT_NO_THROW(ReedSolomon(gf256(), 255, 1));
    EXPECT_NO_THROW(ReedSolomon(gf16, 15, 14));
    EXPECT_NE(message_of([&] { ReedSolomon(gf16, 16, 8); }).find("[2, 15]"), std::string::npos);
}

TEST(ReedSolomonArguments, FirstRootIsReducedModuloTheFieldOrder) {
    const ReedSolomon a(gf256(), 20, 10, 1);
    const ReedSolomon b(gf256(), 20, 10, 256);
    const ReedSolomon c(gf256(), 20, 10, -254);
    EXPECT_EQ(a.generator(), b.generator());
    EXPECT_EQ(a.generator(), c.generator());
    EXPECT_EQ(c.first_root(), 1);
}

TEST(ReedSolomonArguments, EncoderRejectsBadData) {
    const ReedSolomon rs(gf256(), 52, 15);
    EXPECT_THROW(rs.encode(Bytes(14, 0)), std::invalid_argument);
    EXPECT_THROW(rs.encode(Bytes(16, 0)), std::invalid_argument);
    EXPECT_THROW(rs.parity(Bytes{}), std::invalid_argument);
    EXPECT_NE(message_of([&] { rs.encode(Bytes(14, 0)); }).find("expects 15"), std::string::npos);

    const GaloisField gf16(4, 0x13);
    const ReedSolomon small(gf16, 15, 9);
    Bytes data(9, 3);
    data[4] = 16;  // not a GF(16) symbol
    EXPECT_THROW(small.encode(data), std::invalid_argument);
    EXPECT_NE(message_of([&] { small.encode(data); }).find("index 4"), std::string::npos);
}

TEST(ReedSolomonArguments, DecoderRejectsBadWordsAndErasures) {
    const ReedSolomon rs(gf256(), 52, 15);
    const Bytes word = rs.encode(Bytes(15, 7));
    EXPECT_THROW(rs.decode(Bytes(51, 0)), std::invalid_argument);
    EXPECT_THROW(rs.decode(Bytes(53, 0)), std::invalid_argument);
    const std::vector<int> negative = {3, -1};
    const std::vector<int> too_far = {52};
    EXPECT_THROW(rs.decode(word, negative), std::invalid_argument);
    EXPECT_THROW(rs.decode(word, too_far), std::invalid_argument);
    EXPECT_NE(message_of([&] { rs.decode(word, too_far); }).find("erasure position 52"), std::string::npos);
    EXPECT_THROW(rs.syndromes(Bytes(3, 0)), std::invalid_argument);

    const GaloisField gf16(4, 0x13);
    const ReedSolomon small(gf16, 15, 9);
    Bytes received = small.encode(Bytes(9, 1));
    received[14] = 200;
    EXPECT_THROW(small.decode(received), std::invalid_argument);
}

TEST(ReedSolomonArguments, TooManyErasuresIsAFailureNotAnException) {
    const ReedSolomon rs(gf256(), 20, 12);
    const Bytes word = rs.encode(Bytes(12, 9));
    std::vector<int> erasures(9);
    std::iota(erasures.begin(), erasures.end(), 0);
    const auto decoded = rs.decode(word, erasures);  // 9 > 8 parity symbols, even on a clean word
    EXPECT_FALSE(decoded.ok);
    EXPECT_TRUE(decoded.codeword.empty());
    EXPECT_EQ(decoded.erasures, 9);

    // Duplicates are one erasure: eight distinct positions listed twice still decode.
    std::vector<int> doubled;
    for (int i = 0; i < 8; ++i) {
        doubled.push_back(i);
        doubled.push_back(i);
    }
    Bytes received = word;
    for (int i = 0; i < 8; ++i) {
        received[static_cast<std::size_t>(i)] = 0;
    }
    const auto again = rs.decode(received, doubled);
    ASSERT_TRUE(again.ok);
    EXPECT_EQ(again.codeword, word);
    EXPECT_EQ(again.erasures, 8);
}

}  // namespace
}  // namespace microstamp
