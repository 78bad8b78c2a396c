// Observability across processes: ccx-dispatch and ccx-worker against a throwaway RabbitMQ (one
// for the whole file), the IaaS simulator (in this process, over HTTP), a loopback OTLP receiver
// and a real Prometheus. One trace spans dispatcher -> worker -> API; the worker's /metrics is
// scraped by Prometheus.
#include <boost/test/unit_test.hpp>

#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <boost/json/parse.hpp>

#include "amqp.hpp"
#include "celery.hpp"
#include "cloudcix_drivers/testing.hpp"
#include "server.hpp"
#include "support/http.hpp"
#include "support/printing.hpp"
#include "support/processes.hpp"
#include "support/prometheus.hpp"
#include "world.hpp"

namespace ccx = cloudcix::drivers;
namespace rmq = cloudcix::rabbitmq;
namespace json = boost::json;
using namespace std::chrono_literals;
using ccx::State;
using ccx_test::eventually;
using ccx_test::Process;

namespace {
using ccx_rabbit_test::BrokerFixture;
using ccx_rabbit_test::rabbit;
using ccx_rabbit_test::Region;

std::string ccx_dispatch(std::vector<std::string> args) {
    std::vector<std::string> argv{CCX_DISPATCH_BIN};
    for (auto& a : args) argv.push_back(a);
    std::string out;
    int rc = ccx_test::run_command(argv, &out);
    BOOST_REQUIRE_MESSAGE(rc == 0, "ccx-dispatch failed: " << out);
    return out;
}

struct Span {
    std::string service, trace_id, span_id, parent, name;
    long long kind = 0;
    std::uint64_t start = 0, end = 0;
    std::map<std::string, std::string> attributes;
};

// Every span the receiver got, with the service.name of the request that carried it.
std::vector<Span> spans_of(const ccx_test::LoopbackHttpServer& collector) {
    std::vector<Span> out;
    for (const auto& req : collector.requests()) {
        BOOST_TEST(req.target == "/v1/traces");
        auto body = json::parse(req.body);
        for (const auto& rs : body.at("resourceSpans").as_array()) {
            std::string service;
            for (const auto& a : rs.at("resource").at("attributes").as_array())
                if (a.at("key").as_string() == "service.name") service = std::string(a.at("value").at("stringValue").as_string());
            for (const auto& ss : rs.at("scopeSpans").as_array())
                for (const auto& v : ss.at("spans").as_array()) {
                    Span s;
                    s.service = service;
                    s.trace_id = std::string(v.at("traceId").as_string());
                    s.span_id = std::string(v.at("spanId").as_string());
                    if (auto* p = v.as_object().if_contains("parentSpanId")) s.parent = std::string(p->as_string());
                    s.name = std::string(v.at("name").as_string());
                    s.kind = v.at("kind").as_int64();
                    s.start = std::stoull(std::string(v.at("startTimeUnixNano").as_string()));
                    s.end = std::stoull(std::string(v.at("endTimeUnixNano").as_string()));
                    for (const auto& a : v.at("attributes").as_array()) {
                        const auto& value = a.at("value").as_object();
                        std::string text = value.contains("stringValue") ? std::string(value.at("stringValue").as_string())
                                                                         : std::string(value.at("intValue").as_string());
                        s.attributes[std::string(a.at("key").as_string())] = text;
                    }
                    out.push_back(std::move(s));
                }
        }
    }
    return out;
}

void print_tree(const std::vector<Span>& spans, const std::string& parent, int depth, std::ostream& os) {
    for (const auto& s : spans) {
        if (s.parent != parent) continue;
        os << std::string(static_cast<std::size_t>(depth) * 2, ' ') << s.name << "  [" << s.service << ", "
           << (s.end - s.start) / 1000 << " us";
        for (const char* k : {"outcome", "host", "http.response.status_code", "messaging.destination.name"})
            if (s.attributes.count(k)) os << ", " << k << "=" << s.attributes.at(k);
        os << "]\n";
        print_tree(spans, s.span_id, depth + 1, os);
    }
}

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(BrokerFixture);

BOOST_AUTO_TEST_CASE(a_dispatched_vm_build_continues_the_dispatchers_trace_in_the_worker_and_both_export_it) {
    ccx_test::LoopbackHttpServer collector;
    Region region;
    auto log_file = region.dir / "worker.jsonl";
    auto worker = region.worker("q_trace", "worker.log", {"--otlp-endpoint", collector.url(), "--log-format", "json", "--log-file",
                                            log_file.string()});
    std::string id = ccx_dispatch({"vm_kvm", "build", "1501", "--broker", rabbit().url(), "--queue", "q_trace",
                                   "--otlp-endpoint", collector.url()});
    id = id.substr(0, id.find('\n'));
    BOOST_REQUIRE_MESSAGE(eventually([&] { return region.vm(1501) == State::RUNNING; }, 120s), worker->output());
    worker->signal(SIGTERM);  // the worker flushes its spans on the way out
    BOOST_TEST(worker->wait_exit(60s) == 0, worker->output());

    auto spans = spans_of(collector);
    const Span* producer = nullptr;
    const Span* task = nullptr;
    for (const auto& s : spans) {
        if (s.name == "dispatch vm_kvm.build") producer = &s;
        if (s.name == "vm_kvm.build") task = &s;
    }
    std::string names;
    for (const auto& s : spans) names += " " + s.service + ":" + s.name;
    BOOST_REQUIRE_MESSAGE(producer != nullptr, "ccx-dispatch exported no producer span; got" << names);
    BOOST_REQUIRE_MESSAGE(task != nullptr, "ccx-worker exported no task span\n" << worker->output());
    BOOST_TEST(producer->service == "ccx-dispatch");
    BOOST_TEST(producer->kind == 4);  // PRODUCER
    BOOST_TEST(producer->parent.empty());
    BOOST_TEST(producer->attributes.at("messaging.message.id") == id);
    BOOST_TEST(producer->attributes.at("messaging.destination.name") == "q_trace");
    BOOST_TEST(task->service == "ccx-worker");
    BOOST_TEST(task->kind == 5);  // CONSUMER
    BOOST_TEST(task->trace_id == producer->trace_id);
    BOOST_TEST(task->parent == producer->span_id);
    BOOST_TEST(task->attributes.at("outcome") == "succeeded");

    // Every span of the trace hangs off the producer: steps, API calls, host commands.
    std::set<std::string> ids;
    for (const auto& s : spans) ids.insert(s.span_id);
    int api_calls = 0;
    for (const auto& s : spans) {
        BOOST_TEST(s.trace_id == producer->trace_id, s.name);
        if (&s != producer) BOOST_TEST(ids.count(s.parent) == 1u, s.name << " has an unknown parent");
        api_calls += s.attributes.count("http.response.status_code") > 0;
    }
    BOOST_TEST(api_calls >= 3);
    std::ostringstream tree;
    print_tree(spans, "", 0, tree);
    std::cout << "trace " << producer->trace_id << " of vm_kvm.build #1501, ccx-dispatch -> ccx-worker (" << spans.size()
              << " spans):\n"
              << tree.str();

    // The worker's JSON log lines carry the same trace id.
    std::istringstream lines(ccx_test::slurp(log_file));
    std::string line;
    int logged = 0;
    while (std::getline(lines, line)) {
        auto v = json::parse(line).as_object();
        if (v.at("logger").as_string() != "vm_kvm.build.task") continue;
        ++logged;
        BOOST_TEST(v.at("trace_id").as_string() == producer->trace_id);
        BOOST_TEST(v.at("resource_id").as_int64() == 1501);
    }
    BOOST_TEST(logged >= 3);
    std::string all;
    for (const auto& r : collector.requests()) all += r.body;
    BOOST_TEST(all.find(std::string(region.creds.at("password").as_string())) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(messages_without_or_with_an_ill_formed_traceparent_run_in_a_new_trace) {
    ccx_test::LoopbackHttpServer collector;
    Region region(2, 51001);
    auto worker = region.worker("q_notrace", "worker.log", {"--otlp-endpoint", collector.url()});
    {
        rmq::Connection c(rmq::BrokerUrl::parse(rabbit().url()), 0);
        c.declare_celery_queue("q_notrace");
        rmq::CeleryTask plain;
        plain.name = "vm_kvm_build";
        plain.resource_id = 51001;  // no traceparent header at all
        c.publish("q_notrace", rmq::EncodedMessage(plain));
        rmq::CeleryTask bad = plain;
        bad.resource_id = 51002;
        bad.traceparent = "00-0000000000000000000000000000000-zz-01";
        c.publish("q_notrace", rmq::EncodedMessage(bad));
    }
    BOOST_REQUIRE_MESSAGE(eventually([&] { return region.vm(51001) == State::RUNNING && region.vm(51002) == State::RUNNING; }, 120s),
                          worker->output());
    worker->signal(SIGTERM);
    BOOST_TEST(worker->wait_exit(60s) == 0, worker->output());
    std::set<std::string> traces;
    int roots = 0;
    for (const auto& s : spans_of(collector)) {
        if (s.name != "vm_kvm.build") continue;
        ++roots;
        BOOST_TEST(s.parent.empty());
        BOOST_TEST(s.kind == 1);  // not continued: an internal root
        traces.insert(s.trace_id);
    }
    BOOST_TEST(roots == 2);
    BOOST_TEST(traces.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_real_prometheus_scrapes_the_workers_per_verb_counter_after_a_task_runs) {
    Region region;
    auto port = ccx_test::free_port();
    auto worker = region.worker("q_metrics", "worker.log", {"--metrics-port", std::to_string(port)});
    BOOST_REQUIRE_MESSAGE(eventually([&] { return worker->output().find("/metrics") != std::string::npos; }, 60s),
                          worker->output());
    BOOST_TEST(worker->output().find("metrics on http://127.0.0.1:" + std::to_string(port) + "/metrics") != std::string::npos,
               worker->output());
    ccx_test::PrometheusProcess prom(port);
    auto up = ccx_test::wait_for_query(prom, "up{job=\"ccx\"} == 1", 90s);
    BOOST_REQUIRE_MESSAGE(up == "1", "prometheus never scraped ccx-worker; its log:\n" << prom.log());

    ccx_dispatch({"vm_kvm", "build", "1501", "--broker", rabbit().url(), "--queue", "q_metrics"});
    BOOST_REQUIRE_MESSAGE(eventually([&] { return region.vm(1501) == State::RUNNING; }, 120s), worker->output());
    auto built = ccx_test::wait_for_query(prom, "ccx_tasks_total{driver=\"vm_kvm\",verb=\"build\",outcome=\"succeeded\"}", 60s);
    BOOST_TEST(built == "1", prom.log());
    BOOST_TEST(ccx_test::wait_for_query(prom, "ccx_task_duration_seconds_count{job=\"ccx\",verb=\"build\"}", 30s) == "1");
    BOOST_TEST(prom.query("ccx_tasks_in_flight{driver=\"vm_kvm\",verb=\"build\"}") == "0");
    worker->signal(SIGTERM);
    BOOST_TEST(worker->wait_exit(60s) == 0, worker->output());
}

BOOST_AUTO_TEST_CASE(bad_observability_values_are_usage_errors_with_exit_code_2) {
    struct Case {
        std::vector<std::string> argv;
        std::string message;
    };
    const std::vector<Case> cases{
        {{CCX_WORKER_BIN, "--metrics-port", "65536"}, "--metrics-port needs a port number from 0 to 65535"},
        {{CCX_WORKER_BIN, "--log-format", "yaml"}, "unknown --log-format 'yaml'"},
        {{CCX_WORKER_BIN, "--logstash", "logstash.internal"}, "--logstash needs HOST:PORT"},
        {{CCX_WORKER_BIN, "--otlp-endpoint", "otel:4318"}, "--otlp-endpoint needs an http:// or https:// URL"},
        {{CCX_DISPATCH_BIN, "vm_kvm", "build", "1501", "--otlp-endpoint", "nope"}, "--otlp-endpoint needs"},
        {{CCX_DISPATCH_BIN, "vm_kvm", "build", "1501", "--metrics-port", "9464"}, "serves no --metrics-port"},
    };
    for (const auto& c : cases) {
        std::string out;
        int rc = ccx_test::run_command(c.argv, &out);
        BOOST_TEST(rc == 2, c.argv[1] << ": exit " << rc << ": " << out);
        BOOST_TEST(out.find(c.message) != std::string::npos, out);
    }
}
