#include "commands.hpp"

#include "die/die_files.hpp"

#include <fmt/core.h>
#include <iostream>

namespace microstamp::cli {

Command add_encode(CLI::App& app) {
    auto* command = app.add_subcommand("encode", "Encode a pistol's identity as a die: x3p heightmap, SVG artwork, "
                                                 "preview PNG and manifest.json");
    struct Options {
        std::string make, model, serial, design = "ring+text", out, catalog;
        double pin_diameter_um = 0, depth_um = 15, spacing_um = 1.0;
    };
    auto options = std::make_shared<Options>();
    command->add_option("--make", options->make, "Manufacturer name or 3-letter code (data/manufacturers.csv)")->required();
    command->add_option("--model", options->model, "Model name or number (data/models.csv)")->required();
    command->add_option("--serial", options->serial, "Serial number: 1-12 of 0-9, A-Z, '-'")->required();
    command->add_option("--design", options->design, "Designs joined by '+': ring, text, gear, datamatrix")
        ->capture_default_str();
    command->add_option("--out", options->out, "Output folder (must not exist, or be empty)")->required();
    command->add_option("--pin-diameter", options->pin_diameter_um,
                        "Firing-pin tip diameter in um (default: the model's catalog value)");
    command->add_option("--depth", options->depth_um, "Engraving depth in um (assumed 10-25)")->capture_default_str();
    command->add_option("--spacing", options->spacing_um, "Heightmap spacing in um")->capture_default_str();
    command->add_option("--catalog", options->catalog, "Folder with manufacturers.csv and models.csv (default: shipped data/)");
    return {command, [options] {
        const Catalog catalog = options->catalog.empty() ? default_catalog() : load_catalog(options->catalog);
        const Identity identity = catalog.identity(options->make, options->model, options->serial);
        DieDesign design;
        design.designs = parse_designs(options->design);
        if (options->pin_diameter_um > 0) design.pin_diameter_um = options->pin_diameter_um;
        design.engraving_depth_um = options->depth_um;
        design.spacing_um = options->spacing_um;
        const Die die = encode(identity, design, catalog);
        const WrittenDie written = write_die(die, options->out);
        nlohmann::json summary = die_manifest(die);
        nlohmann::json files = nlohmann::json::array();
        for (const auto& file : written.files) files.push_back(file.string());
        summary["written"] = files;
        std::cout << summary.dump(2) << '\n';
        fmt::print(stderr, "encoded {} as {} into {} (text key {})\n", describe(identity),
                   designs_name(design.designs), written.folder.string(), die.text_key);
    }};
}

} // namespace microstamp::cli
