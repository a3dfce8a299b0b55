#pragma once
// Order statistics of the reader's samples, counted rather than compared: the reader
// takes a median or a quantile of tens of thousands of floats (edge strengths, map
// values) and sorts a few hundred cell values dozens of times on every read, where a
// comparison sort's branches go either way on noisy data.

#include <cstddef>
#include <span>

namespace microstamp {

// The k-th smallest of `values` (counting from 0): the value std::nth_element would put
// at position k. One pass counts the values into 4,096 bins by the leading bits of their
// order-preserving bit pattern; a second selects within the one bin that holds position
// k. Finite values only; k < values.size().
float kth_smallest(std::span<const float> values, std::size_t k);

// `values` in ascending order, as std::sort leaves them (equal floats are equal, but -0
// comes before +0 here and std::sort may leave them either way). Byte by byte from the
// least significant of the order-preserving bit pattern, skipping bytes all values share.
// Finite values only.
void sort_floats(std::span<float> values);

} // namespace microstamp
