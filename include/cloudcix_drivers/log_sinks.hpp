// Structured log sinks: JSON lines to a stream or a file, streamed to Logstash over TCP, and a
// fan-out. Every sink redacts remembered secrets and secret-named fields (log.hpp) itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "cloudcix_drivers/log.hpp"

namespace cloudcix::drivers {

using LogFields = std::vector<std::pair<std::string, std::string>>;

// One record as one JSON object (no newline):
// {"time":"2026-11-27T21:30:00.123Z","level":"INFO","logger":"vm_kvm.build.task","message":"...",
//  "trace_id":"…","span_id":"…","driver":"vm_kvm","verb":"build","resource_id":1501, <fields>}
// Empty ids, driver and verb and a zero resource id are left out. The message is redacted.
std::string to_json_line(const LogRecord& record, const LogFields& fields = {});

// JSON lines to a stream (stderr by default) or appended to a file.
class JsonLogSink : public LogSink {
public:
    explicit JsonLogSink(std::ostream& out, LogLevel min = LogLevel::info, LogFields fields = {});
    // Appends to `path`; throws std::runtime_error when it cannot be opened.
    explicit JsonLogSink(const std::string& path, LogLevel min = LogLevel::info, LogFields fields = {});
    void write(const LogRecord& record) override;

private:
    std::unique_ptr<std::ofstream> file_;
    std::ostream& out_;
    LogLevel min_;
    LogFields fields_;
    std::mutex mutex_;
};

struct LogstashOptions {
    LogLevel min = LogLevel::info;
    LogFields fields{{"application", "robot"}};  // the seed's extra fields (add "region")
    std::size_t max_buffer = 10000;              // records waiting; beyond it records are dropped
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds send_timeout{5000};
    std::chrono::milliseconds min_backoff{100};  // between reconnection attempts, doubling
    std::chrono::milliseconds max_backoff{5000};
};

// Streams JSON lines (Logstash's tcp input with the json_lines codec) from one background
// thread: write() only queues, so a task never waits for Logstash. Reconnects with backoff; a
// batch whose send failed is sent again after the reconnect (at least once).
class LogstashSink : public LogSink {
public:
    LogstashSink(std::string host, std::uint16_t port, LogstashOptions options = {});
    ~LogstashSink() override;  // tries to deliver what is queued for up to send_timeout
    LogstashSink(const LogstashSink&) = delete;
    LogstashSink& operator=(const LogstashSink&) = delete;

    void write(const LogRecord& record) override;
    // Waits until everything queued so far was written to the socket; false on timeout.
    bool flush(std::chrono::milliseconds timeout);

    struct Stats {
        std::uint64_t sent = 0;        // records written to a socket
        std::uint64_t dropped = 0;     // records lost to a full buffer
        std::uint64_t connects = 0;    // successful connections
        std::string last_error;
    };
    Stats stats() const;

    struct Impl;

private:
    std::shared_ptr<Impl> impl_;
};

// Every record to every sink (e.g. text on stderr and JSON to Logstash).
class TeeLogSink : public LogSink {
public:
    TeeLogSink() = default;
    explicit TeeLogSink(std::vector<LogSink*> sinks) : sinks_(std::move(sinks)) {}
    void add(LogSink& sink) { sinks_.push_back(&sink); }
    void write(const LogRecord& record) override {
        for (auto* s : sinks_) s->write(record);
    }

private:
    std::vector<LogSink*> sinks_;
};

}  // namespace cloudcix::drivers
