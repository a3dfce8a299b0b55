#pragma once
// `microstamp serve`: the evidence store and the reader over HTTP, for a lab's
// instruments and case systems (a JSON API under /api) and for examiners (the page in
// web/, built into the binary).
//
//   ServeOptions options;
//   options.store_url = "sqlite:lab.db";
//   Service service(options);          // opens the store
//   int port = service.bind("127.0.0.1", 8443);
//   service.run();                      // until stop()
//
// Every route acts as the user of a bearer session (POST /api/login) and is held to the
// store's role rules; every request leaves an audit record (the store's own operation,
// or one record for a request refused before reaching one). The routes are listed by
// routes() and documented in docs/openapi.json (a test holds the two together).

#include "evidence/store.hpp"
#include "read/read.hpp"

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace microstamp {

struct ServeOptions {
    std::string store_url = "sqlite:evidence.db";
    // The store's clock and session limits (30 minutes idle, 12 hours in all) live here,
    // so tests can walk a session past them without waiting.
    StoreOptions store;
    // TLS (OpenSSL) when both are given: PEM certificate chain and private key.
    std::filesystem::path certificate_file, private_key_file;
    // Request bodies: a scan upload may be this large (x3p scans run to tens of MB)...
    std::size_t max_scan_bytes = 64u << 20;
    // ...and may declare this many heights or pixels: 4096 x 4096 holds a 1.8 mm
    // firing-pin impression at 0.5 um, the finest spacing labs scan at. Deflate packs a
    // gigabyte of zeros into a megabyte, so the byte limit alone bounds nothing.
    std::uint64_t max_scan_points = 4096u * 4096u;
    // ...every other body this large, nested at most this deep.
    std::size_t max_json_bytes = 64u << 10;
    int max_json_depth = 32;
    // Worker threads: httplib gives each open connection a thread for as long as it is
    // kept alive, so there must be more threads than busy clients or a newcomer waits.
    int threads = 64;
    int read_timeout_seconds = 5;
    // Store connections: SQLite writes one at a time anyway, so one connection queued
    // on a lock beats several retrying; PostgreSQL serves several at once.
    int sqlite_connections = 1;
    int postgresql_connections = 8;
    // Defaults for reading uploaded scans; photographs also need um_per_px per upload.
    ReadOptions read;
};

// One route as registered: method and path template ("/api/cases/{agency}/{case}").
struct Route {
    std::string method;
    std::string path;
};

class Service {
public:
    explicit Service(ServeOptions options);
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;
    ~Service();

    // Binds the listening socket; port 0 takes any free port. Returns the port.
    // Throws StoreError-free InputError when the address cannot be bound.
    int bind(const std::string& host, int port);
    // Serves until stop() (from another thread or a signal handler's thread).
    void run();
    void stop();
    bool uses_tls() const;

    // Every route the server answers, for the OpenAPI check and the docs.
    const std::vector<Route>& routes() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace microstamp
