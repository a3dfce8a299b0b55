// End to end in a real browser: Debian's headless Chromium, driven through chromedriver
// (the W3C WebDriver protocol, spoken with httplib), against `microstamp serve` run as
// the binary. An examiner logs on, opens a case, uploads a casing scan made by
// `microstamp fire` and sees its serial on the page, with the case in her list of cases;
// an examiner of another lab neither sees that case listed nor can open it; when that lab
// files a second casing of the pistol, a state examiner confirms the lead on the page.

#include "test_locations.hpp"
#include "raw_http.hpp"
#include "served_store.hpp"

#include "report/report.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

extern char** environ;

namespace microstamp::testing {
namespace {

using nlohmann::json;

// A child process, ended when this goes out of scope.
class Child {
public:
    Child(const std::vector<std::string>& arguments, const std::filesystem::path& output) {
        std::vector<char*> argv;
        for (const auto& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&actions, 2, (output.string() + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&actions);
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() {
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);
        int status = 0;
        for (int i = 0; i < 100 && waitpid(pid_, &status, WNOHANG) == 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (waitpid(pid_, &status, WNOHANG) == 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, &status, 0);
        }
    }
    bool started() const { return pid_ > 0; }
    bool running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

private:
    pid_t pid_ = -1;
};

// A loopback port nobody listens on now (the kernel picks it; the socket is closed again).
int free_port() {
    const int socket_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int port = 0;
    if (::bind(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(socket_fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
        port = ntohs(address.sin_port);
    ::close(socket_fd);
    return port;
}

// Minimal W3C WebDriver client: one session, CSS selectors, waits by polling.
class Browser {
public:
    // Files the page saves land in `downloads`.
    Browser(int driver_port, const std::filesystem::path& downloads) : driver_("127.0.0.1", driver_port) {
        driver_.set_read_timeout(60, 0);
        const json capabilities = {
            {"capabilities",
             {{"alwaysMatch",
               {{"browserName", "chrome"},
                {"goog:chromeOptions",
                 {{"binary", "/usr/bin/chromium"},
                  {"prefs", {{"download.default_directory", downloads.string()}, {"download.prompt_for_download", false}}},
                  // As root (CI containers) Chromium has no sandbox; headless needs no GPU.
                  {"args", {"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                            "--window-size=1280,1000"}}}}}}}}};
        const json answer = call("POST", "/session", capabilities);
        session_ = answer.at("value").at("sessionId").get<std::string>();
    }
    ~Browser() {
        if (!session_.empty()) driver_.Delete("/session/" + session_);
    }

    void go(const std::string& url) { call("POST", path("/url"), {{"url", url}}); }
    std::string element(const std::string& css) {
        const json answer = call("POST", path("/element"), {{"using", "css selector"}, {"value", css}});
        return answer.at("value").begin().value().get<std::string>();
    }
    void type(const std::string& css, const std::string& text) {
        const std::string id = element(css);
        call("POST", path("/element/" + id + "/clear"), json::object());
        call("POST", path("/element/" + id + "/value"), {{"text", text}});
    }
    void click(const std::string& css) { call("POST", path("/element/" + element(css) + "/click"), json::object()); }
    std::string text(const std::string& css) {
        return call("GET", path("/element/" + element(css) + "/text")).at("value").get<std::string>();
    }
    json script(const std::string& code) {
        return call("POST", path("/execute/sync"), {{"script", code}, {"args", json::array()}}).at("value");
    }
    // Polls until `css`'s text satisfies `done` or the time is up; returns the last text.
    std::string wait_for_text(const std::string& css, const std::function<bool(const std::string&)>& done,
                              std::chrono::seconds limit = std::chrono::seconds(60)) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        std::string seen;
        while (std::chrono::steady_clock::now() < deadline) {
            seen = text(css);
            if (done(seen)) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return seen;
    }

private:
    std::string path(const std::string& rest) const { return "/session/" + session_ + rest; }
    json call(const std::string& method, const std::string& where, const json& body = nullptr) {
        const auto result = method == "GET" ? driver_.Get(where) : driver_.Post(where, body.dump(), "application/json");
        if (!result) throw std::runtime_error("chromedriver did not answer " + method + " " + where);
        json answer = json::parse(result->body, nullptr, false);
        if (result->status != 200)
            throw std::runtime_error("WebDriver " + method + " " + where + ": " + result->body.substr(0, 500));
        return answer;
    }

    httplib::Client driver_;
    std::string session_;
};

bool visible_text_contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(ServeBrowser, ExaminerUploadsACasingAndSeesItsSerialAndAnotherLabCannotOpenTheCase) {
    if (!std::filesystem::exists("/usr/bin/chromedriver") || !std::filesystem::exists("/usr/bin/chromium")) {
        const char* ci = std::getenv("CI");
        if (ci && std::string(ci) == "true") FAIL() << "chromium and chromium-driver are missing: scripts/setup.sh installs them";
        GTEST_SKIP() << "chromium or chromium-driver not installed (scripts/setup.sh installs them)";
    }
    // The store, made with the library; then the real binary serves it.
    const auto folder = scratch_folder("browser");
    const std::string url = "sqlite:" + (folder / "lab.db").string();
    {
        StoreOptions options;
        options.password_cost = PasswordCost::minimum;
        Store store = Store::create(url, "root", admin_password, options);
        const Session root = store.logon("root", admin_password);
        store.add_user(root, "avery", Role::examiner, examiner_password, lab);
        store.add_user(root, "dana", Role::examiner, other_lab_password, other_lab);
        store.add_user(root, "morgan", Role::examiner, examiner_password);  // a state laboratory: every agency
    }
    const auto open_store = [&url] {
        StoreOptions options;
        options.password_cost = PasswordCost::minimum;
        return Store::open(url, options);
    };
    const std::filesystem::path scan = casing_scan();
    Child server({MICROSTAMP_BINARY, "serve", "--db", url, "--listen", "127.0.0.1:0", "--threads", "4"},
                 folder / "serve.out");
    ASSERT_TRUE(server.started());
    int port = 0;
    for (int i = 0; i < 300 && port == 0; ++i) {
        const json line = json::parse(file_text(folder / "serve.out"), nullptr, false);
        if (!line.is_discarded() && line.contains("port")) port = line["port"].get<int>();
        else std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_GT(port, 0) << file_text(folder / "serve.out.err");
    const int driver_port = free_port();
    Child driver({"/usr/bin/chromedriver", "--port=" + std::to_string(driver_port)}, folder / "driver.out");
    httplib::Client probe("127.0.0.1", driver_port);
    probe.set_connection_timeout(1, 0);
    probe.set_read_timeout(2, 0);
    bool ready = false;
    for (int i = 0; i < 300 && !ready; ++i) {
        const auto status = probe.Get("/status");
        ready = status && status->status == 200 && json::parse(status->body, nullptr, false)["value"]["ready"] == true;
        if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(ready) << "chromedriver did not start: " << file_text(folder / "driver.out.err");

    const std::string page = "http://127.0.0.1:" + std::to_string(port) + "/";
    {
        Browser browser(driver_port, folder / "downloads");
        browser.go(page);
        browser.type("#login-user", "avery");
        browser.type("#login-password", examiner_password);
        browser.click("#login-button");
        EXPECT_TRUE(visible_text_contains(browser.wait_for_text("#who-name", [](const std::string& t) { return !t.empty(); }),
                                          "avery"));
        browser.type("#case-agency", lab);
        browser.type("#case-number", "24-118");
        browser.script("document.querySelector('#new-case-form').closest('details').open = true;");
        browser.click("#new-case-button");
        EXPECT_EQ(browser.wait_for_text("#case-title", [](const std::string& t) { return !t.empty(); }),
                  "Case " + lab + " / 24-118");
        // The new case is among the cases she may open, and opens from there.
        const std::string listed = lab + " / 24-118";
        EXPECT_TRUE(visible_text_contains(
            browser.wait_for_text("#cases", [&](const std::string& t) { return visible_text_contains(t, listed); }), listed));
        browser.script("document.querySelector('#case-view').hidden = true;"
                       "document.querySelector('#case-title').textContent = '';");
        browser.click("#cases tbody a");
        EXPECT_EQ(browser.wait_for_text("#case-title", [](const std::string& t) { return !t.empty(); }),
                  "Case " + lab + " / 24-118");

        browser.type("#scan-file", std::filesystem::absolute(scan).string());
        browser.type("#upload-item", "3");
        browser.type("#upload-place", "5th & Pine");
        browser.click("#upload-button");
        const std::string serial =
            browser.wait_for_text("#result-serial", [](const std::string& t) { return !t.empty() && t != "—"; });
        EXPECT_EQ(serial, "58A-104233") << "message: " << browser.text("#message");
        EXPECT_TRUE(visible_text_contains(browser.text("#result-manufacturer"), "SIG Sauer"));
        EXPECT_TRUE(visible_text_contains(browser.text("#confidence-serial"), "confidence"));
        EXPECT_EQ(browser.script("return document.querySelector('#result-overlay').naturalWidth > 0;"), true)
            << "the overlay image is drawn";
        EXPECT_TRUE(visible_text_contains(browser.text("#items"), "58A-104233")) << "the item is listed with its identity";
        // The stored reading's overlay, opened from the item list, is drawn too.
        browser.script("document.querySelector('#result-overlay').removeAttribute('src');");
        browser.click("#items .overlay-link");
        bool stored_drawn = false;
        for (int i = 0; i < 200 && !stored_drawn; ++i) {
            stored_drawn = browser.script("const image = document.querySelector('#result-overlay');"
                                          "return image.complete && image.naturalWidth > 0;") == true;
            if (!stored_drawn) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        EXPECT_TRUE(stored_drawn) << "the stored reading's overlay is drawn; message: " << browser.text("#message");
        EXPECT_EQ(browser.wait_for_text("#cases tbody tr td:nth-child(3)", [](const std::string& t) { return t == "1"; }), "1")
            << "the case list counts the item";

        // The item's examination report, downloaded from the page: a PDF the store issued.
        browser.click("#items .report-link");
        const std::string saved =
            browser.wait_for_text("#message", [](const std::string& t) { return visible_text_contains(t, "SHA-256"); });
        EXPECT_TRUE(visible_text_contains(saved, "saved as report-" + lab + "-24-118-item-3.pdf")) << saved;
        const auto report_file = folder / "downloads" / ("report-" + lab + "-24-118-item-3.pdf");
        for (int i = 0; i < 1200 && !std::filesystem::exists(report_file); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        ASSERT_TRUE(std::filesystem::exists(report_file)) << "the browser saved no report";
        const std::string pdf = file_text(report_file);
        EXPECT_EQ(pdf.substr(0, 5), "%PDF-");
        {
            Store store = open_store();
            const Session examiner = store.logon("avery", examiner_password);
            const ReportCheck check =
                verify_report(store, examiner, url, std::vector<std::uint8_t>(pdf.begin(), pdf.end()));
            ASSERT_TRUE(check.issued.has_value()) << "the downloaded file is not a report the store issued";
            EXPECT_TRUE(visible_text_contains(saved, check.sha256));
            EXPECT_EQ(check.issued->object, "case " + lab + "/24-118 item 3");
        }

        browser.click("#logout-button");
        browser.wait_for_text("#login-button", [](const std::string& t) { return !t.empty(); });

        // An examiner of another lab: the case does not open, and the page says why.
        browser.type("#login-user", "dana");
        browser.type("#login-password", other_lab_password);
        browser.click("#login-button");
        browser.wait_for_text("#who-name", [](const std::string& t) { return visible_text_contains(t, "dana"); });
        EXPECT_FALSE(browser.wait_for_text("#cases-empty", [](const std::string& t) { return !t.empty(); }).empty())
            << "her lab has no cases, and the other lab's are not listed";
        EXPECT_FALSE(visible_text_contains(browser.text("#cases"), "24-118"));
        browser.type("#case-agency", lab);
        browser.type("#case-number", "24-118");
        browser.click("#case-open-button");
        const std::string refusal =
            browser.wait_for_text("#message", [](const std::string& t) { return visible_text_contains(t, "agency"); });
        EXPECT_TRUE(visible_text_contains(refusal, "may not reach")) << refusal;
        EXPECT_EQ(browser.script("return document.querySelector('#case-view').hidden;"), true);
        EXPECT_FALSE(visible_text_contains(browser.script("return document.body.innerText;").get<std::string>(), "58A-104233"));

        // A second casing of the same pistol, filed by the other lab: the store raises a
        // lead on arrival, which a state examiner (who reaches both labs) confirms on the page.
        {
            Store store = open_store();
            const Session state_lab = store.logon("morgan", examiner_password);
            const ReadingRecord first = store.show_exhibit(state_lab, {{lab, "24-118"}, "3"}).readings.at(0);
            const Session other = store.logon("dana", other_lab_password);
            store.open_case(other, {other_lab, "P-9", "5212"});
            const AcquiredScan acquired = acquire_scan(scan);
            const NewReading again{acquired.sha256,     first.reader_version, first.json, first.status,
                                   first.manufacturer_code, first.model_code,    first.serial};
            const ExhibitRecord added = store.add_exhibit(
                other, {{other_lab, "P-9"}, "1", "2024-05-03T10:00Z", "Alder St", ""}, {acquired}, {again});
            ASSERT_EQ(added.leads.size(), 1u);
        }
        browser.click("#logout-button");
        browser.wait_for_text("#login-button", [](const std::string& t) { return !t.empty(); });
        browser.type("#login-user", "morgan");
        browser.type("#login-password", examiner_password);
        browser.click("#login-button");
        browser.wait_for_text("#cases", [](const std::string& t) { return visible_text_contains(t, "P-9"); });
        EXPECT_EQ(browser.script("return Array.from(document.querySelectorAll('#cases .lead-count'))"
                                 ".map((c) => c.textContent).join(',');"),
                  "1,1")
            << "each case counts its open lead";
        browser.type("#case-agency", lab);
        browser.type("#case-number", "24-118");
        browser.click("#case-open-button");
        for (int i = 0; i < 600 && browser.script("return document.querySelector('#items .lead-link') === null;") == true; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        EXPECT_EQ(browser.wait_for_text("#items .lead-link", [](const std::string& t) { return !t.empty(); }),
                  "1 open of 1");
        browser.click("#items .lead-link");
        EXPECT_TRUE(visible_text_contains(
            browser.wait_for_text("#lead-list", [](const std::string& t) { return visible_text_contains(t, "P-9"); }),
            other_lab + " / P-9 / item 1"));
        for (const std::string image : {"#lead-overlay-this", "#lead-overlay-other"}) {
            bool drawn = false;
            for (int i = 0; i < 600 && !drawn; ++i) {
                drawn = browser.script("return document.querySelector('" + image + "').naturalWidth > 0;") == true;
                if (!drawn) std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
            EXPECT_TRUE(drawn) << image << ": " << browser.text("#lead-caption-this") << " / "
                               << browser.text("#lead-caption-other");
        }
        browser.script("window.prompt = () => 'one pistol, two scenes';");
        browser.click("#lead-list .lead-confirm");
        const std::string confirmed =
            browser.wait_for_text("#message", [](const std::string& t) { return visible_text_contains(t, "confirmed"); });
        EXPECT_TRUE(visible_text_contains(confirmed, "linked")) << confirmed;
        EXPECT_TRUE(visible_text_contains(browser.text("#items"), other_lab + "/P-9 item 1")) << "the link is listed";
        {
            Store store = open_store();
            const auto leads = store.list_leads(store.logon("morgan", examiner_password), {std::nullopt, "", "confirmed"});
            ASSERT_EQ(leads.size(), 1u);
            EXPECT_EQ(leads[0].decided_by, "morgan");
            EXPECT_EQ(leads[0].resolution, "one pistol, two scenes");
            EXPECT_TRUE(leads[0].link_id.has_value());
        }
    }
    EXPECT_TRUE(server.running()) << "the server is still up";
    std::error_code ignored;
    std::filesystem::remove_all(folder, ignored);
}

} // namespace
} // namespace microstamp::testing
