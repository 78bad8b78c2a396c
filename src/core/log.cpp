#include "cloudcix_drivers/log.hpp"

#include <algorithm>
#include <ctime>
#include <iomanip>
#include <set>
#include <shared_mutex>
#include <sstream>

namespace cloudcix::drivers {

std::string_view to_string(LogLevel l) noexcept {
    switch (l) {
        case LogLevel::debug: return "DEBUG";
        case LogLevel::info: return "INFO";
        case LogLevel::warning: return "WARNING";
        case LogLevel::error: return "ERROR";
    }
    return "INFO";
}

namespace secrets {
namespace {
std::shared_mutex& registry_mutex() {
    static std::shared_mutex m;
    return m;
}
// Kept longest first, so a secret that contains another one is hidden whole; sorted when
// remembered, not on every redact() (spans and log lines call it on the task's thread).
std::vector<std::string>& registry() {
    static std::vector<std::string> s;
    return s;
}
}  // namespace

void remember(std::string_view value) {
    if (value.size() < 4) return;
    std::unique_lock lock(registry_mutex());
    auto& r = registry();
    if (std::find(r.begin(), r.end(), value) != r.end()) return;
    r.emplace_back(value);
    std::stable_sort(r.begin(), r.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string redact(std::string_view text) {
    std::string out(text);
    std::shared_lock lock(registry_mutex());
    for (const auto& s : registry()) {
        for (std::size_t pos = out.find(s); pos != std::string::npos; pos = out.find(s, pos + 3))
            out.replace(pos, s.size(), "***");
    }
    return out;
}
}  // namespace secrets

StreamLogSink::StreamLogSink(std::ostream& out, LogLevel min) : out_(out), min_(min) {}

void StreamLogSink::write(const LogRecord& r) {
    if (r.level < min_) return;
    std::time_t t = std::chrono::system_clock::to_time_t(r.time);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::ostringstream line;
    line << std::put_time(&tm, "%Y-%m-%dT%H:%M:%SZ") << ' ' << to_string(r.level) << ' ' << r.logger << ": "
         << secrets::redact_fields(secrets::redact(r.message));
    if (!r.trace_id.empty()) line << " [trace " << r.trace_id << ']';
    std::lock_guard lock(mutex_);
    out_ << line.str() << '\n' << std::flush;
}

void MemoryLogSink::write(const LogRecord& record) {
    LogRecord r = record;
    r.message = secrets::redact_fields(secrets::redact(r.message));
    std::lock_guard lock(mutex_);
    records_.push_back(std::move(r));
}

std::vector<LogRecord> MemoryLogSink::records() const {
    std::lock_guard lock(mutex_);
    return records_;
}

std::string MemoryLogSink::text() const {
    std::lock_guard lock(mutex_);
    std::string all;
    for (const auto& r : records_) all.append(r.logger).append(": ").append(r.message).append("\n");
    return all;
}

}  // namespace cloudcix::drivers
