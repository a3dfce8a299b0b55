#include "read/order_statistics.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

namespace microstamp {
namespace {

// Unsigned keys in the floats' order: a negative float's bits, all flipped, count down
// as it grows; a positive one's, with the sign bit set, count up above every negative.
std::uint32_t order_key(float value) {
    const auto bits = std::bit_cast<std::uint32_t>(value);
    return (bits & 0x80000000u) ? ~bits : bits | 0x80000000u;
}

float from_order_key(std::uint32_t key) {
    return std::bit_cast<float>((key & 0x80000000u) ? key & 0x7fffffffu : ~key);
}

constexpr int bin_shift = 20;  // 12 leading bits: sign, exponent, 3 bits of mantissa

} // namespace

float kth_smallest(std::span<const float> values, std::size_t k) {
    if (k >= values.size()) throw std::invalid_argument("kth_smallest: position past the values");
    std::array<std::uint32_t, (1u << (32 - bin_shift))> counts{};
    for (const float value : values) ++counts[order_key(value) >> bin_shift];
    std::uint32_t bin = 0;
    std::size_t before = 0;
    while (before + counts[bin] <= k) before += counts[bin++];
    std::vector<float> in_bin;
    in_bin.reserve(counts[bin]);
    for (const float value : values)
        if ((order_key(value) >> bin_shift) == bin) in_bin.push_back(value);
    const auto at = in_bin.begin() + static_cast<std::ptrdiff_t>(k - before);
    std::nth_element(in_bin.begin(), at, in_bin.end());
    return *at;
}

void sort_floats(std::span<float> values) {
    // A comparison sort is as quick on a few values, and the radix passes' counts would
    // outweigh them.
    constexpr std::size_t fewest_for_counting = 32;
    if (values.size() < fewest_for_counting) {
        std::sort(values.begin(), values.end());
        return;
    }
    std::vector<std::uint32_t> keys(values.size()), moved(values.size());
    std::array<std::array<std::uint32_t, 256>, 4> counts{};
    for (std::size_t i = 0; i < values.size(); ++i) {
        keys[i] = order_key(values[i]);
        for (int pass = 0; pass < 4; ++pass) ++counts[static_cast<std::size_t>(pass)][(keys[i] >> (8 * pass)) & 0xffu];
    }
    for (int pass = 0; pass < 4; ++pass) {
        auto& count = counts[static_cast<std::size_t>(pass)];
        if (count[(keys[0] >> (8 * pass)) & 0xffu] == keys.size()) continue;  // every key shares this byte
        std::uint32_t start = 0;
        for (auto& bin : count) start += std::exchange(bin, start);
        for (const std::uint32_t key : keys) moved[count[(key >> (8 * pass)) & 0xffu]++] = key;
        keys.swap(moved);
    }
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = from_order_key(keys[i]);
}

} // namespace microstamp
