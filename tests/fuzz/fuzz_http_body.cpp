// The service's request bodies on any bytes: a raw HTTP exchange (request line, headers,
// chunked or plain bodies, multipart uploads), parsed by cpp-httplib's server exactly as
// on a socket, and read by the service's RequestBody (uploads as they arrive, text
// bodies) and http_input (JSON objects within size and depth, numbers, bearer tokens)
// with the service's limits. The first byte sets how many bytes a socket read returns,
// so bodies arrive in pieces of every size. No request may crash the server or be
// answered 500.

#include "fuzz_support.hpp"
#include "serve/http_input.hpp"
#include "serve/request_body.hpp"

#include <httplib.h>

#include <algorithm>
#include <cstring>

namespace {

using microstamp::serve::HttpError;

// Limits as ServeOptions sets them, smaller for the scan so that the limit is reached.
constexpr std::size_t max_scan_bytes = 1u << 16;
constexpr std::size_t max_field_bytes = 1024;
constexpr std::size_t max_json_bytes = 64u << 10;
constexpr int max_json_depth = 32;

// A socket over bytes in memory: reads hand out at most `piece` bytes; writes vanish.
class MemoryStream : public httplib::Stream {
public:
    MemoryStream(const char* data, std::size_t size, std::size_t piece) : data_(data), size_(size), piece_(piece) {}
    bool is_readable() const override { return true; }
    bool is_writable() const override { return true; }
    ssize_t read(char* pointer, std::size_t size) override {
        const std::size_t count = std::min({size, piece_, size_ - position_});
        std::memcpy(pointer, data_ + position_, count);
        position_ += count;
        return static_cast<ssize_t>(count);
    }
    ssize_t write(const char*, std::size_t size) override { return static_cast<ssize_t>(size); }
    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        ip = "127.0.0.1";
        port = 40000;
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        ip = "127.0.0.1";
        port = 8080;
    }
    socket_t socket() const override { return INVALID_SOCKET; }
    bool exhausted() const { return position_ == size_; }

private:
    const char* data_;
    std::size_t size_;
    std::size_t piece_;
    std::size_t position_ = 0;
};

void answer(httplib::Response& response, int status) {
    response.status = status;
    response.set_content("{}", "application/json");
}

// The service's handlers' shape: a refusal is an HttpError with its status.
template <class Handle>
void respond(httplib::Response& response, Handle&& handle) {
    try {
        handle();
        answer(response, 200);
    } catch (const HttpError& error) {
        microstamp::fuzz::check_one_line(error.what());
        if (error.status < 400 || error.status > 499) microstamp::fuzz::finding("an HttpError outside 4xx");
        answer(response, error.status);
    }
}

class BodyServer : public httplib::Server {
public:
    BodyServer() {
        set_payload_max_length(max_scan_bytes + max_json_bytes);
        // An upload, read as it arrives.
        Post("/upload", [](const httplib::Request& request, httplib::Response& response,
                           const httplib::ContentReader& reader) {
            microstamp::serve::RequestBody body(reader, request, response);
            respond(response, [&] {
                const microstamp::serve::UploadForm form = body.form(max_scan_bytes, max_field_bytes);
                if (form.scan.size() > max_scan_bytes) microstamp::fuzz::finding("a scan over its limit was kept");
                for (const auto& [name, value] : form.fields)
                    if (value.size() > max_field_bytes) microstamp::fuzz::finding("a form field over its limit was kept");
                (void)form.text("item_number", "1");
            });
            (void)body.discard();
        });
        // A JSON body read by the route.
        Post("/json", [](const httplib::Request& request, httplib::Response& response,
                         const httplib::ContentReader& reader) {
            microstamp::serve::RequestBody body(reader, request, response);
            respond(response, [&] {
                const std::string text = body.text(max_json_bytes);
                const nlohmann::json object = microstamp::serve::parse_json_object(
                    text, request.get_header_value("Content-Type"), max_json_bytes, max_json_depth);
                (void)microstamp::serve::optional_text(object, "case_number");
                (void)microstamp::serve::optional_number(object, "um_per_px");
                (void)microstamp::serve::optional_flag(object, "identical", false);
                (void)microstamp::serve::required_text(object, "user");
            });
            (void)body.discard();
        });
        // A JSON body httplib reads whole first, as the service's plain routes take it.
        Post("/login", [](const httplib::Request& request, httplib::Response& response) {
            respond(response, [&] {
                const nlohmann::json object = microstamp::serve::parse_json_object(
                    request.body, request.get_header_value("Content-Type"), max_json_bytes, max_json_depth);
                (void)microstamp::serve::required_text(object, "password");
            });
        });
        // Query numbers and the session header.
        Get("/search", [](const httplib::Request& request, httplib::Response& response) {
            respond(response, [&] {
                (void)microstamp::serve::bearer_token(request.get_header_value("Authorization"));
                if (request.has_param("limit"))
                    (void)microstamp::serve::parse_number(request.get_param_value("limit"), "limit", 1, 1000);
            });
        });
        set_exception_handler([](const httplib::Request&, httplib::Response&, std::exception_ptr error) {
            try {
                std::rethrow_exception(error);
            } catch (const std::exception& escaped) {
                microstamp::fuzz::finding(std::string("an exception escaped a route: ") + escaped.what());
            }
        });
    }

    // One connection's requests, kept alive until the bytes end or the server closes it.
    void exchange(MemoryStream& stream) {
        for (int request = 0; request < 16 && !stream.exhausted(); ++request) {
            bool closed = false;
            process_request(stream, false, closed, [](httplib::Request&) {});
            if (closed) break;
        }
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static BodyServer server;
    const std::size_t piece = 1 + (static_cast<std::size_t>(data[0]) * 131) % 8192;
    MemoryStream stream(reinterpret_cast<const char*>(data + 1), size - 1, piece);
    server.exchange(stream);
    return 0;
}
