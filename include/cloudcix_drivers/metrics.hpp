// Metrics: a small registry of counters, gauges and histograms rendered in the Prometheus text
// exposition format (version 0.0.4), and the engine's instruments on top of it. Thread-safe.
// Hand a `Metrics*` to Context::metrics (null = off); serve render() with MetricsServer.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace cloudcix::drivers {

struct Outcome;

using LabelValues = std::vector<std::string>;

// One metric name with a fixed list of label names; one series per label-value tuple.
class MetricFamily {
public:
    enum class Type { counter, gauge, histogram };
    MetricFamily(std::string name, std::string help, Type type, std::vector<std::string> labels,
                 std::vector<double> buckets = {});

    // Counters only go up (negative increments are ignored); gauges go both ways.
    void add(const LabelValues& labels, double value = 1);
    void set(const LabelValues& labels, double value);  // gauges
    void observe(const LabelValues& labels, double value);  // histograms

    // Current value of a counter or gauge series (0 when absent); a histogram's count.
    double value(const LabelValues& labels) const;
    double sum(const LabelValues& labels) const;  // histograms: sum of observations

    const std::string& name() const { return name_; }
    Type type() const { return type_; }
    void render(std::string& out) const;

private:
    struct Series {
        double value = 0;                    // counter/gauge value; histogram sum
        std::uint64_t count = 0;             // histogram
        std::vector<std::uint64_t> buckets;  // histogram, not cumulative
    };
    std::string name_, help_;
    Type type_;
    std::vector<std::string> labels_;
    std::vector<double> bounds_;
    mutable std::mutex mutex_;
    std::map<LabelValues, Series> series_;
};

class MetricsRegistry {
public:
    // Registering a name twice returns the first family (its type and labels win).
    MetricFamily& counter(std::string name, std::string help, std::vector<std::string> labels = {});
    MetricFamily& gauge(std::string name, std::string help, std::vector<std::string> labels = {});
    MetricFamily& histogram(std::string name, std::string help, std::vector<std::string> labels,
                            std::vector<double> buckets);
    MetricFamily* find(std::string_view name) const;
    // Every family in registration order, Prometheus text format 0.0.4.
    std::string render() const;

private:
    MetricFamily& add(std::string name, std::string help, MetricFamily::Type type, std::vector<std::string> labels,
                      std::vector<double> buckets);
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<MetricFamily>> families_;
};

// The engine's instruments (names as exported):
//   ccx_tasks_total{driver,verb,outcome}              runs finished, by outcome
//   ccx_task_duration_seconds{driver,verb}            histogram of whole-run time
//   ccx_tasks_in_flight{driver,verb}                  runs under way now
//   ccx_lock_wait_seconds{driver,verb}                histogram of lock waits (acquired or not)
//   ccx_lock_timeouts_total{driver,verb}              locks that stayed busy past their deadline
//   ccx_api_errors_total{driver,verb,code}            0xxx errors recorded by runs (API side)
//   ccx_host_errors_total{driver,verb,code}           2xxx errors recorded by runs (host side)
//   ccx_errors_total{driver,verb,code}                every error recorded by runs
// plus ccx_build_info{version,region} = 1 (like the seed's robot_commit).
class Metrics {
public:
    explicit Metrics(std::string region = "region");
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    void task_started(std::string_view driver, std::string_view verb);
    void task_finished(std::string_view driver, std::string_view verb, const Outcome& outcome);
    void lock_waited(std::string_view driver, std::string_view verb, std::chrono::microseconds waited, bool acquired);

    // Embedders add their own families here; they are rendered with the engine's.
    MetricsRegistry& registry() { return registry_; }
    const MetricsRegistry& registry() const { return registry_; }
    std::string render() const { return registry_.render(); }

private:
    MetricsRegistry registry_;
    MetricFamily& tasks_;
    MetricFamily& duration_;
    MetricFamily& in_flight_;
    MetricFamily& lock_wait_;
    MetricFamily& lock_timeouts_;
    MetricFamily& api_errors_;
    MetricFamily& host_errors_;
    MetricFamily& errors_;
};

// Serves GET /metrics (anything else: 404) over plain HTTP/1.1 on one background thread.
// Binding to port 0 picks a free port (see port()). Stops in the destructor.
class MetricsServer {
public:
    using Render = std::function<std::string()>;
    MetricsServer(Render render, std::string address = "127.0.0.1", std::uint16_t port = 0);
    explicit MetricsServer(const Metrics& metrics, std::string address = "127.0.0.1", std::uint16_t port = 0);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    std::uint16_t port() const { return port_; }
    std::size_t scrapes() const;  // /metrics requests answered
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::uint16_t port_ = 0;
};

}  // namespace cloudcix::drivers
