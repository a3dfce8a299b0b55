#include "read/design_reading.hpp"

#include "code/identity.hpp"
#include "read/datamatrix_reader.hpp"
#include "read/gear_reader.hpp"
#include "read/text_reader.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <opencv2/imgproc.hpp>

namespace microstamp {
namespace {

// Leaky sums along each row: every value spread over about `leak_px` after it
// (forwards) or before it (backwards).
cv::Mat spread_along_rows(const cv::Mat& values, double leak_px, bool forwards) {
    const auto keep = static_cast<float>(std::exp(-1.0 / std::max(1.0, leak_px)));
    cv::Mat result(values.size(), CV_32F);
    for (int row = 0; row < values.rows; ++row) {
        const float* line = values.ptr<float>(row);
        float* out = result.ptr<float>(row);
        float sum = 0;
        if (forwards)
            for (int column = 0; column < values.cols; ++column) out[column] = sum = line[column] + keep * sum;
        else
            for (int column = values.cols; column-- > 0;) out[column] = sum = line[column] + keep * sum;
    }
    return result;
}

// The axis of the light: shading is the relief's slope along it, so the detail's
// gradients line up with it (three times the energy along it than across, for relief
// with no direction of its own). Its directionality, 0 (a ring light shades every wall
// alike) to 1 (all gradients along one axis), says whether there is an axis at all.
struct LightAxis {
    double axis_rad = 0;
    double directionality = 0;
};

LightAxis light_axis(const cv::Mat& detail, const cv::Mat& known) {
    cv::Mat gx, gy;
    cv::Sobel(detail, gx, CV_32F, 1, 0);
    cv::Sobel(detail, gy, CV_32F, 0, 1);
    const double xx = cv::mean(gx.mul(gx), known)[0], yy = cv::mean(gy.mul(gy), known)[0];
    const double xy = cv::mean(gx.mul(gy), known)[0];
    if (xx + yy <= 0) return {};
    return {0.5 * std::atan2(2 * xy, xx - yy), std::sqrt((xx - yy) * (xx - yy) + 4 * xy * xy) / (xx + yy)};
}

} // namespace

DesignRelief design_relief(const FeatureMap& topography_map) {
    DesignRelief relief;
    relief.values = topography_map.values;
    relief.known = topography_map.known;
    relief.um_per_px = topography_map.um_per_px;
    relief.topography = topography_map.kind == FeatureKind::height;
    relief.background = topography_map.background;
    return relief;
}

DesignRelief design_relief(const Image& photograph, double um_per_px, double spread_um, double grain_levels) {
    if (photograph.width <= 0 || photograph.height <= 0) throw InputError("the image is empty");
    if (!(um_per_px > 0)) throw InputError("the image scale (um per pixel) must be positive");
    DesignRelief relief;
    relief.um_per_px = um_per_px;
    relief.topography = false;
    cv::Mat grey(photograph.height, photograph.width, CV_32F);
    const float top = photograph.bits == 16 ? 65535.0f : 255.0f;
    for (int row = 0; row < photograph.height; ++row) {
        float* line = grey.ptr<float>(row);
        for (int column = 0; column < photograph.width; ++column)
            line[column] = photograph.pixels[static_cast<std::size_t>(row) * static_cast<std::size_t>(photograph.width) +
                                             static_cast<std::size_t>(column)] / top;
    }
    relief.known = (grey > 0.004f) & (grey < 0.996f);
    relief.photograph = grey;
    // The crater's own shading varies over hundreds of micrometres; printed detail over tens.
    cv::Mat smooth;
    cv::GaussianBlur(grey, smooth, cv::Size(), 30 / um_per_px, 0, cv::BORDER_REFLECT);
    cv::Mat detail = grey - smooth;
    // Specular glints and black shadows are the edges' extremes: clipped, they still say
    // which way the edge faces without swamping the integral.
    cv::Scalar mean, spread;
    cv::meanStdDev(detail, mean, spread, relief.known);
    detail.setTo(0, relief.known == 0);
    const LightAxis light = light_axis(detail, relief.known);
    relief.light_axis_rad = light.axis_rad;
    relief.light_directionality = light.directionality;
    // A raised edge facing the light is bright, one facing away dark; the primer's grain
    // shades far less than an engraved wall. Bright and dark edges beyond the grain's
    // level, each spread across the feature they bound (bright edges away from the
    // light, dark ones towards it), give the printed relief; light from the other side
    // of the axis swaps the two directions. Spread instead of integrated: shading
    // saturates on steep walls, so bright and dark edges do not cancel and an integral
    // would trail streaks.
    const auto grain = static_cast<float>(grain_levels * spread[0]);
    const cv::Mat bright = cv::max(detail - grain, 0.0f), dark = cv::max(-detail - grain, 0.0f);
    // Turn the light axis onto the rows, spread, turn back.
    const cv::Point2f middle(static_cast<float>(grey.cols) / 2, static_cast<float>(grey.rows) / 2);
    const cv::Mat turn = cv::getRotationMatrix2D(middle, relief.light_axis_rad * 180 / std::numbers::pi, 1.0);
    cv::Mat back;
    cv::invertAffineTransform(turn, back);
    const auto turned = [&](const cv::Mat& image, const cv::Mat& matrix) {
        cv::Mat result;
        cv::warpAffine(image, result, matrix, image.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
        return result;
    };
    const cv::Mat bright_turned = turned(bright, turn), dark_turned = turned(dark, turn);
    const double leak_px = spread_um / um_per_px;
    relief.values = turned(spread_along_rows(bright_turned, leak_px, true) + spread_along_rows(dark_turned, leak_px, false), back);
    relief.alternative =
        turned(spread_along_rows(bright_turned, leak_px, false) + spread_along_rows(dark_turned, leak_px, true), back);
    return relief;
}

bool light_has_direction(const DesignRelief& relief) {
    return !relief.topography && relief.light_directionality >= min_wall_light_directionality;
}

std::vector<DesignRelief> relief_hypotheses(const DesignRelief& relief) {
    if (relief.alternative.empty()) return {relief};
    DesignRelief other = relief;
    other.values = relief.alternative;
    other.alternative = cv::Mat();
    return {relief, other};
}

float relief_at(const DesignRelief& relief, double column, double row) {
    return bilinear_sample(relief.values, relief.known, column, row);
}

ValueClasses split_values(std::vector<float> values) { return split_two_classes(std::move(values), 4); }

std::vector<float> soft_values(const std::vector<float>& values, const ValueClasses& classes) {
    std::vector<float> soft(values.size(), 0.0f);
    const double half = (classes.high - classes.low) / 2;
    if (!classes.valid || !(half > 0)) return soft;
    for (std::size_t i = 0; i < values.size(); ++i)
        if (std::isfinite(values[i]))
            soft[i] = static_cast<float>(std::clamp((values[i] - classes.threshold) / half, -1.0, 1.0));
    return soft;
}

std::string_view design_status_name(DesignStatus status) {
    switch (status) {
    case DesignStatus::decoded: return "decoded";
    case DesignStatus::partial: return "partial";
    case DesignStatus::unreadable: return "unreadable";
    }
    return "unknown";
}

DesignReading unread(Design design, std::string failure) {
    DesignReading reading;
    reading.design = design;
    reading.failure = std::move(failure);
    return reading;
}

void resolve_key(DesignReading& reading, const KeyDirectory* directory) {
    if (reading.status != DesignStatus::decoded || !directory) return;
    reading.key_holders = directory->find(reading.code);
    if (reading.key_holders.size() == 1) reading.identity = reading.key_holders.front();
    else if (reading.key_holders.empty()) reading.failure = "the key is not in the key directory";
    else reading.failure = "the key belongs to more than one pistol in the key directory (a collision)";
}

std::vector<DesignReading> read_designs(const DesignRelief& relief, const std::vector<Design>& designs,
                                        const DesignSearch& search) {
    std::vector<DesignReading> readings;
    const Impression impression = locate_impression(relief, search);
    for (const Design design : designs) {
        switch (design) {
        case Design::text: readings.push_back(read_text(relief, impression, search)); break;
        case Design::gear: readings.push_back(read_gear(relief, impression, search)); break;
        case Design::datamatrix: readings.push_back(read_datamatrix(relief, impression, search)); break;
        case Design::ring: break;  // read by read(): finder circles of its own
        }
    }
    return readings;
}

nlohmann::json to_json(const DesignReading& reading) {
    nlohmann::json json = {{"design", design_name(reading.design)},
                           {"status", design_status_name(reading.status)},
                           {"confidence", reading.confidence},
                           {"score", reading.score}};
    if (!reading.code.empty()) json["code"] = reading.code;
    if (!reading.character_confidence.empty()) json["character_confidence"] = reading.character_confidence;
    if (reading.identity)
        json["identity"] = {{"manufacturer", reading.identity->manufacturer},
                            {"model", reading.identity->model},
                            {"serial", reading.identity->serial},
                            {"manufacturer_code", reading.identity->manufacturer_code},
                            {"model_code", reading.identity->model_code}};
    else if (reading.fields)
        json["stamp_fields"] = {{"manufacturer_code", reading.fields->manufacturer_code},
                                {"model_code", reading.fields->model_code},
                                {"serial", reading.fields->serial}};
    if (reading.key_holders.size() > 1) json["key_holders"] = reading.key_holders.size();
    if (reading.px_per_um > 0)
        json["geometry"] = {{"centre_px", {reading.centre_column, reading.centre_row}},
                            {"px_per_um", reading.px_per_um},
                            {"rotation_deg", reading.rotation_deg},
                            {"pin_diameter_um", reading.pin_diameter_um}};
    if (!reading.failure.empty()) json["failure"] = reading.failure;
    return json;
}

} // namespace microstamp
