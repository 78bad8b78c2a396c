// A real Prometheus (Debian's /usr/bin/prometheus), started on a free loopback port, scrapes
// the engine's metrics from MetricsServer; its HTTP API must return the counters.
#include <boost/test/unit_test.hpp>

#include "cloudcix_drivers/metrics.hpp"
#include "support/fixture.hpp"
#include "support/prometheus.hpp"

using namespace ccx_test;

BOOST_AUTO_TEST_SUITE(prometheus)

BOOST_AUTO_TEST_CASE(a_real_prometheus_scrapes_the_run_counters_from_the_metrics_endpoint) {
    Demo d;
    Metrics metrics("demo");
    d.ctx.metrics = &metrics;
    d.run("vm_kvm", "build", 1501);   // succeeded
    d.run("vm_kvm", "build", 1501);   // skipped: already RUNNING
    d.run("vm_kvm", "build", 1601);   // failed: its router is unresourced (0007)
    d.primitives.fail_at(d.primitives.calls().size(), PrimitiveResult{false, "3121: x", nullptr, PrimitiveFailure::channel});
    d.run("vm_kvm", "scrub", 1502);   // failed by the host (2003)

    MetricsServer server(metrics);
    PrometheusProcess prom(server.port());

    auto up = wait_for_query(prom, "up{job=\"ccx\"} == 1", std::chrono::seconds(90));
    BOOST_TEST_REQUIRE(up == "1", "prometheus never scraped the endpoint; its log:\n" << prom.log());
    BOOST_TEST(prom.query("ccx_tasks_total{driver=\"vm_kvm\",verb=\"build\",outcome=\"succeeded\"}") == "1");
    BOOST_TEST(prom.query("ccx_tasks_total{driver=\"vm_kvm\",verb=\"build\",outcome=\"skipped\"}") == "1");
    BOOST_TEST(prom.query("ccx_tasks_total{driver=\"vm_kvm\",verb=\"build\",outcome=\"failed\"}") == "1");
    BOOST_TEST(prom.query("sum(ccx_tasks_total)") == "4");
    BOOST_TEST(prom.query("ccx_task_duration_seconds_count{driver=\"vm_kvm\",verb=\"build\"}") == "3");
    BOOST_TEST(prom.query("ccx_tasks_in_flight{driver=\"vm_kvm\",verb=\"build\"}") == "0");
    BOOST_TEST(prom.query("ccx_host_errors_total{driver=\"vm_kvm\",verb=\"scrub\",code=\"2003\"}") == "1");
    BOOST_TEST(prom.query("ccx_errors_total{driver=\"vm_kvm\",verb=\"build\",code=\"0007\"}") == "1");
    BOOST_TEST(prom.query("ccx_lock_wait_seconds_count{driver=\"vm_kvm\",verb=\"build\"}") == "2");
    BOOST_TEST(prom.query("ccx_build_info{region=\"demo\"}") == "1");
    BOOST_TEST(server.scrapes() >= 1u);

    // Later runs show up in the next scrape.
    d.run("vm_kvm", "build", 424242);  // rejected: no such VM
    auto later = wait_for_query(prom, "sum(ccx_tasks_total) == 5", std::chrono::seconds(30));
    BOOST_TEST(later == "5");
}

BOOST_AUTO_TEST_SUITE_END()
