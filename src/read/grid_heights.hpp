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

// A least-squares fit of grey levels as a plane (1, x, y: the crater's own shading) plus
// an outline's three wall terms, accumulated pixel by pixel.
struct WallFit {
    using Terms = cv::Vec<double, 6>;
    static Terms terms(double x, double y, const std::array<double, 3>& walls) {
        return {1.0, x, y, walls[0], walls[1], walls[2]};
    }
    void add(const Terms& terms, double value);

    // Sums of squares: about the mean (`variance`), and what the plane alone and the
    // whole fit leave unexplained. Nothing when too few pixels or degenerate terms.
    struct LeftOver {
        double variance = 0, plane = 0, whole = 0;
        int count = 0;
    };
    std::optional<LeftOver> solve(int min_pixels) const;

    cv::Matx<double, 6, 6> normal = cv::Matx<double, 6, 6>::zeros();
    Terms right = Terms::all(0);
    double sum = 0, sum_squares = 0;
    int count = 0;
};

} // namespace microstamp
