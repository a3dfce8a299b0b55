#pragma once
// The three chart shapes a study report needs, as inline SVG text: rates with
// interval whiskers against a categorical axis, 100% stacked bars, grouped bars.
// Plain strings in, a string out; fixed number formatting so the bytes are stable.

#include "study/summary.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace microstamp {

std::string html_escape(std::string_view text);

struct RatePoint {
    std::string level;       // x level, one of the axis' levels
    double rate = 0;
    Interval interval;
    long trials = 0;
    std::optional<Interval> model_band;  // the 5-95% band over the constants' ranges, shaded
};
struct RateSeries {
    std::string label;
    std::vector<RatePoint> points;
};
std::string rate_plot_svg(const std::vector<std::string>& levels, const std::vector<RateSeries>& series,
                          std::string_view x_title, std::string_view y_title);

struct StackedBar {
    std::string label;
    std::vector<long> counts;  // one per part
};
std::string stacked_bars_svg(const std::vector<StackedBar>& bars, const std::vector<std::string>& parts,
                             const std::vector<std::string>& colours);

struct BarGroup {
    std::string label;
    std::vector<double> values;  // one per series
};
// `maximum` fixes the value axis (1 for shares); `percent` labels it as such.
std::string grouped_bars_svg(const std::vector<BarGroup>& groups, const std::vector<std::string>& series,
                             double maximum, bool percent, std::string_view y_title);

} // namespace microstamp
