#pragma once
// The command line is thin: each subcommand parses its options and calls the library.

#include <CLI/CLI.hpp>
#include <functional>

namespace microstamp::cli {

// A subcommand and what to run when it is chosen.
struct Command {
    CLI::App* app = nullptr;
    std::function<void()> run;
};
Command add_encode(CLI::App& app);
Command add_info(CLI::App& app);
Command add_case(CLI::App& app);
Command add_fire(CLI::App& app);
Command add_read(CLI::App& app);
Command add_fuse(CLI::App& app);
Command add_serve(CLI::App& app);
Command add_study(CLI::App& app);

} // namespace microstamp::cli
