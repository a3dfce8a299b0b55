#include "read/datamatrix_reader.hpp"

#include "code/datamatrix.hpp"
#include "read/grid_heights.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace microstamp {
namespace {

const FaceGeometry reference_geometry{};

// The square around the impression's centre that holds the symbol at the largest
// scale allowed, plus the centre's uncertainty: the crater wall stays out.
cv::Rect crop_around(const DesignRelief& relief, const Impression& impression, const DesignSearch& search) {
    const double half = (reference_geometry.centre_radius_um + 60) * search.max_px_per_um;
    const cv::Rect wanted(static_cast<int>(impression.centre_column - half), static_cast<int>(impression.centre_row - half),
                          static_cast<int>(2 * half), static_cast<int>(2 * half));
    return wanted & cv::Rect(0, 0, relief.values.cols, relief.values.rows);
}

// Relief -> grey, printed metal dark, the extremes (glints, dents, dropouts) clipped.
cv::Mat grey_of(const cv::Mat& relief, const cv::Mat& known) {
    std::vector<float> levels;
    for (int row = 0; row < relief.rows; row += 2)
        for (int column = 0; column < relief.cols; column += 2)
            if (known.at<std::uint8_t>(row, column)) levels.push_back(relief.at<float>(row, column));
    if (levels.size() < 16) return {};
    std::sort(levels.begin(), levels.end());
    const float low = levels[levels.size() / 100], high = levels[levels.size() * 99 / 100];
    if (!(high > low)) return {};
    cv::Mat grey;
    relief.convertTo(grey, CV_8U, -255.0 / (high - low), 255.0 * high / (high - low));
    grey.setTo(255, known == 0);
    return grey;
}

std::optional<std::string> decode(const cv::Mat& grey) {
    const cv::Mat contiguous = grey.isContinuous() ? grey : grey.clone();
    return decode_datamatrix_image(contiguous.ptr<std::uint8_t>(), contiguous.cols, contiguous.rows, true);
}

// zxing on the crop of one relief hypothesis, in the variants a direct-part mark needs.
std::optional<std::string> decode_crop(const DesignRelief& relief, const cv::Rect& crop, const DesignSearch& search) {
    cv::Mat values = relief.values(crop).clone();
    // Smoothing over a fraction of a module (the smallest symbol's modules are ~20 um):
    // scan noise and primer grain go, the module edges stay.
    const double sigma_px = 2.5 * std::sqrt(search.min_px_per_um * search.max_px_per_um);
    if (sigma_px > 0.5) cv::GaussianBlur(values, values, cv::Size(), sigma_px, 0, cv::BORDER_REFLECT);
    const cv::Mat grey = grey_of(values, relief.known(crop));
    if (grey.empty()) return std::nullopt;
    cv::Mat binary;
    cv::threshold(grey, binary, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
    // zxing tries each polarity itself; a mirror image (a cast or a scan flipped by its
    // software) reads only when flipped back.
    for (const cv::Mat* variant : std::array<const cv::Mat*, 2>{&grey, &binary}) {
        if (auto content = decode(*variant)) return content;
        cv::Mat mirrored;
        cv::flip(*variant, mirrored, 1);
        if (auto content = decode(mirrored)) return content;
    }
    return std::nullopt;
}

// The ECC 200 sizes (rows, columns) a reader may meet: square and rectangular.
constexpr std::array<std::pair<int, int>, 15> symbol_sizes{{{10, 10}, {12, 12}, {14, 14}, {16, 16}, {18, 18}, {20, 20},
                                                           {22, 22}, {24, 24}, {26, 26}, {8, 18}, {8, 32}, {12, 26},
                                                           {12, 36}, {16, 36}, {16, 48}}};

// The symbol's outline: the printed area nearest the crop's centre, its modules closed
// into one blob (a light module between two dark ones is one module wide), specks
// opened away, and the smallest rectangle around it.
std::optional<cv::RotatedRect> symbol_outline(const cv::Mat& values, const cv::Mat& known, double module_px) {
    std::vector<float> levels;
    for (int row = 0; row < values.rows; row += 2)
        for (int column = 0; column < values.cols; column += 2)
            if (known.at<std::uint8_t>(row, column)) levels.push_back(values.at<float>(row, column));
    const TwoClasses classes = split_two_classes(levels, 16);
    if (!classes.valid) return std::nullopt;
    cv::Mat printed = (values > classes.threshold) & known;
    const int close = std::max(3, static_cast<int>(std::lround(1.5 * module_px)) | 1);
    const int open = std::max(3, static_cast<int>(std::lround(0.8 * module_px)) | 1);
    cv::morphologyEx(printed, printed, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(close, close)));
    cv::morphologyEx(printed, printed, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(open, open)));
    cv::Mat labels, stats, centroids;
    const int count = cv::connectedComponentsWithStats(printed, labels, stats, centroids, 8, CV_32S);
    const cv::Point2d middle(values.cols / 2.0, values.rows / 2.0);
    int best = -1;
    double best_distance = 0;
    for (int label = 1; label < count; ++label) {
        // A symbol holds at least 8 x 8 modules' worth of area; nearest the centre wins.
        if (stats.at<int>(label, cv::CC_STAT_AREA) < 64 * module_px * module_px * 0.3) continue;
        const double distance = cv::norm(cv::Point2d(centroids.at<double>(label, 0), centroids.at<double>(label, 1)) - middle);
        if (best < 0 || distance < best_distance) {
            best = label;
            best_distance = distance;
        }
    }
    if (best < 0) return std::nullopt;
    std::vector<cv::Point> points;
    cv::findNonZero(labels == best, points);
    return cv::minAreaRect(points);
}

GridFrame frame_of(const cv::RotatedRect& outline) {
    cv::Point2f corners[4];
    outline.points(corners);
    const cv::Point2d origin = corners[0];
    return {origin, cv::Point2d(corners[1]) - origin, cv::Point2d(corners[3]) - origin};
}

// Module values split into two classes (Otsu), as soft values: 0 at the threshold, +-1
// at the classes' means; NaN stays 0 (unknown).
std::optional<std::vector<float>> soft_split(const std::vector<float>& values, int count) {
    const TwoClasses classes = split_two_classes(values, static_cast<std::size_t>(count / 2));
    if (!classes.valid || !(classes.high > classes.low)) return std::nullopt;
    std::vector<float> soft(values.size(), 0.0f);
    for (std::size_t i = 0; i < values.size(); ++i)
        if (std::isfinite(values[i]))
            soft[i] = static_cast<float>((values[i] - classes.threshold) / ((classes.high - classes.low) / 2));
    return soft;
}

ModuleGrid grid_of(const std::vector<float>& soft, int rows, int columns) {
    ModuleGrid grid{columns, rows, std::vector<std::uint8_t>(soft.size(), 0)};
    for (std::size_t i = 0; i < soft.size(); ++i) grid.modules[i] = soft[i] > 0 ? 1 : 0;
    return grid;
}

// The modules of a rows x columns symbol in `frame`, sampled (3 x 3 points in the middle
// of each), as soft values (soft_split).
std::vector<float> sample_modules(const cv::Mat& values, const cv::Mat& known, const GridFrame& frame, int rows, int columns) {
    const auto& [origin, along, down] = frame;
    std::vector<float> means(static_cast<std::size_t>(rows * columns), std::nanf(""));
    for (int row = 0; row < rows; ++row)
        for (int column = 0; column < columns; ++column) {
            double sum = 0;
            int samples = 0;
            for (const double dy : {-0.2, 0.0, 0.2})
                for (const double dx : {-0.2, 0.0, 0.2}) {
                    const cv::Point2d at = origin + along * ((column + 0.5 + dx) / columns) + down * ((row + 0.5 + dy) / rows);
                    const float value = bilinear_sample(values, known, at.x, at.y);
                    if (std::isnan(value)) continue;
                    sum += value;
                    ++samples;
                }
            if (samples >= 3) means[static_cast<std::size_t>(row * columns + column)] = static_cast<float>(sum / samples);
        }
    return soft_split(means, rows * columns).value_or(std::vector<float>(means.size(), 0.0f));
}

// ECC 200's border in one of the four placements a rows x columns grid can have (turned
// half a turn, mirrored): the finder (two solid sides meeting at a corner) and the clock
// (the two other sides alternating, dark at the far end of each solid side). Per module,
// row-major: 1 dark, 0 light, -1 inside the border.
std::vector<std::int8_t> border_pattern(int rows, int columns, bool flip_rows, bool flip_columns) {
    std::vector<std::int8_t> pattern(static_cast<std::size_t>(rows * columns), -1);
    const auto expect = [&](int row, int column, bool dark) {
        row = flip_rows ? rows - 1 - row : row;
        column = flip_columns ? columns - 1 - column : column;
        pattern[static_cast<std::size_t>(row * columns + column)] = dark ? 1 : 0;
    };
    for (int row = 0; row < rows; ++row) {
        expect(row, 0, true);                    // solid left side
        expect(row, columns - 1, row % 2 == 1);  // alternating right side
    }
    for (int column = 1; column < columns - 1; ++column) {
        expect(rows - 1, column, true);          // solid bottom
        expect(0, column, column % 2 == 0);      // alternating top
    }
    return pattern;
}

// How well a grid's border shows the finder and clock, in the best of the four
// placements: mean of the border modules' soft values, signed by what the pattern
// expects there.
double finder_agreement(const std::vector<float>& soft, int rows, int columns) {
    double best = -1;
    for (const bool flip_rows : {false, true})
        for (const bool flip_columns : {false, true}) {
            const std::vector<std::int8_t> pattern = border_pattern(rows, columns, flip_rows, flip_columns);
            double sum = 0;
            int count = 0;
            for (std::size_t i = 0; i < pattern.size(); ++i) {
                if (pattern[i] < 0) continue;
                sum += std::clamp(pattern[i] ? soft[i] : -soft[i], -1.0f, 1.0f);
                ++count;
            }
            best = std::max(best, sum / count);
        }
    return best;
}

ModuleGrid transposed(const ModuleGrid& grid) {
    ModuleGrid result{grid.rows, grid.columns, std::vector<std::uint8_t>(grid.modules.size())};
    for (int row = 0; row < grid.rows; ++row)
        for (int column = 0; column < grid.columns; ++column)
            result.modules[static_cast<std::size_t>(column * grid.rows + row)] =
                grid.modules[static_cast<std::size_t>(row * grid.columns + column)];
    return result;
}

// Where zxing's own detector fails (worn or smeared edges, a finder broken by drag): the
// symbol's outline from the printed area, then every size that fits it sampled module by
// module and handed to zxing as a clean symbol, whose Reed-Solomon decides. The outline's
// corner order may mirror the symbol: the transposed grid is tried too.
// A microstamp symbol's module at the typical scale searched (modules are ~20-25 um).
double typical_module_px(const DesignSearch& search) { return 22 * std::sqrt(search.min_px_per_um * search.max_px_per_um); }

// A photograph's shading detail in the crop (grey minus its blur over three modules),
// where the walls between modules show; empty for a topography, and under a light with
// no direction (a ring light), where a wall's shading does not say which way it faces
// and the wall passes read nothing (0 of 40 ring-lit first shots with them) at ~600 ms.
// The same for both light hypotheses: made once.
cv::Mat walls_detail(const DesignRelief& relief, const cv::Rect& crop, const DesignSearch& search) {
    cv::Mat detail;
    if (relief.photograph.empty() || !light_has_direction(relief)) return detail;
    const cv::Mat grey = relief.photograph(crop);
    cv::GaussianBlur(grey, detail, cv::Size(), 3 * typical_module_px(search), 0, cv::BORDER_REFLECT);
    return grey - detail;
}

// The shading on every wall of a rows x columns grid in `frame`, the symbol's outer walls
// (against the quiet zone) included: `vertical` holds, row by row, the wall before each
// column and after the last (rows x (columns + 1)); `horizontal`, column by column within
// each row line, the wall above each row and below the last ((rows + 1) x columns).
// `along_share`, `down_share`: the light's share across each kind of wall.
struct ModuleWalls {
    int rows = 0, columns = 0;
    std::vector<double> vertical, horizontal;
    double along_share = 0, down_share = 0;
};

ModuleWalls module_walls(const cv::Mat& detail, const cv::Mat& known, const GridFrame& frame, int rows, int columns,
                         double light_axis_rad) {
    const cv::Point2d light(std::cos(light_axis_rad), std::sin(light_axis_rad));
    ModuleWalls walls{rows, columns, {}, {}, light.dot(frame.along / cv::norm(frame.along)),
                      light.dot(frame.down / cv::norm(frame.down))};
    const auto wall = [&](double u, double v, bool vertical_wall) {
        return wall_shading(detail, known, frame, rows, columns, u, v, vertical_wall);
    };
    for (int row = 0; row < rows; ++row)
        for (int column = 0; column <= columns; ++column)
            walls.vertical.push_back(wall(static_cast<double>(column) / columns, (row + 0.5) / rows, true));
    for (int row = 0; row <= rows; ++row)
        for (int column = 0; column < columns; ++column)
            walls.horizontal.push_back(wall((column + 0.5) / columns, static_cast<double>(row) / rows, false));
    return walls;
}

struct WallExplanation {
    std::vector<float> soft;   // +-1: printed or ground
    double explained = 0;      // share of the walls' shading the heights explain
};

// Module heights (0 ground, 1 printed) that best explain the walls' shading, from a
// first guess. Under one low light a wall's shading is its step's sign times how squarely
// it faces the light (a raised module's lit wall bright, its far wall dark) plus a
// darkening of any steep wall whichever way it faces: a wall along the light shows only
// as a dark line, which the heights integrated from the signed shading ignore (light
// along a symbol's side leaves each line of modules to integrate alone, and one missed
// wall flips the rest of it). Both strengths are fitted to the current heights (so the
// light's sign needs no hypothesis), then each module is flipped where that explains its
// four walls better, until none moves.
// `border`, when given (border_pattern), holds the modules it knows fixed.
WallExplanation heights_explaining_walls(const ModuleWalls& walls, const std::vector<float>& first_guess,
                                         const std::vector<std::int8_t>& border = {}) {
    const int rows = walls.rows, columns = walls.columns;
    std::vector<std::uint8_t> printed(first_guess.size());
    for (std::size_t i = 0; i < first_guess.size(); ++i)
        printed[i] = !border.empty() && border[i] >= 0 ? static_cast<std::uint8_t>(border[i]) : first_guess[i] > 0 ? 1 : 0;
    const auto height = [&](int row, int column) {
        return row < 0 || column < 0 || row >= rows || column >= columns ? 0
                                                                         : printed[static_cast<std::size_t>(row * columns + column)];
    };
    // Each wall: its measured shading, its step (after minus before) and the light's share across it.
    const auto for_each_wall = [&](auto&& visit) {
        for (int row = 0; row < rows; ++row)
            for (int column = 0; column <= columns; ++column)
                visit(walls.vertical[static_cast<std::size_t>(row * (columns + 1) + column)],
                      height(row, column) - height(row, column - 1), walls.along_share);
        for (int row = 0; row <= rows; ++row)
            for (int column = 0; column < columns; ++column)
                visit(walls.horizontal[static_cast<std::size_t>(row * columns + column)],
                      height(row, column) - height(row - 1, column), walls.down_share);
    };
    double facing = 0, steep = 0;
    const auto unexplained = [&](double shading, int step, double share) {
        return shading - facing * step * share - steep * std::abs(step);
    };
    const auto fit_strengths = [&] {
        cv::Matx22d normal = cv::Matx22d::zeros();
        cv::Vec2d right(0, 0);
        for_each_wall([&](double shading, int step, double share) {
            const cv::Vec2d terms(step * share, std::abs(step));
            normal += terms * terms.t();
            right += terms * shading;
        });
        cv::Vec2d solution;
        if (!cv::solve(normal, right, solution, cv::DECOMP_CHOLESKY)) return false;
        facing = solution[0];
        steep = solution[1];
        return true;
    };
    // What a module's four walls leave unexplained.
    const auto misfit = [&](int row, int column) {
        const auto wall_misfit = [&](double shading, int step, double share) {
            const double left = unexplained(shading, step, share);
            return left * left;
        };
        return wall_misfit(walls.vertical[static_cast<std::size_t>(row * (columns + 1) + column)],
                           height(row, column) - height(row, column - 1), walls.along_share) +
               wall_misfit(walls.vertical[static_cast<std::size_t>(row * (columns + 1) + column + 1)],
                           height(row, column + 1) - height(row, column), walls.along_share) +
               wall_misfit(walls.horizontal[static_cast<std::size_t>(row * columns + column)],
                           height(row, column) - height(row - 1, column), walls.down_share) +
               wall_misfit(walls.horizontal[static_cast<std::size_t>((row + 1) * columns + column)],
                           height(row + 1, column) - height(row, column), walls.down_share);
    };
    for (int round = 0; round < 8 && fit_strengths(); ++round) {
        int flips = 0;
        for (bool flipped = true; flipped;) {
            flipped = false;
            for (int row = 0; row < rows; ++row)
                for (int column = 0; column < columns; ++column) {
                    if (!border.empty() && border[static_cast<std::size_t>(row * columns + column)] >= 0) continue;
                    const double before = misfit(row, column);
                    std::uint8_t& module = printed[static_cast<std::size_t>(row * columns + column)];
                    module ^= 1;
                    if (misfit(row, column) < before - 1e-12) {
                        flipped = true;
                        ++flips;
                    } else {
                        module ^= 1;
                    }
                }
        }
        if (flips == 0) break;
    }
    WallExplanation result;
    double total = 0, left = 0;
    for_each_wall([&](double shading, int step, double share) {
        total += shading * shading;
        left += unexplained(shading, step, share) * unexplained(shading, step, share);
    });
    result.explained = total > 0 ? 1 - left / total : 0;
    for (const std::uint8_t module : printed) result.soft.push_back(module ? 1.0f : -1.0f);
    return result;
}

// Whether an outline could hold a rows x columns symbol: square modules, give or take
// what a worn edge or a smeared photograph adds to one side.
bool proportion_fits(const GridFrame& outlined, int rows, int columns) {
    const double proportion = (cv::norm(outlined.along) / columns) / (cv::norm(outlined.down) / rows);
    return proportion > 0.8 && proportion < 1.25;
}

// The symbol sizes (rows down, columns across) an outline could hold, either way up; a
// square size once (turned, it is itself: trying it twice doubled the cost of every
// photograph without a symbol).
std::vector<std::pair<int, int>> sizes_fitting(const GridFrame& outlined) {
    std::vector<std::pair<int, int>> fitting;
    for (const auto& [rows, columns] : symbol_sizes)
        for (const bool turned : {false, true}) {
            if (turned && rows == columns) continue;
            const int down = turned ? columns : rows, across = turned ? rows : columns;
            if (proportion_fits(outlined, down, across)) fitting.emplace_back(down, across);
        }
    return fitting;
}

// The modules at `frame` that best explain its walls, from each first guess the frame
// offers: the relief's modules, and the heights integrated from the walls (either sign).
WallExplanation modules_explaining_walls(const cv::Mat& values, const cv::Mat& known, const cv::Mat& detail,
                                         const GridFrame& frame, int rows, int columns, double light_axis_rad) {
    const ModuleWalls walls = module_walls(detail, known, frame, rows, columns, light_axis_rad);
    std::vector<std::vector<float>> first_guesses{sample_modules(values, known, frame, rows, columns)};
    const auto heights = grid_heights_from_walls(detail, known, frame, rows, columns, light_axis_rad);
    if (const auto integrated = heights ? soft_split(*heights, rows * columns) : std::nullopt) {
        first_guesses.push_back(*integrated);
        for (float& value : first_guesses.back()) value = -value;
        first_guesses.push_back(*integrated);
    }
    WallExplanation best;
    best.explained = -1;
    for (const auto& guess : first_guesses) {
        WallExplanation explanation = heights_explaining_walls(walls, guess);
        if (explanation.explained > best.explained) best = std::move(explanation);
    }
    return best;
}

// A frame moved by `step` modules: its centre along or down (parameters 0, 1), its
// length along or down, symmetrically (2, 3), or turned by the angle that moves its
// ends by `step` modules (4).
GridFrame nudged_frame(GridFrame frame, int rows, int columns, int parameter, double step) {
    const cv::Point2d module_along = frame.along / columns, module_down = frame.down / rows;
    switch (parameter) {
    case 0: frame.origin += module_along * step; break;
    case 1: frame.origin += module_down * step; break;
    case 2:
        frame.origin -= module_along * (step / 2);
        frame.along += module_along * step;
        break;
    case 3:
        frame.origin -= module_down * (step / 2);
        frame.down += module_down * step;
        break;
    default: {
        const cv::Point2d centre = frame.origin + (frame.along + frame.down) / 2;
        const double angle = step / std::max(columns, rows);
        const auto turned = [&](const cv::Point2d& v) {
            return cv::Point2d(v.x * std::cos(angle) - v.y * std::sin(angle), v.x * std::sin(angle) + v.y * std::cos(angle));
        };
        frame.along = turned(frame.along);
        frame.down = turned(frame.down);
        frame.origin = centre - (frame.along + frame.down) / 2;
    }
    }
    return frame;
}

// Where the border-led grids fail (light along the symbol's sides: half its walls show
// only as dark lines, the relief is smeared along the light and the outline a module
// off): the frame is climbed on how much of the walls' shading the modules explain, from
// the outline shrunk by parts of a module, and the modules that explain it best go to
// zxing.
// The modules at `frame` explained with the border held in whichever of its four
// placements explains the walls best: a frame a module off cannot fit the finder and
// clock, which a free explanation could (it explains as much shading at a wrong frame).
WallExplanation border_held_explanation(const cv::Mat& values, const cv::Mat& known, const cv::Mat& detail,
                                        const GridFrame& frame, int rows, int columns, double light_axis_rad) {
    const WallExplanation free = modules_explaining_walls(values, known, detail, frame, rows, columns, light_axis_rad);
    const ModuleWalls walls = module_walls(detail, known, frame, rows, columns, light_axis_rad);
    WallExplanation best;
    best.explained = -1;
    for (const bool flip_rows : {false, true})
        for (const bool flip_columns : {false, true}) {
            WallExplanation held =
                heights_explaining_walls(walls, free.soft, border_pattern(rows, columns, flip_rows, flip_columns));
            if (held.explained > best.explained) best = std::move(held);
        }
    return best;
}

// Where the border-led grids fail (light along the symbol's sides: half its walls show
// only as dark lines, the relief is smeared along the light and the outline a module
// off): the frame is climbed on how much of the walls' shading the modules explain with
// the border held, from the outline shrunk by parts of a module, and the modules that
// explain it best go to zxing.
std::optional<std::string> decode_explaining_walls(const cv::Mat& values, const cv::Mat& known, const cv::Mat& detail,
                                                   const GridFrame& outlined, int rows, int columns, double light_axis_rad) {
    const auto score_of = [&](const GridFrame& frame) {
        return border_held_explanation(values, known, detail, frame, rows, columns, light_axis_rad).explained;
    };
    GridFrame best_frame = outlined;
    double best_score = -1;
    for (const double shrink_along : {0.0, 0.4, 0.8})
        for (const double shrink_down : {0.0, 0.4, 0.8}) {
            const GridFrame frame = nudged_frame(nudged_frame(outlined, rows, columns, 2, -shrink_along), rows, columns, 3,
                                                 -shrink_down);
            const double score = score_of(frame);
            if (score > best_score) {
                best_score = score;
                best_frame = frame;
            }
        }
    // Steps from a quarter of a module down to a thirty-second.
    best_frame = ascend(best_frame, best_score, 5, 4, score_of, [&](const GridFrame& frame, int parameter, double step) {
        return nudged_frame(frame, rows, columns, parameter, step / 4);
    });
    const ModuleGrid grid =
        grid_of(border_held_explanation(values, known, detail, best_frame, rows, columns, light_axis_rad).soft, rows, columns);
    if (auto content = decode_datamatrix_modules(grid)) return content;
    return decode_datamatrix_modules(transposed(grid));
}

std::optional<std::string> decode_sampled(const DesignRelief& relief, const cv::Rect& crop, const DesignSearch& search,
                                          const cv::Mat& detail) {
    cv::Mat values = relief.values(crop).clone();
    const cv::Mat known = relief.known(crop);
    const double module_px = typical_module_px(search);
    if (module_px / 6 > 0.5) cv::GaussianBlur(values, values, cv::Size(), module_px / 6, 0, cv::BORDER_REFLECT);
    const auto outline = symbol_outline(values, known, module_px);
    if (!outline) return std::nullopt;
    const GridFrame outlined = frame_of(*outline);
    const std::vector<std::pair<int, int>> sizes = sizes_fitting(outlined);
    for (const auto& size : sizes) {
        // Named, not bound: clang 14 (the fuzz build) cannot capture structured bindings.
        const int down = size.first, across = size.second;
        // The outline may be a fraction of a module off (a worn edge module, a photograph's
        // relief spread along the light): frames shrunk and shifted by parts of a module.
        // In each, the relief's modules; a photograph's also integrated from the walls
        // (either sign), and the two added (the walls weighing more: the relief is spread
        // along the light), since they err in different places. The grids whose border
        // best shows the finder and clock go to zxing.
        std::vector<std::pair<double, ModuleGrid>> grids;
        const cv::Point2d module_along = outlined.along / across, module_down = outlined.down / down;
        // A frame's placement against the outline, in modules: shrink along, down; shift along, down.
        using Placement = std::array<double, 4>;
        const auto evaluate = [&](const Placement& placement) {
            const auto& [shrink_along, shrink_down, shift_along, shift_down] = placement;
            const GridFrame frame{outlined.origin + module_along * (shrink_along / 2 + shift_along) +
                                  module_down * (shrink_down / 2 + shift_down),
                                  outlined.along - module_along * shrink_along, outlined.down - module_down * shrink_down};
            double best = -1;
            const auto consider = [&](const std::vector<float>& soft) {
                const double agreement = finder_agreement(soft, down, across);
                grids.emplace_back(agreement, grid_of(soft, down, across));
                best = std::max(best, agreement);
            };
            const std::vector<float> sampled = sample_modules(values, known, frame, down, across);
            consider(sampled);
            const auto heights =
                detail.empty() ? std::nullopt : grid_heights_from_walls(detail, known, frame, down, across, relief.light_axis_rad);
            const auto integrated = heights ? soft_split(*heights, down * across) : std::nullopt;
            if (integrated)
                for (const float sign : {1.0f, -1.0f}) {
                    std::vector<float> soft = *integrated;
                    for (float& value : soft) value *= sign;
                    consider(soft);
                    for (std::size_t i = 0; i < soft.size(); ++i) soft[i] += 0.5f * sampled[i];
                    consider(soft);
                }
            return best;
        };
        for (const double shrink_along : {0.0, 0.4, 0.8})
            for (const double shrink_down : {0.0, 0.4, 0.8})
                for (const double shift_along : {-0.4, -0.2, 0.0, 0.2, 0.4})
                    for (const double shift_down : {-0.4, -0.2, 0.0, 0.2, 0.4})
                        evaluate({shrink_along, shrink_down, shift_along, shift_down});
        std::stable_sort(grids.begin(), grids.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        grids.resize(std::min<std::size_t>(grids.size(), 8));
        for (const auto& [agreement, grid] : grids) {
            if (auto content = decode_datamatrix_modules(grid)) return content;
            if (auto content = decode_datamatrix_modules(transposed(grid))) return content;
        }
    }
    if (detail.empty()) return std::nullopt;
    for (const auto& [down, across] : sizes)
        if (auto content = decode_explaining_walls(values, known, detail, outlined, down, across, relief.light_axis_rad))
            return content;
    return std::nullopt;
}

} // namespace

DesignReading read_datamatrix(const DesignRelief& relief, const Impression& impression, const DesignSearch& search) {
    if (!impression.found) return unread(Design::datamatrix, "no firing-pin impression found");
    DesignReading reading;
    reading.design = Design::datamatrix;
    const cv::Rect crop = crop_around(relief, impression, search);
    if (crop.width < 16 || crop.height < 16) {
        reading.failure = "the impression is at the edge of the image";
        return reading;
    }
    std::optional<std::string> content;
    for (const DesignRelief& hypothesis : relief_hypotheses(relief)) {
        content = decode_crop(hypothesis, crop, search);
        if (content) break;
    }
    if (!content) {
        const cv::Mat detail = walls_detail(relief, crop, search);
        for (const DesignRelief& hypothesis : relief_hypotheses(relief)) {
            content = decode_sampled(hypothesis, crop, search, detail);
            if (content) break;
        }
    }
    reading.centre_column = impression.centre_column;
    reading.centre_row = impression.centre_row;
    reading.px_per_um = std::sqrt(search.min_px_per_um * search.max_px_per_um);
    if (!content) {
        reading.failure = "no Data Matrix symbol decoded";
        return reading;
    }
    reading.code = *content;
    reading.status = DesignStatus::decoded;
    // Data Matrix's Reed-Solomon has checked the content; zxing does not say how much of its
    // capacity was used, so the confidence is that of a valid symbol.
    reading.confidence = 1;
    reading.score = 1;
    reading.fields = parse_datamatrix_content(*content);
    if (!reading.fields) {
        reading.failure = "the symbol is not a microstamp code";
        return reading;
    }
    if (search.catalog)
        reading.identity = search.catalog->identity(reading.fields->manufacturer_code, reading.fields->model_code,
                                                    reading.fields->serial);
    if (!reading.identity) reading.failure = "the stamp's manufacturer or model code is not in this catalog";
    return reading;
}

} // namespace microstamp
