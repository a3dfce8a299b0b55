#pragma once
// Seeded randomness for the simulator. Every random process takes an explicit
// seed; streams are derived from (seed, purpose, index) so that, for example,
// shot 5000 is the same whether or not shots 1..4999 were simulated too.

#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>

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

    // Fills with approximately normal values (sum of four uniforms, rescaled): 10x
    // faster than Box-Muller and indistinguishable for sensor and height noise.
    void fill_normal(std::span<float> values, float sd) {
        constexpr float scale = 1.7320508f / 65536.0f;  // sum of four U(0, 2^16) has sd 2^16 / sqrt(3)
        for (auto& value : values) {
            const std::uint64_t bits = next();
            const int sum = static_cast<int>(bits & 0xFFFF) + static_cast<int>((bits >> 16) & 0xFFFF) +
                            static_cast<int>((bits >> 32) & 0xFFFF) + static_cast<int>(bits >> 48) - 2 * 65536;
            value = sd * scale * static_cast<float>(sum);
        }
    }

private:
    static std::uint64_t rotate(std::uint64_t value, int bits) { return (value << bits) | (value >> (64 - bits)); }
    std::uint64_t state_[4];
};

} // namespace microstamp
