// Test-only HTTP/1.1 over loopback TCP: a tiny server that records requests (an OTLP receiver,
// a fake collector) and a tiny plain-HTTP Transport (until the real HTTPS transport is merged).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cloudcix_drivers/ports/transport.hpp"

namespace ccx_test {

struct HttpExchange {
    std::string method;
    std::string target;
    cloudcix::drivers::Headers headers;
    std::string body;
    std::string header(std::string_view name) const;
};

class LoopbackHttpServer {
public:
    // Answers (status, body); the default answers 200 "{}" (an OTLP collector's partial success).
    using Handler = std::function<std::pair<int, std::string>(const HttpExchange&)>;
    explicit LoopbackHttpServer(Handler handler = {});
    ~LoopbackHttpServer();
    LoopbackHttpServer(const LoopbackHttpServer&) = delete;
    LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

    std::uint16_t port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::vector<HttpExchange> requests() const;
    // Waits until at least n requests arrived.
    bool wait_for(std::size_t n, std::chrono::milliseconds timeout) const;

private:
    void serve();
    void answer(int fd);
    Handler handler_;
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;
    mutable std::condition_variable arrived_;
    std::vector<HttpExchange> requests_;
    std::thread thread_;
};

// http://host:port/path only; one connection per request (Connection: close).
class PlainHttpTransport : public cloudcix::drivers::Transport {
public:
    cloudcix::drivers::HttpResponse send(const cloudcix::drivers::HttpRequest& request) override;
};

// A free loopback TCP port (bound then released).
std::uint16_t free_port();

}  // namespace ccx_test
