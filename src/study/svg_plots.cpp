#include "study/svg_plots.hpp"

#include <algorithm>
#include <fmt/core.h>

namespace microstamp {
namespace {

// A palette that stays distinguishable for the common colour-vision deficiencies (Okabe-Ito).
const std::vector<std::string> palette = {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"};

const std::string& colour(std::size_t index) { return palette[index % palette.size()]; }

// Width of a label in 11-12 px sans-serif, generously: charts size themselves to their labels.
double text_width(std::string_view text) { return 7.0 * static_cast<double>(text.size()); }

double widest(const std::vector<std::string>& texts) {
    double width = 0;
    for (const auto& text : texts) width = std::max(width, text_width(text));
    return width;
}

constexpr double left = 60, top = 20, plot_height = 240;

std::string value_axis(double width, double maximum, bool percent, std::string_view title) {
    std::string svg;
    for (int tick = 0; tick <= 4; ++tick) {
        const double value = maximum * tick / 4;
        const double y = top + plot_height * (1 - value / maximum);
        svg += fmt::format(R"svg(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#ddd"/>)svg", left, y, left + width, y);
        svg += fmt::format(R"svg(<text x="{:.1f}" y="{:.1f}" font-size="11" text-anchor="end">{}</text>)svg", left - 6, y + 4,
                           percent ? fmt::format("{:.0f}%", value * 100) : fmt::format("{:.0f}", value));
    }
    svg += fmt::format(R"svg(<text x="14" y="{:.1f}" font-size="12" transform="rotate(-90 14 {:.1f})" text-anchor="middle">{}</text>)svg",
                       top + plot_height / 2, top + plot_height / 2, html_escape(title));
    svg += fmt::format(R"svg(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="#333"/>)svg", left, top, top + plot_height);
    svg += fmt::format(R"svg(<line x1="{0:.1f}" y1="{1:.1f}" x2="{2:.1f}" y2="{1:.1f}" stroke="#333"/>)svg", left, top + plot_height,
                       left + width);
    return svg;
}

std::string legend(const std::vector<std::string>& names, const std::vector<std::string>& colours, double y) {
    std::string svg;
    for (std::size_t index = 0; index < names.size(); ++index) {
        const double row = y + 16.0 * static_cast<double>(index);
        svg += fmt::format(R"svg(<rect x="{:.1f}" y="{:.1f}" width="12" height="12" fill="{}"/>)svg", left, row, colours[index]);
        svg += fmt::format(R"svg(<text x="{:.1f}" y="{:.1f}" font-size="12">{}</text>)svg", left + 18, row + 10, html_escape(names[index]));
    }
    return svg;
}

std::vector<std::string> series_colours(std::size_t count) {
    std::vector<std::string> colours;
    for (std::size_t index = 0; index < count; ++index) colours.push_back(colour(index));
    return colours;
}

std::string open_svg(double width, double height, std::string_view title) {
    return fmt::format(R"svg(<svg xmlns="http://www.w3.org/2000/svg" width="{0:.0f}" height="{1:.0f}" viewBox="0 0 {0:.0f} {1:.0f}" role="img"><title>{2}</title>)svg",
                       width, height, html_escape(title));
}

} // namespace

std::string html_escape(std::string_view text) {
    std::string escaped;
    for (const char character : text) {
        switch (character) {
        case '&': escaped += "&amp;"; break;
        case '<': escaped += "&lt;"; break;
        case '>': escaped += "&gt;"; break;
        case '"': escaped += "&quot;"; break;
        default: escaped += character;
        }
    }
    return escaped;
}

std::string rate_plot_svg(const std::vector<std::string>& levels, const std::vector<RateSeries>& series,
                          std::string_view x_title, std::string_view y_title) {
    const double width = std::max(320.0, 90.0 * static_cast<double>(levels.size()));
    const double height = top + plot_height + 50 + 16.0 * static_cast<double>(series.size()) + 10;
    std::vector<std::string> labels;
    for (const auto& one : series) labels.push_back(one.label);
    std::string svg = open_svg(std::max(left + width + 20, left + 30 + widest(labels)), height, y_title);
    svg += value_axis(width, 1, true, y_title);
    const double step = width / static_cast<double>(std::max<std::size_t>(1, levels.size()));
    auto x_of = [&](const std::string& level) {
        const auto at = std::find(levels.begin(), levels.end(), level) - levels.begin();
        return left + step * (static_cast<double>(at) + 0.5);
    };
    auto y_of = [&](double rate) { return top + plot_height * (1 - rate); };
    for (const auto& level : levels)
        svg += fmt::format(R"svg(<text x="{:.1f}" y="{:.1f}" font-size="11" text-anchor="middle">{}</text>)svg", x_of(level),
                           top + plot_height + 15, html_escape(level));
    svg += fmt::format(R"svg(<text x="{:.1f}" y="{:.1f}" font-size="12" text-anchor="middle">{}</text>)svg", left + width / 2,
                       top + plot_height + 32, html_escape(x_title));
    for (std::size_t index = 0; index < series.size(); ++index) {
        // Series side by side around each level, so that whiskers do not hide each other.
        const double shift = (static_cast<double>(index) - (static_cast<double>(series.size()) - 1) / 2) * 6;
        std::string path;
        for (const RatePoint& point : series[index].points) {
            const double x = x_of(point.level) + shift;
            path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "M" : " L", x, y_of(point.rate));
            if (point.model_band)
                svg += fmt::format(R"svg(<rect x="{:.1f}" y="{:.1f}" width="10" height="{:.1f}" fill="{}" fill-opacity="0.22"><title>model band 5-95%: {:.1f}-{:.1f}%</title></rect>)svg",
                                   x - 5, y_of(point.model_band->high), std::max(1.0, y_of(point.model_band->low) - y_of(point.model_band->high)),
                                   colour(index), point.model_band->low * 100, point.model_band->high * 100);
            svg += fmt::format(R"svg(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="{3}"/>)svg", x,
                               y_of(point.interval.low), y_of(point.interval.high), colour(index));
            svg += fmt::format(R"svg(<circle cx="{:.1f}" cy="{:.1f}" r="3.5" fill="{}"><title>{}: {:.1f}% ({:.1f}-{:.1f}%), n = {}</title></circle>)svg",
                               x, y_of(point.rate), colour(index), html_escape(series[index].label + " @ " + point.level),
                               point.rate * 100, point.interval.low * 100, point.interval.high * 100, point.trials);
        }
        if (!path.empty()) svg += fmt::format(R"svg(<path d="{}" fill="none" stroke="{}" stroke-width="1.5"/>)svg", path, colour(index));
    }
    std::vector<std::string> names;
    for (const auto& one : series) names.push_back(one.label);
    svg += legend(names, series_colours(series.size()), top + plot_height + 44);
    return svg + "</svg>";
}

std::string stacked_bars_svg(const std::vector<StackedBar>& bars, const std::vector<std::string>& parts,
                             const std::vector<std::string>& colours) {
    constexpr double bar_width = 420, bar_height = 18, gap = 6;
    std::vector<std::string> labels;
    for (const auto& bar : bars) labels.push_back(bar.label);
    const double label_width = widest(labels) + 10;
    const double height = top + (bar_height + gap) * static_cast<double>(bars.size()) + 30 + 16.0 * static_cast<double>(parts.size());
    std::string svg = open_svg(label_width + bar_width + 80, height, "outcome shares");
    for (std::size_t index = 0; index < bars.size(); ++index) {
        const StackedBar& bar = bars[index];
        const double y = top + (bar_height + gap) * static_cast<double>(index);
        long total = 0;
        for (const long count : bar.counts) total += count;
        svg += fmt::format(R"svg(<text x="{:.1f}" y="{:.1f}" font-size="11" text-anchor="end">{}</text>)svg", label_width - 6,
                           y + 13, html_escape(bar.label));
        double x = label_width;
        for (std::size_t part = 0; part < bar.counts.size() && total > 0; ++part) {
            const double share = static_cast<double>(bar.counts[part]) / static_cast<double>(total);
            if (share <= 0) continue;
            svg += fmt::format(R"svg(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"><title>{}: {} of {} ({:.1f}%)</title></rect>)svg",
                               x, y, share * bar_width, bar_height, colours[part], html_escape(parts[part]), bar.counts[part],
                               total, share * 100);
            x += share * bar_width;
        }
        svg += fmt::format(R"svg(<text x="{:.1f}" y="{:.1f}" font-size="11">n = {}</text>)svg", label_width + bar_width + 6, y + 13, total);
    }
    const double legend_top = top + (bar_height + gap) * static_cast<double>(bars.size()) + 10;
    std::string legend_svg;
    for (std::size_t part = 0; part < parts.size(); ++part) {
        const double row = legend_top + 16.0 * static_cast<double>(part);
        legend_svg += fmt::format(R"svg(<rect x="{:.1f}" y="{:.1f}" width="12" height="12" fill="{}"/>)svg", label_width, row, colours[part]);
        legend_svg += fmt::format(R"svg(<text x="{:.1f}" y="{:.1f}" font-size="12">{}</text>)svg", label_width + 18, row + 10,
                                  html_escape(parts[part]));
    }
    return svg + legend_svg + "</svg>";
}

std::string grouped_bars_svg(const std::vector<BarGroup>& groups, const std::vector<std::string>& series,
                             double maximum, bool percent, std::string_view y_title) {
    const double bar = std::clamp(640.0 / static_cast<double>(std::max<std::size_t>(1, groups.size() * series.size())), 4.0, 14.0);
    const double group_gap = bar + 2;
    const double group_width = bar * static_cast<double>(series.size()) + group_gap;
    const double width = std::max(320.0, group_width * static_cast<double>(groups.size()));
    const double height = top + plot_height + 130 + 16.0 * static_cast<double>(series.size());
    if (!(maximum > 0)) maximum = 1;
    std::string svg = open_svg(std::max(left + width + 20, left + 30 + widest(series)), height, y_title);
    svg += value_axis(width, maximum, percent, y_title);
    for (std::size_t group = 0; group < groups.size(); ++group) {
        const double x0 = left + group_width * static_cast<double>(group) + group_gap / 2;
        for (std::size_t one = 0; one < groups[group].values.size(); ++one) {
            const double value = std::clamp(groups[group].values[one], 0.0, maximum);
            const double bar_height = plot_height * value / maximum;
            svg += fmt::format(R"svg(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"><title>{}: {}</title></rect>)svg",
                               x0 + bar * static_cast<double>(one), top + plot_height - bar_height, bar - 1, bar_height,
                               colour(one), html_escape(groups[group].label + " / " + series[one]),
                               percent ? fmt::format("{:.1f}%", value * 100) : fmt::format("{:g}", value));
        }
        const double centre = x0 + bar * static_cast<double>(series.size()) / 2;
        svg += fmt::format(R"svg(<text x="{0:.1f}" y="{1:.1f}" font-size="10" text-anchor="end" transform="rotate(-40 {0:.1f} {1:.1f})">{2}</text>)svg",
                           centre, top + plot_height + 12, html_escape(groups[group].label.size() > 14 ? fmt::format("#{}", group + 1) : groups[group].label));
    }
    svg += legend(series, series_colours(series.size()), top + plot_height + 112);
    return svg + "</svg>";
}

} // namespace microstamp
