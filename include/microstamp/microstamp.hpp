#pragma once
// microstamp as a library: the pipeline behind a few calls.
//
//   #include <microstamp/microstamp.hpp>
//   auto scan    = microstamp::api::read_x3p("casing.x3p");
//   auto reading = microstamp::api::read(scan.surface.view());
//   // reading.status, reading.identity, reading.confidence; reading.json is the object
//   // `microstamp read` prints, every field of it.
//
// Views (SurfaceView, ImageView) point at the caller's memory: a numpy array, an OpenCV
// mat or a vector, without a copy. Errors are exceptions derived from std::exception
// whose what() is the one line the command line prints. Link microstamp::microstamp
// (CMake) or `pkg-config --libs microstamp`.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#define MICROSTAMP_API __attribute__((visibility("default")))

namespace microstamp::api {

MICROSTAMP_API std::string version();

// Heights in micrometres, row-major; `row_stride` in elements (0 = width). A point is
// invalid when it is NaN or, with a mask, where the mask is 0.
struct SurfaceView {
    const double* heights_um = nullptr;
    std::size_t width = 0;
    std::size_t height = 0;
    std::size_t row_stride = 0;
    double spacing_x_um = 1;
    double spacing_y_um = 1;
    const std::uint8_t* valid = nullptr;  // optional, same layout as the heights
};

// A grey photograph: 8-bit (`pixels8`) or 16-bit (`pixels16`) samples, row-major,
// `row_stride` in elements (0 = width).
struct ImageView {
    const std::uint8_t* pixels8 = nullptr;
    const std::uint16_t* pixels16 = nullptr;
    int width = 0;
    int height = 0;
    std::size_t row_stride = 0;
};

struct ReadOptions {
    // Photographs: micrometres per pixel from the microscope calibration (required;
    // may be off by 30%). Topography takes its spacing from the view.
    double um_per_px = 0;
    // Read text, gear and Data Matrix designs even when the ring decodes.
    bool designs_alongside_ring = false;
};

struct Identity {
    std::string manufacturer;  // catalog name or 3-letter code, e.g. "Glock"
    std::string model;         // catalog name, e.g. "G17"
    std::string serial;        // 1-12 of 0-9, A-Z, '-'
};

struct Reading {
    std::string status;                // decoded, partial, defaced, no_stamp, unreadable
    std::optional<Identity> identity;  // when decoded
    double confidence = 0;
    std::string json;                  // the reading as `microstamp read` prints it
};

MICROSTAMP_API Reading read(const SurfaceView& topography, const ReadOptions& options = {});
MICROSTAMP_API Reading read(const ImageView& photograph, const ReadOptions& options);
// An x3p scan or a photograph (PNG, TIFF, JPEG), as `microstamp read FILE` reads it.
MICROSTAMP_API Reading read_file(const std::string& path, const ReadOptions& options = {});

// An owned grid of heights; invalid points are NaN.
struct Surface {
    std::size_t width = 0;
    std::size_t height = 0;
    double spacing_x_um = 1;
    double spacing_y_um = 1;
    std::vector<double> heights_um;
    SurfaceView view() const { return {heights_um.data(), width, height, width, spacing_x_um, spacing_y_um, nullptr}; }
};

struct Image {
    int width = 0;
    int height = 0;
    int bits = 8;                       // 8 or 16
    std::vector<std::uint16_t> pixels;  // row-major
    double um_per_px = 0;
    ImageView view() const { return {nullptr, pixels.data(), width, height, static_cast<std::size_t>(width)}; }
};

// Record2 of an x3p file (ISO 25178-72).
struct Metadata {
    std::string date, creator, instrument_manufacturer, instrument_model, instrument_serial, instrument_version,
        calibration_date, probing_system, comment;
};

struct X3p {
    Surface surface;
    Metadata metadata;
    std::vector<std::string> warnings;  // problems that leave the heights trustworthy
};

MICROSTAMP_API X3p read_x3p(const std::string& path);
MICROSTAMP_API void write_x3p(const std::string& path, const SurfaceView& surface, const Metadata& metadata = {});

struct DieDesign {
    std::vector<std::string> designs = {"ring", "text"};  // ring, text, gear, datamatrix
    double pin_diameter_um = 0;                           // 0 = the model's catalog value
    double engraving_depth_um = 15;
    double spacing_um = 1;
};

struct Die {
    Identity identity;  // as the catalog spells it
    std::string text_key;
    Surface heightmap;  // the die face, mirrored; 0 at the face, negative in engravings
    std::shared_ptr<const void> internal;  // what fire() needs besides the heightmap
};

MICROSTAMP_API Die encode(const Identity& identity, const DieDesign& design = {});
// Writes the die folder `microstamp encode` writes (heightmap, artwork, manifest).
MICROSTAMP_API void write_die(const Die& die, const std::string& folder);

struct FireOptions {
    std::string firearm = "service-9mm-striker";  // a profile name in the data's firearms/ or a .json file
    std::string ammunition = "standard-small-pistol";
    long rounds = 1;       // fired in all; the last is returned
    std::uint64_t seed = 1;
    double spacing_um = 2;
    int size = 1000;       // samples per side of the scan
};

struct Casing {
    long number = 0;
    Surface topography;  // as a 3-D instrument measures it
    Image photograph;    // as a microscope camera sees it
    std::string truth_json;
};

MICROSTAMP_API Casing fire(const Die& die, const FireOptions& options = {});

// The evidence store behind `--db URL` (sqlite:PATH or postgresql://...).
class MICROSTAMP_API Store {
public:
    static Store open(const std::string& url);
    int schema_version() const;
    std::string backend() const;  // "sqlite" or "postgresql"

private:
    struct State;
    explicit Store(std::shared_ptr<State> state);
    std::shared_ptr<State> state_;
};

} // namespace microstamp::api
