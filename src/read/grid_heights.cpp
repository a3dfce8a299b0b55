#include "read/grid_heights.hpp"

#include "read/feature_map.hpp"

#include <cmath>

namespace microstamp {

double wall_shading(const cv::Mat& detail, const cv::Mat& known, const GridFrame& frame, int rows, int columns, double u,
                    double v, bool vertical_wall) {
    const auto& [origin, along, down] = frame;
    double sum = 0;
    int samples = 0;
    for (const double lengthwise : {-0.3, -0.15, 0.0, 0.15, 0.3})
        for (const double across : {-0.15, 0.0, 0.15}) {
            const double du = (vertical_wall ? across / columns : lengthwise / columns);
            const double dv = (vertical_wall ? lengthwise / rows : across / rows);
            const cv::Point2d at = origin + along * (u + du) + down * (v + dv);
            const float value = bilinear_sample(detail, known, at.x, at.y);
            if (std::isnan(value)) continue;
            sum += value;
            ++samples;
        }
    return samples > 0 ? sum / samples : 0.0;
}

std::optional<std::vector<float>> grid_heights_from_walls(const cv::Mat& detail, const cv::Mat& known, const GridFrame& frame,
                                                          int rows, int columns, double light_axis_rad) {
    const auto& [origin, along, down] = frame;
    const double width = cv::norm(along), height = cv::norm(down);
    if (!(width > 0 && height > 0) || rows <= 0 || columns <= 0) return std::nullopt;
    const cv::Point2d light(std::cos(light_axis_rad), std::sin(light_axis_rad));
    const double light_along = light.dot(along / width), light_down = light.dot(down / height);
    const auto wall = [&](double u, double v, bool vertical_wall) {
        return wall_shading(detail, known, frame, rows, columns, u, v, vertical_wall);
    };
    const int unknowns = rows * columns;
    // Right-hand side of the normal equations: each wall's shading pushes the module after
    // it up and the one before it down, by the light's share along the wall's normal.
    std::vector<double> right(static_cast<std::size_t>(unknowns), 0.0);
    const auto push = [&](int before, int after, double weight, double observed) {
        if (before >= 0) right[static_cast<std::size_t>(before)] -= weight * observed;
        if (after >= 0) right[static_cast<std::size_t>(after)] += weight * observed;
    };
    for (int row = 0; row < rows; ++row)
        for (int column = -1; column < columns; ++column)
            push(column < 0 ? -1 : row * columns + column, column + 1 < columns ? row * columns + column + 1 : -1, light_along,
                 wall(static_cast<double>(column + 1) / columns, (row + 0.5) / rows, true));
    for (int column = 0; column < columns; ++column)
        for (int row = -1; row < rows; ++row)
            push(row < 0 ? -1 : row * columns + column, row + 1 < rows ? (row + 1) * columns + column : -1, light_down,
                 wall((column + 0.5) / columns, static_cast<double>(row + 1) / rows, false));
    // The normal matrix is a grid Laplacian (weights: the light's squared shares along and
    // down) with the quiet zone fixed at 0 around it: applied point by point, solved by
    // conjugate gradients (a few dozen steps for a few hundred modules).
    const double weight_along = light_along * light_along, weight_down = light_down * light_down;
    const auto apply = [&](const std::vector<double>& g, std::vector<double>& result) {
        for (int row = 0; row < rows; ++row)
            for (int column = 0; column < columns; ++column) {
                const auto at = [&](int r, int c) {
                    return r < 0 || c < 0 || r >= rows || c >= columns ? 0.0 : g[static_cast<std::size_t>(r * columns + c)];
                };
                const double here = at(row, column);
                result[static_cast<std::size_t>(row * columns + column)] =
                    weight_along * (2 * here - at(row, column - 1) - at(row, column + 1)) +
                    weight_down * (2 * here - at(row - 1, column) - at(row + 1, column)) + 1e-6 * here;
            }
    };
    std::vector<double> heights(right.size(), 0.0), residual = right, direction = right, applied(right.size());
    const auto dot = [](const std::vector<double>& x, const std::vector<double>& y) {
        double sum = 0;
        for (std::size_t i = 0; i < x.size(); ++i) sum += x[i] * y[i];
        return sum;
    };
    double residual_norm = dot(residual, residual);
    const double stop = 1e-12 * std::max(residual_norm, 1e-30);
    for (int step = 0; step < 4 * (rows + columns) && residual_norm > stop; ++step) {
        apply(direction, applied);
        const double alpha = residual_norm / dot(direction, applied);
        for (std::size_t i = 0; i < heights.size(); ++i) {
            heights[i] += alpha * direction[i];
            residual[i] -= alpha * applied[i];
        }
        const double next = dot(residual, residual);
        for (std::size_t i = 0; i < direction.size(); ++i) direction[i] = residual[i] + next / residual_norm * direction[i];
        residual_norm = next;
    }
    return std::vector<float>(heights.begin(), heights.end());
}

WallStep wall_step(double inside_um, double edge_um) {
    const double t = std::tanh(inside_um / edge_um);
    return {0.5 + 0.5 * t, 0.5 * (1 - t * t) / edge_um};
}

std::array<double, 3> wall_shading_terms(const cv::Point2d& slope, const cv::Point2d& light) {
    const double towards = light.dot(slope);
    return {towards, cv::norm(slope), std::fabs(towards)};
}

} // namespace microstamp
