#include "physics/shot_files.hpp"

#include "surface/image.hpp"
#include "surface/x3p.hpp"

#include <fmt/core.h>
#include <unistd.h>

namespace microstamp {
namespace {

SurfaceMetadata scan_metadata(const Shot& shot, const char* what) {
    SurfaceMetadata metadata;
    metadata.date = "1970-01-01T00:00:00Z";  // simulated: the file must not depend on the clock
    metadata.creator = "microstamp fire";
    metadata.instrument_manufacturer = "microstamp";
    metadata.instrument_model = "simulated topography scanner";
    metadata.instrument_version = PROJECT_VERSION_TEXT;
    metadata.comment = fmt::format("simulated {} of shot {}, seed {}", what, shot.number, shot.truth.value("seed", 0ULL));
    return metadata;
}

void write_text(const std::filesystem::path& path, const std::string& text) {
    write_file_atomically(path, text.data(), text.size());
}

} // namespace

std::string shot_stem(long number) { return fmt::format("shot-{:06d}", number); }

ShotWriter::ShotWriter(const std::filesystem::path& folder) : folder_(std::filesystem::absolute(folder)) {
    std::error_code error;
    if (std::filesystem::exists(folder_, error) &&
        (!std::filesystem::is_directory(folder_, error) || !std::filesystem::is_empty(folder_, error)))
        throw FileError(fmt::format("output folder {} exists and is not empty", folder.string()));
    if (!std::filesystem::is_directory(folder_.parent_path(), error))
        throw FileError(fmt::format("cannot write {}: folder {} does not exist", folder.string(),
                                    folder_.parent_path().string()));
    staging_ = folder_.parent_path() / fmt::format(".{}.partial-{}", folder_.filename().string(), ::getpid());
    std::filesystem::remove_all(staging_, error);
    if (!std::filesystem::create_directory(staging_, error))
        throw FileError(fmt::format("cannot write into {}: {}", folder_.parent_path().string(), error.message()));
}

ShotWriter::~ShotWriter() {
    if (committed_) return;
    std::error_code error;
    std::filesystem::remove_all(staging_, error);
}

void ShotWriter::write(const Shot& shot) {
    const std::string stem = shot_stem(shot.number);
    nlohmann::json truth = shot.truth;
    nlohmann::json files = {{"topography", stem + ".x3p"}, {"photograph", stem + ".png"}};
    write_x3p(staging_ / (stem + ".x3p"), shot.topography, scan_metadata(shot, "topography"));
    write_png(staging_ / (stem + ".png"), shot.photograph);
    if (shot.breech_topography && shot.breech_photograph) {
        write_x3p(staging_ / (stem + "-breech.x3p"), *shot.breech_topography, scan_metadata(shot, "breech-face topography"));
        write_png(staging_ / (stem + "-breech.png"), *shot.breech_photograph);
        files["breech_topography"] = stem + "-breech.x3p";
        files["breech_photograph"] = stem + "-breech.png";
    }
    truth["files"] = files;
    truth["um_per_px"] = shot.photograph.um_per_px;
    write_text(staging_ / (stem + ".truth.json"), truth.dump(2) + "\n");
    for (const auto& [kind, name] : files.items()) files_.push_back(folder_ / name.get<std::string>());
    files_.push_back(folder_ / (stem + ".truth.json"));
}

void ShotWriter::commit(const nlohmann::json& run_summary) {
    write_text(staging_ / "run.json", run_summary.dump(2) + "\n");
    std::error_code error;
    if (std::filesystem::exists(folder_, error)) std::filesystem::remove(folder_, error);  // empty, checked before
    std::filesystem::rename(staging_, folder_, error);
    if (error) throw FileError(fmt::format("cannot create {}: {}", folder_.string(), error.message()));
    committed_ = true;
    files_.push_back(folder_ / "run.json");
}

} // namespace microstamp
