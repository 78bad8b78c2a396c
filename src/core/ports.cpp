// Small shared pieces of the port vocabulary: header lookup, the system clock, trace context,
// the global lock order.
#include <algorithm>
#include <array>
#include <cctype>
#include <random>
#include <thread>

#include "cloudcix_drivers/ports/clock.hpp"
#include "cloudcix_drivers/ports/lock.hpp"
#include "cloudcix_drivers/ports/tracer.hpp"
#include "cloudcix_drivers/ports/transport.hpp"

namespace cloudcix::drivers {

std::string HttpResponse::header(std::string_view name) const {
    auto same = [&](const std::string& h) {
        return h.size() == name.size() &&
               std::equal(h.begin(), h.end(), name.begin(), [](char a, char b) {
                   return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
               });
    };
    for (const auto& [k, v] : headers)
        if (same(k)) return v;
    return {};
}

namespace {
class SystemClock final : public Clock {
public:
    std::chrono::steady_clock::time_point now() override { return std::chrono::steady_clock::now(); }
    std::chrono::system_clock::time_point wall() override { return std::chrono::system_clock::now(); }
    void sleep_for(std::chrono::nanoseconds d) override { std::this_thread::sleep_for(d); }
};

std::string random_hex(std::size_t digits) {
    thread_local std::mt19937_64 rng{std::random_device{}() ^
                                     static_cast<std::uint64_t>(std::hash<std::thread::id>{}(std::this_thread::get_id()))};
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s(digits, '0');
    do {
        std::uint64_t bits = 0;
        for (std::size_t i = 0; i < digits; ++i) {
            if (i % 16 == 0) bits = rng();  // 16 hex digits per draw
            s[i] = kHex[bits & 0xF];
            bits >>= 4;
        }
    } while (s.find_first_not_of('0') == std::string::npos);  // all-zero ids are invalid
    return s;
}

bool is_lower_hex(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }) &&
           s.find_first_not_of('0') != std::string_view::npos;
}

int key_rank(std::string_view key) {
    static constexpr std::array<std::string_view, 6> kOrder{"project", "vm", "host", "podnet", "ceph", "backup_repo"};
    auto prefix = key.substr(0, key.find(':'));
    for (std::size_t i = 0; i < kOrder.size(); ++i)
        if (prefix == kOrder[i]) return static_cast<int>(i);
    return static_cast<int>(kOrder.size());
}
}  // namespace

Clock& system_clock() {
    static SystemClock clock;
    return clock;
}

std::string SpanContext::traceparent() const {
    if (!valid()) return {};
    return "00-" + trace_id + "-" + span_id + "-01";
}

SpanContext SpanContext::from_traceparent(std::string_view h) {
    // version(2)-trace(32)-span(16)-flags(2)
    if (h.size() < 55 || h[2] != '-' || h[35] != '-' || h[52] != '-') return {};
    auto version = h.substr(0, 2), trace = h.substr(3, 32), span = h.substr(36, 16);
    if (version == "ff" || !is_lower_hex(trace) || !is_lower_hex(span)) return {};
    return SpanContext{std::string(trace), std::string(span)};
}

SpanContext SpanContext::generate(std::string_view trace_id) {
    SpanContext c;
    c.trace_id = trace_id.size() == 32 ? std::string(trace_id) : random_hex(32);
    c.span_id = random_hex(16);
    return c;
}

namespace {
thread_local Tracer* t_active_tracer = nullptr;
thread_local const SpanContext* t_active_context = nullptr;
const SpanContext kNoContext{};
}  // namespace

ActiveSpan::ActiveSpan(Tracer* tracer, const SpanContext& context) noexcept
    : previous_tracer_(t_active_tracer), previous_context_(t_active_context), context_(context) {
    t_active_tracer = tracer;
    t_active_context = &context_;
}

ActiveSpan::~ActiveSpan() {
    t_active_tracer = previous_tracer_;
    t_active_context = previous_context_;
}

std::unique_ptr<Span> ActiveSpan::start_child(std::string_view name, SpanKind kind) {
    if (t_active_tracer == nullptr || t_active_context == nullptr) return nullptr;
    auto span = t_active_tracer->start_span(name, t_active_context);
    if (span) span->set_kind(kind);
    return span;
}

const SpanContext& ActiveSpan::current() noexcept { return t_active_context ? *t_active_context : kNoContext; }

std::vector<std::string> lock_order(std::vector<std::string> keys) {
    std::sort(keys.begin(), keys.end(), [](const std::string& a, const std::string& b) {
        int ra = key_rank(a), rb = key_rank(b);
        return ra != rb ? ra < rb : a < b;
    });
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
}

}  // namespace cloudcix::drivers
