#include "surface/surface.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace microstamp {

SurfaceStatistics statistics(const Surface& surface) {
    SurfaceStatistics result;
    result.points = surface.size();
    double minimum = std::numeric_limits<double>::infinity();
    double maximum = -minimum;
    long double sum = 0;
    std::size_t count = 0;
    for (std::size_t i = 0; i < surface.size(); ++i) {
        const double value = surface.heights_um[i];
        if (!surface.valid[i] || !std::isfinite(value)) continue;
        minimum = std::min(minimum, value);
        maximum = std::max(maximum, value);
        sum += value;
        ++count;
    }
    result.invalid_points = result.points - count;
    if (count > 0) {
        result.minimum_um = minimum;
        result.maximum_um = maximum;
        result.mean_um = static_cast<double>(sum / static_cast<long double>(count));
    }
    return result;
}

} // namespace microstamp
