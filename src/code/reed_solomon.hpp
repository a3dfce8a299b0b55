#pragma once
// Systematic Reed-Solomon codes over GF(2^m) with errors-and-erasures decoding.
//
// A microstamp is read from a damaged surface: some cells are visibly unreadable
// (erasures, whose positions the reader knows) and some are misread without any
// sign (errors). RS(n, k) repairs any mix with 2*errors + erasures <= n - k, and
// the decoder is built so that a result it calls ok is always a true codeword.

#include "code/galois_field.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace microstamp {

class ReedSolomon {
public:
    // n <= field.size() - 1; a smaller n is a shortened code (leading data symbols
    // taken as zero). Generator roots: alpha^(first_root + i), i = 0 .. n-k-1.
    // Layout of a codeword: k data symbols, then n-k parity symbols; index 0 is
    // the highest-degree coefficient, as in ISO/IEC 18004 (QR Code).
    ReedSolomon(const GaloisField& field, int codeword_length, int data_length, int first_root = 0);

    const GaloisField& field() const { return field_; }
    int codeword_length() const { return n_; }
    int data_length() const { return k_; }
    int parity_length() const { return n_ - k_; }
    int first_root() const { return first_root_; }  // reduced into [0, size-2]

    // Monic generator polynomial, highest-degree coefficient first (n-k+1 symbols).
    const std::vector<std::uint8_t>& generator() const { return generator_; }

    std::vector<std::uint8_t> parity(std::span<const std::uint8_t> data) const;  // n-k symbols
    std::vector<std::uint8_t> encode(std::span<const std::uint8_t> data) const;  // data + parity

    // Syndromes S_i = word(alpha^(first_root + i)), i = 0 .. n-k-1; all zero iff
    // `word` is a codeword.
    std::vector<std::uint8_t> syndromes(std::span<const std::uint8_t> word) const;
    bool is_codeword(std::span<const std::uint8_t> word) const;

    struct Decoded {
        bool ok = false;                       // false: decoding failure detected
        std::vector<std::uint8_t> codeword;    // corrected codeword (n symbols) when ok, else empty
        int errors = 0;                        // symbols changed that were not flagged as erasures
        int erasures = 0;                      // distinct erasures given
        std::vector<int> corrected_positions;  // indices whose symbol changed, ascending
        int parity_symbols = 0;                // n - k of the code that decoded it
        // Redundancy left over, (n-k) - (2*errors + erasures): how far the read was
        // from failing, which is what a reader reports as its margin.
        int unused_capacity() const { return parity_symbols - (2 * errors + erasures); }
    };

    // erasure_positions: indices in [0, n) known to be unreliable; duplicates are
    // ignored. Throws std::invalid_argument for a wrong length, a symbol outside
    // the field or an erasure index out of range; a word that cannot be corrected
    // is not an exception but ok == false.
    Decoded decode(std::span<const std::uint8_t> received,
                   std::span<const int> erasure_positions = {}) const;

private:
    void check_word(std::span<const std::uint8_t> word, int expected_length, const char* what) const;
    // Writes n-k syndromes into `out`; returns whether any is non-zero.
    bool compute_syndromes(std::span<const std::uint8_t> word, std::uint8_t* out) const;

    GaloisField field_;  // a copy: a code must not dangle when the caller's field goes away
    int n_;
    int k_;
    int first_root_;
    std::vector<std::uint8_t> generator_;       // highest degree first, generator_[0] == 1
    std::vector<std::uint16_t> generator_log_;  // field logs of generator_[1..] (zero: the sentinel)
    std::vector<std::uint16_t> root_log_;       // (first_root + i) mod (size-1), i < n-k
};

}  // namespace microstamp
