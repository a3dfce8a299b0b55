#pragma once
// Bytes over a plain loopback socket, for requests no HTTP library would send.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

namespace microstamp::testing {

// A whole response has arrived: headers and as many body bytes as Content-Length says.
inline bool response_complete(const std::string& reply) {
    const std::size_t end = reply.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    const std::size_t field = reply.find("Content-Length: ");
    if (field == std::string::npos || field > end) return false;
    const std::size_t length = std::strtoul(reply.c_str() + field + 16, nullptr, 10);
    return reply.size() >= end + 4 + length;
}

// Connects to the loopback port and sends `request` (as much as the server takes);
// `half_close` then shuts the sending side. Returns the socket, or -1.
inline int raw_connect_and_send(int port, const std::string& request, bool half_close) {
    const int socket_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (socket_fd < 0) return -1;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(socket_fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        ::close(socket_fd);
        return -1;
    }
    std::size_t sent = 0;
    while (sent < request.size()) {
        const ssize_t wrote = ::send(socket_fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (wrote <= 0) break;
        sent += static_cast<std::size_t>(wrote);
    }
    if (half_close) ::shutdown(socket_fd, SHUT_WR);
    return socket_fd;
}

// Reads into `reply` until `complete(reply)`, the server closes or `timeout` passes.
// Returns whether the server closed the connection.
template <typename Complete>
bool raw_read(int socket_fd, std::string& reply, std::chrono::milliseconds timeout, Complete&& complete) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buffer[4096];
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd ready{socket_fd, POLLIN, 0};
        if (::poll(&ready, 1, static_cast<int>(left.count())) <= 0) return false;
        const ssize_t got = ::recv(socket_fd, buffer, sizeof buffer, 0);
        if (got <= 0) return true;
        reply.append(buffer, static_cast<std::size_t>(got));
        if (complete(reply)) return false;
    }
}

// Sends `request`, then reads until a whole response has arrived, the server closes or
// `timeout` passes. Returns what came back ("" if nothing).
inline std::string raw_exchange(int port, const std::string& request,
                                std::chrono::milliseconds timeout = std::chrono::milliseconds(3000),
                                bool half_close = true) {
    const int socket_fd = raw_connect_and_send(port, request, half_close);
    std::string reply;
    if (socket_fd < 0) return reply;
    raw_read(socket_fd, reply, timeout, response_complete);
    ::close(socket_fd);
    return reply;
}

struct RawReply {
    std::string bytes;
    bool closed_by_server = false;  // before the timeout
};

// Sends `request` and keeps the connection open from this side, reading until the
// server closes it or `timeout` passes.
inline RawReply raw_exchange_until_closed(int port, const std::string& request, std::chrono::milliseconds timeout) {
    RawReply reply;
    const int socket_fd = raw_connect_and_send(port, request, false);
    if (socket_fd < 0) return reply;
    reply.closed_by_server = raw_read(socket_fd, reply.bytes, timeout, [](const std::string&) { return false; });
    ::close(socket_fd);
    return reply;
}

// The status code of a raw reply, or 0.
inline int raw_status(const std::string& reply) {
    if (!reply.starts_with("HTTP/1.1 ") || reply.size() < 12) return 0;
    return std::stoi(reply.substr(9, 3));
}

} // namespace microstamp::testing
