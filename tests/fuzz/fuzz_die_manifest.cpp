// A die folder's manifest.json on any bytes, through load_die as `microstamp info DIE`
// and `fire --die DIE` call it. The folder holds a real die's files (written once at
// start); its die.x3p carries the time it was written, so the seeds name its hash as
// @DIE_X3P_SHA256@, which is replaced by the hash before the bytes are written: a
// manifest that keeps it reaches the layout it describes.

#include "code/catalog.hpp"
#include "die/die.hpp"
#include "die/die_files.hpp"
#include "fuzz_support.hpp"

#include <fstream>
#include <iterator>
#include <string>

namespace {

// The die of the seed corpus's manifest: the same identity and design.
const std::filesystem::path& die_folder() {
    static const std::filesystem::path folder = [] {
        const std::filesystem::path path = microstamp::fuzz::scratch_folder() / "die";
        const microstamp::Identity identity = microstamp::default_catalog().identity("SIG Sauer", "P229", "58A-104233");
        microstamp::DieDesign design;
        design.designs = {microstamp::Design::ring};
        design.spacing_um = 4;
        microstamp::write_die(microstamp::encode(identity, design), path);
        return path;
    }();
    return folder;
}

const std::string& die_x3p_hash() {
    static const std::string hash = [] {
        std::ifstream file(die_folder() / "die.x3p", std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
        return microstamp::sha256_hex(bytes.data(), bytes.size());
    }();
    return hash;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::filesystem::path& folder = die_folder();
    std::string manifest(reinterpret_cast<const char*>(data), size);
    const std::string placeholder = "@DIE_X3P_SHA256@";
    for (std::size_t at = manifest.find(placeholder); at != std::string::npos; at = manifest.find(placeholder, at))
        manifest.replace(at, placeholder.size(), die_x3p_hash());
    microstamp::fuzz::write_file(folder / "manifest.json", reinterpret_cast<const std::uint8_t*>(manifest.data()),
                                 manifest.size());
    microstamp::fuzz::parse_or_refuse([&] { (void)microstamp::load_die(folder); });
    return 0;
}
