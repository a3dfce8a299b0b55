// The server around the routes: TLS, threads, body limits, security headers, and the
// audit record for every request the store did not already record.

#include "serve/service_state.hpp"

#include <charconv>

namespace microstamp {
namespace {

std::string status_text(int status) {
    switch (status) {
    case 400: return "bad request";
    case 404: return "no such route";
    case 405: return "method not allowed";
    case 408: return "request timed out";
    case 413: return "request body too large";
    case 414: return "request URI too long";
    case 415: return "unsupported media type";
    case 416: return "range not satisfiable";
    case 431: return "request headers too large";
    default: return fmt::format("HTTP status {}", status);
    }
}

} // namespace

Service::Service(ServeOptions options) : state_(std::make_unique<State>()) {
    state_->options = std::move(options);
    const bool postgresql = state_->options.store_url.starts_with("postgres");
    state_->stores = std::make_unique<serve::StorePool>(
        state_->options.store_url, state_->options.store,
        postgresql ? state_->options.postgresql_connections : state_->options.sqlite_connections);
    state_->logons = std::make_unique<serve::StorePool>(state_->options.store_url, state_->options.store, 2);
    const bool tls = !state_->options.certificate_file.empty() || !state_->options.private_key_file.empty();
    if (tls) {
        if (state_->options.certificate_file.empty() || state_->options.private_key_file.empty())
            throw InputError("TLS needs both a certificate (--cert) and its private key (--key)");
        for (const auto& file : {state_->options.certificate_file, state_->options.private_key_file})
            if (!std::filesystem::is_regular_file(file)) throw FileError(file.string() + ": no such file");
        auto secure = std::make_unique<httplib::SSLServer>(state_->options.certificate_file.c_str(),
                                                           state_->options.private_key_file.c_str());
        if (!secure->is_valid())
            throw FileError(state_->options.certificate_file.string() + ", " + state_->options.private_key_file.string() +
                            ": not a PEM certificate and matching private key");
        state_->server = std::move(secure);
    } else {
        state_->server = std::make_unique<httplib::Server>();
    }
    state_->configure_server();
    state_->register_routes();
}

Service::~Service() = default;

int Service::bind(const std::string& host, int port) {
    const int bound = port == 0 ? state_->server->bind_to_any_port(host)
                                : (state_->server->bind_to_port(host, port) ? port : -1);
    if (bound <= 0) throw InputError(fmt::format("cannot listen on {}:{} (in use, or not an address of this machine)", host, port));
    return bound;
}

void Service::run() { state_->server->listen_after_bind(); }
void Service::stop() { state_->server->stop(); }
bool Service::uses_tls() const { return !state_->options.certificate_file.empty(); }
const std::vector<Route>& Service::routes() const { return state_->routes; }

void Service::State::configure_server() {
    const int threads = std::max(1, options.threads);
    server->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
    // Headers and body go out in separate writes; without this, Nagle's algorithm and the
    // client's delayed ACK hold every response back ~40 ms.
    server->set_tcp_nodelay(true);
    server->set_read_timeout(options.read_timeout_seconds, 0);
    server->set_write_timeout(options.read_timeout_seconds, 0);
    server->set_keep_alive_timeout(options.read_timeout_seconds);
    // Connections are handed back after this many requests, so no client keeps a thread for good.
    server->set_keep_alive_max_count(1000);
    // Chunked bodies have no length up front; httplib stops reading them here.
    server->set_payload_max_length(options.max_scan_bytes + options.max_json_bytes);
    server->set_default_headers({{"X-Content-Type-Options", "nosniff"},
                                 {"X-Frame-Options", "DENY"},
                                 {"Referrer-Policy", "no-referrer"},
                                 {"Cache-Control", "no-store"},
                                 {"Content-Security-Policy",
                                  "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'"}});
    // A declared length over the route's limit is refused before the body is read, and
    // the connection closed, since the body may follow. A client that asked to send it
    // only after "100 Continue" is refused instead of being invited to send it.
    const auto refuse_declared_oversize = [this](const httplib::Request& request, httplib::Response& response) {
        const bool upload = request.method == "POST" && request.path.ends_with("/exhibits");
        const std::size_t limit = upload ? options.max_scan_bytes : options.max_json_bytes;
        const std::string declared = request.get_header_value("Content-Length");
        std::size_t length = 0;
        const auto [end, error] = std::from_chars(declared.data(), declared.data() + declared.size(), length);
        const bool too_long = !declared.empty() && (error != std::errc{} || end != declared.data() + declared.size() ||
                                                    length > limit);
        if (too_long) serve::answer_and_close(response, 413, fmt::format("the body is over the {} bytes this route accepts", limit));
        return too_long;
    };
    server->set_pre_routing_handler([refuse_declared_oversize](const httplib::Request& request, httplib::Response& response) {
        return refuse_declared_oversize(request, response) ? httplib::Server::HandlerResponse::Handled
                                                           : httplib::Server::HandlerResponse::Unhandled;
    });
    server->set_expect_100_continue_handler(
        [refuse_declared_oversize](const httplib::Request& request, httplib::Response& response) {
            return refuse_declared_oversize(request, response) ? response.status : 100;
        });
    // httplib's own refusals (a malformed request, no such route) come without a body.
    server->set_error_handler([](const httplib::Request&, httplib::Response& response) {
        if (!response.has_header("Content-Type"))
            send_json(response, {{"error", status_text(response.status)}}, response.status);
    });
    server->set_exception_handler([](const httplib::Request&, httplib::Response& response, std::exception_ptr) {
        send_json(response, {{"error", "internal error"}}, 500);
    });
    // httplib calls this for every response, routed or not (a malformed request's 400
    // too), just before writing it: the record is committed before the client hears back.
    server->set_post_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
        audit_unrecorded(request, response);
    });
}

} // namespace microstamp
