#include "physics/scan.hpp"

#include "code/identity.hpp"
#include "physics/random.hpp"

#include <cmath>
#include <fmt/core.h>
#include <limits>
#include <numbers>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace microstamp {
namespace {

constexpr std::uint64_t topography_purpose = 0x70B0;
constexpr std::uint64_t photograph_purpose = 0xF070;
constexpr double degrees = std::numbers::pi / 180;

// Height differences by central differences (one-sided at the border); y grows upwards
// while rows grow downwards.
void gradients(const Surface& surface, std::size_t column, std::size_t row, double& gx, double& gy) {
    const std::size_t left = column > 0 ? column - 1 : column, right = column + 1 < surface.width ? column + 1 : column;
    const std::size_t up = row > 0 ? row - 1 : row, down = row + 1 < surface.height ? row + 1 : row;
    gx = (surface.at(right, row) - surface.at(left, row)) / (static_cast<double>(right - left) * surface.spacing_x_um);
    gy = (surface.at(column, up) - surface.at(column, down)) / (static_cast<double>(down - up) * surface.spacing_y_um);
}

void check(const Surface& casing) {
    if (casing.empty()) throw InputError("cannot scan an empty surface");
}

} // namespace

Surface scan_topography(const Surface& casing, const Scanner& scanner, std::uint64_t seed) {
    check(casing);
    Random random(derive_seed(seed, topography_purpose));
    const double slope_x = std::tan(random.normal() * scanner.tilt_sd_deg * degrees);
    const double slope_y = std::tan(random.normal() * scanner.tilt_sd_deg * degrees);
    const double max_gradient = std::tan(scanner.max_slope_deg * degrees);
    std::vector<float> noise(casing.size());
    random.fill_normal(noise, static_cast<float>(scanner.height_noise_um));
    Surface scan = casing;
    const double centre_x = static_cast<double>(casing.width) / 2, centre_y = static_cast<double>(casing.height) / 2;
    const auto dropout_threshold = static_cast<std::uint64_t>(scanner.dropout_fraction * 18446744073709551615.0);
    for (std::size_t row = 0; row < casing.height; ++row)
        for (std::size_t column = 0; column < casing.width; ++column) {
            const std::size_t index = row * casing.width + column;
            double gx = 0, gy = 0;
            gradients(casing, column, row, gx, gy);
            const bool lost = random.next() < dropout_threshold || gx * gx + gy * gy > max_gradient * max_gradient ||
                              !casing.valid[index];
            if (lost) {
                scan.valid[index] = 0;
                scan.heights_um[index] = std::numeric_limits<double>::quiet_NaN();
                continue;
            }
            scan.heights_um[index] += noise[index] +
                                      slope_x * (static_cast<double>(column) - centre_x) * casing.spacing_x_um +
                                      slope_y * (centre_y - static_cast<double>(row)) * casing.spacing_y_um;
        }
    return scan;
}

Image photograph(const Surface& casing, const Microscope& microscope, std::uint64_t seed) {
    check(casing);
    if (microscope.bits != 8 && microscope.bits != 16) throw InputError("a microscope image is 8 or 16 bit");
    Random random(derive_seed(seed, photograph_purpose));
    const int width = static_cast<int>(casing.width), height = static_cast<int>(casing.height);
    const double elevation = microscope.elevation_deg * degrees, azimuth = microscope.azimuth_deg * degrees;
    const double light_x = std::cos(elevation) * std::cos(azimuth), light_y = std::cos(elevation) * std::sin(azimuth);
    const double light_z = std::sin(elevation);
    // Blinn's half vector between the light and a camera looking straight down.
    const double half_norm = std::sqrt(light_x * light_x + light_y * light_y + (light_z + 1) * (light_z + 1));
    const double half_x = light_x / half_norm, half_y = light_y / half_norm, half_z = (light_z + 1) / half_norm;
    const double shininess = std::max(1.0, microscope.shininess);
    const double radius_squared = (width * width + height * height) / 4.0;

    cv::Mat intensity(height, width, CV_32F);
    for (int row = 0; row < height; ++row) {
        auto* line = intensity.ptr<float>(row);
        for (int column = 0; column < width; ++column) {
            const auto index = static_cast<std::size_t>(row) * casing.width + static_cast<std::size_t>(column);
            if (!casing.valid[index]) {
                line[column] = 0;
                continue;
            }
            double gx = 0, gy = 0;
            gradients(casing, static_cast<std::size_t>(column), static_cast<std::size_t>(row), gx, gy);
            const double norm = std::sqrt(gx * gx + gy * gy + 1);
            const double nx = -gx / norm, ny = -gy / norm, nz = 1 / norm;
            double diffuse = 0, facing = 0;
            if (microscope.lighting == Lighting::oblique) {
                diffuse = std::max(0.0, nx * light_x + ny * light_y + nz * light_z);
                facing = std::max(0.0, nx * half_x + ny * half_y + nz * half_z);
            } else {
                // A ring of lights at one elevation: the horizontal parts cancel on average.
                diffuse = std::max(0.0, nz * light_z);
                facing = nz;
            }
            // Schlick's rational stand-in for facing^shininess: the same highlight, no pow().
            const double specular = facing / (shininess - shininess * facing + facing);
            const double dx = column - width / 2.0, dy = row - height / 2.0;
            const double vignette = 1.0 - microscope.vignetting * (dx * dx + dy * dy) / radius_squared;
            line[column] = static_cast<float>(microscope.exposure * vignette *
                                              (0.08 + 0.72 * diffuse + microscope.specular * specular));
        }
    }
    if (microscope.defocus_px > 0.2)
        cv::GaussianBlur(intensity, intensity, cv::Size(), microscope.defocus_px, 0, cv::BORDER_REFLECT);
    std::vector<float> noise(casing.size());
    random.fill_normal(noise, static_cast<float>(microscope.noise_grey / 255.0));

    Image image{width, height, microscope.bits, std::vector<std::uint16_t>(casing.size()), casing.spacing_x_um};
    const float top = microscope.bits == 16 ? 65535.0f : 255.0f;
    for (int row = 0; row < height; ++row) {
        const auto* line = intensity.ptr<float>(row);
        for (int column = 0; column < width; ++column) {
            const auto index = static_cast<std::size_t>(row) * casing.width + static_cast<std::size_t>(column);
            const float value = std::clamp(line[column] + noise[index], 0.0f, 1.0f);
            image.pixels[index] = static_cast<std::uint16_t>(value * top + 0.5f);
        }
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
