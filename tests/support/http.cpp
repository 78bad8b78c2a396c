#include "support/http.hpp"

#include <cctype>
#include <stdexcept>

#include <sys/socket.h>
#include <unistd.h>

#include "obs/socket.hpp"

namespace ccx_test {
namespace net = cloudcix::drivers::net;
using cloudcix::drivers::HttpRequest;
using cloudcix::drivers::HttpResponse;

namespace {

bool same(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    return true;
}

// Reads a head (up to the blank line) and the body it announces; false on EOF/timeout.
bool read_message(int fd, std::string& head, std::string& body, bool until_eof, std::chrono::milliseconds timeout) {
    std::string data;
    char buf[8192];
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto more = [&]() {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !net::wait_readable(fd, left)) return -1;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n > 0) data.append(buf, static_cast<std::size_t>(n));
        return static_cast<int>(n);
    };
    std::size_t end;
    while ((end = data.find("\r\n\r\n")) == std::string::npos)
        if (more() <= 0) return false;
    head = data.substr(0, end);
    std::string rest = data.substr(end + 4);
    data = rest;
    std::size_t length = std::string::npos;
    bool chunked = false;
    std::size_t pos = head.find("\r\n");
    while (pos != std::string::npos) {
        std::size_t next = head.find("\r\n", pos + 2);
        std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
        auto colon = line.find(':');
        if (colon != std::string::npos) {
            std::string name = line.substr(0, colon), value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            if (same(name, "content-length")) length = std::stoul(value);
            if (same(name, "transfer-encoding") && value.find("chunked") != std::string::npos) chunked = true;
        }
        pos = next;
    }
    if (chunked) {
        std::string decoded;
        std::size_t at = 0;
        while (true) {
            std::size_t eol;
            while ((eol = data.find("\r\n", at)) == std::string::npos)
                if (more() <= 0) return false;
            std::size_t size = std::stoul(data.substr(at, eol - at), nullptr, 16);
            while (data.size() < eol + 2 + size + 2)
                if (more() <= 0) return false;
            if (size == 0) break;
            decoded += data.substr(eol + 2, size);
            at = eol + 2 + size + 2;
        }
        body = decoded;
        return true;
    }
    if (length != std::string::npos) {
        while (data.size() < length)
            if (more() <= 0) return false;
        body = data.substr(0, length);
        return true;
    }
    if (until_eof)
        while (more() > 0) {
        }
    body = data;
    return true;
}

}  // namespace

std::string HttpExchange::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (same(k, name)) return v;
    return {};
}

LoopbackHttpServer::LoopbackHttpServer(Handler handler) : handler_(std::move(handler)) {
    std::string error;
    net::Fd fd = net::listen_tcp("127.0.0.1", 0, port_, error);
    if (!fd) throw std::runtime_error("loopback server: " + error);
    listener_ = fd.release();
    thread_ = std::thread([this] { serve(); });
}

LoopbackHttpServer::~LoopbackHttpServer() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    ::close(listener_);
}

void LoopbackHttpServer::serve() {
    while (!stopping_) {
        if (!net::wait_readable(listener_, std::chrono::milliseconds(50))) continue;
        net::Fd client(::accept(listener_, nullptr, nullptr));
        if (client) answer(client.get());
    }
}

void LoopbackHttpServer::answer(int fd) {
    HttpExchange ex;
    std::string head;
    if (!read_message(fd, head, ex.body, false, std::chrono::seconds(5))) return;
    std::string line = head.substr(0, head.find("\r\n"));
    ex.method = line.substr(0, line.find(' '));
    auto a = line.find(' ');
    ex.target = line.substr(a + 1, line.find(' ', a + 1) - a - 1);
    std::size_t pos = head.find("\r\n");
    while (pos != std::string::npos) {
        std::size_t next = head.find("\r\n", pos + 2);
        std::string h = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
        auto colon = h.find(':');
        if (colon != std::string::npos) {
            std::string value = h.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            ex.headers.emplace_back(h.substr(0, colon), value);
        }
        pos = next;
    }
    auto [status, body] = handler_ ? handler_(ex) : std::pair<int, std::string>{200, "{}"};
    // Recorded before the answer: a client that saw the answer finds its request in requests().
    {
        std::lock_guard lock(mutex_);
        requests_.push_back(std::move(ex));
    }
    arrived_.notify_all();
    std::string response = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    net::send_all(fd, response, std::chrono::seconds(5));
}

std::vector<HttpExchange> LoopbackHttpServer::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

bool LoopbackHttpServer::wait_for(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

HttpResponse PlainHttpTransport::send(const HttpRequest& request) {
    HttpResponse r;
    std::string_view url = request.url;
    if (!url.starts_with("http://")) {
        r.error = "only http:// URLs: " + request.url;
        r.sent = false;
        return r;
    }
    url.remove_prefix(7);
    std::string_view authority = url.substr(0, url.find('/'));
    std::string target = authority.size() < url.size() ? std::string(url.substr(authority.size())) : "/";
    std::string host;
    std::uint16_t port = 80;
    if (!net::split_host_port(authority, host, port)) host = std::string(authority);
    std::string error;
    net::Fd fd = net::connect_tcp(host, port, request.timeout, error);
    if (!fd) {
        r.error = error;
        r.sent = false;
        return r;
    }
    std::string msg = request.method + " " + target + " HTTP/1.1\r\nHost: " + std::string(authority) +
                      "\r\nConnection: close\r\nContent-Length: " + std::to_string(request.body.size()) + "\r\n";
    for (const auto& [k, v] : request.headers) msg += k + ": " + v + "\r\n";
    msg += "\r\n" + request.body;
    if (!net::send_all(fd.get(), msg, request.timeout)) {
        r.error = "send failed";
        return r;
    }
    std::string head, body;
    if (!read_message(fd.get(), head, body, true, request.timeout)) {
        r.error = "no response";
        return r;
    }
    std::string line = head.substr(0, head.find("\r\n"));
    auto sp = line.find(' ');
    r.status = sp == std::string::npos ? 0 : std::atoi(line.c_str() + sp + 1);
    std::size_t pos = head.find("\r\n");
    while (pos != std::string::npos) {
        std::size_t next = head.find("\r\n", pos + 2);
        std::string h = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
        auto colon = h.find(':');
        if (colon != std::string::npos) {
            std::string value = h.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            r.headers.emplace_back(h.substr(0, colon), value);
        }
        pos = next;
    }
    r.body = std::move(body);
    return r;
}

std::uint16_t free_port() {
    std::uint16_t port = 0;
    std::string error;
    net::Fd fd = net::listen_tcp("127.0.0.1", 0, port, error);
    if (!fd) throw std::runtime_error("free_port: " + error);
    return port;
}

}  // namespace ccx_test
