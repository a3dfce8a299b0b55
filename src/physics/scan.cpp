#include "physics/scan.hpp"

#include "code/identity.hpp"
#include "physics/random.hpp"

#include <cmath>
#include <fmt/core.h>
#include <limits>
#include <numbers>
#include <utility>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace microstamp {
namespace {

constexpr std::uint64_t topography_purpose = 0x70B0;
constexpr std::uint64_t photograph_purpose = 0xF070;
constexpr double degrees = std::numbers::pi / 180;

} // namespace

namespace {

void check(const Surface& casing) {
    if (casing.empty()) throw InputError("cannot scan an empty surface");
}

// One row of heights as float, invalid points as 0.
void float_row(const Surface& surface, int row, float* line) {
    const double* source = surface.heights_um.data() + static_cast<std::size_t>(row) * surface.width;
    const std::uint8_t* valid = surface.valid.data() + static_cast<std::size_t>(row) * surface.width;
    for (std::size_t column = 0; column < surface.width; ++column) line[column] = valid[column] ? static_cast<float>(source[column]) : 0.0f;
}

// The slopes of one row by central differences (one-sided at the border), from the float
// heights of the row and of the rows above and below it (the row itself at the border);
// y grows upwards while rows grow downwards.
void row_slopes(const Surface& surface, int row, const float* above, const float* line, const float* below, float* gx,
                float* gy) {
    const int width = static_cast<int>(surface.width), height = static_cast<int>(surface.height);
    const auto inverse_x = static_cast<float>(0.5 / surface.spacing_x_um);
    const auto inverse_y = static_cast<float>(0.5 / surface.spacing_y_um);
    const int up = std::max(row - 1, 0), down = std::min(row + 1, height - 1);
    const float row_scale = inverse_y * 2.0f / static_cast<float>(std::max(down - up, 1));
    for (int column = 1; column + 1 < width; ++column) {
        gx[column] = (line[column + 1] - line[column - 1]) * inverse_x;
        gy[column] = (above[column] - below[column]) * row_scale;
    }
    if (width > 1) {
        gx[0] = (line[1] - line[0]) * 2.0f * inverse_x;
        gx[width - 1] = (line[width - 1] - line[width - 2]) * 2.0f * inverse_x;
    } else {
        gx[0] = 0;
    }
    gy[0] = (above[0] - below[0]) * row_scale;
    gy[width - 1] = (above[width - 1] - below[width - 1]) * row_scale;
}

// The topography scan, given the slopes of each row in turn: `slopes_of(row)` gives
// pointers to that row's dz/dx and dz/dy, valid until the next call.
template <typename SlopesOfRow>
Surface scan_rows(const Surface& casing, const Scanner& scanner, std::uint64_t seed, SlopesOfRow slopes_of) {
    check(casing);
    Random random(derive_seed(seed, topography_purpose));
    const double slope_x = std::tan(random.normal() * scanner.tilt_sd_deg * degrees);
    const double slope_y = std::tan(random.normal() * scanner.tilt_sd_deg * degrees);
    const auto max_gradient = static_cast<float>(std::tan(scanner.max_slope_deg * degrees));
    // The noise a row at a time, and the scan's heights appended a row at a time rather
    // than written twice (zeros, then values): the loop is bound by memory, not arithmetic.
    std::vector<float> row_noise(casing.width);
    Random::NormalCarry carry;
    const auto noise_sd = static_cast<float>(scanner.height_noise_um);
    std::vector<double> row_heights(casing.width);
    Surface scan;
    scan.width = casing.width;
    scan.height = casing.height;
    scan.spacing_x_um = casing.spacing_x_um;
    scan.spacing_y_um = casing.spacing_y_um;
    scan.heights_um.reserve(casing.size());
    scan.valid.resize(casing.size());
    const double centre_x = static_cast<double>(casing.width) / 2, centre_y = static_cast<double>(casing.height) / 2;
    const float steepest = max_gradient * max_gradient;
    // The tilt's part of each column, the same sum in the same order every row.
    std::vector<double> column_tilt(casing.width);
    for (std::size_t column = 0; column < casing.width; ++column)
        column_tilt[column] = slope_x * (static_cast<double>(column) - centre_x) * casing.spacing_x_um;
    constexpr double not_measured = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t row = 0; row < casing.height; ++row) {
        const auto [gx, gy] = slopes_of(static_cast<int>(row));
        const double row_tilt = slope_y * (centre_y - static_cast<double>(row)) * casing.spacing_y_um;
        const std::size_t start = row * casing.width;
        const double* heights = casing.heights_um.data() + start;
        const std::uint8_t* valid = casing.valid.data() + start;
        random.fill_normal(row_noise, noise_sd, carry);
        double* scanned = row_heights.data();
        std::uint8_t* scanned_valid = scan.valid.data() + start;
        // Without branches (every height is summed, then kept or not), so that the loop
        // runs as straight-line code.
        for (std::size_t column = 0; column < casing.width; ++column) {
            const bool measured = (valid[column] != 0) & (gx[column] * gx[column] + gy[column] * gy[column] <= steepest);
            const double height = heights[column] + row_noise[column] + row_tilt + column_tilt[column];
            scanned_valid[column] = measured;
            scanned[column] = measured ? height : not_measured;
        }
        scan.heights_um.insert(scan.heights_um.end(), row_heights.begin(), row_heights.end());
    }
    // Random dropouts: as many as the fraction asks, at random points.
    const auto dropouts = static_cast<std::size_t>(std::lround(scanner.dropout_fraction * static_cast<double>(casing.size())));
    for (std::size_t lost = 0; lost < dropouts; ++lost) {
        const std::size_t index = random.next() % casing.size();
        scan.valid[index] = 0;
        scan.heights_um[index] = std::numeric_limits<double>::quiet_NaN();
    }
    return scan;
}

} // namespace

SurfaceSlopes surface_slopes(const Surface& surface) {
    check(surface);
    const int width = static_cast<int>(surface.width), height = static_cast<int>(surface.height);
    cv::Mat heights(height, width, CV_32F);
    for (int row = 0; row < height; ++row) float_row(surface, row, heights.ptr<float>(row));
    SurfaceSlopes result{cv::Mat(height, width, CV_32F), cv::Mat(height, width, CV_32F)};
    for (int row = 0; row < height; ++row)
        row_slopes(surface, row, heights.ptr<float>(std::max(row - 1, 0)), heights.ptr<float>(row),
                   heights.ptr<float>(std::min(row + 1, height - 1)), result.x.ptr<float>(row), result.y.ptr<float>(row));
    return result;
}

// The slopes a row at a time from three rows of float heights, without the two slope
// maps (a topography scan alone needs no more).
Surface scan_topography(const Surface& casing, const Scanner& scanner, std::uint64_t seed) {
    check(casing);
    const int width = static_cast<int>(casing.width), height = static_cast<int>(casing.height);
    const auto stride = static_cast<std::size_t>(width);
    std::vector<float> rows(3 * stride), slopes(2 * stride);
    // Row r's heights live in slot r % 3; each call moves on by one row.
    auto heights_of = [&](int row) { return rows.data() + static_cast<std::size_t>(row % 3) * stride; };
    float_row(casing, 0, heights_of(0));
    if (height > 1) float_row(casing, 1, heights_of(1));
    return scan_rows(casing, scanner, seed, [&](int row) {
        if (row + 1 < height && row > 0) float_row(casing, row + 1, heights_of(row + 1));
        row_slopes(casing, row, heights_of(std::max(row - 1, 0)), heights_of(row), heights_of(std::min(row + 1, height - 1)),
                   slopes.data(), slopes.data() + stride);
        return std::pair<const float*, const float*>(slopes.data(), slopes.data() + stride);
    });
}

Surface scan_topography(const Surface& casing, const SurfaceSlopes& slope, const Scanner& scanner, std::uint64_t seed) {
    check(casing);
    return scan_rows(casing, scanner, seed, [&](int row) {
        return std::pair<const float*, const float*>(slope.x.ptr<float>(row), slope.y.ptr<float>(row));
    });
}

Image photograph(const Surface& casing, const Microscope& microscope, std::uint64_t seed) {
    return photograph(casing, surface_slopes(casing), microscope, seed);
}

Image photograph(const Surface& casing, const SurfaceSlopes& slope, const Microscope& microscope, std::uint64_t seed) {
    check(casing);
    if (microscope.bits != 8 && microscope.bits != 16) throw InputError("a microscope image is 8 or 16 bit");
    Random random(derive_seed(seed, photograph_purpose));
    const int width = static_cast<int>(casing.width), height = static_cast<int>(casing.height);
    const double elevation = microscope.elevation_deg * degrees, azimuth = microscope.azimuth_deg * degrees;
    const bool ring = microscope.lighting == Lighting::ring;
    // A ring of lights at one elevation: the horizontal parts cancel on average.
    const auto light_x = static_cast<float>(ring ? 0.0 : std::cos(elevation) * std::cos(azimuth));
    const auto light_y = static_cast<float>(ring ? 0.0 : std::cos(elevation) * std::sin(azimuth));
    const auto light_z = static_cast<float>(std::sin(elevation));
    // Blinn's half vector between the light and a camera looking straight down.
    const float half_norm = std::sqrt(light_x * light_x + light_y * light_y + (light_z + 1) * (light_z + 1));
    const float half_x = ring ? 0.0f : light_x / half_norm, half_y = ring ? 0.0f : light_y / half_norm;
    const float half_z = ring ? 1.0f : (light_z + 1) / half_norm;
    const auto shininess = static_cast<float>(std::max(1.0, microscope.shininess));
    const auto specular_share = static_cast<float>(microscope.specular);
    const auto exposure = static_cast<float>(microscope.exposure);
    const double radius_squared = (static_cast<double>(width) * width + static_cast<double>(height) * height) / 4.0;
    std::vector<float> column_falloff(static_cast<std::size_t>(width));
    for (int column = 0; column < width; ++column)
        column_falloff[static_cast<std::size_t>(column)] =
            static_cast<float>(microscope.vignetting * std::pow(column - width / 2.0, 2) / radius_squared);

    cv::Mat intensity(height, width, CV_32F);
    for (int row = 0; row < height; ++row) {
        const auto* gx = slope.x.ptr<float>(row);
        const auto* gy = slope.y.ptr<float>(row);
        auto* line = intensity.ptr<float>(row);
        const auto row_falloff = static_cast<float>(microscope.vignetting * std::pow(row - height / 2.0, 2) / radius_squared);
        const float* falloff = column_falloff.data();
        // Written with plain ternaries so the compiler can vectorise the loop (std::max and
        // std::clamp carry NaN rules that keep it scalar).
        for (int column = 0; column < width; ++column) {
            const float inverse_norm = 1.0f / std::sqrt(gx[column] * gx[column] + gy[column] * gy[column] + 1.0f);
            const float lambert = (light_z - gx[column] * light_x - gy[column] * light_y) * inverse_norm;
            const float diffuse = lambert > 0.0f ? lambert : 0.0f;
            const float towards = (half_z - gx[column] * half_x - gy[column] * half_y) * inverse_norm;
            const float facing = towards > 0.0f ? towards : 0.0f;
            // Schlick's rational stand-in for facing^shininess: the same highlight, no pow().
            const float specular = facing / (shininess - shininess * facing + facing);
            const float vignette = 1.0f - row_falloff - falloff[column];
            line[column] = exposure * vignette * (0.08f + 0.72f * diffuse + specular_share * specular);
        }
    }
    for (std::size_t index = 0; index < casing.size(); ++index)
        if (!casing.valid[index]) intensity.ptr<float>()[index] = 0;
    if (microscope.defocus_px > 0.2)
        cv::GaussianBlur(intensity, intensity, cv::Size(), microscope.defocus_px, 0, cv::BORDER_REFLECT);
    std::vector<float> noise(casing.size());
    random.fill_normal(noise, static_cast<float>(microscope.noise_grey / 255.0));

    Image image{width, height, microscope.bits, std::vector<std::uint16_t>(casing.size()), casing.spacing_x_um};
    const float top = microscope.bits == 16 ? 65535.0f : 255.0f;
    const auto* values = intensity.ptr<float>();
    std::uint16_t* pixels = image.pixels.data();
    const float* noise_values = noise.data();
    for (std::size_t index = 0; index < casing.size(); ++index) {
        const float value = values[index] + noise_values[index];
        const float bounded = value < 0.0f ? 0.0f : (value > 1.0f ? 1.0f : value);
        pixels[index] = static_cast<std::uint16_t>(bounded * top + 0.5f);
    }
    if (microscope.jpeg_quality > 0) {
        if (microscope.bits != 8) throw InputError("JPEG compression applies to 8-bit images only");
        cv::Mat mat(height, width, CV_8U);
        for (std::size_t i = 0; i < image.pixels.size(); ++i) mat.data[i] = static_cast<std::uint8_t>(image.pixels[i]);
        std::vector<std::uint8_t> bytes;
        cv::imencode(".jpg", mat, bytes, {cv::IMWRITE_JPEG_QUALITY, std::clamp(microscope.jpeg_quality, 1, 100)});
        const cv::Mat decoded = cv::imdecode(bytes, cv::IMREAD_GRAYSCALE);
        for (std::size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = decoded.data[i];
    }
    return image;
}

nlohmann::json to_json(const Scanner& scanner) {
    return {{"height_noise_um", scanner.height_noise_um},
            {"dropout_fraction", scanner.dropout_fraction},
            {"max_slope_deg", scanner.max_slope_deg},
            {"tilt_sd_deg", scanner.tilt_sd_deg}};
}

nlohmann::json to_json(const Microscope& microscope) {
    return {{"lighting", microscope.lighting == Lighting::oblique ? "oblique" : "ring"},
            {"azimuth_deg", microscope.azimuth_deg},
            {"elevation_deg", microscope.elevation_deg},
            {"specular", microscope.specular},
            {"shininess", microscope.shininess},
            {"defocus_px", microscope.defocus_px},
            {"noise_grey", microscope.noise_grey},
            {"exposure", microscope.exposure},
            {"vignetting", microscope.vignetting},
            {"bits", microscope.bits},
            {"jpeg_quality", microscope.jpeg_quality}};
}

} // namespace microstamp
