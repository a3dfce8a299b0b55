#pragma once
// Arithmetic in GF(2^m), 2 <= m <= 8: the symbol alphabet of every Reed-Solomon
// code in the project. Elements are bytes; the field is fixed by its primitive
// polynomial, so two fields with different polynomials are different codes.

#include <array>
#include <cstdint>

namespace microstamp {

class GaloisField {
public:
    // `primitive_polynomial` includes the x^m term (0x11D for m = 8). It must be
    // primitive, not merely irreducible: the log/exp tables and the Reed-Solomon
    // locators rely on alpha = x generating every non-zero element.
    GaloisField(int bits, unsigned primitive_polynomial);

    int bits() const { return bits_; }
    int size() const { return size_; }
    unsigned primitive_polynomial() const { return polynomial_; }

    // All operations throw std::invalid_argument for operands >= size().
    std::uint8_t add(std::uint8_t a, std::uint8_t b) const;
    std::uint8_t subtract(std::uint8_t a, std::uint8_t b) const { return add(a, b); }
    std::uint8_t multiply(std::uint8_t a, std::uint8_t b) const;
    std::uint8_t divide(std::uint8_t a, std::uint8_t b) const;  // throws on b == 0
    std::uint8_t inverse(std::uint8_t a) const;                 // throws on 0
    std::uint8_t exp(int power) const;                           // alpha^power, any int
    int log(std::uint8_t a) const;                               // in [0, size-2]; throws on 0

    friend bool operator==(const GaloisField& a, const GaloisField& b) {
        return a.bits_ == b.bits_ && a.polynomial_ == b.polynomial_;
    }

private:
    friend class ReedSolomon;  // its inner loops use the tables without range checks

    void check_element(std::uint8_t a, const char* what) const;

    int bits_;
    int size_;
    unsigned polynomial_;
    // exp_[i] = alpha^i for i < 511, so exp_[log a + log b] needs no reduction
    // modulo size-1; log_[0] is the sentinel 511 and exp_[511..1023] is zero, so
    // the same lookup gives 0 when a factor is 0 and inner loops need no branch.
    static constexpr std::uint16_t log_of_zero = 511;
    std::array<std::uint8_t, 1024> exp_{};
    std::array<std::uint16_t, 256> log_{};
};

// GF(256) with x^8 + x^4 + x^3 + x^2 + 1 (0x11D), the field of QR Code (ISO/IEC 18004).
const GaloisField& gf256();

}  // namespace microstamp
