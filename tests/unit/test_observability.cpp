// Metrics rendering, the metrics server, field redaction, JSON lines and the active span.
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include "cloudcix_drivers/log_sinks.hpp"
#include "cloudcix_drivers/metrics.hpp"
#include "support/fixture.hpp"
#include "support/http.hpp"

using namespace ccx_test;

BOOST_AUTO_TEST_SUITE(observability)

BOOST_AUTO_TEST_CASE(counters_gauges_and_histograms_render_in_the_prometheus_text_format) {
    MetricsRegistry r;
    auto& c = r.counter("jobs_total", "Jobs done.\nSecond line \\ here.", {"kind"});
    c.add({"a \"quoted\"\nname"}, 2);
    c.add({"a \"quoted\"\nname"});
    c.add({"b"}, -5);  // counters never go down
    auto& g = r.gauge("queue_depth", "Waiting.");
    g.set({}, 4);
    g.add({}, -1.5);
    auto& h = r.histogram("wait_seconds", "Waits.", {"k"}, {1, 0.25, 10});
    for (double v : {0.125, 0.25, 0.5, 20.0}) h.observe({"x"}, v);
    const std::string expected =
        "# HELP jobs_total Jobs done.\\nSecond line \\\\ here.\n"
        "# TYPE jobs_total counter\n"
        "jobs_total{kind=\"a \\\"quoted\\\"\\nname\"} 3\n"
        "# HELP queue_depth Waiting.\n"
        "# TYPE queue_depth gauge\n"
        "queue_depth 2.5\n"
        "# HELP wait_seconds Waits.\n"
        "# TYPE wait_seconds histogram\n"
        "wait_seconds_bucket{k=\"x\",le=\"0.25\"} 2\n"
        "wait_seconds_bucket{k=\"x\",le=\"1\"} 3\n"
        "wait_seconds_bucket{k=\"x\",le=\"10\"} 3\n"
        "wait_seconds_bucket{k=\"x\",le=\"+Inf\"} 4\n"
        "wait_seconds_sum{k=\"x\"} 20.875\n"
        "wait_seconds_count{k=\"x\"} 4\n";
    BOOST_TEST(r.render() == expected);
    BOOST_TEST(&r.counter("jobs_total", "again") == &c);
    BOOST_TEST(h.value({"x"}) == 4);
    BOOST_TEST(c.value({"b"}) == 0);
}

BOOST_AUTO_TEST_CASE(the_engine_counts_runs_by_outcome_and_errors_by_category) {
    Demo d;
    Metrics m("demo");
    d.ctx.metrics = &m;
    d.run("vm_kvm", "build", 1501);
    d.run("vm_kvm", "build", 1601);
    d.run("nope", "build", 1);
    auto* tasks = m.registry().find("ccx_tasks_total");
    BOOST_REQUIRE(tasks != nullptr);
    BOOST_TEST(tasks->value({"vm_kvm", "build", "succeeded"}) == 1);
    BOOST_TEST(tasks->value({"vm_kvm", "build", "failed"}) == 1);
    BOOST_TEST(tasks->value({"unknown", "unknown", "rejected"}) == 1);  // no label from unchecked input
    BOOST_TEST(m.registry().find("ccx_tasks_in_flight")->value({"vm_kvm", "build"}) == 0);
    BOOST_TEST(m.registry().find("ccx_errors_total")->value({"vm_kvm", "build", "0007"}) == 1);
    BOOST_TEST(m.registry().find("ccx_api_errors_total")->value({"vm_kvm", "build", "0007"}) == 0);
    BOOST_TEST(m.registry().find("ccx_task_duration_seconds")->value({"vm_kvm", "build"}) == 2);
}

BOOST_AUTO_TEST_CASE(a_lock_that_stays_busy_is_counted_as_a_lock_timeout) {
    Demo d;
    Metrics m;
    d.ctx.metrics = &m;
    auto held = d.lock.acquire({"vm:1501"}, std::chrono::steady_clock::now() + std::chrono::seconds(1));
    auto o = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(o.status == Status::postponed);
    BOOST_TEST(m.registry().find("ccx_lock_timeouts_total")->value({"vm_kvm", "build"}) == 1);
    BOOST_TEST(m.registry().find("ccx_lock_wait_seconds")->value({"vm_kvm", "build"}) == 1);
    BOOST_TEST(m.registry().find("ccx_lock_wait_seconds")->sum({"vm_kvm", "build"}) >= 0.1);
}

BOOST_AUTO_TEST_CASE(the_metrics_server_answers_metrics_and_404_for_anything_else) {
    Metrics m("demo");
    MetricsServer server(m);
    PlainHttpTransport http;
    auto base = "http://127.0.0.1:" + std::to_string(server.port());
    auto r = http.send(HttpRequest{"GET", base + "/metrics", {}, {}, std::chrono::seconds(5)});
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
    BOOST_TEST(r.body.find("ccx_build_info{version=\"") != std::string::npos);
    BOOST_TEST(r.body == m.render());
    BOOST_TEST(http.send(HttpRequest{"GET", base + "/other", {}, {}, std::chrono::seconds(5)}).status == 404);
    BOOST_TEST(http.send(HttpRequest{"POST", base + "/metrics", {}, "x", std::chrono::seconds(5)}).status == 405);
    BOOST_TEST(server.scrapes() == 1u);
    server.stop();
    BOOST_TEST(http.send(HttpRequest{"GET", base + "/metrics", {}, {}, std::chrono::seconds(1)}).status == 0);
}

BOOST_AUTO_TEST_CASE(secret_named_fields_are_hidden_in_json_python_and_key_value_text) {
    using secrets::redact_fields;
    BOOST_TEST(redact_fields(R"({"name":"web01","admin_password":"hunter22","cpu":2})") ==
               R"({"name":"web01","admin_password":"***","cpu":2})");
    BOOST_TEST(redact_fields("{'ike_pre_shared_key': 'abc def', 'x': 1}") == "{'ike_pre_shared_key': '***', 'x': 1}");
    BOOST_TEST(redact_fields("login password=s3cret&user=bob") == "login password=***&user=bob");
    BOOST_TEST(redact_fields("X-Auth-Token: eyJhbGciOi.x.y rest") == "X-Auth-Token: *** rest");
    BOOST_TEST(redact_fields(R"(detail {\"api_key\":\"k-123\"} end)") == R"(detail {\"api_key\":\"***\"} end)");
    BOOST_TEST(redact_fields(R"({"password":"a\"b","n":1})") == R"({"password":"***","n":1})");
    BOOST_TEST(redact_fields("the password is wrong; token expired") == "the password is wrong; token expired");
    BOOST_TEST(redact_fields(R"({"admin_password": null})") == R"({"admin_password": null})");
    BOOST_TEST(redact_fields("mypassword") == "mypassword");
}

BOOST_AUTO_TEST_CASE(a_json_line_leaves_out_what_a_record_does_not_have) {
    LogRecord r;
    r.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1700000000123));
    r.level = LogLevel::error;
    r.logger = "cloudcix_drivers";
    r.message = "plain";
    auto v = boost::json::parse(to_json_line(r, {{"application", "robot"}, {"level", "ignored"}})).as_object();
    BOOST_TEST(v.at("time").as_string() == "2023-11-14T22:13:20.123Z");
    BOOST_TEST(v.at("level").as_string() == "ERROR");  // extra fields never replace the record's
    BOOST_TEST(v.at("application").as_string() == "robot");
    BOOST_TEST(!v.contains("trace_id"));
    BOOST_TEST(!v.contains("resource_id"));
}

BOOST_AUTO_TEST_CASE(active_spans_nest_and_restore_the_outer_one) {
    MemoryTracer tracer;
    BOOST_TEST(!ActiveSpan::current().valid());
    BOOST_TEST(ActiveSpan::start_child("none") == nullptr);
    auto outer = tracer.start_span("outer", nullptr);
    std::string inner_id;
    {
        ActiveSpan a(&tracer, outer->context());
        auto inner = tracer.start_span("inner", &outer->context());
        inner_id = inner->context().span_id;
        {
            ActiveSpan b(&tracer, inner->context());
            BOOST_TEST(ActiveSpan::current().span_id == inner->context().span_id);
            ActiveSpan::start_child("leaf", SpanKind::client)->end();
        }
        BOOST_TEST(ActiveSpan::current().span_id == outer->context().span_id);
    }
    BOOST_TEST(!ActiveSpan::current().valid());
    auto spans = tracer.spans();
    BOOST_REQUIRE(spans.size() == 2u);  // leaf and inner ended; outer is still open
    BOOST_TEST(spans[0].name == "leaf");
    BOOST_TEST(spans[0].parent_span_id == inner_id);
    BOOST_TEST(spans[0].context.trace_id == outer->context().trace_id);
}

BOOST_AUTO_TEST_CASE(a_host_change_that_exits_non_zero_is_an_error_span_and_a_check_is_not) {
    Demo d;
    RecordingRcc hosts;
    hosts.answer("virt-install", RccResult{true, {}, 1, {}, "no"});
    NativePrimitives native(hosts, d.clock, d.config);
    d.ctx.primitives = &native;
    auto o = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(o.status == Status::failed);
    int failed_changes = 0, answered_checks = 0;
    for (const auto& s : d.tracer.spans()) {
        if (s.name.rfind("host ", 0) != 0) continue;
        std::string exit_code;
        for (const auto& [k, v] : s.attributes)
            if (k == "exit_code") exit_code = v;
        if (!s.error.empty()) {
            ++failed_changes;
            BOOST_TEST(s.error == "exit code 1");
            BOOST_TEST(s.name.find("cloudinit_kvm.build") != std::string::npos, s.name);
        } else if (exit_code != "0") {
            ++answered_checks;  // "not there yet" is an answer, not an error
        }
    }
    BOOST_TEST(failed_changes == 1);
    BOOST_TEST(answered_checks >= 1);
}

BOOST_AUTO_TEST_SUITE_END()
