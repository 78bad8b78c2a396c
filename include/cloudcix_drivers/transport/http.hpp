// The production Transport: HTTP/1.1 over TCP or TLS (Boost.Beast + OpenSSL 3), synchronous with
// explicit deadlines, a keep-alive connection pool shared by all threads, and bounded retries.
// No Beast, Asio or OpenSSL type appears here: the implementation lives in src/transport/.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cloudcix_drivers/ports/transport.hpp"

namespace cloudcix::drivers {

class LogSink;

struct HttpOptions {
    // TLS. Verification (chain + host name) is on unless `insecure`; the trust anchors are
    // `ca_file`, else $CLOUDCIX_CA_FILE, else the system store.
    std::string ca_file;
    bool insecure = false;  // no verification at all; logs a warning on every new connection

    // Deadlines. One send() never outlives min(HttpRequest::timeout, total_timeout); each attempt
    // gets at most request_timeout of it, of which at most connect_timeout to connect (TCP + TLS).
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds request_timeout{30000};
    std::chrono::milliseconds total_timeout{60000};

    // Pool: idle connections kept per (scheme, host, port), and for how long.
    bool keep_alive = true;  // false: one connection per request (a baseline for benchmarks)
    std::size_t max_idle_per_endpoint = 16;
    std::chrono::milliseconds idle_timeout{30000};

    std::size_t max_body_bytes = 64u << 20;  // larger response bodies are refused
    std::size_t max_header_bytes = 64u << 10;

    // Retries: GET on connection errors and 502/503/504; any method when nothing was sent.
    int max_attempts = 4;  // first try included
    std::chrono::milliseconds backoff_base{50};
    std::chrono::milliseconds backoff_max{2000};

    std::string user_agent = "cloudcix-drivers";
    LogSink* log = nullptr;  // warnings (insecure connections, discarded connections); null: stderr
};

// Counters since construction (tests and benchmarks).
struct HttpStats {
    std::uint64_t requests = 0;             // requests written to a connection
    std::uint64_t connections_opened = 0;   // TCP connections established
    std::uint64_t tls_handshakes = 0;       // TLS handshakes completed
    std::uint64_t reused = 0;               // requests that went over a pooled connection
    std::uint64_t stale_discarded = 0;      // pooled connections found closed by the server
    std::uint64_t retries = 0;              // extra attempts made
};

// scheme://host[:port]/target, with IPv6 literals in brackets. Exposed for tests.
struct ParsedUrl {
    std::string scheme;  // "http" or "https"
    std::string host;    // without brackets: "::1", "127.0.0.1", "iaas.example.com"
    std::uint16_t port = 0;
    std::string target;  // "/path?query", at least "/"
    bool ipv6_literal = false;

    std::string host_header() const;  // "[::1]:8443" (the port only when not the default)
};
std::optional<ParsedUrl> parse_url(std::string_view url);

class HttpTransport : public Transport {
public:
    // Throws std::runtime_error when the trust anchors cannot be loaded (a bad CA file is a
    // configuration error, reported once, not on every request).
    explicit HttpTransport(HttpOptions options = {});
    ~HttpTransport() override;
    HttpTransport(const HttpTransport&) = delete;
    HttpTransport& operator=(const HttpTransport&) = delete;

    // Thread-safe. Never throws for network failures: status 0 and `error` naming method, host
    // and path; `sent` false when the request provably never reached the server.
    HttpResponse send(const HttpRequest& request) override;

    HttpStats stats() const;
    void close_idle();  // drops every pooled connection
    const HttpOptions& options() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

struct IaasSettings;

// The HTTP(S) transport for one IaaS region, as the CLI, the worker and the C API wire it:
// iaas_url and membership_url must both be http:// or https:// URLs (std::invalid_argument
// naming the one that is missing or not), each request's timeout is iaas.request_timeout, and
// the trust anchors follow `options` (std::runtime_error when they cannot be loaded).
std::unique_ptr<HttpTransport> make_iaas_transport(const IaasSettings& iaas, HttpOptions options = {});

}  // namespace cloudcix::drivers
