// Several processes at once, and processes killed in the middle of writing.

#include "store_fixture.hpp"

#include <fmt/core.h>

#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <sys/wait.h>

namespace microstamp::testing {
namespace {

// Runs `body` in a child process that reports lines through a pipe; returns its pid
// and the read end. The child never returns into the test.
template <typename Body>
std::pair<pid_t, int> spawn(Body&& body) {
    int ends[2];
    if (pipe(ends) != 0) throw std::runtime_error("pipe failed");
    const pid_t pid = fork();
    if (pid == 0) {
        close(ends[0]);
        int status = 0;
        try {
            body(ends[1]);
        } catch (const std::exception& error) {
            const std::string line = std::string("error ") + error.what() + "\n";
            [[maybe_unused]] auto ignored = write(ends[1], line.data(), line.size());
            status = 3;
        }
        _exit(status);
    }
    close(ends[1]);
    return {pid, ends[0]};
}

std::vector<std::string> read_lines(int descriptor) {
    std::string text;
    char buffer[4096];
    for (ssize_t n; (n = read(descriptor, buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
    close(descriptor);
    std::vector<std::string> lines;
    std::istringstream stream(text);
    // A line cut off by the kill has no newline: it was never fully reported.
    for (std::string line; std::getline(stream, line);)
        if (!stream.eof()) lines.push_back(line);
    return lines;
}

// The child's first line, once its logon is done; every later line is a confirmed add.
constexpr const char* logged_on_line = "logged-on";

void report(int descriptor, const std::string& line) {
    const std::string text = line + "\n";
    if (write(descriptor, text.data(), text.size()) != static_cast<ssize_t>(text.size())) _exit(4);
}

AcquiredScan random_scan(std::mt19937_64& random) {
    std::vector<std::uint8_t> bytes(2048);
    for (auto& byte : bytes) byte = static_cast<std::uint8_t>(random());
    return trusted_scan(std::move(bytes), "scan.x3p", "x3p");
}

class Processes : public StoreTest {};

TEST_P(Processes, KilledIngestsLoseNothingThatReturnedAndLeaveNothingHalfWritten) {
    store->open_case(examiner(), {"WA0010000", "24-500", "5212"});
    store.reset();  // the children own the store while they run
    const int kills = 50;
    std::mt19937_64 random(20240501);
    std::set<std::string> confirmed;
    for (int kill = 0; kill < kills; ++kill) {
        const std::uint64_t seed = random();
        auto [pid, output] = spawn([&, kill, seed](int descriptor) {
            Store child = Store::open(scratch.url, scratch.options());
            const Session session = child.logon("avery", examiner_password);
            report(descriptor, logged_on_line);
            std::mt19937_64 child_random(seed);
            for (int item = 0; item < 10000; ++item) {
                const std::string number = fmt::format("{}-{}", kill, item);
                child.add_exhibit(session, {{"", "24-500"}, number, "2024-05-01T22:10Z", "scene", ""},
                                  {random_scan(child_random)}, {decoded_reading(412, 7, "58A-" + std::to_string(item))});
                report(descriptor, number);
            }
        });
        // The kill lands among the adds, not in the logon: on a loaded machine a logon
        // (argon2id, a server connection) can outlast the whole random delay.
        pollfd logged_on{output, POLLIN, 0};
        ::poll(&logged_on, 1, 60000);
        std::this_thread::sleep_for(std::chrono::microseconds(5000 + random() % 60000));
        ::kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        for (const auto& line : read_lines(output)) {
            ASSERT_NE(line.rfind("error", 0), 0u) << line;
            if (line != logged_on_line) confirmed.insert(line);
        }
    }
    Store reopened = Store::open(scratch.url, scratch.options());
    const AuditVerification verification = reopened.verify_audit(reopened.logon("casey", auditor_password));
    EXPECT_TRUE(verification.intact) << verification.problem;
    const CaseDetail detail = reopened.show_case(reopened.logon("avery", examiner_password), {"", "24-500"});
    std::set<std::string> stored;
    for (const auto& exhibit : detail.exhibits) {
        stored.insert(exhibit.exhibit.item_number);
        EXPECT_EQ(exhibit.scans.size(), 1u) << exhibit.exhibit.item_number;
        EXPECT_EQ(exhibit.readings.size(), 1u) << exhibit.exhibit.item_number;
    }
    for (const auto& item : confirmed) EXPECT_TRUE(stored.contains(item)) << "lost item " << item;
    // At most one add per kill can have committed without being reported.
    EXPECT_LE(stored.size(), confirmed.size() + kills);
    EXPECT_GT(confirmed.size(), 0u);
    std::int64_t exhibit_records = 0;
    scratch.raw()->transact(database::TransactionMode::read, [&](database::Transaction& transaction) {
        exhibit_records = database::as_integer(transaction.query(
            "SELECT count(*) FROM audit_log WHERE action = 'exhibit.add' AND outcome = 'success'")[0][0]);
    });
    EXPECT_EQ(exhibit_records, static_cast<std::int64_t>(stored.size()));
}

TEST_P(Processes, ConcurrentWritersLoseNothing) {
    store->open_case(examiner(), {"WA0010000", "24-600", "5212"});
    store.reset();
    const int writers = GetParam() == "sqlite" ? 2 : 8;
    const int items_each = GetParam() == "sqlite" ? 60 : 30;
    std::vector<std::pair<pid_t, int>> children;
    for (int writer = 0; writer < writers; ++writer)
        children.push_back(spawn([&, writer](int descriptor) {
            Store child = Store::open(scratch.url, scratch.options());
            const Session session = child.logon("avery", examiner_password);
            std::mt19937_64 random(static_cast<std::uint64_t>(writer));
            for (int item = 0; item < items_each; ++item) {
                const std::string number = fmt::format("w{}-{}", writer, item);
                child.add_exhibit(session, {{"", "24-600"}, number, "2024-05-01", "scene", ""}, {random_scan(random)},
                                  {decoded_reading(412, 7, fmt::format("C{}-{}", writer, item))});
                // Readers interleave with writers too.
                if (item % 10 == 0) child.find_identity(session, 412, 7, "C0-0");
                report(descriptor, number);
            }
        }));
    std::set<std::string> confirmed;
    for (auto& [pid, output] : children) {
        for (const auto& line : read_lines(output)) {
            EXPECT_NE(line.rfind("error", 0), 0u) << line;
            confirmed.insert(line);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    EXPECT_EQ(confirmed.size(), static_cast<std::size_t>(writers * items_each));
    Store reopened = Store::open(scratch.url, scratch.options());
    const CaseDetail detail = reopened.show_case(reopened.logon("avery", examiner_password), {"", "24-600"});
    EXPECT_EQ(detail.exhibits.size(), static_cast<std::size_t>(writers * items_each));
    const AuditVerification verification = reopened.verify_audit(reopened.logon("casey", auditor_password));
    EXPECT_TRUE(verification.intact) << verification.problem;
}

MICROSTAMP_ON_BOTH_BACKENDS(Processes);

} // namespace
} // namespace microstamp::testing
