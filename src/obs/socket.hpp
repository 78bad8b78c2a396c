// Plain POSIX TCP for the observability endpoints (metrics server, Logstash client): small,
// blocking with deadlines, loopback-friendly. Internal to src/obs/.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace cloudcix::drivers::net {

// A socket that closes itself.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(Fd&& o) noexcept : fd_(o.release()) {}
    Fd& operator=(Fd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = o.release();
        }
        return *this;
    }
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    int release() {
        int f = fd_;
        fd_ = -1;
        return f;
    }
    void reset();

private:
    int fd_ = -1;
};

// Listening socket on address:port (port 0 picks one; `bound` gets it).
Fd listen_tcp(const std::string& address, std::uint16_t port, std::uint16_t& bound, std::string& error);
// Connected socket or an empty Fd with `error` set.
Fd connect_tcp(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout, std::string& error);
// Writes everything before the deadline; false on error or timeout.
bool send_all(int fd, std::string_view data, std::chrono::milliseconds timeout);
// Waits for the fd to become readable; false on timeout.
bool wait_readable(int fd, std::chrono::milliseconds timeout);
// "host:port" → parts; false when malformed. "[::1]:9" is accepted.
bool split_host_port(std::string_view text, std::string& host, std::uint16_t& port);

}  // namespace cloudcix::drivers::net
