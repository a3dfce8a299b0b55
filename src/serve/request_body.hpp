#pragma once
// A request body read by the route as it arrives, instead of buffered whole by
// cpp-httplib first. A scan upload's bytes go straight into the vector the store keeps
// (no string to copy from), and a route can check the session before reading anything,
// so an unknown or refused client never has its body held in memory.

#include <httplib.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace microstamp::serve {

// A multipart upload: text fields and at most one file, the scan.
struct UploadForm {
    std::map<std::string, std::string> fields;
    bool has_scan = false;
    std::string scan_file_name;
    std::vector<std::uint8_t> scan;

    // A text field, or `fallback` when the form has none of that name.
    std::string text(const std::string& name, const std::string& fallback = "") const;
};

class RequestBody {
public:
    RequestBody(const httplib::ContentReader& reader, const httplib::Request& request, httplib::Response& response)
        : reader_(reader), request_(request), response_(response) {}

    // The whole body as text. Throws HttpError 413 beyond `max_bytes`, 400 when it is
    // cut short or its chunked encoding is broken.
    std::string text(std::size_t max_bytes);
    // The body as a multipart form whose one file field is `scan`, of at most
    // `max_scan_bytes`; text fields hold at most `max_field_bytes` each. Throws HttpError
    // 400 (malformed, a text field sent as a file or a second scan), 413 (too large) or
    // 415 (not multipart/form-data; nothing is read then).
    UploadForm form(std::size_t max_scan_bytes, std::size_t max_field_bytes);
    // Reads what the route has not and drops it, so that the connection can carry the
    // answer and a next request. False when that failed and the connection must close.
    bool discard();

    // Whether the body was read to its end, by the route or by discard().
    bool complete() const { return complete_; }

private:
    // The status to answer a failed read with: httplib's 413 for a body over its limit,
    // otherwise 400.
    int failed_read_status() const;

    const httplib::ContentReader& reader_;
    const httplib::Request& request_;
    httplib::Response& response_;
    bool started_ = false;
    bool complete_ = false;
};

} // namespace microstamp::serve
