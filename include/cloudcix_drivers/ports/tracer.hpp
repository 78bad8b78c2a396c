// Tracer port: spans with parent/child links, attributes and W3C trace context.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace cloudcix::drivers {

struct SpanContext {
    std::string trace_id;  // 32 lowercase hex digits
    std::string span_id;   // 16 lowercase hex digits
    bool valid() const noexcept { return trace_id.size() == 32 && span_id.size() == 16; }
    // "00-<trace>-<span>-01"
    std::string traceparent() const;
    // Parses a W3C traceparent header; invalid input gives an invalid context.
    static SpanContext from_traceparent(std::string_view header);
    // Fresh random ids.
    static SpanContext generate(std::string_view trace_id = {});
};

// OTLP's span kinds (the numbers are OTLP's SpanKind values).
enum class SpanKind { internal = 1, server = 2, client = 3, producer = 4, consumer = 5 };

class Span {
public:
    virtual ~Span() = default;
    virtual const SpanContext& context() const = 0;
    // Values must never be secrets: callers pass ids, names, states and outcomes only.
    virtual void set_attribute(std::string_view key, std::string_view value) = 0;
    virtual void set_error(std::string_view message) = 0;
    virtual void end() = 0;  // idempotent; the destructor ends an open span
    // An integer attribute (exporters that know types keep it an integer).
    virtual void set_number(std::string_view key, long long value) { set_attribute(key, std::to_string(value)); }
    virtual void set_kind(SpanKind) {}
};

class Tracer {
public:
    virtual ~Tracer() = default;
    // parent == nullptr (or invalid) starts a new trace.
    virtual std::unique_ptr<Span> start_span(std::string_view name, const SpanContext* parent) = 0;
};

// The span the calling thread works under, so code the engine does not see (API requests, host
// commands) can open child spans without a tracer being passed down. The engine sets it around
// each step; scopes nest and restore the previous one when they end.
class ActiveSpan {
public:
    ActiveSpan(Tracer* tracer, const SpanContext& context) noexcept;
    ~ActiveSpan();
    ActiveSpan(const ActiveSpan&) = delete;
    ActiveSpan& operator=(const ActiveSpan&) = delete;

    // A child of the thread's active span; null when none is active or it has no tracer.
    static std::unique_ptr<Span> start_child(std::string_view name, SpanKind kind = SpanKind::internal);
    // The thread's active context (invalid when none).
    static const SpanContext& current() noexcept;

private:
    Tracer* previous_tracer_;
    const SpanContext* previous_context_;
    SpanContext context_;
};

}  // namespace cloudcix::drivers
