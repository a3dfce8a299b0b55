#include "serve/request_body.hpp"

#include "serve/http_input.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

namespace microstamp::serve {
namespace {

// The declared length, when there is a plain one: room to reserve for the scan.
std::size_t declared_length(const httplib::Request& request) {
    const std::string declared = request.get_header_value("Content-Length");
    std::size_t length = 0;
    std::from_chars(declared.data(), declared.data() + declared.size(), length);
    return length;
}

} // namespace

std::string UploadForm::text(const std::string& name, const std::string& fallback) const {
    const auto found = fields.find(name);
    return found == fields.end() ? fallback : found->second;
}

int RequestBody::failed_read_status() const { return response_.status == 413 ? 413 : 400; }

std::string RequestBody::text(std::size_t max_bytes) {
    // The other half of form()'s refusal: a multipart body reaches httplib's multipart
    // reader, which a plain read leaves empty (std::bad_function_call).
    if (request_.is_multipart_form_data())
        throw HttpError(415, "this route takes a JSON body, not multipart/form-data");
    started_ = true;
    std::string body;
    bool too_long = false;
    complete_ = reader_([&](const char* data, std::size_t size) {
        too_long = body.size() + size > max_bytes;
        if (!too_long) body.append(data, size);
        return !too_long;
    });
    if (too_long) throw HttpError(413, "the body is over the " + std::to_string(max_bytes) + " bytes this route accepts");
    if (!complete_) throw HttpError(failed_read_status(), "the body is cut short or its chunked encoding is broken");
    return body;
}

UploadForm RequestBody::form(std::size_t max_scan_bytes, std::size_t max_field_bytes) {
    // httplib has no multipart reader for another content type (calling it throws
    // std::bad_function_call): such a body is the client's error, said as one.
    if (!request_.is_multipart_form_data())
        throw HttpError(415, "the body must be multipart/form-data with a boundary");
    started_ = true;
    UploadForm form;
    std::string* field = nullptr;  // the text field being read, or none while the scan is
    // A refused form is still read to its end, its parts dropped, so the answer reaches a
    // client that sends the whole body before reading; only one too large is cut short.
    std::optional<HttpError> refusal;
    const auto refuse = [&](int status, const std::string& message) {
        if (!refusal) refusal.emplace(status, message);
        return status != 413;
    };
    complete_ = reader_(
        [&](const httplib::MultipartFormData& part) {
            if (refusal) return true;
            if (part.name == "scan" && !part.filename.empty()) {
                if (form.has_scan) return refuse(400, "the form has more than one file field 'scan'");
                form.has_scan = true;
                form.scan_file_name = part.filename;
                form.scan.reserve(std::min(declared_length(request_), max_scan_bytes));
                field = nullptr;
                return true;
            }
            if (!part.filename.empty())
                return refuse(400, "form field '" + printable(part.name, 100) + "' must be text, not a file");
            field = &form.fields[part.name];
            field->clear();
            return true;
        },
        [&](const char* data, std::size_t size) {
            if (refusal) return true;
            if (field == nullptr) {
                if (form.scan.size() + size > max_scan_bytes)
                    return refuse(413, "the scan is over the " + std::to_string(max_scan_bytes) + " bytes an upload may hold");
                form.scan.insert(form.scan.end(), data, data + size);
                return true;
            }
            if (field->size() + size > max_field_bytes)
                return refuse(413, "a form field is over the " + std::to_string(max_field_bytes) + " bytes it may hold");
            field->append(data, size);
            return true;
        });
    if (refusal) throw *refusal;
    if (!complete_)
        throw HttpError(failed_read_status(), failed_read_status() == 413
                                                  ? "the body is over the bytes this route accepts"
                                                  : "the multipart body is malformed or cut short");
    return form;
}

bool RequestBody::discard() {
    if (started_) return complete_;
    started_ = true;
    const auto drop = [](const char*, std::size_t) { return true; };
    complete_ = request_.is_multipart_form_data()
                    ? reader_([](const httplib::MultipartFormData&) { return true; }, drop)
                    : reader_(drop);
    return complete_;
}

} // namespace microstamp::serve
