// microstamp: encode, fire, read and record firearm microstamps. See README.md.

#include "commands.hpp"

#include <exception>
#include <fmt/core.h>
#include <vector>

int main(int argc, char** argv) {
    CLI::App app{"microstamp: a machine-readable microstamp code, its simulator, reader and evidence workflow"};
    app.require_subcommand(1);
    app.set_version_flag("--version", PROJECT_VERSION_TEXT);
    const std::vector<microstamp::cli::Command> commands = {microstamp::cli::add_encode(app),
                                                             microstamp::cli::add_fire(app),
                                                             microstamp::cli::add_read(app),
                                                             microstamp::cli::add_fuse(app),
                                                             microstamp::cli::add_serve(app),
                                                             microstamp::cli::add_info(app),
                                                             microstamp::cli::add_case(app),
                                                             microstamp::cli::add_study(app)};
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return app.exit(error);
    }
    try {
        for (const auto& command : commands)
            if (command.app->parsed()) command.run();
        return 0;
    } catch (const microstamp::cli::ReportedElsewhere&) {
        return 1;
    } catch (const std::exception& error) {
        fmt::print(stderr, "microstamp: error: {}\n", error.what());
        return 1;
    }
}
