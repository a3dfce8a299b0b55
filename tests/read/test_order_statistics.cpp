// The counted order statistics against std::nth_element and std::sort, on the kinds of
// samples the reader takes: edge strengths (non-negative, many ties), map values (both
// signs, zeros of both signs), and values packed into one narrow range, where the leading
// bits do not separate.

#include "read/order_statistics.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

namespace microstamp {
namespace {

float by_partition(std::vector<float> values, std::size_t k) {
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
    return values[k];
}

// Equal as floats: a zero found by either may carry either sign.
void expect_same_at_every_position(const std::vector<float>& values) {
    for (std::size_t k = 0; k < values.size(); ++k) {
        const float counted = kth_smallest(values, k), partitioned = by_partition(values, k);
        ASSERT_EQ(counted, partitioned) << "position " << k << " of " << values.size();
        if (counted != 0) {
            ASSERT_EQ(std::bit_cast<std::uint32_t>(counted), std::bit_cast<std::uint32_t>(partitioned));
        }
    }
}

TEST(KthSmallest, AgreesWithPartitioningOnEdgeStrengthsMapValuesAndNarrowRanges) {
    std::mt19937_64 random(20261205);
    std::vector<float> strengths(3000), values(3000), narrow(3000);
    std::exponential_distribution<float> strength(2.0f);
    std::normal_distribution<float> value(0.0f, 1.0f);
    std::uniform_int_distribution<int> step(0, 40);
    for (auto& x : strengths) x = step(random) < 5 ? 0.0f : std::round(strength(random) * 64) / 64;
    for (auto& x : values) {
        const int pick = step(random);
        x = pick == 0 ? 0.0f : pick == 1 ? -0.0f : value(random);
    }
    for (auto& x : narrow) x = 1000.0f + static_cast<float>(step(random)) * 1e-4f;
    expect_same_at_every_position(strengths);
    expect_same_at_every_position(values);
    expect_same_at_every_position(narrow);
    expect_same_at_every_position({-1e30f, 1e30f, -1e-30f, 1e-30f, 0.0f, -0.0f, 7.0f});
    expect_same_at_every_position({42.0f});
}

TEST(KthSmallest, RefusesAPositionPastTheValues) {
    const std::vector<float> values{1, 2, 3};
    EXPECT_THROW(kth_smallest(values, 3), std::invalid_argument);
    EXPECT_THROW(kth_smallest(std::vector<float>{}, 0), std::invalid_argument);
}

// Position by position equal as floats to std::sort's order, at sizes either side of
// where counting takes over, with shared leading bytes, ties, and zeros of both signs.
void expect_sorted_as_by_comparison(std::vector<float> values) {
    std::vector<float> compared = values;
    std::sort(compared.begin(), compared.end());
    sort_floats(values);
    ASSERT_EQ(values.size(), compared.size());
    for (std::size_t i = 0; i < values.size(); ++i) ASSERT_EQ(values[i], compared[i]) << "position " << i;
}

TEST(SortFloats, OrdersAsAComparisonSortDoes) {
    std::mt19937_64 random(5);
    std::normal_distribution<float> value(0.0f, 3.0f);
    std::uniform_int_distribution<int> pick(0, 30);
    for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{63}, std::size_t{64},
                                   std::size_t{216}, std::size_t{5000}}) {
        std::vector<float> mixed(size), narrow(size), ties(size);
        for (std::size_t i = 0; i < size; ++i) {
            const int choice = pick(random);
            mixed[i] = choice == 0 ? 0.0f : choice == 1 ? -0.0f : value(random);
            narrow[i] = 0.25f + static_cast<float>(pick(random)) * 1e-7f;
            ties[i] = static_cast<float>(choice % 4) - 1.5f;
        }
        expect_sorted_as_by_comparison(mixed);
        expect_sorted_as_by_comparison(narrow);
        expect_sorted_as_by_comparison(ties);
    }
}

RC_GTEST_PROP(SortFloats, AnyFiniteFloats, ()) {
    auto values = *rc::gen::container<std::vector<float>>(
        rc::gen::map(rc::gen::arbitrary<float>(), [](float x) { return std::isfinite(x) ? x : -2.5f; }));
    std::vector<float> compared = values;
    std::sort(compared.begin(), compared.end());
    sort_floats(values);
    RC_ASSERT(values == compared);
}

RC_GTEST_PROP(KthSmallest, AnyFiniteFloatsAnyPosition, ()) {
    auto values = *rc::gen::nonEmpty(rc::gen::container<std::vector<float>>(
        rc::gen::map(rc::gen::arbitrary<float>(), [](float x) { return std::isfinite(x) ? x : 0.5f; })));
    const auto k = *rc::gen::inRange<std::size_t>(0, values.size());
    RC_ASSERT(kth_smallest(values, k) == by_partition(values, k));
}

} // namespace
} // namespace microstamp
