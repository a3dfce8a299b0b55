#include "read/datamatrix_reader.hpp"

#include "code/datamatrix.hpp"

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

// The modules of a rows x columns symbol filling `outline`, sampled (3 x 3 points in the
// middle of each) and split into printed and not; nothing if the outline's proportions
// or module size do not fit.
std::optional<ModuleGrid> sample_modules(const cv::Mat& values, const cv::Mat& known, const cv::RotatedRect& outline,
                                         int rows, int columns) {
    cv::Point2f corners[4];
    outline.points(corners);
    const cv::Point2d origin = corners[0], along = cv::Point2d(corners[1]) - origin, down = cv::Point2d(corners[3]) - origin;
    const double width = cv::norm(along), height = cv::norm(down);
    if (!(width > 0 && height > 0)) return std::nullopt;
    const double proportion = (width / columns) / (height / rows);
    if (proportion < 0.8 || proportion > 1.25) return std::nullopt;
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
    const TwoClasses classes = split_two_classes(means, static_cast<std::size_t>(rows * columns / 2));
    if (!classes.valid) return std::nullopt;
    ModuleGrid grid{columns, rows, std::vector<std::uint8_t>(means.size(), 0)};
    for (std::size_t i = 0; i < means.size(); ++i) grid.modules[i] = means[i] > classes.threshold ? 1 : 0;
    return grid;
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
std::optional<std::string> decode_sampled(const DesignRelief& relief, const cv::Rect& crop, const DesignSearch& search) {
    cv::Mat values = relief.values(crop).clone();
    const cv::Mat known = relief.known(crop);
    const double typical_px_per_um = std::sqrt(search.min_px_per_um * search.max_px_per_um);
    const double module_px = 22 * typical_px_per_um;  // a microstamp symbol's modules are ~20-25 um
    if (module_px / 6 > 0.5) cv::GaussianBlur(values, values, cv::Size(), module_px / 6, 0, cv::BORDER_REFLECT);
    const auto outline = symbol_outline(values, known, module_px);
    if (!outline) return std::nullopt;
    for (const auto& [rows, columns] : symbol_sizes)
        for (const bool turned : {false, true}) {
            const auto grid = sample_modules(values, known, *outline, turned ? columns : rows, turned ? rows : columns);
            if (!grid) continue;
            if (auto content = decode_datamatrix_modules(*grid)) return content;
            if (auto content = decode_datamatrix_modules(transposed(*grid))) return content;
        }
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
    if (!content)
        for (const DesignRelief& hypothesis : relief_hypotheses(relief)) {
            content = decode_sampled(hypothesis, crop, search);
            if (content) break;
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
