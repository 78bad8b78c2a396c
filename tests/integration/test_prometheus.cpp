// A real Prometheus (Debian's /usr/bin/prometheus), started on a free loopback port, scrapes
// the engine's metrics from MetricsServer; its HTTP API must return the counters.
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cloudcix_drivers/metrics.hpp"
#include "support/fixture.hpp"
#include "support/http.hpp"

extern char** environ;

using namespace ccx_test;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

std::string url_encode(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '_' || c == '.' || c == '-') out += static_cast<char>(c);
        else out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
    return out;
}

// Prometheus in its own temporary directory; stopped (and the directory removed) on every exit.
class PrometheusProcess {
public:
    explicit PrometheusProcess(std::uint16_t target_port) {
        dir_ = fs::temp_directory_path() / ("ccx-prometheus-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "data");
        std::ofstream(dir_ / "prometheus.yml") << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                                                  "scrape_configs:\n  - job_name: ccx\n    static_configs:\n"
                                                  "      - targets: ['127.0.0.1:"
                                               << target_port << "']\n";
        port_ = free_port();
        std::vector<std::string> args{"/usr/bin/prometheus",
                                      "--config.file=" + (dir_ / "prometheus.yml").string(),
                                      "--storage.tsdb.path=" + (dir_ / "data").string(),
                                      "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                      "--log.level=warn"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        const std::string log = (dir_ / "prometheus.log").string();
        posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) throw std::runtime_error("cannot start /usr/bin/prometheus (scripts/setup installs it)");
    }
    ~PrometheusProcess() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            if (::waitpid(pid_, &status, WNOHANG) == 0) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
            }
        }
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    std::string api(const std::string& path_and_query) {
        PlainHttpTransport http;
        HttpRequest req{"GET", "http://127.0.0.1:" + std::to_string(port_) + path_and_query, {}, {}, std::chrono::seconds(5)};
        auto r = http.send(req);
        return r.status == 200 ? r.body : std::string();
    }
    std::string log() const {
        std::ifstream in(dir_ / "prometheus.log");
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
    // The value of the first sample of an instant query, empty until Prometheus has one.
    std::string query(const std::string& promql) {
        auto body = api("/api/v1/query?query=" + url_encode(promql));
        if (body.empty()) return {};
        auto v = json::parse(body);
        const auto& result = v.at("data").at("result").as_array();
        if (result.empty()) return {};
        return std::string(result[0].at("value").as_array()[1].as_string());
    }

private:
    fs::path dir_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

std::string wait_for_query(PrometheusProcess& p, const std::string& promql, std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto v = p.query(promql);
        if (!v.empty()) return v;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return {};
}

}  // namespace

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
