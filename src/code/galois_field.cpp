#include "code/galois_field.hpp"

#include <cstddef>
#include <stdexcept>
#include <string>

namespace microstamp {

namespace {

std::string hex(unsigned value) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    do {
        out.insert(out.begin(), digits[value & 0xFU]);
        value >>= 4U;
    } while (value != 0);
    return "0x" + out;
}

}  // namespace

GaloisField::GaloisField(int bits, unsigned primitive_polynomial)
    : bits_(bits), size_(0), polynomial_(primitive_polynomial) {
    if (bits < 2 || bits > 8) {
        throw std::invalid_argument("GaloisField: bits must be in [2, 8], got " + std::to_string(bits));
    }
    size_ = 1 << bits;
    const auto size = static_cast<unsigned>(size_);
    // The polynomial must have degree exactly m; anything else is a typo in a table.
    if (primitive_polynomial < size || primitive_polynomial >= 2U * size) {
        throw std::invalid_argument("GaloisField: polynomial " + hex(primitive_polynomial) +
                                    " does not have degree " + std::to_string(bits));
    }

    // Walk the powers of x. The polynomial is primitive exactly when x has order
    // 2^m - 1, i.e. the walk meets no repeat (in particular not 1, nor 0) before then.
    log_.fill(log_of_zero);
    exp_.fill(0);
    std::array<bool, 256> seen{};
    unsigned x = 1;
    const int order = size_ - 1;
    for (int i = 0; i < order; ++i) {
        if (x == 0 || seen[x]) {
            throw std::invalid_argument("GaloisField: polynomial " + hex(primitive_polynomial) +
                                        " is not primitive for GF(2^" + std::to_string(bits) + ")");
        }
        seen[x] = true;
        exp_[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(x);
        log_[x] = static_cast<std::uint16_t>(i);
        x <<= 1U;
        if ((x & size) != 0) {
            x ^= primitive_polynomial;
        }
    }
    if (x != 1) {
        throw std::invalid_argument("GaloisField: polynomial " + hex(primitive_polynomial) +
                                    " is not primitive for GF(2^" + std::to_string(bits) + ")");
    }
    for (std::size_t i = static_cast<std::size_t>(order); i < log_of_zero; ++i) {
        exp_[i] = exp_[i - static_cast<std::size_t>(order)];
    }
}

void GaloisField::check_element(std::uint8_t a, const char* what) const {
    if (a >= size_) {
        throw std::invalid_argument(std::string("GaloisField::") + what + ": " + std::to_string(a) +
                                    " is not an element of GF(" + std::to_string(size_) + ")");
    }
}

std::uint8_t GaloisField::add(std::uint8_t a, std::uint8_t b) const {
    check_element(a, "add");
    check_element(b, "add");
    return static_cast<std::uint8_t>(a ^ b);
}

std::uint8_t GaloisField::multiply(std::uint8_t a, std::uint8_t b) const {
    check_element(a, "multiply");
    check_element(b, "multiply");
    return exp_[static_cast<std::size_t>(log_[a]) + log_[b]];
}

std::uint8_t GaloisField::divide(std::uint8_t a, std::uint8_t b) const {
    check_element(a, "divide");
    check_element(b, "divide");
    if (b == 0) {
        throw std::invalid_argument("GaloisField::divide: division by zero");
    }
    if (a == 0) {
        return 0;
    }
    return exp_[static_cast<std::size_t>(log_[a]) + static_cast<std::size_t>(size_ - 1) - log_[b]];
}

std::uint8_t GaloisField::inverse(std::uint8_t a) const {
    check_element(a, "inverse");
    if (a == 0) {
        throw std::invalid_argument("GaloisField::inverse: zero has no inverse");
    }
    return exp_[static_cast<std::size_t>(size_ - 1) - log_[a]];
}

std::uint8_t GaloisField::exp(int power) const {
    const int order = size_ - 1;
    int reduced = power % order;  // C++ keeps the sign of the dividend
    if (reduced < 0) {
        reduced += order;
    }
    return exp_[static_cast<std::size_t>(reduced)];
}

int GaloisField::log(std::uint8_t a) const {
    check_element(a, "log");
    if (a == 0) {
        throw std::invalid_argument("GaloisField::log: the logarithm of zero is undefined");
    }
    return log_[a];
}

const GaloisField& gf256() {
    static const GaloisField field(8, 0x11DU);
    return field;
}

}  // namespace microstamp
