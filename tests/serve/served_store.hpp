#pragma once
// A real server on a real store for each test: a fresh SQLite store with users in two
// agencies, the Service on a free loopback port in a thread, an injectable clock (so
// lockouts and idle sessions pass without waiting), and a casing scan made once by the
// microstamp binary (`encode` and `fire`, small and quick).

#include "test_locations.hpp"
#include "evidence/store.hpp"
#include "evidence/store_fixture.hpp"
#include "serve/service.hpp"

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <unistd.h>

namespace microstamp::testing {

// The other passwords are the evidence tests' (store_fixture.hpp).
inline const std::string other_lab_password = "dana password 1";
inline const std::string lab = "WA0010000";
inline const std::string other_lab = "OR0260000";

inline std::filesystem::path scratch_folder(const std::string& what) {
    static std::atomic<int> counter{0};
    const auto folder = std::filesystem::temp_directory_path() /
                        fmt::format("microstamp-serve-{}-{}-{}", what, getpid(), counter++);
    std::filesystem::remove_all(folder);
    std::filesystem::create_directories(folder);
    return folder;
}

inline std::string file_text(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// A casing scan of a SIG Sauer P320 #58A-104233, fired once by the CLI: 300 x 300 points
// at 6 um (the smallest the reader decodes quickly), made once per test program.
inline const std::filesystem::path& casing_scan() {
    static const std::filesystem::path scan = [] {
        const auto folder = scratch_folder("casing");
        const std::string binary = MICROSTAMP_BINARY;
        const std::string commands = fmt::format(
            "{0} encode --make 'SIG Sauer' --model P320 --serial 58A-104233 --out {1}/die >/dev/null 2>&1 && "
            "{0} fire --die {1}/die --firearm service-9mm-striker --ammo standard-small-pistol --rounds 1 --seed 7 "
            "--size 300 --spacing 6 --out {1}/shots >/dev/null 2>&1",
            binary, folder.string());
        if (std::system(commands.c_str()) != 0) throw std::runtime_error("microstamp encode/fire failed: " + commands);
        return folder / "shots" / "shot-000001.x3p";
    }();
    return scan;
}

class ServedStore {
public:
    // `tune` adjusts the service options before the server starts (limits, threads).
    // `backend` "postgresql" uses MICROSTAMP_TEST_POSTGRES; check available() after.
    explicit ServedStore(const std::function<void(ServeOptions&)>& tune = {}, const std::string& backend = "sqlite") {
        if (!make_scratch(backend, scratch_)) return;
        url_ = scratch_.url;
        StoreOptions store_options = scratch_.options();
        store_options.clock = [this] {
            return std::chrono::system_clock::now() + std::chrono::milliseconds(clock_offset_ms_.load());
        };
        {
            Store store = Store::create(url_, "root", admin_password, store_options);
            const Session root = store.logon("root", admin_password);
            store.add_user(root, "avery", Role::examiner, examiner_password, lab);
            store.add_user(root, "blake", Role::supervisor, supervisor_password, lab);
            store.add_user(root, "casey", Role::auditor, auditor_password);
            store.add_user(root, "dana", Role::examiner, other_lab_password, other_lab);
        }
        ServeOptions options;
        options.store_url = url_;
        options.store = store_options;
        options.threads = 6;
        options.read_timeout_seconds = 2;
        if (tune) tune(options);
        service_ = std::make_unique<Service>(options);
        port_ = service_->bind("127.0.0.1", 0);
        thread_ = std::thread([this] { service_->run(); });
        httplib::Client probe = client();
        for (int attempt = 0; attempt < 200 && !probe.Get("/"); ++attempt)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ServedStore(const ServedStore&) = delete;
    ServedStore& operator=(const ServedStore&) = delete;
    ~ServedStore() {
        if (service_) {
            service_->stop();
            thread_.join();
        }
        if (!url_.empty()) drop_scratch(scratch_);
    }
    bool available() const { return service_ != nullptr; }

    int port() const { return port_; }
    const std::string& url() const { return url_; }
    const Service& service() const { return *service_; }
    void advance_clock(std::chrono::milliseconds by) { clock_offset_ms_ += by.count(); }

    httplib::Client client() const {
        httplib::Client client("127.0.0.1", port_);
        client.set_read_timeout(30, 0);
        return client;
    }

    // Logs on and returns the token ("" when refused).
    std::string login(const std::string& user, const std::string& password) const {
        const auto response = client().Post("/api/login", nlohmann::json{{"user", user}, {"password", password}}.dump(),
                                            "application/json");
        if (!response || response->status != 200) return "";
        return nlohmann::json::parse(response->body).at("token").get<std::string>();
    }

    static httplib::Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

    httplib::Result get(const std::string& token, const std::string& path) const {
        return client().Get(path, bearer(token));
    }
    httplib::Result post(const std::string& token, const std::string& path, const nlohmann::json& body) const {
        return client().Post(path, bearer(token), body.dump(), "application/json");
    }

    // The audit log as the store holds it, for checks that every request left a record.
    std::int64_t audit_records() const {
        Store store = Store::open(url_, scratch_.options());
        return store.verify_audit(store.logon("casey", auditor_password)).records;
    }

private:
    ScratchStore scratch_;
    std::string url_;
    std::atomic<long long> clock_offset_ms_{0};
    std::unique_ptr<Service> service_;
    std::thread thread_;
    int port_ = 0;
};

} // namespace microstamp::testing
