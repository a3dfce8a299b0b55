#pragma once
// The command line is thin: each subcommand parses its options and calls the library.

#include <CLI/CLI.hpp>
#include <exception>
#include <functional>

namespace microstamp::cli {

// A subcommand and what to run when it is chosen.
struct Command {
    CLI::App* app = nullptr;
    std::function<void()> run;
};
// A failure another process of the same MPI job has already reported: this one exits
// non-zero without printing the same line again.
struct ReportedElsewhere : std::exception {
    const char* what() const noexcept override { return "reported by another rank"; }
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
