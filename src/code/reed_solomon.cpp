#include "code/reed_solomon.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace microstamp {

namespace {

// n <= 255, so every polynomial the decoder handles has degree <= 254 and fits
// on the stack; decoding then allocates only its result.
using Poly = std::array<std::uint8_t, 256>;

std::string field_name(const GaloisField& field) { return "GF(" + std::to_string(field.size()) + ")"; }

}  // namespace

ReedSolomon::ReedSolomon(const GaloisField& field, int codeword_length, int data_length, int first_root)
    : field_(field), n_(codeword_length), k_(data_length), first_root_(0) {
    const int order = field_.size() - 1;
    if (codeword_length < 2 || codeword_length > order) {
        throw std::invalid_argument("ReedSolomon: codeword length " + std::to_string(codeword_length) +
                                    " must be in [2, " + std::to_string(order) + "] for " +
                                    field_name(field_));
    }
    if (data_length < 1 || data_length >= codeword_length) {
        throw std::invalid_argument("ReedSolomon: data length " + std::to_string(data_length) +
                                    " must be in [1, " + std::to_string(codeword_length - 1) +
                                    "] so that there is at least one parity symbol");
    }
    first_root_ = first_root % order;
    if (first_root_ < 0) {
        first_root_ += order;
    }

    // g(x) = prod (x - alpha^(b+i)), built highest degree first.
    const int r = n_ - k_;
    generator_.assign(1, 1);
    for (int i = 0; i < r; ++i) {
        const std::uint8_t root = field_.exp(first_root_ + i);
        root_log_.push_back(static_cast<std::uint16_t>((first_root_ + i) % order));
        generator_.push_back(0);
        for (std::size_t j = generator_.size() - 1; j > 0; --j) {
            generator_[j] = field_.add(generator_[j], field_.multiply(generator_[j - 1], root));
        }
    }
    for (std::size_t j = 1; j < generator_.size(); ++j) {
        generator_log_.push_back(field_.log_[generator_[j]]);
    }
}

void ReedSolomon::check_word(std::span<const std::uint8_t> word, int expected_length, const char* what) const {
    if (word.size() != static_cast<std::size_t>(expected_length)) {
        throw std::invalid_argument(std::string("ReedSolomon::") + what + ": got " +
                                    std::to_string(word.size()) + " symbols, RS(" + std::to_string(n_) +
                                    ", " + std::to_string(k_) + ") expects " +
                                    std::to_string(expected_length));
    }
    for (std::size_t i = 0; i < word.size(); ++i) {
        if (word[i] >= field_.size()) {
            throw std::invalid_argument(std::string("ReedSolomon::") + what + ": symbol " +
                                        std::to_string(word[i]) + " at index " + std::to_string(i) +
                                        " is not an element of " + field_name(field_));
        }
    }
}

std::vector<std::uint8_t> ReedSolomon::parity(std::span<const std::uint8_t> data) const {
    check_word(data, k_, "parity");
    const auto& exp = field_.exp_;
    const auto& log = field_.log_;
    const std::size_t r = generator_log_.size();
    // Remainder of data(x) * x^r divided by g(x), by the usual shift register.
    Poly remainder{};
    for (const std::uint8_t symbol : data) {
        const std::uint8_t feedback = static_cast<std::uint8_t>(symbol ^ remainder[0]);
        std::memmove(remainder.data(), remainder.data() + 1, r - 1);
        remainder[r - 1] = 0;
        const std::size_t feedback_log = log[feedback];
        for (std::size_t j = 0; j < r; ++j) {
            remainder[j] ^= exp[feedback_log + generator_log_[j]];
        }
    }
    return {remainder.begin(), remainder.begin() + static_cast<std::ptrdiff_t>(r)};
}

std::vector<std::uint8_t> ReedSolomon::encode(std::span<const std::uint8_t> data) const {
    std::vector<std::uint8_t> word(data.begin(), data.end());
    const std::vector<std::uint8_t> check = parity(data);
    word.insert(word.end(), check.begin(), check.end());
    return word;
}

bool ReedSolomon::compute_syndromes(std::span<const std::uint8_t> word, std::uint8_t* out) const {
    const auto& exp = field_.exp_;
    const auto& log = field_.log_;
    const std::size_t r = root_log_.size();
    // Horner at every root at once, s_l <- s_l * alpha^(b+l) + word[i]: the r
    // chains are independent, so the table lookups overlap instead of waiting
    // on each other.
    Poly s;
    std::fill_n(s.begin(), r, std::uint8_t{0});
    for (const std::uint8_t symbol : word) {
        for (std::size_t l = 0; l < r; ++l) {
            s[l] = static_cast<std::uint8_t>(exp[static_cast<std::size_t>(log[s[l]]) + root_log_[l]] ^ symbol);
        }
    }
    std::uint8_t any = 0;
    for (std::size_t l = 0; l < r; ++l) {
        out[l] = s[l];
        any |= s[l];
    }
    return any != 0;
}

std::vector<std::uint8_t> ReedSolomon::syndromes(std::span<const std::uint8_t> word) const {
    check_word(word, n_, "syndromes");
    std::vector<std::uint8_t> s(static_cast<std::size_t>(n_ - k_));
    compute_syndromes(word, s.data());
    return s;
}

bool ReedSolomon::is_codeword(std::span<const std::uint8_t> word) const {
    check_word(word, n_, "is_codeword");
    Poly s;
    return !compute_syndromes(word, s.data());
}

ReedSolomon::Decoded ReedSolomon::decode(std::span<const std::uint8_t> received,
                                         std::span<const int> erasure_positions) const {
    check_word(received, n_, "decode");
    const int r = n_ - k_;
    const int order = field_.size() - 1;
    const auto& exp = field_.exp_;
    const auto& log = field_.log_;
    // Zero operands need no branch: log(0) is a sentinel that lands in the zero tail of exp.
    const auto mul = [&](std::uint8_t a, std::uint8_t b) -> std::uint8_t {
        return exp[static_cast<std::size_t>(log[a]) + log[b]];
    };
    const auto at = [](int i) { return static_cast<std::size_t>(i); };
    // Position i holds the coefficient of x^(n-1-i), so its locator is alpha^(n-1-i).
    const auto degree_of = [&](int position) { return n_ - 1 - position; };

    std::array<bool, 256> erased{};
    int f = 0;
    for (const int position : erasure_positions) {
        if (position < 0 || position >= n_) {
            throw std::invalid_argument("ReedSolomon::decode: erasure position " + std::to_string(position) +
                                        " is outside the codeword [0, " + std::to_string(n_) + ")");
        }
        if (!erased[at(position)]) {
            erased[at(position)] = true;
            ++f;
        }
    }

    Decoded result;
    result.erasures = f;
    result.parity_symbols = r;
    // More unknowns than parity equations: no decoder can tell the truth apart.
    if (f > r) {
        return result;
    }

    // Scratch arrays below are written before they are read, up to the degree
    // bound r + 1 at most, so only that prefix is ever initialised.
    Poly syndrome;
    if (!compute_syndromes(received, syndrome.data())) {
        result.ok = true;
        result.codeword.assign(received.begin(), received.end());
        return result;
    }

    // Erasure locator Gamma(x) = prod (1 + X_j x), lowest degree first.
    Poly gamma;
    std::fill_n(gamma.begin(), r + 2, std::uint8_t{0});
    gamma[0] = 1;
    int gamma_degree = 0;
    for (int position = 0; position < n_; ++position) {
        if (!erased[at(position)]) {
            continue;
        }
        const std::size_t x_log = at(degree_of(position));
        ++gamma_degree;
        for (int j = gamma_degree; j > 0; --j) {
            gamma[at(j)] ^= exp[x_log + log[gamma[at(j - 1)]]];
        }
    }

    // Berlekamp-Massey started from Gamma: it then only has to find the error
    // factor, driven by the r - f syndromes the erasures leave free, and its
    // result is the errata locator Lambda = sigma * Gamma. `length` counts errata.
    Poly lambda;
    Poly previous;  // B(x), kept divided by its discrepancy
    std::copy_n(gamma.begin(), r + 2, lambda.begin());
    std::copy_n(gamma.begin(), r + 2, previous.begin());
    int length = f;
    for (int step = f; step < r; ++step) {
        std::uint8_t discrepancy = 0;
        for (int i = 0; i <= std::min(length, step); ++i) {
            discrepancy ^= mul(lambda[at(i)], syndrome[at(step - i)]);
        }
        // B <- x * B; its degree stays <= r, so index r+1 is never needed.
        std::memmove(previous.data() + 1, previous.data(), at(r));
        previous[0] = 0;
        if (discrepancy == 0) {
            continue;
        }
        const std::size_t discrepancy_log = log[discrepancy];
        Poly updated;
        std::copy_n(lambda.begin(), r + 1, updated.begin());
        for (int j = 0; j <= r; ++j) {
            updated[at(j)] ^= exp[discrepancy_log + log[previous[at(j)]]];
        }
        if (2 * length <= step + f) {
            const std::size_t inverse_log = at(order) - discrepancy_log;
            for (int j = 0; j <= r; ++j) {
                previous[at(j)] = exp[inverse_log + log[lambda[at(j)]]];
            }
            length = step + 1 + f - length;
            // The locator length never shrinks, so once 2e + f > r it stays so.
            if (2 * length - f > r) {
                return result;
            }
        }
        std::copy_n(updated.begin(), r + 1, lambda.begin());
    }

    int lambda_degree = 0;
    for (int j = r; j > 0; --j) {
        if (lambda[at(j)] != 0) {
            lambda_degree = j;
            break;
        }
    }
    // A locator whose degree is not its length has roots at 0 or infinity: no
    // error pattern of that weight explains the syndromes.
    if (lambda_degree != length || 2 * length - f > r || lambda[0] != 1) {
        return result;
    }

    // Chien search over the n positions that exist; a root that belongs to the
    // part removed by shortening (or to no position at all) leaves us short of
    // `length` roots, and that is a detected failure.
    std::array<int, 256> root_positions;
    int roots = 0;
    {
        // term_t = Lambda_t * alpha^(-d t) for d = 0, 1, ..., kept as logarithms;
        // only non-zero coefficients take part.
        std::array<int, 256> term_log;
        std::array<int, 256> term_step;
        int terms = 0;
        for (int t = 0; t <= lambda_degree; ++t) {
            if (lambda[at(t)] != 0) {
                term_log[at(terms)] = log[lambda[at(t)]];
                term_step[at(terms)] = (order - t % order) % order;
                ++terms;
            }
        }
        for (int d = 0; d < n_ && roots < lambda_degree; ++d) {
            std::uint8_t value = 0;
            for (int t = 0; t < terms; ++t) {
                int& tl = term_log[at(t)];
                value ^= exp[at(tl)];
                tl += term_step[at(t)];
                tl -= tl >= order ? order : 0;
            }
            if (value == 0) {
                root_positions[at(roots++)] = n_ - 1 - d;
            }
        }
    }
    if (roots != lambda_degree) {
        return result;
    }

    // Forney: errata evaluator Omega = S * Lambda mod x^r, and for a locator X
    // the magnitude X^(1-b) * Omega(X^-1) / Lambda'(X^-1) (signs vanish in GF(2^m)).
    std::array<std::uint16_t, 256> omega_log;
    for (int i = 0; i < r; ++i) {
        std::uint8_t sum = 0;
        for (int t = 0; t <= std::min(i, lambda_degree); ++t) {
            sum ^= mul(lambda[at(t)], syndrome[at(i - t)]);
        }
        omega_log[at(i)] = log[sum];
    }
    std::array<std::uint16_t, 256> lambda_log;
    for (int t = 0; t <= lambda_degree; ++t) {
        lambda_log[at(t)] = log[lambda[at(t)]];
    }

    std::vector<std::uint8_t> corrected(received.begin(), received.end());
    std::vector<int> changed;
    changed.reserve(at(roots));
    int errors = 0;
    for (int root = 0; root < roots; ++root) {
        const int position = root_positions[at(root)];
        const int d = degree_of(position);
        const int x_inverse_log = (order - d) % order;
        // Both evaluations sum independent terms c_i * X^-i rather than chaining
        // Horner steps; the exponent walks i * log(X^-1) mod (size-1).
        std::uint8_t numerator = 0;
        for (int i = 0, e = 0; i < r; ++i) {
            numerator ^= exp[at(omega_log[at(i)] + e)];
            e += x_inverse_log;
            e -= e >= order ? order : 0;
        }
        // Formal derivative in characteristic 2 keeps only the odd terms:
        // Lambda'(x) = sum over odd t of Lambda_t x^(t-1).
        const int x_inverse_squared_log = (2 * x_inverse_log) % order;
        std::uint8_t denominator = 0;
        for (int t = 1, e = 0; t <= lambda_degree; t += 2) {
            denominator ^= exp[at(lambda_log[at(t)] + e)];
            e += x_inverse_squared_log;
            e -= e >= order ? order : 0;
        }
        if (denominator == 0) {
            return result;  // a repeated root: not a locator of distinct positions
        }
        if (numerator == 0) {
            continue;  // an erasure that happened to hold the right symbol
        }
        // log X^(1-b) = d * (1 - b), reduced; the division subtracts log(denominator).
        long long magnitude_log =
            static_cast<long long>(d) * (1 - first_root_) + log[numerator] - log[denominator];
        magnitude_log %= order;
        if (magnitude_log < 0) {
            magnitude_log += order;
        }
        corrected[at(position)] ^= exp[static_cast<std::size_t>(magnitude_log)];
        changed.push_back(position);
        if (!erased[at(position)]) {
            ++errors;
        }
    }

    // Never trust the algebra alone beyond its guarantees: the result must be a
    // codeword, and the changes must fit the bound the code can vouch for.
    Poly check;
    if (compute_syndromes(corrected, check.data()) || 2 * errors + f > r) {
        return result;
    }
    std::sort(changed.begin(), changed.end());
    result.ok = true;
    result.codeword = std::move(corrected);
    result.errors = errors;
    result.corrected_positions = std::move(changed);
    return result;
}

}  // namespace microstamp
