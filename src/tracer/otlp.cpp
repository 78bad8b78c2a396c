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

json::array encode_attributes(const std::vector<Attribute>& attributes) {
    json::array out;
    out.reserve(attributes.size());
    for (const auto& a : attributes) {
        if (a.is_number)  // int64 travels as a decimal string in the protobuf JSON mapping
            out.push_back(attribute(a.key, "intValue", json::string(std::to_string(a.number))));
        else
            out.push_back(string_attribute(a.key, a.text));
    }
    return out;
}

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
        resource["attributes"] = std::move(attrs);
        scope["name"] = "cloudcix_drivers";
        scope["version"] = CCX_VERSION;
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

    std::string encode(const std::vector<SpanData>& batch) const {
        json::array spans;
        spans.reserve(batch.size());
        for (const auto& s : batch) {
            json::object o;
            o["traceId"] = s.context.trace_id;
            o["spanId"] = s.context.span_id;
            if (!s.parent_span_id.empty()) o["parentSpanId"] = s.parent_span_id;
            o["name"] = s.name;
            o["kind"] = static_cast<int>(s.kind);
            o["startTimeUnixNano"] = std::to_string(s.start_ns);
            o["endTimeUnixNano"] = std::to_string(s.end_ns);
            o["attributes"] = encode_attributes(s.attributes);
            json::object status;
            status["code"] = s.error ? 2 : 0;  // STATUS_CODE_ERROR / STATUS_CODE_UNSET
            if (s.error) status["message"] = s.message;
            o["status"] = std::move(status);
            spans.push_back(std::move(o));
        }
        json::object scope_spans;
        scope_spans["scope"] = scope;
        scope_spans["spans"] = std::move(spans);
        json::array scope_list;
        scope_list.push_back(std::move(scope_spans));
        json::object resource_spans;
        resource_spans["resource"] = resource;
        resource_spans["scopeSpans"] = std::move(scope_list);
        json::array resource_list;
        resource_list.push_back(std::move(resource_spans));
        json::object body;
        body["resourceSpans"] = std::move(resource_list);
        return json::serialize(body);
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
    json::object resource;
    json::object scope;

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
        data_.context = SpanContext::generate(parent && parent->valid() ? parent->trace_id : std::string_view{});
        if (parent && parent->valid()) data_.parent_span_id = parent->span_id;
        data_.start_ns = unix_nanos(std::chrono::system_clock::now());
    }
    ~OtlpSpan() override { end(); }

    const SpanContext& context() const override { return data_.context; }
    void set_attribute(std::string_view key, std::string_view value) override {
        if (ended_) return;
        data_.attributes.push_back(Attribute{std::string(key), secrets::redact(value), 0, false});
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
