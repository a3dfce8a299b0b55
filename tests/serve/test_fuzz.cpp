// Malformed requests over raw sockets for a bounded time (seeded): broken request lines
// and headers, wrong content types, truncated multipart and chunked bodies, lying
// lengths, huge and deeply nested JSON, with and without a valid session. The server
// must never crash (the test process would die), never answer 500, and answer a normal
// request promptly afterwards.

#include "raw_http.hpp"
#include "served_store.hpp"

#include <iostream>
#include <random>

namespace microstamp::testing {
namespace {

std::string random_bytes(std::mt19937_64& random, std::size_t count) {
    std::string bytes(count, '\0');
    for (char& c : bytes) c = static_cast<char>(random() & 0xff);
    return bytes;
}

std::string pick(std::mt19937_64& random, const std::vector<std::string>& choices) {
    return choices[random() % choices.size()];
}

// One malformed request; `token` reaches the handlers behind the session check.
std::string malformed_request(std::mt19937_64& random, const std::string& token) {
    const std::string paths = pick(random, {"/api/login", "/api/cases", "/api/cases/WA0010000/24-118/exhibits",
                                            "/api/links", "/api/trace-requests", "/api/search/partial?serial=%ZZ",
                                            "/api/cases/WA0010000/24-118/exhibits/1/custody", "/", "/assets/../x"});
    const std::string auth = random() % 2 ? "Authorization: Bearer " + token + "\r\n" : "";
    switch (random() % 14) {
    case 0: return random_bytes(random, 1 + random() % 600);
    case 1: return "GET " + std::string(10000 + random() % 5000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n";
    case 2: return "POST " + paths + " HTTP/1.1\r\nHost: x\r\n" + auth + "X-Long: " + std::string(9000, 'h') + "\r\n\r\n";
    case 3: return "POST " + paths + " HTTP/1.1\r\nHost x\r\nno colon here\r\n" + auth + "\r\n{}";
    case 4: {
        std::string request = "GET " + paths + " HTTP/1.1\r\n";
        for (int i = 0; i < 300; ++i) request += "X-" + std::to_string(i) + ": v\r\n";
        return request + "\r\n";
    }
    case 5: return "POST " + paths + " HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}";
    case 6: {  // multipart cut short, with a length that promises more
        const std::string body = "--B\r\nContent-Disposition: form-data; name=\"item_number\"\r\n\r\n1\r\n--B\r\n"
                                 "Content-Disposition: form-data; name=\"scan\"; filename=\"a.x3p\"\r\n\r\nPK\x03\x04" +
                                 random_bytes(random, 200);
        return "POST /api/cases/WA0010000/24-118/exhibits HTTP/1.1\r\nHost: x\r\n" + auth +
               "Content-Type: multipart/form-data; boundary=B\r\nContent-Length: " + std::to_string(body.size() + 500) +
               "\r\n\r\n" + body;
    }
    case 7: {  // multipart without a boundary, or with garbage parts
        const std::string body = random() % 2 ? "--B\r\n\r\n\r\n--B--" : random_bytes(random, 300);
        return "POST /api/cases/WA0010000/24-118/exhibits HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: multipart/form-data" +
               (random() % 2 ? "; boundary=B" : "") + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    }
    case 8: {  // deeply nested JSON
        const std::size_t depth = 100 + random() % 20000;
        const std::string body = std::string(depth, '[') + std::string(depth, ']');
        return "POST " + paths + " HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body;
    }
    case 9: {  // JSON that is large, or strange
        const std::string body = pick(random, {"{\"user\": \"" + std::string(60000, 'u') + "\", \"password\": 1}",
                                               "{\"agency_ori\": 1e999999, \"case_number\": null}",
                                               "{\"from\": {\"case_number\": [[[]]]}, \"to\": \"x\", \"basis\": {}}",
                                               "{\"a\": \"\\ud800\", \"b\": \"\\u0000\"}", "{\"x\":" + std::string(5000, '1') + "}",
                                               std::string("{\"user\": \"avery\x00\", \"password\": \"\"}", 37)});
        return "POST " + paths + " HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body;
    }
    case 10: return "POST " + paths + " HTTP/1.1\r\nHost: x\r\n" + auth +
                    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n5\r\n{\"a\"\r\n";
    case 11: return "POST " + paths + " HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: -5\r\n\r\n";
    case 12: return "GET " + paths + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + random_bytes(random, 80) + "\r\n\r\n";
    default: return pick(random, {"GET / HTTP/9.9\r\n\r\n", "\r\n\r\n\r\n", "GET\r\n\r\n", "BREW /pot HTTP/1.1\r\n\r\n",
                                  "GET / HTTP/1.1\r\nHost: x\r\nRange: bytes=99999999-1\r\n\r\n",
                                  "GET /api/session HTTP/1.1\r\nAuthorization: Basic Zm9vOmJhcg==\r\n\r\n"});
    }
}

TEST(ServeFuzz, MalformedRequestsNeitherCrashNorHangTheServer) {
    ServedStore served;
    const std::string token = served.login("avery", examiner_password);
    ASSERT_FALSE(token.empty());
    ASSERT_EQ(served.post(token, "/api/cases", {{"agency_ori", lab}, {"case_number", "24-118"}, {"offense_code", "5212"}})->status, 201);

    // Four clients for a fixed time budget; each exchange is bounded by its own timeout.
    const auto budget = std::chrono::seconds(6);
    std::atomic<int> sent{0}, server_errors{0};
    std::vector<std::thread> clients;
    for (int client = 0; client < 4; ++client)
        clients.emplace_back([&, client] {
            std::mt19937_64 random(5212 + static_cast<std::uint64_t>(client));
            const auto end = std::chrono::steady_clock::now() + budget;
            while (std::chrono::steady_clock::now() < end) {
                const std::string reply = raw_exchange(served.port(), malformed_request(random, token),
                                                       std::chrono::milliseconds(1500), random() % 8 != 0);
                if (raw_status(reply) >= 500 && raw_status(reply) != 503) ++server_errors;
                ++sent;
            }
        });
    for (auto& client : clients) client.join();
    EXPECT_GT(sent.load(), 30);
    std::cout << "[ fuzz     ] " << sent.load() << " malformed requests in " << budget.count() << " s\n";
    EXPECT_EQ(server_errors.load(), 0) << "no malformed request reaches an internal error";

    // Still serving, promptly, and the audit log is whole.
    const auto start = std::chrono::steady_clock::now();
    const auto answer = served.get(token, "/api/session");
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 200);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    EXPECT_NE(served.login("blake", supervisor_password), "");
    const std::string auditor = served.login("casey", auditor_password);
    EXPECT_EQ(nlohmann::json::parse(served.get(auditor, "/api/audit/verify")->body)["intact"], true);
}

} // namespace
} // namespace microstamp::testing
