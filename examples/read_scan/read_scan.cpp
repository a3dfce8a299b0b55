// Reads the microstamp on each scan or photograph named on the command line, through the
// installed library: find_package(microstamp) and microstamp::microstamp.

#include <microstamp/microstamp.hpp>

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: read_scan FILE.x3p...\n");
        return 2;
    }
    int failures = 0;
    for (int i = 1; i < argc; ++i) {
        try {
            const auto scan = microstamp::api::read_x3p(argv[i]);
            const auto reading = microstamp::api::read(scan.surface.view());
            std::printf("%s: %s", argv[i], reading.status.c_str());
            if (reading.identity)
                std::printf(" %s %s %s (confidence %.6f)", reading.identity->manufacturer.c_str(),
                            reading.identity->model.c_str(), reading.identity->serial.c_str(), reading.confidence);
            std::printf("\n");
            failures += reading.identity ? 0 : 1;
        } catch (const std::exception& error) {
            std::fprintf(stderr, "read_scan: error: %s\n", error.what());
            ++failures;
        }
    }
    return failures == 0 ? 0 : 1;
}
