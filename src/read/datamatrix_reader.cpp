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
