// GET /metrics over plain HTTP/1.1: one thread, one connection at a time (a scraper's load).
#include <atomic>
#include <stdexcept>
#include <thread>

#include <sys/socket.h>

#include "cloudcix_drivers/metrics.hpp"
#include "obs/socket.hpp"

namespace cloudcix::drivers {

struct MetricsServer::Impl {
    Render render;
    net::Fd listener;
    std::atomic<bool> stopping{false};
    std::atomic<std::size_t> scrapes{0};
    std::thread thread;

    void serve() {
        while (!stopping) {
            if (!net::wait_readable(listener.get(), std::chrono::milliseconds(100))) continue;
            net::Fd client(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
            if (!client) continue;
            answer(client.get());
        }
    }

    void answer(int fd) {
        std::string request;
        char buf[2048];
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (request.find("\r\n\r\n") == std::string::npos && request.size() < 16384) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !net::wait_readable(fd, left)) return;
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) return;
            request.append(buf, static_cast<std::size_t>(n));
        }
        std::string line = request.substr(0, request.find("\r\n"));
        std::string method = line.substr(0, line.find(' '));
        std::string target;
        if (auto a = line.find(' '); a != std::string::npos) target = line.substr(a + 1, line.find(' ', a + 1) - a - 1);
        std::string path = target.substr(0, target.find('?'));
        int status = 200;
        std::string body, type = "text/plain; version=0.0.4; charset=utf-8";
        if (path != "/metrics") {
            status = 404;
            body = "not found: try /metrics\n";
            type = "text/plain; charset=utf-8";
        } else if (method != "GET" && method != "HEAD") {
            status = 405;
            body = "method not allowed\n";
            type = "text/plain; charset=utf-8";
        } else {
            try {
                body = render();
            } catch (const std::exception& e) {
                status = 500;
                body = std::string("rendering failed: ") + e.what() + "\n";
            }
            ++scrapes;
        }
        std::string reason = status == 200 ? "OK" : status == 404 ? "Not Found" : status == 405 ? "Method Not Allowed" : "Error";
        std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Type: " + type +
                           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
        net::send_all(fd, head + (method == "HEAD" ? std::string() : body), std::chrono::seconds(5));
        ::shutdown(fd, SHUT_WR);
    }
};

MetricsServer::MetricsServer(Render render, std::string address, std::uint16_t port) : impl_(std::make_unique<Impl>()) {
    impl_->render = std::move(render);
    std::string error;
    impl_->listener = net::listen_tcp(address, port, port_, error);
    if (!impl_->listener) throw std::runtime_error("metrics server: " + error);
    impl_->thread = std::thread([impl = impl_.get()] { impl->serve(); });
}

MetricsServer::MetricsServer(const Metrics& metrics, std::string address, std::uint16_t port)
    : MetricsServer([&metrics] { return metrics.render(); }, std::move(address), port) {}

MetricsServer::~MetricsServer() { stop(); }

void MetricsServer::stop() {
    if (!impl_ || impl_->stopping.exchange(true)) return;
    if (impl_->thread.joinable()) impl_->thread.join();
    impl_->listener.reset();
}

std::size_t MetricsServer::scrapes() const { return impl_->scrapes.load(); }

}  // namespace cloudcix::drivers
