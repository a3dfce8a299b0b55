#pragma once
// The folder `microstamp fire` writes: per saved shot
//   shot-NNNNNN.x3p         topography scan (ISO 5436-2)
//   shot-NNNNNN.png         microscope photograph
//   shot-NNNNNN.truth.json  ground truth: identity, pose, wear, defeats, every parameter
// (+ shot-NNNNNN-breech.x3p / .png with the breech-face stamp), and run.json.
// Files are written into a staging folder that is renamed into place by commit(),
// so an interrupted run leaves no partial output folder.

#include "physics/fire.hpp"

#include <filesystem>

namespace microstamp {

class ShotWriter {
public:
    explicit ShotWriter(const std::filesystem::path& folder);  // folder must not exist, or be empty
    ~ShotWriter();                                              // removes the staging folder unless committed
    ShotWriter(const ShotWriter&) = delete;
    ShotWriter& operator=(const ShotWriter&) = delete;

    void write(const Shot& shot);
    void commit(const nlohmann::json& run_summary);
    const std::vector<std::filesystem::path>& files() const { return files_; }  // final paths

private:
    std::filesystem::path folder_;
    std::filesystem::path staging_;
    std::vector<std::filesystem::path> files_;
    bool committed_ = false;
};

std::string shot_stem(long number);

} // namespace microstamp
