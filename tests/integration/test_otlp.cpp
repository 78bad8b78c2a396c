// OtlpTracer against a loopback OTLP/HTTP receiver: the JSON encoding, the span tree of a
// vm_kvm.build, and trace continuation from a dispatcher to a worker.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <iostream>
#include <map>
#include <regex>
#include <set>

#include "cloudcix_drivers/tracer/otlp.hpp"
#include "support/fixture.hpp"
#include "support/http.hpp"

using namespace ccx_test;
namespace json = boost::json;

namespace {

bool lower_hex(const std::string& s, std::size_t n) { return std::regex_match(s, std::regex("[0-9a-f]{" + std::to_string(n) + "}")); }

struct ExportedSpan {
    json::object raw;
    std::string trace_id, span_id, parent, name;
    std::map<std::string, json::object> attributes;  // key -> value object
    std::string attr(const std::string& k) const {
        auto it = attributes.find(k);
        if (it == attributes.end()) return {};
        if (auto* s = it->second.if_contains("stringValue")) return std::string(s->as_string());
        if (auto* i = it->second.if_contains("intValue")) return std::string(i->as_string());
        return "?";
    }
};

// Checks each request body against the OTLP/HTTP JSON encoding and returns every span.
std::vector<ExportedSpan> received_spans(const LoopbackHttpServer& collector, std::uint64_t not_before_ns,
                                         std::uint64_t not_after_ns) {
    std::vector<ExportedSpan> out;
    for (const auto& req : collector.requests()) {
        BOOST_TEST(req.method == "POST");
        BOOST_TEST(req.target == "/v1/traces");
        BOOST_TEST(req.header("content-type") == "application/json");
        auto body = json::parse(req.body).as_object();
        const auto& rs = body.at("resourceSpans").as_array();
        BOOST_REQUIRE(rs.size() == 1u);
        std::map<std::string, std::string> resource;
        for (const auto& a : rs[0].at("resource").at("attributes").as_array())
            resource[std::string(a.at("key").as_string())] = std::string(a.at("value").at("stringValue").as_string());
        BOOST_TEST(resource["service.name"] == "ccx-test");
        BOOST_TEST(resource["deployment.environment"] == "test");
        BOOST_TEST(resource["telemetry.sdk.language"] == "cpp");
        const auto& ss = rs[0].at("scopeSpans").as_array();
        BOOST_REQUIRE(ss.size() == 1u);
        BOOST_TEST(ss[0].at("scope").at("name").as_string() == "cloudcix_drivers");
        BOOST_TEST(!ss[0].at("scope").at("version").as_string().empty());
        for (const auto& v : ss[0].at("spans").as_array()) {
            const auto& s = v.as_object();
            ExportedSpan e;
            e.raw = s;
            e.trace_id = std::string(s.at("traceId").as_string());
            e.span_id = std::string(s.at("spanId").as_string());
            if (auto* p = s.if_contains("parentSpanId")) e.parent = std::string(p->as_string());
            e.name = std::string(s.at("name").as_string());
            BOOST_TEST(lower_hex(e.trace_id, 32), e.trace_id);
            BOOST_TEST(lower_hex(e.span_id, 16), e.span_id);
            BOOST_TEST((e.parent.empty() || lower_hex(e.parent, 16)), e.parent);
            // Times are unsigned 64-bit nanoseconds as decimal strings.
            std::string start(s.at("startTimeUnixNano").as_string()), end(s.at("endTimeUnixNano").as_string());
            BOOST_TEST(std::regex_match(start, std::regex("[0-9]{19}")), start);
            auto start_ns = std::stoull(start), end_ns = std::stoull(end);
            BOOST_TEST(start_ns >= not_before_ns);
            BOOST_TEST(end_ns >= start_ns);
            // The end is the wall-clock start plus a monotonic duration: it may run ahead of the
            // wall clock by the two clocks' drift over the span, never by more than milliseconds.
            BOOST_TEST(end_ns <= not_after_ns + 10'000'000);
            auto kind = s.at("kind").as_int64();
            BOOST_TEST((kind >= 1 && kind <= 5));
            auto code = s.at("status").at("code").as_int64();
            BOOST_TEST((code == 0 || code == 2));
            for (const auto& a : s.at("attributes").as_array()) {
                const auto& value = a.at("value").as_object();
                BOOST_TEST(value.size() == 1u);
                BOOST_TEST((value.contains("stringValue") || value.contains("intValue")));
                if (value.contains("intValue"))
                    BOOST_TEST(std::regex_match(std::string(value.at("intValue").as_string()), std::regex("-?[0-9]+")));
                e.attributes[std::string(a.at("key").as_string())] = value;
            }
            out.push_back(std::move(e));
        }
    }
    return out;
}

void print_tree(const std::vector<ExportedSpan>& spans, const std::string& parent, int depth, std::ostream& os) {
    for (const auto& s : spans) {
        if (s.parent != parent) continue;
        auto start = std::stoull(std::string(s.raw.at("startTimeUnixNano").as_string()));
        auto end = std::stoull(std::string(s.raw.at("endTimeUnixNano").as_string()));
        os << std::string(static_cast<std::size_t>(depth) * 2, ' ') << s.name << "  [" << (end - start) / 1000 << " us";
        for (const char* k : {"outcome", "host", "http.response.status_code", "exit_code"})
            if (!s.attr(k).empty()) os << ", " << k << "=" << s.attr(k);
        if (s.raw.at("status").at("code").as_int64() == 2) os << ", ERROR";
        os << "]\n";
        print_tree(spans, s.span_id, depth + 1, os);
    }
}

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

OtlpOptions options_for(const LoopbackHttpServer& collector) {
    OtlpOptions o;
    o.endpoint = collector.url();
    o.service_name = "ccx-test";
    o.resource_attributes = {{"deployment.environment", "test"}};
    o.interval = std::chrono::milliseconds(50);
    o.max_batch = 16;  // several requests per run
    return o;
}

// Records the headers of every API request on its way to the in-memory region.
class HeaderTap : public Transport {
public:
    explicit HeaderTap(Transport& inner) : inner_(inner) {}
    HttpResponse send(const HttpRequest& r) override {
        {
            std::lock_guard lock(mutex_);
            traceparents_.push_back(HttpResponse{0, r.headers, {}, {}, true}.header("traceparent"));
        }
        return inner_.send(r);
    }
    std::vector<std::string> traceparents() const {
        std::lock_guard lock(mutex_);
        return traceparents_;
    }

private:
    Transport& inner_;
    mutable std::mutex mutex_;
    std::vector<std::string> traceparents_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(otlp)

BOOST_AUTO_TEST_CASE(a_vm_build_is_exported_as_one_otlp_trace_with_steps_api_calls_and_host_commands) {
    LoopbackHttpServer collector;
    PlainHttpTransport http;
    Demo d;
    RecordingRcc hosts;
    NativePrimitives native(hosts, d.clock, d.config);
    d.ctx.primitives = &native;
    auto before = now_ns();
    OtlpTracer tracer(http, options_for(collector));
    d.ctx.tracer = &tracer;

    auto o = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(o.status == Status::succeeded);
    BOOST_TEST(tracer.flush(std::chrono::seconds(10)));
    auto stats = tracer.stats();
    BOOST_TEST(stats.dropped == 0u);
    BOOST_TEST(stats.exported == stats.ended);
    BOOST_TEST(collector.requests().size() > 1u);  // batched by max_batch

    auto spans = received_spans(collector, before, now_ns());
    BOOST_TEST(spans.size() == stats.exported);
    std::map<std::string, const ExportedSpan*> by_id;
    for (const auto& s : spans) by_id[s.span_id] = &s;
    const ExportedSpan* root = nullptr;
    for (const auto& s : spans) {
        BOOST_TEST(s.trace_id == o.trace_id);
        if (s.parent.empty()) {
            BOOST_TEST(root == nullptr);  // exactly one root
            root = &s;
        } else {
            BOOST_TEST(by_id.count(s.parent) == 1u, s.name << " has an unknown parent");
        }
    }
    BOOST_REQUIRE(root != nullptr);
    BOOST_TEST(root->name == "vm_kvm.build");
    BOOST_TEST(root->attr("driver") == "vm_kvm");
    BOOST_TEST(root->attr("verb") == "build");
    BOOST_TEST(root->attributes.at("resource").contains("intValue"));
    BOOST_TEST(root->attr("resource") == "1501");
    BOOST_TEST(root->attr("outcome") == "succeeded");
    BOOST_TEST(root->attr("state_after") == "RUNNING");
    BOOST_TEST(root->raw.at("kind").as_int64() == 1);

    auto parent_name = [&](const ExportedSpan& s) { return s.parent.empty() ? std::string() : by_id[s.parent]->name; };
    std::map<std::string, int> under_root, api, hosts_by_parent;
    for (const auto& s : spans) {
        if (s.parent == root->span_id) ++under_root[s.name];
        if (s.raw.at("kind").as_int64() == 3 && s.name.rfind("host ", 0) == 0) {
            ++hosts_by_parent[parent_name(s)];
            BOOST_TEST(!s.attr("host").empty());
            BOOST_TEST(s.attr("exit_code") != "");
        } else if (s.raw.at("kind").as_int64() == 3) {
            ++api[parent_name(s)];
            BOOST_TEST(s.attr("http.response.status_code").size() == 3u, s.name);
        }
    }
    for (const char* step : {"read", "lock", "prerequisites", "update BUILDING", "plan", "execute", "update RUNNING", "notify"})
        BOOST_TEST(under_root[step] >= 1, step);
    BOOST_TEST(under_root["read"] == 2);       // before and after the lock
    BOOST_TEST(api["read"] >= 2);              // the GET (and the login) are children of the read step
    BOOST_TEST(api["update RUNNING"] == 1);    // the PATCH
    BOOST_TEST(api["prerequisites"] >= 1);     // reads of the router, snapshots ...
    BOOST_TEST(hosts_by_parent["bridge_kvm.build"] >= 1);
    BOOST_TEST(hosts_by_parent["cloudinit_kvm.build"] >= 1);

    std::ostringstream tree;
    print_tree(spans, "", 0, tree);
    std::cout << "trace " << o.trace_id << " of vm_kvm.build #1501 (" << spans.size() << " spans):\n" << tree.str();

    std::string all;
    for (const auto& r : collector.requests()) all += r.body;
    BOOST_TEST(all.find(d.config.iaas.password) == std::string::npos);
    BOOST_TEST(all.find(d.config.iaas.api_key) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_failed_run_marks_its_root_and_the_failing_step_as_errors) {
    LoopbackHttpServer collector;
    PlainHttpTransport http;
    Demo d;
    OtlpTracer tracer(http, options_for(collector));
    d.ctx.tracer = &tracer;
    d.primitives.fail_at(1, PrimitiveResult{false, "3022: no space left", nullptr, PrimitiveFailure::command});
    auto o = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(o.status == Status::failed);
    BOOST_TEST(tracer.flush(std::chrono::seconds(10)));
    int errors = 0;
    for (const auto& s : received_spans(collector, 0, now_ns())) {
        if (s.raw.at("status").at("code").as_int64() != 2) continue;
        ++errors;
        if (s.parent.empty()) BOOST_TEST(s.attr("outcome") == "failed");
        BOOST_TEST(!s.raw.at("status").at("message").as_string().empty());
    }
    BOOST_TEST(errors >= 2);  // the root and the primitive step
}

BOOST_AUTO_TEST_CASE(the_trace_id_survives_dispatcher_to_worker_and_reaches_the_api_requests) {
    LoopbackHttpServer collector;
    PlainHttpTransport http;
    Demo d;
    HeaderTap tap(d.transport);
    IaasClient iaas(tap, d.clock, d.config.iaas);
    d.ctx.iaas = &iaas;
    OtlpTracer tracer(http, options_for(collector));
    d.ctx.tracer = &tracer;

    std::string worker_trace;
    ThreadPoolDispatcher worker(1, [&](const Task& t) {
        RunOptions opts;
        opts.traceparent = t.traceparent;
        worker_trace = run(d.ctx, t.driver, t.verb, t.resource_id, opts).trace_id;
    });
    auto dispatch = tracer.start_span("dispatch vm_kvm.build", nullptr);
    dispatch->set_kind(SpanKind::producer);
    const SpanContext sent = dispatch->context();
    BOOST_TEST(worker.dispatch(Task{"vm_kvm", "build", 1501, sent.traceparent()}, std::chrono::milliseconds(0)));
    dispatch->end();
    BOOST_TEST(worker.wait_idle(std::chrono::seconds(30)));
    worker.stop();
    BOOST_TEST(tracer.flush(std::chrono::seconds(10)));

    BOOST_TEST(worker_trace == sent.trace_id);
    auto spans = received_spans(collector, 0, now_ns());
    std::set<std::string> client_spans;
    bool root_continues = false;
    for (const auto& s : spans) {
        BOOST_TEST(s.trace_id == sent.trace_id);
        if (s.name == "vm_kvm.build") {
            root_continues = s.parent == sent.span_id;
            BOOST_TEST(s.raw.at("kind").as_int64() == 5);  // consumer
        }
        if (s.raw.at("kind").as_int64() == 3) client_spans.insert(s.span_id);
    }
    BOOST_TEST(root_continues);
    // Every API request carries the trace, with its own client span as the parent.
    auto headers = tap.traceparents();
    BOOST_TEST(!headers.empty());
    for (const auto& h : headers) {
        auto c = SpanContext::from_traceparent(h);
        BOOST_TEST(c.trace_id == sent.trace_id, h);
        BOOST_TEST(client_spans.count(c.span_id) == 1u, h);
    }
}

BOOST_AUTO_TEST_CASE(a_full_queue_drops_spans_and_counts_them_without_blocking) {
    LoopbackHttpServer collector;
    PlainHttpTransport http;
    OtlpOptions opts = options_for(collector);
    opts.max_queue = 3;
    opts.max_batch = 100;
    opts.interval = std::chrono::hours(1);  // nothing leaves before the flush
    OtlpTracer tracer(http, opts);
    for (int i = 0; i < 10; ++i) tracer.start_span("s" + std::to_string(i), nullptr)->end();
    auto stats = tracer.stats();
    BOOST_TEST(stats.ended == 10u);
    BOOST_TEST(stats.dropped == 7u);
    BOOST_TEST(tracer.flush(std::chrono::seconds(10)));
    BOOST_TEST(tracer.stats().exported == 3u);
}

BOOST_AUTO_TEST_CASE(an_unreachable_collector_loses_spans_counted_and_flush_says_so) {
    PlainHttpTransport http;
    OtlpOptions opts;
    opts.endpoint = "http://127.0.0.1:" + std::to_string(free_port());
    opts.timeout = std::chrono::milliseconds(500);
    OtlpTracer tracer(http, opts);
    tracer.start_span("lost", nullptr)->end();
    BOOST_TEST(!tracer.flush(std::chrono::seconds(10)));
    auto stats = tracer.stats();
    BOOST_TEST(stats.dropped == 1u);
    BOOST_TEST(stats.failed_requests == 1u);
    BOOST_TEST(stats.last_error.find("connect") != std::string::npos, stats.last_error);
}

BOOST_AUTO_TEST_CASE(destroying_the_tracer_sends_what_is_queued) {
    LoopbackHttpServer collector;
    PlainHttpTransport http;
    {
        OtlpOptions opts = options_for(collector);
        opts.interval = std::chrono::hours(1);
        OtlpTracer tracer(http, opts);
        auto parent = tracer.start_span("parent", nullptr);
        tracer.start_span("child", &parent->context())->end();
        parent->end();
    }
    auto spans = received_spans(collector, 0, now_ns());
    BOOST_REQUIRE(spans.size() == 2u);
    BOOST_TEST(spans[0].name == "child");
    BOOST_TEST(spans[0].parent == spans[1].span_id);
}

BOOST_AUTO_TEST_CASE(quotes_backslashes_and_control_characters_survive_the_json_encoding) {
    LoopbackHttpServer collector;
    PlainHttpTransport http;
    const std::string odd = "a \"quoted\" \\ back\nslash\t\x01 caf\xc3\xa9";
    {
        OtlpTracer tracer(http, options_for(collector));
        auto span = tracer.start_span(odd, nullptr);
        span->set_attribute(odd, odd);
        span->set_number("n", -42);
        span->set_error(odd);
    }
    auto spans = received_spans(collector, 0, now_ns());
    BOOST_REQUIRE(spans.size() == 1u);
    BOOST_TEST(spans[0].name == odd);
    BOOST_TEST(spans[0].attr(odd) == odd);
    BOOST_TEST(spans[0].attr("n") == "-42");
    BOOST_TEST(spans[0].raw.at("status").at("message").as_string() == odd);
}

BOOST_AUTO_TEST_CASE(a_collector_error_status_counts_as_a_failed_export) {
    LoopbackHttpServer collector([](const HttpExchange&) { return std::pair<int, std::string>{503, "busy"}; });
    PlainHttpTransport http;
    OtlpTracer tracer(http, options_for(collector));
    tracer.start_span("x", nullptr)->end();
    BOOST_TEST(!tracer.flush(std::chrono::seconds(10)));
    BOOST_TEST(tracer.stats().last_error.find("503") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
