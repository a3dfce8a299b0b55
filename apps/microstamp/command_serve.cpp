// `microstamp serve`: the evidence store and the reader over HTTP(S), with the
// examiner's page. Prints one JSON line on stdout once listening (the address, with the
// port actually bound when port 0 was asked), then serves until SIGINT or SIGTERM.

#include "commands.hpp"

#include "code/identity.hpp"
#include "serve/service.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <iostream>
#include <malloc.h>
#include <pthread.h>
#include <unistd.h>
#include <thread>

namespace microstamp::cli {
namespace {

struct ServeCommandOptions {
    std::string db = "sqlite:evidence.db";
    std::string listen = "127.0.0.1:8080";
    std::string certificate, private_key, signing_key;
    int threads = 64;
};

std::pair<std::string, int> parse_listen_address(const std::string& address) {
    const std::size_t colon = address.rfind(':');
    if (colon == std::string::npos || colon == 0)
        throw InputError("--listen '" + address + "' must be HOST:PORT, e.g. 127.0.0.1:8080 (port 0: any free port)");
    std::string host = address.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    int port = -1;
    try {
        std::size_t used = 0;
        port = std::stoi(address.substr(colon + 1), &used);
        if (used != address.size() - colon - 1) port = -1;
    } catch (const std::exception&) {
        port = -1;
    }
    if (port < 0 || port > 65535) throw InputError("--listen '" + address + "': the port must be 0 to 65535");
    return {host, port};
}

} // namespace

Command add_serve(CLI::App& app) {
    auto* command = app.add_subcommand("serve", "Serve the evidence store and the examiner's page over HTTP(S)");
    auto options = std::make_shared<ServeCommandOptions>();
    command->add_option("--db", options->db, "Store URL: sqlite:PATH (default sqlite:evidence.db) or postgresql://...");
    command->add_option("--listen", options->listen, "HOST:PORT to listen on (default 127.0.0.1:8080; port 0: any)");
    command->add_option("--cert", options->certificate, "TLS certificate chain (PEM); with --key, serve HTTPS");
    command->add_option("--key", options->private_key, "TLS private key (PEM)");
    command->add_option("--signing-key", options->signing_key,
                        "Audit signing key file (or MICROSTAMP_SIGNING_KEY_FILE; SQLite default: PATH.signing-key)");
    command->add_option("--threads", options->threads, "Worker threads, one per open connection (default 64)")->check(CLI::Range(1, 256));
    return {command, [options] {
                const auto [host, port] = parse_listen_address(options->listen);
                // The signals that stop the server are taken by one thread, so every
                // worker thread httplib starts inherits them blocked.
                sigset_t stop_signals;
                sigemptyset(&stop_signals);
                sigaddset(&stop_signals, SIGINT);
                sigaddset(&stop_signals, SIGTERM);
                pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
                // A client that hangs up mid-response must not end the process.
                std::signal(SIGPIPE, SIG_IGN);
                // An upload allocates and frees blocks of megabytes (the body, the scan's
                // bytes, its heights, the reader's images). By default glibc maps each such
                // block afresh and hands it back to the kernel when freed, so every request
                // faults its memory in again page by page, and each of up to 8 arenas a core
                // keeps its own: a quarter of an upload's CPU time (docs/serve.md). Blocks up
                // to 32 MiB (glibc's most) come from the heap instead, freed heap is kept,
                // and there is one arena a core, since no more threads run at once.
                mallopt(M_MMAP_THRESHOLD, 32 << 20);
                mallopt(M_TRIM_THRESHOLD, 1 << 30);
                mallopt(M_ARENA_MAX, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));

                ServeOptions serve_options;
                serve_options.store_url = options->db;
                serve_options.store.signing_key_file = options->signing_key;
                serve_options.certificate_file = options->certificate;
                serve_options.private_key_file = options->private_key;
                serve_options.threads = options->threads;
                Service service(serve_options);
                const int bound = service.bind(host, port);
                const std::string scheme = service.uses_tls() ? "https" : "http";
                const std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
                std::cout << nlohmann::json{{"listening", fmt::format("{}://{}:{}", scheme, shown_host, bound)},
                                            {"port", bound},
                                            {"tls", service.uses_tls()},
                                            {"store", options->db}}
                                 .dump()
                          << std::endl;
                fmt::print(stderr, "microstamp serve: listening on {}://{}:{} (Ctrl-C stops)\n", scheme, shown_host, bound);
                std::thread stopper([&service, stop_signals] {
                    int received = 0;
                    sigwait(&stop_signals, &received);
                    service.stop();
                });
                service.run();
                // run() returns after stop(), or on its own when listening failed: either
                // way the waiting thread takes this (process-wide, blocked everywhere else).
                kill(getpid(), SIGTERM);
                stopper.join();
            }};
}

} // namespace microstamp::cli
