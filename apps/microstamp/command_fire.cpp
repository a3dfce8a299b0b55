#include "commands.hpp"

#include "die/die_files.hpp"
#include "physics/shot_files.hpp"

#include <fmt/core.h>
#include <iostream>
#include <unistd.h>

namespace microstamp::cli {

Command add_fire(CLI::App& app) {
    auto* command = app.add_subcommand("fire", "Fire a pistol whose firing pin carries a die: write each saved shot's "
                                               "casing as x3p topography, PNG photograph and truth.json");
    struct Options {
        std::string die, firearm, ammo, shots, out;
        std::vector<std::string> defeats;
        long rounds = 1;
        std::uint64_t seed = 1;
        double spacing_um = 2.0;
        int size = 1000;
        int bits = 8;
        int jpeg = 0;
        std::string lighting = "oblique";
        bool breech = false;
    };
    auto options = std::make_shared<Options>();
    command->add_option("--die", options->die, "Die folder written by `microstamp encode`")->required();
    command->add_option("--firearm", options->firearm, "Firearm profile: a name in data/firearms or a .json file")->required();
    command->add_option("--ammo", options->ammo, "Ammunition profile: a name in data/ammunition or a .json file")->required();
    command->add_option("--rounds", options->rounds, "Rounds the pistol fires")->required();
    command->add_option("--shots", options->shots, "Rounds to save, e.g. 1,2,4999-5000 (default: the last)");
    command->add_option("--defeat", options->defeats,
                        "Defeat applied to the pin before the saved shots: stone:S, file:S, emery:S, hammer:S, "
                        "swap:blank or swap:DIE_FOLDER (repeatable)");
    command->add_option("--seed", options->seed, "Seed of every random process")->required();
    command->add_option("--out", options->out, "Output folder (must not exist, or be empty)")->required();
    command->add_option("--spacing", options->spacing_um, "Scan spacing in um (0.5-3 like real instruments)")
        ->capture_default_str();
    command->add_option("--size", options->size, "Scan field in samples per side")->capture_default_str();
    command->add_option("--bits", options->bits, "Photograph bit depth, 8 or 16")->capture_default_str();
    command->add_option("--jpeg", options->jpeg, "JPEG quality 1-100 to degrade the photograph (0 = none)")
        ->capture_default_str();
    command->add_option("--lighting", options->lighting, "oblique or ring")->capture_default_str();
    command->add_flag("--breech-face", options->breech, "Also print the die on the breech face and scan the case head");
    return {command, [options] {
        if (options->rounds < 1) throw InputError(fmt::format("--rounds must be at least 1, not {}", options->rounds));
        if (!(options->spacing_um >= 0.25 && options->spacing_um <= 10))
            throw InputError(fmt::format("--spacing {} um is outside 0.25..10", options->spacing_um));
        if (options->size < 64 || options->size > 8192)
            throw InputError(fmt::format("--size {} is outside 64..8192", options->size));
        if (options->lighting != "oblique" && options->lighting != "ring")
            throw InputError(fmt::format("--lighting '{}' is not oblique or ring", options->lighting));
        const Firearm firearm = load_firearm(options->firearm);
        const Ammunition ammunition = load_ammunition(options->ammo);
        FireOptions fire_options;
        fire_options.rounds = options->rounds;
        if (!options->shots.empty()) fire_options.shots = parse_shots(options->shots, options->rounds);
        for (const auto& text : options->defeats) fire_options.defeats.push_back(parse_defeat(text));
        fire_options.seed = options->seed;
        fire_options.grid = {options->size, options->size, options->spacing_um};
        fire_options.microscope.bits = options->bits;
        fire_options.microscope.jpeg_quality = options->jpeg;
        fire_options.microscope.lighting = options->lighting == "ring" ? Lighting::ring : Lighting::oblique;
        fire_options.breech_face = options->breech;
        const Die die = load_die(options->die);

        ShotWriter writer(options->out);
        const bool terminal = ::isatty(STDERR_FILENO) != 0;
        auto progress = [terminal](std::size_t done, std::size_t total) {
            if (!terminal) return;
            const int width = 30;
            const auto filled = static_cast<int>(width * done / total);
            fmt::print(stderr, "\rfiring [{}{}] {}/{} shots", std::string(static_cast<std::size_t>(filled), '#'),
                       std::string(static_cast<std::size_t>(width - filled), ' '), done, total);
            if (done == total) fmt::print(stderr, "\n");
        };
        auto replacement = [](const std::string& name, const PinFace& like) {
            if (name == "blank") return blank_face(like);
            return pin_face(load_die(name));
        };
        std::size_t saved = 0;
        fire(die, firearm, ammunition, fire_options, [&](Shot&& shot) { writer.write(shot); ++saved; }, replacement,
             progress);
        nlohmann::json summary = {{"die", options->die},
                                  {"identity", describe(die.identity)},
                                  {"firearm", firearm.name},
                                  {"ammunition", ammunition.name},
                                  {"rounds", options->rounds},
                                  {"seed", options->seed},
                                  {"shots_saved", saved}};
        writer.commit(summary);
        nlohmann::json written = nlohmann::json::array();
        for (const auto& file : writer.files()) written.push_back(file.string());
        summary["written"] = written;
        std::cout << summary.dump(2) << '\n';
        fmt::print(stderr, "fired {} rounds of {} in {}; saved {} shot(s) to {}\n", options->rounds, ammunition.name,
                   firearm.name, saved, options->out);
    }};
}

} // namespace microstamp::cli
