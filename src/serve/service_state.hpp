#pragma once
// Inside the service: the store connections, the per-request audit note and the
// route table, shared by service.cpp (server, sessions, audit) and routes.cpp (handlers).

#include "serve/service.hpp"

#include "code/identity.hpp"
#include "evidence/base64.hpp"
#include "evidence/errors.hpp"
#include "serve/http_input.hpp"
#include "serve/request_body.hpp"
#include "surface/surface.hpp"

#include <fmt/core.h>
#include <httplib.h>
#include <sodium.h>
#include <nlohmann/json.hpp>

#include <condition_variable>
#include <functional>
#include <mutex>

namespace microstamp::serve {
// ---- audit bookkeeping ----------------------------------------------------------------------
// httplib handles a request on one thread from routing to its logger, so a thread-local
// note says whether the store already audited this request (its own operation, or a
// refused session); the logger audits every request that reached neither.
struct RequestAudit {
    bool recorded = false;
    std::string user = "-";
    std::string role = "-";
};
inline thread_local RequestAudit request_audit;

inline std::string outcome_for(int status) {
    if (status < 400) return "success";
    if (status == 401 || status == 403) return "refused";
    return "failure";
}

// ---- store connections ------------------------------------------------------------------------
// A Store is one connection and is used by one thread at a time; a request leases one.
class StorePool {
public:
    StorePool(const std::string& url, const StoreOptions& options, int size) {
        for (int i = 0; i < std::max(1, size); ++i) idle_.push_back(std::make_unique<Store>(Store::open(url, options)));
    }

    class Lease {
    public:
        Lease(StorePool& pool, std::unique_ptr<Store> store) : pool_(pool), store_(std::move(store)) {}
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() { pool_.give_back(std::move(store_)); }
        Store& store() { return *store_; }

    private:
        StorePool& pool_;
        std::unique_ptr<Store> store_;
    };

    Lease acquire() {
        std::unique_lock lock(mutex_);
        available_.wait(lock, [&] { return !idle_.empty(); });
        std::unique_ptr<Store> store = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(store));
    }

private:
    void give_back(std::unique_ptr<Store> store) {
        {
            std::lock_guard lock(mutex_);
            idle_.push_back(std::move(store));
        }
        available_.notify_one();
    }

    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<Store>> idle_;
};

// ---- small helpers ------------------------------------------------------------------------------

// An error answer after which the connection ends: for a request whose body was not read
// (or not to its end), since what follows cannot be trusted to start a request.
// httplib 0.11 ends a connection after a response only when the client asked it to or a
// write fails; a "Connection: close" header alone leaves it open. So this answer's body
// comes from a provider that writes it whole and then reports failure: the client gets
// the complete response, and httplib closes the connection.
inline void answer_and_close(httplib::Response& response, int status, const std::string& message) {
    response.status = status;
    response.body.clear();
    response.headers.erase("Content-Type");
    response.set_header("Connection", "close");
    auto body = std::make_shared<const std::string>(nlohmann::json{{"error", message}}.dump());
    response.set_content_provider(body->size(), "application/json",
                                  [body](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                                      sink.write(body->data() + offset, body->size() - offset);
                                      return false;
                                  });
}

inline void require_session_token(const httplib::Request& request) {
    if (bearer_token(request.get_header_value("Authorization")).empty())
        throw HttpError(401, "log on first (POST /api/login) and send the token as Authorization: Bearer TOKEN");
}

inline void send_json_text(httplib::Response& response, const std::string& json_text, int status = 200) {
    response.status = status;
    response.set_content(json_text, "application/json");
}

inline void send_json(httplib::Response& response, const nlohmann::json& body, int status = 200) {
    send_json_text(response, body.dump(), status);
}

using microstamp::base64;

// `object` as JSON text with one more member, `key`, holding `bytes` in base64. The
// digits need no escaping, so they are appended as they are rather than through the
// serializer, which escapes character by character (0.45 ms for an overlay's 170 KB).
inline std::string json_with_base64_member(const nlohmann::json& object, const std::string& key,
                                           const std::vector<std::uint8_t>& bytes) {
    if (!object.is_object() || object.contains(key)) throw std::logic_error("json_with_base64_member: not a new member");
    std::string text = object.dump();
    text.pop_back();  // the closing brace
    if (!object.empty()) text += ',';
    text += nlohmann::json(key).dump();
    text += ":\"";
    text += base64(bytes);
    text += "\"}";
    return text;
}

// The store says "unknown case ..." / "... has no item ..." / "no scan ..." for things
// that are not there: 404; other input errors are the caller's to fix: 400.
inline int status_for_input_error(std::string_view message) {
    if (message.starts_with("unknown case") || message.find(" has no item ") != std::string_view::npos ||
        message.starts_with("no scan "))
        return 404;
    return 400;
}

// "/api/cases/{agency}/{case}" -> "/api/cases/([^/]+)/([^/]+)"
inline std::string path_pattern(const std::string& path_template) {
    std::string pattern;
    for (std::size_t i = 0; i < path_template.size(); ++i) {
        const char c = path_template[i];
        if (c == '{') {
            i = path_template.find('}', i);
            pattern += "([^/]+)";
        } else if (c == '.') {
            pattern += "\\.";
        } else {
            pattern += c;
        }
    }
    return pattern;
}

inline ExhibitKey exhibit_key(const std::string& agency, const std::string& case_number, const std::string& item) {
    return {{agency, case_number}, item};
}

inline ExhibitKey exhibit_key_from(const nlohmann::json& body, const std::string& field) {
    const auto found = body.find(field);
    if (found == body.end() || !found->is_object())
        throw HttpError(400, "field '" + field + "' must be an object {agency_ori, case_number, item_number}");
    return exhibit_key(optional_text(*found, "agency_ori"), required_text(*found, "case_number"),
                       required_text(*found, "item_number"));
}

} // namespace microstamp::serve

namespace microstamp {

using serve::HttpError;
using serve::request_audit;
using serve::send_json;

struct Service::State {
    using StorePool = serve::StorePool;
    ServeOptions options;
    std::unique_ptr<StorePool> stores;
    // Logons run argon2id (tenths of a second, by design): they get their own connections so
    // they never hold up other requests.
    std::unique_ptr<StorePool> logons;
    std::unique_ptr<httplib::Server> server;
    std::vector<Route> routes;

    using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

    // Routes need a session unless `public_route`; one without a token is refused before
    // its input is looked at.
    void add(const std::string& method, const std::string& path, Handler handler, bool public_route = false) {
        routes.push_back({method, path});
        auto wrapped = [handler = std::move(handler), public_route](const httplib::Request& request,
                                                                    httplib::Response& response) {
            respond(request, response, [&](const httplib::Request& checked, httplib::Response& answer) {
                if (!public_route) serve::require_session_token(checked);
                handler(checked, answer);
            });
        };
        const std::string pattern = serve::path_pattern(path);
        if (method == "GET") server->Get(pattern, wrapped);
        else if (method == "POST") server->Post(pattern, wrapped);
        else throw std::logic_error("no such method " + method);
    }

    using BodyHandler = std::function<void(const httplib::Request&, httplib::Response&, serve::RequestBody&)>;

    // A POST route that reads its own body as it arrives (uploads). Refused before reading
    // it (no session, a role the store refuses), the body is dropped as it arrives, never
    // held; one that cannot be read to its end closes the connection.
    void add_reading_body(const std::string& path, BodyHandler handler) {
        routes.push_back({"POST", path});
        server->Post(serve::path_pattern(path), [handler = std::move(handler)](const httplib::Request& request,
                                                                               httplib::Response& response,
                                                                               const httplib::ContentReader& reader) {
            serve::RequestBody body(reader, request, response);
            respond(request, response, [&](const httplib::Request& checked, httplib::Response& answer) {
                serve::require_session_token(checked);
                handler(checked, answer, body);
            });
            if (!body.discard()) {
                const nlohmann::json said = nlohmann::json::parse(response.body, nullptr, false);
                const bool has_error = said.is_object() && said.contains("error") && said["error"].is_string();
                serve::answer_and_close(response, response.status >= 400 ? response.status : 400,
                                        has_error ? said["error"].get<std::string>() : "the body could not be read");
            }
        });
    }

    // Every handler's errors become one JSON line with the status that says why.
    static void respond(const httplib::Request& request, httplib::Response& response, const Handler& handler) {
        const auto fail = [&](int status, const std::string& message) { send_json(response, {{"error", message}}, status); };
        try {
            handler(request, response);
        } catch (const HttpError& error) {
            fail(error.status, error.what());
        } catch (const LogonError& error) {
            fail(401, error.what());
        } catch (const AccessError& error) {
            fail(403, error.what());
        } catch (const ConflictError& error) {
            fail(409, error.what());
        } catch (const StoreError&) {
            fail(503, "the evidence store is unavailable; try again, and tell the administrator if it persists");
        } catch (const InputError& error) {
            fail(serve::status_for_input_error(error.what()), error.what());
        } catch (const FileError& error) {
            fail(400, error.what());
        } catch (const std::exception&) {
            fail(500, "internal error");
        }
    }

    // Runs `work(store, session)` as the bearer of the request's session. The store
    // audits a refused session, and `work` is expected to call one store operation,
    // which audits itself; pass audited = false when it calls none.
    template <typename Work>
    auto as_user(const httplib::Request& request, Work&& work, bool audited = true) {
        serve::require_session_token(request);
        const std::string token = serve::bearer_token(request.get_header_value("Authorization"));
        auto lease = stores->acquire();
        request_audit.recorded = true;
        const Session session = lease.store().resume_session(token);
        request_audit.user = session.user();
        request_audit.role = std::string(role_name(session.role()));
        request_audit.recorded = audited;
        return work(lease.store(), session);
    }

    nlohmann::json json_body(const httplib::Request& request) const {
        return serve::parse_json_object(request.body, request.get_header_value("Content-Type"), options.max_json_bytes,
                                        options.max_json_depth);
    }

    void audit_unrecorded(const httplib::Request& request, const httplib::Response& response) {
        if (!request_audit.recorded) {
            try {
                auto lease = stores->acquire();
                lease.store().record_event(request_audit.user, request_audit.role, "http.request",
                                           serve::printable(request.method, 16) + " " + serve::printable(request.path, 200),
                                           serve::outcome_for(response.status),
                                           fmt::format("HTTP {} from {}", response.status, serve::printable(request.remote_addr, 64)));
            } catch (const std::exception&) {
                // The response is already sent; a store that cannot take the record
                // refuses the next request's operation too, and that one is answered 503.
            }
        }
        request_audit = {};
    }

    void register_routes();
    void configure_server();
};


} // namespace microstamp
