#pragma once
// Seeded randomness for the simulator. Every random process takes an explicit
// seed; streams are derived from (seed, purpose, index) so that, for example,
// shot 5000 is the same whether or not shots 1..4999 were simulated too.

#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>
#include <vector>

namespace microstamp {

// splitmix64: turns any 64-bit value into a well-mixed one (seeding only).
constexpr std::uint64_t mix_seed(std::uint64_t value) {
    value += 0x9E3779B97F4A7C15ULL;
    value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ULL;
    value = (value ^ (value >> 27)) * 0x94D049BB133111EBULL;
    return value ^ (value >> 31);
}

constexpr std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t purpose, std::uint64_t index = 0) {
    return mix_seed(mix_seed(seed ^ mix_seed(purpose)) + index);
}

// xoshiro256**: fast, small state, good statistics; not for cryptography.
class Random {
public:
    explicit Random(std::uint64_t seed) {
        for (auto& word : state_) word = seed = mix_seed(seed);
    }
    std::uint64_t next() {
        const std::uint64_t result = rotate(state_[1] * 5, 7) * 9;
        const std::uint64_t shifted = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= shifted;
        state_[3] = rotate(state_[3], 45);
        return result;
    }
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
    double uniform(double low, double high) { return low + (high - low) * uniform(); }
    bool chance(double probability) { return uniform() < probability; }
    double normal() {  // Box-Muller; the second value is discarded for simplicity of state
        const double u = 1.0 - uniform();
        return std::sqrt(-2.0 * std::log(u)) * std::cos(2 * std::numbers::pi * uniform());
    }
    double normal(double mean, double sd) { return mean + sd * normal(); }
    double exponential(double mean) { return -mean * std::log(1.0 - uniform()); }

    // Fills with normal values from a 65,536-entry inverse-CDF table, four per
    // 64-bit draw: several times faster than Box-Muller, and a table of that size
    // reproduces the normal distribution to |z| ~ 4.3, ample for sensor and height noise.
    void fill_normal(std::span<float> values, float sd) {
        NormalCarry carry;
        fill_normal(values, sd, carry);
    }

    // The quarters of the last draw a fill left unused.
    struct NormalCarry {
        std::uint64_t bits = 0;
        int parts = 0;
    };
    // Fills on from where the fill that left `carry` stopped: consecutive fills give the
    // values one fill of them all gives (and leave the generator where it leaves it), so
    // that a long run of noise can be drawn a row at a time.
    void fill_normal(std::span<float> values, float sd, NormalCarry& carry) {
        const float* table = normal_table();
        std::size_t index = 0;
        for (; carry.parts > 0 && index < values.size(); --carry.parts, carry.bits >>= 16)
            values[index++] = sd * table[carry.bits & 0xFFFF];
        while (index < values.size()) {
            std::uint64_t bits = next();
            int part = 0;
            for (; part < 4 && index < values.size(); ++part, bits >>= 16) values[index++] = sd * table[bits & 0xFFFF];
            carry = {bits, 4 - part};
        }
    }

private:
    static const float* normal_table();
    static std::uint64_t rotate(std::uint64_t value, int bits) { return (value << bits) | (value >> (64 - bits)); }
    std::uint64_t state_[4];
};

// Quantiles of the standard normal at the centres of 65,536 equal-probability bins.
inline const float* Random::normal_table() {
    static const std::vector<float> table = [] {
        std::vector<float> values(65536);
        for (std::size_t i = 0; i < values.size(); ++i) {
            const double p = (static_cast<double>(i) + 0.5) / static_cast<double>(values.size());
            // Hastings' approximation, refined by Newton steps on the exact tail probability.
            const double q = p < 0.5 ? p : 1 - p;
            const double t = std::sqrt(-2 * std::log(q));
            double z = t - (2.515517 + 0.802853 * t + 0.010328 * t * t) /
                               (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
            for (int step = 0; step < 3; ++step) {
                const double error = 0.5 * std::erfc(z / std::numbers::sqrt2) - q;
                z += error / (std::exp(-z * z / 2) / std::sqrt(2 * std::numbers::pi));
            }
            values[i] = static_cast<float>(p < 0.5 ? -z : z);
        }
        return values;
    }();
    return table.data();
}

} // namespace microstamp
