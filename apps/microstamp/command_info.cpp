#include "commands.hpp"

#include "die/die_files.hpp"
#include "surface/image.hpp"
#include "surface/x3p.hpp"

#include <fmt/core.h>
#include <iostream>

namespace microstamp::cli {
namespace {

nlohmann::json x3p_info(const std::filesystem::path& path) {
    const X3pFile x3p = read_x3p(path);
    const SurfaceStatistics stats = statistics(x3p.surface);
    nlohmann::json info = {{"file", path.string()},
            {"kind", "x3p"},
            {"size_x", x3p.surface.width},
            {"size_y", x3p.surface.height},
            {"spacing_x_um", x3p.surface.spacing_x_um},
            {"spacing_y_um", x3p.surface.spacing_y_um},
            {"z_data_type", std::string(1, x3p.z_data_type)},
            {"points", stats.points},
            {"invalid_points", stats.invalid_points},
            {"z_min_um", stats.minimum_um},
            {"z_max_um", stats.maximum_um},
            {"z_mean_um", stats.mean_um},
            {"point_data_md5", x3p.point_data_md5},
            {"metadata",
             {{"date", x3p.metadata.date},
              {"creator", x3p.metadata.creator},
              {"instrument",
               {{"manufacturer", x3p.metadata.instrument_manufacturer},
                {"model", x3p.metadata.instrument_model},
                {"serial", x3p.metadata.instrument_serial},
                {"version", x3p.metadata.instrument_version}}},
              {"comment", x3p.metadata.comment}}},
            {"warnings", x3p.warnings}};
    // Statistics of no point at all would be made up: absent, and said why.
    if (stats.invalid_points == stats.points) {
        for (const char* field : {"z_min_um", "z_max_um", "z_mean_um"}) info.erase(field);
        info["warnings"].push_back("no valid point: the height statistics are absent");
    }
    return info;
}

nlohmann::json image_info(const std::filesystem::path& path) {
    const Image image = read_image(path);
    std::uint16_t low = 0xFFFF, high = 0;
    for (const auto pixel : image.pixels) {
        low = std::min(low, pixel);
        high = std::max(high, pixel);
    }
    return {{"file", path.string()}, {"kind", "image"},  {"width", image.width},
            {"height", image.height}, {"bits", image.bits}, {"grey_min", low}, {"grey_max", high}};
}

nlohmann::json die_info(const std::filesystem::path& folder) {
    const Die die = load_die(folder);
    nlohmann::json info = die_manifest(die);
    info["file"] = folder.string();
    info["kind"] = "die";
    info["verified"] = "every file matches the hash in manifest.json";
    return info;
}

} // namespace

Command add_info(CLI::App& app) {
    auto* command = app.add_subcommand("info", "Print what a file holds (x3p scan, die folder, image) as JSON");
    auto path = std::make_shared<std::string>();
    command->add_option("FILE", *path, "An .x3p file, a die folder (or its manifest.json), or a PNG/TIFF/JPEG image")
        ->required();
    return {command, [path] {
        std::filesystem::path file = *path;
        std::error_code error;
        if (!std::filesystem::exists(file, error)) throw FileError(fmt::format("{}: no such file or folder", file.string()));
        nlohmann::json info;
        if (std::filesystem::is_directory(file, error)) info = die_info(file);
        else if (file.filename() == "manifest.json") info = die_info(file.parent_path());
        else if (looks_like_x3p(file)) info = x3p_info(file);
        else info = image_info(file);
        std::cout << info.dump(2) << '\n';
        for (const auto& warning : info.value("warnings", nlohmann::json::array()))
            fmt::print(stderr, "warning: {}\n", warning.get<std::string>());
    }};
}

} // namespace microstamp::cli
