#pragma once
// What the study tests share: scratch folders, a tiny study, and the command line.

#include "support/command_run.hpp"
#include "test_locations.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fmt/core.h>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

namespace microstamp::study_test {

// A new empty folder of this test process.
inline std::filesystem::path scratch(const std::string& name) {
    const auto folder = std::filesystem::temp_directory_path() / fmt::format("microstamp-study-{}-{}", ::getpid(), name);
    std::filesystem::remove_all(folder);
    std::filesystem::create_directories(folder);
    return folder;
}

inline std::string slurp(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

// Two pistols, two casings each, one of them after a stone: 4 casings read.
inline nlohmann::json tiny_document() {
    return nlohmann::json::parse(R"({
      "format": "microstamp-study", "format_version": 1, "name": "tiny",
      "identity": {"make": "SIG Sauer", "model": "P229", "serial": "58A-10420#"},
      "factors": {"firearms": ["service-9mm-striker"], "ammunition": ["standard-small-pistol"],
                  "designs": ["ring"], "rounds": [3], "defeats": ["none", "stone:30"]},
      "pistols": 2, "shots": "last:1", "fusion_group": 2,
      "published": [{"source": "made up", "text": "all of them", "rate": 1.0, "design": "ring"}]
    })");
}

using CommandResult = testing::CommandRun;

// The microstamp program with these arguments (paths in them absolute): exit code,
// standard output and error.
inline CommandResult run_cli(const std::string& arguments) {
    const auto folder = std::filesystem::temp_directory_path() / fmt::format("microstamp-study-{}-cli", ::getpid());
    std::filesystem::create_directories(folder);
    return testing::run_in_folder(fmt::format("{} {}", MICROSTAMP_BINARY, arguments), folder);
}

} // namespace microstamp::study_test
