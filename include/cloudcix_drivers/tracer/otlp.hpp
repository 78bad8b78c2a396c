// OtlpTracer: the production Tracer. Finished spans go into a bounded queue; one exporter
// thread sends them in batches as OTLP/HTTP JSON (POST {endpoint}/v1/traces) through the
// Transport port, so a task never waits for the collector. What does not fit is dropped and
// counted, never blocked on.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cloudcix_drivers/ports/tracer.hpp"
#include "cloudcix_drivers/ports/transport.hpp"

namespace cloudcix::drivers {

struct OtlpOptions {
    // Collector base URL, e.g. "http://127.0.0.1:4318"; "/v1/traces" is appended. A URL that
    // already ends in "/v1/traces" is used as it is.
    std::string endpoint = "http://127.0.0.1:4318";
    Headers headers;                        // extra request headers (e.g. an authorization)
    std::string service_name = "cloudcix-drivers";
    // More resource attributes (service.version, service.instance.id, deployment.environment, ...).
    std::vector<std::pair<std::string, std::string>> resource_attributes;
    std::size_t max_queue = 4096;          // finished spans waiting; beyond it spans are dropped
    std::size_t max_batch = 512;           // spans per request
    std::chrono::milliseconds interval{1000};  // longest a finished span waits before a send
    std::chrono::milliseconds timeout{10000};  // per request
};

class OtlpTracer : public Tracer {
public:
    OtlpTracer(Transport& transport, OtlpOptions options);
    ~OtlpTracer() override;  // flushes what is queued (bounded by the request timeout), then stops
    OtlpTracer(const OtlpTracer&) = delete;
    OtlpTracer& operator=(const OtlpTracer&) = delete;

    std::unique_ptr<Span> start_span(std::string_view name, const SpanContext* parent) override;

    // Sends everything finished so far; true when all of it reached the collector (2xx) before
    // the timeout.
    bool flush(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Flushes and stops the exporter thread; spans ended afterwards are dropped. Idempotent.
    void shutdown();

    struct Stats {
        std::uint64_t ended = 0;     // spans finished
        std::uint64_t exported = 0;  // spans the collector accepted
        std::uint64_t dropped = 0;   // spans lost: queue full, after shutdown, or a failed send
        std::uint64_t requests = 0;  // export requests sent
        std::uint64_t failed_requests = 0;
        std::string last_error;      // of the last failed request
    };
    Stats stats() const;

    struct Impl;

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace cloudcix::drivers
