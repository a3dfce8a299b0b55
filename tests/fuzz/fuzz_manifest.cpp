// A manifest of real scans (`microstamp study --manifest scans.csv`) on any bytes,
// through load_manifest and the study document the report is drawn from.

#include "fuzz_support.hpp"
#include "study/manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::filesystem::path path = microstamp::fuzz::scratch_folder() / "scans.csv";
    microstamp::fuzz::write_file(path, data, size);
    microstamp::fuzz::parse_or_refuse([&] {
        const microstamp::Manifest manifest = microstamp::load_manifest(path);
        (void)microstamp::manifest_study(path, manifest, microstamp::Protocol::identity);
    });
    return 0;
}
