// A study file on any bytes, through load_study as `microstamp study FILE` calls it, and
// the plan of cells the runner takes from it.

#include "fuzz_support.hpp"
#include "study/study.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::filesystem::path path = microstamp::fuzz::scratch_folder() / "study.json";
    microstamp::fuzz::write_file(path, data, size);
    microstamp::fuzz::parse_or_refuse([&] {
        const microstamp::Study study = microstamp::load_study(path.string());
        (void)microstamp::cells(study);
    });
    return 0;
}
