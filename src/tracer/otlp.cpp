// OTLP/HTTP JSON span exporter (opentelemetry-proto's JSON mapping: hex ids, int64 times as
// decimal strings, enums as numbers). Spans are recorded on the task's thread and encoded and
// sent on the exporter's thread.
#include "cloudcix_drivers/tracer/otlp.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "cloudcix_drivers/log.hpp"

#ifndef CCX_VERSION
#define CCX_VERSION "0"
#endif

namespace cloudcix::drivers {
namespace {

namespace json = boost::json;

struct Attribute {
    std::string key;
    std::string text;
    long long number = 0;
    bool is_number = false;
};

struct SpanData {
    std::string name;
    SpanContext context;
    std::string parent_span_id;
    SpanKind kind = SpanKind::internal;
    std::uint64_t start_ns = 0;
    std::uint64_t end_ns = 0;
    std::vector<Attribute> attributes;
    bool error = false;
    std::string message;
};

// A JSON string literal: quotes, backslashes and control characters escaped; UTF-8 as it is.
void append_string(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c < 0x20) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        } else {
            out += ch;
        }
    }
    out += '"';
}

std::uint64_t unix_nanos(std::chrono::system_clock::time_point t) {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

json::object attribute(std::string_view key, std::string_view type, json::string value) {
    json::object v;
    v[type] = std::move(value);
    json::object a;
    a["key"] = key;
    a["value"] = std::move(v);
    return a;
}

json::object string_attribute(std::string_view key, std::string_view value) { return attribute(key, "stringValue", json::string(value)); }

std::string traces_url(std::string endpoint) {
    constexpr std::string_view suffix = "/v1/traces";
    if (endpoint.size() >= suffix.size() && endpoint.compare(endpoint.size() - suffix.size(), suffix.size(), suffix) == 0)
        return endpoint;
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    return endpoint + std::string(suffix);
}

}  // namespace

struct OtlpTracer::Impl {
    Impl(Transport& t, OtlpOptions o) : transport(t), options(std::move(o)), url(traces_url(options.endpoint)) {
        if (options.max_batch == 0) options.max_batch = 1;
        json::array attrs;
        attrs.push_back(string_attribute("service.name", options.service_name));
        attrs.push_back(string_attribute("telemetry.sdk.name", "cloudcix_drivers"));
        attrs.push_back(string_attribute("telemetry.sdk.language", "cpp"));
        attrs.push_back(string_attribute("telemetry.sdk.version", CCX_VERSION));
        for (const auto& [k, v] : options.resource_attributes) attrs.push_back(string_attribute(k, secrets::redact(v)));
        json::object resource, scope;
        resource["attributes"] = std::move(attrs);
        scope["name"] = "cloudcix_drivers";
        scope["version"] = CCX_VERSION;
        prefix = R"({"resourceSpans":[{"resource":)" + json::serialize(resource) + R"(,"scopeSpans":[{"scope":)" +
                 json::serialize(scope) + R"(,"spans":[)";
        thread = std::thread([this] { work(); });
    }

    void push(SpanData&& span) {
        std::lock_guard lock(mutex);
        ++stats.ended;
        if (stopped || queue.size() >= options.max_queue) {
            ++stats.dropped;
            return;
        }
        queue.push_back(std::move(span));
        ++accepted;
        if (queue.size() >= options.max_batch) wake.notify_one();
    }

    // Written directly rather than through json::value: the exporter shares the CPU with tasks.
    std::string encode(const std::vector<SpanData>& batch) const {
        std::string out;
        out.reserve(prefix.size() + batch.size() * 512);
        out += prefix;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            const SpanData& s = batch[i];
            if (i) out += ',';
            out += R"({"traceId":")";
            out += s.context.trace_id;
            out += R"(","spanId":")";
            out += s.context.span_id;
            if (!s.parent_span_id.empty()) {
                out += R"(","parentSpanId":")";
                out += s.parent_span_id;
            }
            out += R"(","name":)";
            append_string(out, s.name);
            out += R"(,"kind":)";
            out += std::to_string(static_cast<int>(s.kind));
            out += R"(,"startTimeUnixNano":")";
            out += std::to_string(s.start_ns);
            out += R"(","endTimeUnixNano":")";
            out += std::to_string(s.end_ns);
            out += R"(","attributes":[)";
            for (std::size_t a = 0; a < s.attributes.size(); ++a) {
                const Attribute& attr = s.attributes[a];
                if (a) out += ',';
                out += R"({"key":)";
                append_string(out, attr.key);
                if (attr.is_number) {  // int64 travels as a decimal string in the protobuf JSON mapping
                    out += R"(,"value":{"intValue":")";
                    out += std::to_string(attr.number);
                    out += R"("}})";
                } else {
                    out += R"(,"value":{"stringValue":)";
                    append_string(out, attr.text);
                    out += "}}";
                }
            }
            // STATUS_CODE_ERROR (2) with its message, else STATUS_CODE_UNSET (0).
            out += R"(],"status":{"code":)";
            if (s.error) {
                out += R"(2,"message":)";
                append_string(out, s.message);
                out += "}}";
            } else {
                out += "0}}";
            }
        }
        out += "]}]}]}";
        return out;
    }

    // Returns the error text, empty on success.
    std::string send(const std::vector<SpanData>& batch) {
        HttpRequest req;
        req.method = "POST";
        req.url = url;
        req.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
        for (const auto& h : options.headers) req.headers.push_back(h);
        req.body = encode(batch);
        req.timeout = options.timeout;
        HttpResponse r;
        try {
            r = transport.send(req);
        } catch (const std::exception& e) {
            return std::string("transport threw: ") + e.what();
        }
        if (r.status == 0) return "POST " + url + ": " + (r.error.empty() ? "no response" : r.error);
        if (!r.ok()) return "POST " + url + " answered " + std::to_string(r.status) + ": " + r.body.substr(0, 200);
        return {};
    }

    void work() {
        std::unique_lock lock(mutex);
        while (true) {
            wake.wait_for(lock, options.interval, [&] {
                return stopping || queue.size() >= options.max_batch || (flush_target > taken && !queue.empty());
            });
            if (queue.empty()) {
                if (stopping) break;
                continue;
            }
            std::size_t n = std::min(queue.size(), options.max_batch);
            std::vector<SpanData> batch;
            batch.reserve(n);
            for (std::size_t i = 0; i < n; ++i) {
                batch.push_back(std::move(queue.front()));
                queue.pop_front();
            }
            taken += n;
            lock.unlock();
            std::string error = send(batch);
            lock.lock();
            ++stats.requests;
            if (error.empty()) {
                stats.exported += n;
            } else {
                ++stats.failed_requests;
                stats.dropped += n;
                failed_spans += n;
                stats.last_error = secrets::redact(error);
            }
            handled += n;
            done.notify_all();
        }
        done.notify_all();
    }

    bool flush(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex);
        std::uint64_t target = accepted, failed_before = failed_spans;
        if (stopped) return handled >= target && failed_spans == failed_before;
        flush_target = std::max(flush_target, target);
        wake.notify_one();
        bool reached = done.wait_for(lock, timeout, [&] { return handled >= target || stopped; });
        return reached && handled >= target && failed_spans == failed_before;
    }

    void shutdown() {
        {
            std::lock_guard lock(mutex);
            if (stopped) return;
            stopping = true;
        }
        wake.notify_one();
        if (thread.joinable()) thread.join();
        std::lock_guard lock(mutex);
        stopped = true;
    }

    Transport& transport;
    OtlpOptions options;
    std::string url;
    std::string prefix;  // the request body up to the first span: resource and scope

    mutable std::mutex mutex;
    std::condition_variable wake;  // exporter: work to do
    std::condition_variable done;  // flushers: a batch was handled
    std::deque<SpanData> queue;
    std::uint64_t accepted = 0, taken = 0, handled = 0, failed_spans = 0, flush_target = 0;
    bool stopping = false, stopped = false;
    Stats stats;
    std::thread thread;
};

namespace {

class OtlpSpan final : public Span {
public:
    OtlpSpan(std::shared_ptr<OtlpTracer::Impl> impl, std::string_view name, const SpanContext* parent)
        : impl_(std::move(impl)),
          steady_start_(std::chrono::steady_clock::now()) {
        data_.name = name;
        data_.attributes.reserve(4);  // the engine's spans carry up to four; root spans grow once
        data_.context = SpanContext::generate(parent && parent->valid() ? parent->trace_id : std::string_view{});
        if (parent && parent->valid()) data_.parent_span_id = parent->span_id;
        data_.start_ns = unix_nanos(std::chrono::system_clock::now());
    }
    ~OtlpSpan() override { end(); }

    const SpanContext& context() const override { return data_.context; }
    void set_attribute(std::string_view key, std::string_view value) override {
        if (ended_) return;
        // Remembered secrets are at least 4 characters long: shorter values cannot hold one.
        data_.attributes.push_back(
            Attribute{std::string(key), value.size() < 4 ? std::string(value) : secrets::redact(value), 0, false});
    }
    void set_number(std::string_view key, long long value) override {
        if (ended_) return;
        data_.attributes.push_back(Attribute{std::string(key), {}, value, true});
    }
    void set_kind(SpanKind kind) override { data_.kind = kind; }
    void set_error(std::string_view message) override {
        if (ended_) return;
        data_.error = true;
        data_.message = secrets::redact(message);
    }
    void end() override {
        if (ended_) return;
        ended_ = true;
        auto elapsed = std::chrono::steady_clock::now() - steady_start_;
        data_.end_ns = data_.start_ns +
                       static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
        impl_->push(std::move(data_));
    }

private:
    std::shared_ptr<OtlpTracer::Impl> impl_;
    std::chrono::steady_clock::time_point steady_start_;
    SpanData data_;
    bool ended_ = false;
};

}  // namespace

OtlpTracer::OtlpTracer(Transport& transport, OtlpOptions options)
    : impl_(std::make_shared<Impl>(transport, std::move(options))) {}

OtlpTracer::~OtlpTracer() { shutdown(); }

std::unique_ptr<Span> OtlpTracer::start_span(std::string_view name, const SpanContext* parent) {
    return std::make_unique<OtlpSpan>(impl_, name, parent);
}

bool OtlpTracer::flush(std::chrono::milliseconds timeout) { return impl_->flush(timeout); }

void OtlpTracer::shutdown() { impl_->shutdown(); }

OtlpTracer::Stats OtlpTracer::stats() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->stats;
}

}  // namespace cloudcix::drivers
