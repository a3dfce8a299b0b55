#include "commands.hpp"

#include "read/read.hpp"
#include "surface/image.hpp"
#include "surface/x3p.hpp"

#include <chrono>
#include <fmt/core.h>
#include <fstream>
#include <iostream>

namespace microstamp::cli {
namespace {

bool is_zip(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    char signature[2] = {};
    file.read(signature, 2);
    return file.gcount() == 2 && signature[0] == 'P' && signature[1] == 'K';
}

} // namespace

Command add_read(CLI::App& app) {
    auto* command = app.add_subcommand("read", "Read the microstamp on casing scans (x3p) or photographs (PNG, TIFF, JPEG)");
    struct Options {
        std::vector<std::string> files;
        double um_per_px = 0;
        bool json = true;
    };
    auto options = std::make_shared<Options>();
    command->add_option("FILE", options->files, "Scans or photographs of spent casings")->required();
    command->add_option("--um-per-px", options->um_per_px,
                        "Photographs: micrometres per pixel from the microscope calibration (may be off by 30%)");
    command->add_flag("--json", options->json, "Machine output (always JSON on stdout; accepted for scripts)");
    return {command, [options] {
        nlohmann::json results = nlohmann::json::array();
        for (const auto& name : options->files) {
            const std::filesystem::path path(name);
            std::error_code error;
            if (!std::filesystem::is_regular_file(path, error)) throw FileError(fmt::format("{}: no such file", name));
            ReadOptions read_options;
            read_options.um_per_px = options->um_per_px;
            const auto started = std::chrono::steady_clock::now();
            Reading reading;
            if (is_zip(path)) {
                reading = read(read_x3p(path).surface, read_options);
            } else {
                const Image image = read_image(path);
                if (image.width < 64 || image.height < 64)
                    throw FileError(fmt::format("{}: {}x{} pixels is too small to hold a casing impression", name,
                                                image.width, image.height));
                reading = read(image, read_options);
            }
            const double elapsed_ms =
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
            nlohmann::json result = to_json(reading);
            result["file"] = name;
            result["timings_ms"] = {{"total", elapsed_ms}};
            results.push_back(result);
            fmt::print(stderr, "{}: {}{}\n", name, status_name(reading.status),
                       reading.identity ? " " + describe(*reading.identity) : std::string());
        }
        std::cout << (results.size() == 1 ? results[0] : results).dump(2) << '\n';
    }};
}

} // namespace microstamp::cli
