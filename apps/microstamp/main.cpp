// microstamp: encode, fire, read and record firearm microstamps. See README.md.

#include "commands.hpp"

#include <exception>
#include <fmt/core.h>
#include <vector>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

// A read or a simulated shot allocates images of several megabytes each and frees them
// at once. By default glibc serves such blocks with fresh mappings and hands freed
// memory back to the kernel, so every image's first touch page-faults again: on a study
// that was 27 s of system time in 190 s of CPU (no-wrong-identity, one seed). Keeping
// the freed memory for the next image removes it; the process's peak stays the same.
void keep_freed_images_for_reuse() {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 512 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 64 << 20);
#endif
}

} // namespace

int main(int argc, char** argv) {
    keep_freed_images_for_reuse();
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
