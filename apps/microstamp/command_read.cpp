#include "commands.hpp"

#include "read/overlay.hpp"
#include "scan_files.hpp"

#include <algorithm>
#include <chrono>
#include <fmt/core.h>
#include <iostream>

namespace microstamp::cli {

Command add_read(CLI::App& app) {
    auto* command = app.add_subcommand("read", "Read the microstamp on casing scans (x3p) or photographs (PNG, TIFF, JPEG)");
    struct Options {
        std::vector<std::string> files;
        double um_per_px = 0;
        bool json = true;
        std::string overlay;
        std::vector<std::string> breech_faces;
        std::string designs;
    };
    auto options = std::make_shared<Options>();
    command->add_option("FILE", options->files, "Scans or photographs of spent casings")->required();
    command->add_option("--um-per-px", options->um_per_px,
                        "Photographs: micrometres per pixel from the microscope calibration (may be off by 30%)");
    command->add_flag("--json", options->json, "Machine output (always JSON on stdout; accepted for scripts)");
    command->add_option("--overlay", options->overlay,
                        "Write a PNG showing the located ring, every cell as read and the result (one FILE)");
    command->add_option("--breech-face", options->breech_faces,
                        "The case-head scan of the same casing (fire --breech-face writes it), one per FILE in order: "
                        "both locations are read and compared; a pin swapped for another pistol's reads "
                        "locations_disagree (repeatable)");
    command->add_option("--designs", options->designs,
                        "The designs the pin is known to carry, as encode --design takes them (e.g. text+gear): only "
                        "those are looked for, a ring only if listed. Default: the ring, then the others where it does "
                        "not decode");
    return {command, [options] {
        if (!options->overlay.empty() && options->files.size() != 1)
            throw InputError("--overlay draws one reading: give exactly one FILE");
        ReadOptions sought;
        sought.um_per_px = options->um_per_px;
        if (!options->designs.empty()) {
            const std::vector<Design> designs = parse_designs(options->designs);
            sought.look_for_ring = std::find(designs.begin(), designs.end(), Design::ring) != designs.end();
            sought.designs.clear();
            for (const Design design : designs)
                if (design != Design::ring) sought.designs.push_back(design);
        }
        nlohmann::json results = nlohmann::json::array();
        for (const CasingFiles& casing : casing_files(options->files, options->breech_faces)) {
            const std::string& name = casing.firing_pin;
            ReadOptions read_options = sought;
            const auto started = std::chrono::steady_clock::now();
            Image picture;
            const Reading reading = read_casing(casing, read_options, options->overlay.empty() ? nullptr : &picture);
            const double elapsed_ms =
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
            nlohmann::json result = to_json(reading);
            result["file"] = name;
            if (!casing.breech_face.empty()) result["breech_face_file"] = casing.breech_face;
            result["timings_ms"]["with_file"] = elapsed_ms;  // loading and decoding the file included
            if (!options->overlay.empty()) {
                const auto png = overlay_png(picture, reading);
                write_file_atomically(options->overlay, png.data(), png.size());
                result["overlay"] = options->overlay;
            }
            results.push_back(result);
            fmt::print(stderr, "{}: {}{}\n", name, status_name(reading.status),
                       reading.identity ? " " + describe(*reading.identity)
                       : reading.status == ReadStatus::locations_disagree ? " (" + reading.failure + ")"
                                                                           : std::string());
        }
        std::cout << (results.size() == 1 ? results[0] : results).dump(2) << '\n';
    }};
}

} // namespace microstamp::cli
