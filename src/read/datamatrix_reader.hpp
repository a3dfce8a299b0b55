#pragma once
// `datamatrix`: the ECC 200 symbol in the centre disc, decoded by zxing-cpp (which
// finds its own orientation). What a direct-part mark needs first: a crop around the
// impression, the relief turned into grey levels (printed metal dark) with the
// extremes clipped, smoothing over a fraction of a module, and a few variants
// (grey, binarised, either polarity, mirrored) for zxing to try.

#include "read/impression_locator.hpp"

namespace microstamp {

DesignReading read_datamatrix(const DesignRelief& relief, const Impression& impression, const DesignSearch& search);

} // namespace microstamp
