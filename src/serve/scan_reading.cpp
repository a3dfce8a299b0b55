#include "serve/scan_reading.hpp"

#include "code/identity.hpp"
#include "read/overlay.hpp"
#include "serve/http_input.hpp"
#include "surface/image.hpp"
#include "surface/surface.hpp"
#include "surface/x3p.hpp"

#include <fmt/core.h>

#include <algorithm>

namespace microstamp::serve {
namespace {

bool starts_with_bytes(const std::vector<std::uint8_t>& bytes, std::initializer_list<std::uint8_t> signature) {
    return bytes.size() >= signature.size() && std::equal(signature.begin(), signature.end(), bytes.begin());
}

std::string image_format(const std::vector<std::uint8_t>& bytes) {
    if (starts_with_bytes(bytes, {0x89, 'P', 'N', 'G'})) return "png";
    if (starts_with_bytes(bytes, {0xFF, 0xD8, 0xFF})) return "jpeg";
    if (starts_with_bytes(bytes, {'I', 'I', 42, 0}) || starts_with_bytes(bytes, {'M', 'M', 0, 42})) return "tiff";
    return "";
}

// The smallest picture that can hold a casing impression at any scale we read.
constexpr int minimum_side_px = 64;

} // namespace

ScanReading read_uploaded_scan(std::vector<std::uint8_t> bytes, const std::string& file_name,
                               const ReadOptions& options, std::uint64_t max_points, Overlay overlay) {
    ScanReading result;
    Image picture;
    std::string format, summary;
    try {
        if (starts_with_bytes(bytes, {'P', 'K', 3, 4})) {
            X3pReadLimits limits;
            limits.max_points = max_points;
            // An inline DataList spends about 30 bytes of XML a point, and parsed it takes
            // about eleven times its text (a 35 MB DataList of 1400 x 1400 points, deflated to
            // 415 kB, read in 385 MB): an upload's main.xml stops at 32 MiB.
            constexpr std::uint64_t max_upload_xml_bytes = std::uint64_t{32} << 20;
            limits.max_xml_bytes =
                std::min<std::uint64_t>({limits.max_xml_bytes, 64 * 1024 + 32 * max_points, max_upload_xml_bytes});
            const Surface topography = read_x3p(bytes, file_name, limits).surface;
            format = "x3p";
            summary = fmt::format("x3p {}x{} at {} um", topography.width, topography.height, topography.spacing_x_um);
            FeatureMap map;
            result.reading = read(topography, options, default_catalog(), overlay == Overlay::draw ? &map : nullptr);
            if (overlay == Overlay::draw) picture = topography_picture(map);
        } else {
            format = image_format(bytes);
            if (format.empty()) throw HttpError(400, file_name + ": not an x3p scan nor a PNG, TIFF or JPEG photograph");
            if (options.um_per_px <= 0)
                throw HttpError(400, file_name + ": a photograph needs its scale (um_per_px) to be read");
            picture = decode_image(bytes, file_name, max_points);
            if (picture.width < minimum_side_px || picture.height < minimum_side_px)
                throw HttpError(400, fmt::format("{}: {}x{} pixels is too small to hold a casing impression", file_name,
                                                 picture.width, picture.height));
            summary = fmt::format("{} {}x{} {}-bit", format, picture.width, picture.height, picture.bits);
            result.reading = read(picture, options);
        }
    } catch (const FileError& error) {
        throw HttpError(400, error.what());
    } catch (const InputError& error) {
        throw HttpError(400, error.what());
    }
    if (overlay == Overlay::draw) result.overlay_png = overlay_png(picture, result.reading);
    result.scan = trusted_scan(std::move(bytes), file_name, format);
    result.scan.summary = summary;
    return result;
}

std::optional<std::string> partial_serial_pattern(const nlohmann::json& reader_json) {
    // Readers that can leave characters unread report them as '?' in the serial (the
    // store's convention), in the identity or in the raw stamp fields.
    for (const char* pointer : {"/serial_pattern", "/identity/serial", "/stamp_fields/serial"}) {
        const nlohmann::json::json_pointer at(pointer);
        if (reader_json.contains(at) && reader_json[at].is_string()) {
            const std::string serial = reader_json[at].get<std::string>();
            if (serial.find('?') != std::string::npos) return serial;
        }
    }
    return std::nullopt;
}

NewReading stored_reading(const Reading& reading, const std::string& scan_sha256) {
    NewReading record;
    record.scan_sha256 = scan_sha256;
    record.reader_version = PROJECT_VERSION_TEXT;
    const nlohmann::json json = to_json(reading);
    record.json = json.dump();
    if (reading.status == ReadStatus::decoded && reading.fields) {
        record.status = "decoded";
        record.manufacturer_code = reading.fields->manufacturer_code;
        record.model_code = reading.fields->model_code;
        record.serial = reading.fields->serial;
    } else if (reading.status == ReadStatus::partial) {
        record.status = "partial";
        // The store ranks partial serials within make and model, so it keeps one only with both.
        const auto code = [&](const char* pointer) -> std::optional<std::uint16_t> {
            const nlohmann::json::json_pointer at(pointer);
            if (!json.contains(at) || !json[at].is_number_unsigned()) return std::nullopt;
            return json[at].get<std::uint16_t>();
        };
        const auto pattern = partial_serial_pattern(json);
        record.manufacturer_code = code("/identity/manufacturer_code") ? code("/identity/manufacturer_code")
                                                                        : code("/stamp_fields/manufacturer_code");
        record.model_code = code("/identity/model_code") ? code("/identity/model_code") : code("/stamp_fields/model_code");
        if (pattern && record.manufacturer_code && record.model_code) record.serial = normalise_serial_pattern(*pattern);
        else record.manufacturer_code = record.model_code = std::nullopt;
    } else if (reading.status == ReadStatus::locations_disagree) {
        record.status = "locations_disagree";
        // No identity of its own; each location's is kept, so that either pistol's other
        // casings lead to this one.
        for (const LocationReading& location : reading.locations)
            if (location.status == ReadStatus::decoded && location.identity)
                record.location_identities.push_back({location.location, location.identity->manufacturer_code,
                                                      location.identity->model_code, location.identity->serial});
    } else {
        record.status = "failed";
    }
    return record;
}

} // namespace microstamp::serve
