#include "commands.hpp"

#include "code/ring_fusion.hpp"
#include "scan_files.hpp"

#include <fmt/core.h>
#include <iostream>

namespace microstamp::cli {

Command add_fuse(CLI::App& app) {
    auto* command = app.add_subcommand("fuse", "Combine casings from one scene: group those consistent with one firearm "
                                               "and read each group's stamps together");
    struct Options {
        std::vector<std::string> files;
        double um_per_px = 0;
        std::vector<std::string> breech_faces;
    };
    auto options = std::make_shared<Options>();
    command->add_option("FILE", options->files, "Scans (x3p) or photographs of casings from one scene")->required();
    command->add_option("--um-per-px", options->um_per_px, "Photographs: micrometres per pixel (microscope calibration)");
    command->add_option("--breech-face", options->breech_faces,
                        "The case-head scan of each casing, one per FILE in order: a casing whose firing pin and breech "
                        "face name different pistols (a swapped pin) is never fused (repeatable)");
    return {command, [options] {
        std::vector<RingObservation> observations;
        std::vector<std::string> sources;
        nlohmann::json unread = nlohmann::json::array();
        for (const CasingFiles& casing : casing_files(options->files, options->breech_faces)) {
            const std::string& name = casing.firing_pin;
            ReadOptions read_options;
            read_options.um_per_px = options->um_per_px;
            const Reading reading = read_casing(casing, read_options);
            // Two pistols' stamps on one casing: fused with either, it would lend one of
            // them a casing it may not have fired.
            if (!reading.observation || reading.status == ReadStatus::locations_disagree) {
                nlohmann::json entry = {{"file", name}, {"status", status_name(reading.status)}, {"failure", reading.failure}};
                if (!reading.locations.empty()) entry["locations"] = to_json(reading)["locations"];
                unread.push_back(entry);
                continue;
            }
            observations.push_back(*reading.observation);
            sources.push_back(name);
        }
        const Fusion fusion = fuse_rings(observations);
        nlohmann::json groups = nlohmann::json::array();
        for (const FusedGroup& group : fusion.groups) {
            nlohmann::json members = nlohmann::json::array();
            for (const int member : group.members) members.push_back(sources[static_cast<std::size_t>(member)]);
            // Parallel to "casings": a member whose grid its own read had aligned a cell
            // column off and fusion turned back (-1 or 1); 0 for the rest.
            nlohmann::json entry = {{"casings", members},
                                    {"column_shifts", group.column_shifts},
                                    {"status", group.decoding.status == RingStatus::decoded ? "decoded" : "partial"},
                                    {"erasures", group.decoding.erasures},
                                    {"errors", group.decoding.errors},
                                    {"unused_capacity", group.decoding.unused_capacity},
                                    {"decode_attempts", group.decoding.attempts}};
            if (group.decoding.fields) {
                const auto& fields = *group.decoding.fields;
                const auto identity = default_catalog().identity(fields.manufacturer_code, fields.model_code, fields.serial);
                entry["identity"] = identity ? nlohmann::json{{"manufacturer", identity->manufacturer},
                                                              {"model", identity->model},
                                                              {"serial", identity->serial}}
                                             : nlohmann::json{{"manufacturer_code", fields.manufacturer_code},
                                                              {"model_code", fields.model_code},
                                                              {"serial", fields.serial}};
                fmt::print(stderr, "group of {}: {}\n", group.members.size(),
                           identity ? describe(*identity) : fields.serial);
            } else {
                fmt::print(stderr, "group of {}: not decoded\n", group.members.size());
            }
            groups.push_back(entry);
        }
        std::cout << nlohmann::json{{"groups", groups}, {"not_fused", unread}}.dump(2) << '\n';
    }};
}

} // namespace microstamp::cli
