#pragma once
// Heights of a grid of cells (Data Matrix modules, a character's dots) from a
// photograph's shading. Under one low light a cell's flat top does not shade; only the
// walls between cells of different height do, bright or dark by the step's sign and by
// how squarely the wall faces the light. Each row and column of the grid starts and
// ends on flat ground (height 0: a quiet zone, the gap between characters), so the
// heights follow from the walls by least squares with no drift:
// g[c+1] - g[c] ~ wall shading / (light's share along the row), the same down the
// columns. Solved by conjugate gradients on the grid (a few hundred cells at most).
//
//   GridFrame frame{corner, along_side, down_side};             // image pixels
//   auto heights = grid_heights_from_walls(detail, known, frame, rows, columns, light_axis);

#include <array>
#include <opencv2/core.hpp>
#include <optional>
#include <vector>

namespace microstamp {

// Where a grid lies: its first corner and its two sides, in image pixels; cell (row,
// column) is centred at origin + along * (column + 0.5) / columns + down * (row + 0.5) / rows.
struct GridFrame {
    cv::Point2d origin, along, down;
};

// Mean shading on the wall of a rows x columns grid at fraction (u, v) of the frame (a
// vertical wall lies between two columns, else between two rows), over a short stretch
// of the wall and a little either side of where it should be; 0 where nothing is known.
double wall_shading(const cv::Mat& detail, const cv::Mat& known, const GridFrame& frame, int rows, int columns, double u,
                    double v, bool vertical_wall);

// `detail`: the photograph's grey levels minus their blur over a few cells; `light_axis_rad`:
// the light's axis in the image frame (y down). Heights row-major, in units of the
// shading; their sign is the light's, which the axis leaves open. Nothing if the frame is
// degenerate.
std::optional<std::vector<float>> grid_heights_from_walls(const cv::Mat& detail, const cv::Mat& known, const GridFrame& frame,
                                                          int rows, int columns, double light_axis_rad);

// Templates of printed shapes whose outline is known (a gear's bar, a glyph), fitted to
// the grey levels themselves. A wall's smoothed step: the raised side's share at
// `inside_um` into the shape (0 outside, 1 inside) and its slope per micrometre, over a
// wall `edge_um` wide.
struct WallStep {
    double value = 0, slope = 0;
};
WallStep wall_step(double inside_um, double edge_um);

// The shading of an outline's walls under one low light, as three templates of its
// slope (per image pixel; `light`: the light's axis, either sign): the slope towards
// the light (a wall facing it is bright), the slope's size (a steep wall darkens
// whichever way it faces, as the light's height share shrinks on it: a wall along the
// light shows as a dark line) and the slope towards the light unsigned (in the crater's
// shadow only walls facing the light are lit).
std::array<double, 3> wall_shading_terms(const cv::Point2d& slope, const cv::Point2d& light);

// A least-squares fit of grey levels as a smooth background (`Background` terms: a plane,
// 1, x, y, for a glyph; the gear adds the crater wall's curve near its rim) plus an
// outline's three wall terms, accumulated pixel by pixel.
template <int Background>
struct WallFitOf {
    static constexpr int size = Background + 3;
    using Terms = cv::Vec<double, size>;
    static Terms terms(const std::array<double, Background>& background, const std::array<double, 3>& walls) {
        Terms result;
        for (int i = 0; i < Background; ++i) result[i] = background[static_cast<std::size_t>(i)];
        for (int i = 0; i < 3; ++i) result[Background + i] = walls[static_cast<std::size_t>(i)];
        return result;
    }
    void add(const Terms& terms, double value) {
        normal += terms * terms.t();
        right += terms * value;
        sum += value;
        sum_squares += value * value;
        ++count;
    }

    // A small weight holding a background term to 0 where it has no support (a term that
    // vanishes over the whole outline), so the fit stays solvable.
    void steady(int term, double weight) { normal(term, term) += weight; }

    // Sums of squares: about the mean (`variance`), and what the plane (the first three
    // background terms) alone, the whole background and the whole fit leave unexplained.
    // Nothing when too few pixels or degenerate terms.
    struct LeftOver {
        double variance = 0, plane = 0, background = 0, whole = 0;
        int count = 0;
    };
    std::optional<LeftOver> solve(int min_pixels) const {
        Terms solution;
        if (count < min_pixels || !cv::solve(normal, right, solution, cv::DECOMP_CHOLESKY)) return std::nullopt;
        const auto plane = left_by_first<3>(), background = left_by_first<Background>();
        if (!plane || !background) return std::nullopt;
        return LeftOver{sum_squares - sum * sum / count, *plane, *background, sum_squares - solution.dot(right), count};
    }
    // What the first `First` terms alone leave unexplained.
    template <int First>
    std::optional<double> left_by_first() const {
        cv::Matx<double, First, First> first_normal;
        cv::Vec<double, First> first_right, first_solution;
        for (int i = 0; i < First; ++i) {
            first_right[i] = right[i];
            for (int j = 0; j < First; ++j) first_normal(i, j) = normal(i, j);
        }
        if (!cv::solve(first_normal, first_right, first_solution, cv::DECOMP_CHOLESKY)) return std::nullopt;
        return sum_squares - first_solution.dot(first_right);
    }

    cv::Matx<double, size, size> normal = cv::Matx<double, size, size>::zeros();
    Terms right = Terms::all(0);
    double sum = 0, sum_squares = 0;
    int count = 0;
};

// A glyph's fit: a plane (the crater's own shading) plus its outline's walls.
struct WallFit : WallFitOf<3> {
    static Terms terms(double x, double y, const std::array<double, 3>& walls) { return WallFitOf<3>::terms({1.0, x, y}, walls); }
};

} // namespace microstamp
