#pragma once
// A command line run by the shell in a folder, as a user would: its stdout, its stderr
// (through a file in the folder) and its exit code.

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/wait.h>

namespace microstamp::testing {

struct CommandRun {
    int exit_code = 0;
    std::string out, err;
};

inline CommandRun run_in_folder(const std::string& command_line, const std::filesystem::path& folder) {
    const std::string err_file = (folder / "stderr.txt").string();
    const std::string command = "cd '" + folder.string() + "' && " + command_line + " 2>'" + err_file + "'";
    CommandRun result;
    FILE* pipe = popen(command.c_str(), "r");
    std::array<char, 4096> buffer{};
    for (std::size_t n; (n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) result.out.append(buffer.data(), n);
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream err(err_file);
    result.err.assign(std::istreambuf_iterator<char>(err), std::istreambuf_iterator<char>());
    return result;
}

} // namespace microstamp::testing
