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

class Span {
public:
    virtual ~Span() = default;
    virtual const SpanContext& context() const = 0;
    // Values must never be secrets: callers pass ids, names, states and outcomes only.
    virtual void set_attribute(std::string_view key, std::string_view value) = 0;
    virtual void set_error(std::string_view message) = 0;
    virtual void end() = 0;  // idempotent; the destructor ends an open span
};

class Tracer {
public:
    virtual ~Tracer() = default;
    // parent == nullptr (or invalid) starts a new trace.
    virtual std::unique_ptr<Span> start_span(std::string_view name, const SpanContext* parent) = 0;
};

}  // namespace cloudcix::drivers
