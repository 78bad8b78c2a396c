// The library's logger: records go to a sink; secrets are redacted at the sink (second line of
// defence — the first is never putting them in a message).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace cloudcix::drivers {

enum class LogLevel { debug = 0, info = 1, warning = 2, error = 3 };
std::string_view to_string(LogLevel l) noexcept;

struct LogRecord {
    std::chrono::system_clock::time_point time;
    LogLevel level = LogLevel::info;
    std::string logger;  // "<driver>.<verb>[.task]", as in the seed
    std::string message;
    std::string trace_id;
    std::string span_id;
    std::string driver;
    std::string verb;
    long long resource_id = 0;
};

class LogSink {
public:
    virtual ~LogSink() = default;
    virtual void write(const LogRecord& record) = 0;
};

// One human-readable line per record to a stream (stderr by default), from `min` up.
class StreamLogSink : public LogSink {
public:
    explicit StreamLogSink(std::ostream& out, LogLevel min = LogLevel::info);
    void write(const LogRecord& record) override;

private:
    std::ostream& out_;
    LogLevel min_;
    std::mutex mutex_;
};

// Keeps every record in memory (tests, embedding).
class MemoryLogSink : public LogSink {
public:
    void write(const LogRecord& record) override;
    std::vector<LogRecord> records() const;
    std::string text() const;  // every message, one a line

private:
    mutable std::mutex mutex_;
    std::vector<LogRecord> records_;
};

// Process-wide register of secret values (API password and key, tokens, generated passwords,
// pre-shared keys). Every sink, span attribute and outcome message passes through redact().
namespace secrets {
void remember(std::string_view value);  // values shorter than 4 characters are ignored
std::string redact(std::string_view text);
// Hides the value of every `key: value` / `key=value` / `"key": "value"` whose key names a
// secret (password, token, secret, api_key, pre_shared_key, psk, private_key), remembered or
// not: the sinks' second line of defence when a message quotes a whole resource.
std::string redact_fields(std::string_view text);
}  // namespace secrets

}  // namespace cloudcix::drivers
