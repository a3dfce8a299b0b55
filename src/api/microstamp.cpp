// The public API (include/microstamp/microstamp.hpp): value conversions at the edge and
// the same stage calls the command line makes. Nothing here decides anything.

#include <microstamp/microstamp.hpp>

#include "code/catalog.hpp"
#include "code/layout.hpp"
#include "die/die.hpp"
#include "die/die_files.hpp"
#include "evidence/store.hpp"
#include "physics/fire.hpp"
#include "physics/profiles.hpp"
#include "read/read.hpp"
#include "surface/image.hpp"
#include "surface/x3p.hpp"

#include <cmath>
#include <fmt/core.h>
#include <limits>

namespace microstamp::api {
namespace {

microstamp::Surface internal_surface(const SurfaceView& view) {
    if (view.heights_um == nullptr || view.width == 0 || view.height == 0)
        throw InputError("the surface is empty");
    if (!(view.spacing_x_um > 0) || !(view.spacing_y_um > 0))
        throw InputError(fmt::format("the spacing {} x {} um is not positive", view.spacing_x_um, view.spacing_y_um));
    const std::size_t stride = view.row_stride == 0 ? view.width : view.row_stride;
    microstamp::Surface surface(view.width, view.height, view.spacing_x_um);
    surface.spacing_y_um = view.spacing_y_um;
    for (std::size_t y = 0; y < view.height; ++y)
        for (std::size_t x = 0; x < view.width; ++x) {
            const double height = view.heights_um[y * stride + x];
            const bool valid = std::isfinite(height) && (view.valid == nullptr || view.valid[y * stride + x] != 0);
            surface.heights_um[y * view.width + x] = valid ? height : 0.0;
            surface.valid[y * view.width + x] = valid ? 1 : 0;
        }
    return surface;
}

Surface public_surface(microstamp::Surface&& surface) {
    Surface result{surface.width, surface.height, surface.spacing_x_um, surface.spacing_y_um,
                   std::move(surface.heights_um)};
    for (std::size_t i = 0; i < result.heights_um.size(); ++i)
        if (surface.valid[i] == 0) result.heights_um[i] = std::numeric_limits<double>::quiet_NaN();
    return result;
}

Image public_image(microstamp::Image&& image) {
    return {image.width, image.height, image.bits, std::move(image.pixels), image.um_per_px};
}

microstamp::ReadOptions internal_options(const ReadOptions& options) {
    microstamp::ReadOptions result;
    result.um_per_px = options.um_per_px;
    result.designs_alongside_ring = options.designs_alongside_ring;
    return result;
}

Identity public_identity(const microstamp::Identity& identity) {
    return {identity.manufacturer, identity.model, identity.serial};
}

Reading public_reading(const microstamp::Reading& reading) {
    Reading result;
    result.status = std::string(status_name(reading.status));
    if (reading.identity) result.identity = public_identity(*reading.identity);
    result.confidence = reading.confidence;
    result.json = to_json(reading).dump();
    return result;
}

} // namespace

std::string version() { return PROJECT_VERSION_TEXT; }

Reading read(const SurfaceView& topography, const ReadOptions& options) {
    return public_reading(microstamp::read(internal_surface(topography), internal_options(options)));
}

Reading read(const ImageView& photograph, const ReadOptions& options) {
    if ((photograph.pixels8 == nullptr) == (photograph.pixels16 == nullptr))
        throw InputError("a photograph has either 8-bit or 16-bit pixels");
    if (photograph.width < 64 || photograph.height < 64)
        throw InputError(fmt::format("{}x{} pixels is too small to hold a casing impression", photograph.width,
                                     photograph.height));
    const auto width = static_cast<std::size_t>(photograph.width);
    const std::size_t stride = photograph.row_stride == 0 ? width : photograph.row_stride;
    microstamp::Image image;
    image.width = photograph.width;
    image.height = photograph.height;
    image.bits = photograph.pixels8 != nullptr ? 8 : 16;
    image.um_per_px = options.um_per_px;
    image.pixels.resize(width * static_cast<std::size_t>(photograph.height));
    for (std::size_t y = 0; y < static_cast<std::size_t>(photograph.height); ++y)
        for (std::size_t x = 0; x < width; ++x)
            image.pixels[y * width + x] =
                photograph.pixels8 != nullptr ? photograph.pixels8[y * stride + x] : photograph.pixels16[y * stride + x];
    return public_reading(microstamp::read(image, internal_options(options)));
}

Reading read_file(const std::string& path, const ReadOptions& options) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) throw FileError(fmt::format("{}: no such file", path));
    if (looks_like_x3p(path))
        return public_reading(microstamp::read(microstamp::read_x3p(path).surface, internal_options(options)));
    const microstamp::Image image = read_image(path);
    if (image.width < 64 || image.height < 64)
        throw FileError(fmt::format("{}: {}x{} pixels is too small to hold a casing impression", path, image.width,
                                    image.height));
    return public_reading(microstamp::read(image, internal_options(options)));
}

X3p read_x3p(const std::string& path) {
    X3pFile file = microstamp::read_x3p(path);
    const auto& record = file.metadata;
    return {public_surface(std::move(file.surface)),
            {record.date, record.creator, record.instrument_manufacturer, record.instrument_model,
             record.instrument_serial, record.instrument_version, record.calibration_date, record.probing_system,
             record.comment},
            std::move(file.warnings)};
}

void write_x3p(const std::string& path, const SurfaceView& surface, const Metadata& metadata) {
    const SurfaceMetadata record{metadata.date, metadata.creator, metadata.instrument_manufacturer,
                                 metadata.instrument_model, metadata.instrument_serial, metadata.instrument_version,
                                 metadata.calibration_date, metadata.probing_system, metadata.comment};
    microstamp::write_x3p(path, internal_surface(surface), record);
}

Die encode(const Identity& identity, const DieDesign& design) {
    const Catalog& catalog = default_catalog();
    microstamp::DieDesign internal_design;
    std::string designs;
    for (const auto& name : design.designs) designs += (designs.empty() ? "" : "+") + name;
    internal_design.designs = parse_designs(designs);
    if (design.pin_diameter_um > 0) internal_design.pin_diameter_um = design.pin_diameter_um;
    internal_design.engraving_depth_um = design.engraving_depth_um;
    internal_design.spacing_um = design.spacing_um;
    auto die = std::make_shared<microstamp::Die>(
        microstamp::encode(catalog.identity(identity.manufacturer, identity.model, identity.serial), internal_design,
                           catalog));
    microstamp::Surface heightmap = die->heightmap;
    return {public_identity(die->identity), die->text_key, public_surface(std::move(heightmap)), die};
}

void write_die(const Die& die, const std::string& folder) {
    if (!die.internal) throw InputError("the die was not made by encode()");
    microstamp::write_die(*static_cast<const microstamp::Die*>(die.internal.get()), folder);
}

Casing fire(const Die& die, const FireOptions& options) {
    if (!die.internal) throw InputError("the die was not made by encode()");
    if (options.rounds < 1) throw InputError(fmt::format("--rounds must be at least 1, not {}", options.rounds));
    if (options.size < 64 || options.size > 8192)
        throw InputError(fmt::format("--size {} is outside 64..8192", options.size));
    if (!(options.spacing_um >= 0.25 && options.spacing_um <= 10))
        throw InputError(fmt::format("--spacing {} um is outside 0.25..10", options.spacing_um));
    microstamp::FireOptions fire_options;
    fire_options.rounds = options.rounds;
    fire_options.seed = options.seed;
    fire_options.grid = {options.size, options.size, options.spacing_um};
    Casing casing;
    microstamp::fire(*static_cast<const microstamp::Die*>(die.internal.get()), load_firearm(options.firearm),
                     load_ammunition(options.ammunition), fire_options, [&](Shot&& shot) {
                         casing.number = shot.number;
                         casing.topography = public_surface(std::move(shot.topography));
                         casing.photograph = public_image(std::move(shot.photograph));
                         casing.truth_json = shot.truth.dump();
                     });
    return casing;
}

struct Store::State {
    microstamp::Store store;
};

Store::Store(std::shared_ptr<State> state) : state_(std::move(state)) {}

Store Store::open(const std::string& url) {
    return Store(std::make_shared<State>(State{microstamp::Store::open(url)}));
}

int Store::schema_version() const { return state_->store.schema_version(); }

std::string Store::backend() const {
    return state_->store.backend() == database::Backend::sqlite ? "sqlite" : "postgresql";
}

} // namespace microstamp::api
