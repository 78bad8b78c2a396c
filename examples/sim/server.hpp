// cloudcix-iaas-sim as an object: an HTTP(S) server that answers the IaaS and Membership
// applications of spec §2 with IaasRegion::handle (the same contract code MemoryIaas uses).
// The executable (main.cpp) and the integration tests both use it. No Beast/Asio types here.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "cloudcix_drivers/testing.hpp"

namespace cloudcix::drivers::sim {

// Faults are spread evenly over the requests (deterministic): a ratio of 0.5 hits every other
// request, 0.25 every fourth. Each kind counts its own requests.
struct Faults {
    double fail_503 = 0;   // answer 503 instead of handling the request
    double reset = 0;      // read the request, then reset the connection without answering
    double truncate = 0;   // handle the request, then send only half of the response and close
    std::chrono::milliseconds latency{0};  // added before every answer
};

struct ServerOptions {
    std::string bind = "127.0.0.1";  // "::1" for IPv6 loopback
    std::uint16_t port = 0;          // 0: a free port (see Server::port())
    std::string cert_file;           // both set: HTTPS
    std::string key_file;
    std::string iaas_prefix = "/iaas/";
    std::string membership_prefix = "/membership/";
    std::string region_file;              // loaded at start, written back on stop; empty: the demo region, not saved
    std::chrono::seconds save_every{0};   // also write the file this often when something changed (0: only on stop)
    std::chrono::seconds token_lifetime{0};        // 0: tokens never expire
    std::chrono::milliseconds idle_timeout{30000};  // close keep-alive connections idle this long
    int threads = 2;
    bool chunked = false;  // send bodies with Transfer-Encoding: chunked instead of Content-Length
    Faults faults;
    std::ostream* log = nullptr;  // one line per request; null: silent
};

struct ServerStats {
    std::uint64_t connections = 0;   // accepted TCP connections
    std::uint64_t active = 0;        // open right now
    std::uint64_t tls_handshakes = 0;
    std::uint64_t requests = 0;      // HTTP requests read (the stats endpoint excluded)
    std::uint64_t failed_503 = 0;
    std::uint64_t resets = 0;
    std::uint64_t truncated = 0;
    std::uint64_t idle_closed = 0;   // connections the server closed for idleness
    std::uint64_t saves = 0;         // region file writes
};

class Server {
public:
    // Loads the region, binds, starts serving. Throws std::runtime_error with a clear message.
    explicit Server(ServerOptions options);
    ~Server();  // stop()
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    std::uint16_t port() const;
    std::string base_url() const;        // "https://127.0.0.1:PORT"
    std::string iaas_url() const;        // base_url() + iaas prefix
    std::string membership_url() const;  // base_url() + membership prefix
    IaasRegion& region();
    ServerStats stats() const;
    void set_faults(const Faults& faults);

    // Writes the region file now (atomically: a temporary file renamed over it). False with a
    // message when there is no file or it cannot be written.
    bool save(std::string* error = nullptr);
    // Stops accepting, closes every connection, joins the threads, saves the region file.
    void stop();

    struct Impl;  // defined in server.cpp (its sessions use it)

private:
    std::unique_ptr<Impl> impl_;
};

// The region file as the simulator writes it: one table a line, one object a line.
std::string format_region(const boost::json::object& region);

}  // namespace cloudcix::drivers::sim
