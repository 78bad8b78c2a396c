// The metrics registry and its Prometheus text rendering (exposition format 0.0.4).
#include "cloudcix_drivers/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "cloudcix_drivers/outcome.hpp"

#ifndef CCX_VERSION
#define CCX_VERSION "0"
#endif

namespace cloudcix::drivers {
namespace {

void append_number(std::string& out, double v) {
    if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
        return;
    }
    if (std::isnan(v)) {
        out += "NaN";
        return;
    }
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_escaped(std::string& out, std::string_view s, bool quote) {
    for (char c : s) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (quote && c == '"') out += "\\\"";
        else out += c;
    }
}

void append_labels(std::string& out, const std::vector<std::string>& names, const LabelValues& values,
                   std::string_view le = {}) {
    if (names.empty() && le.empty()) return;
    out += '{';
    bool first = true;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (!first) out += ',';
        first = false;
        out += names[i];
        out += "=\"";
        append_escaped(out, i < values.size() ? values[i] : std::string(), true);
        out += '"';
    }
    if (!le.empty()) {
        if (!first) out += ',';
        out += "le=\"";
        out += le;
        out += '"';
    }
    out += '}';
}

LabelValues fit(const LabelValues& values, std::size_t n) {
    LabelValues v = values;
    v.resize(n);
    return v;
}

}  // namespace

MetricFamily::MetricFamily(std::string name, std::string help, Type type, std::vector<std::string> labels,
                           std::vector<double> buckets)
    : name_(std::move(name)), help_(std::move(help)), type_(type), labels_(std::move(labels)), bounds_(std::move(buckets)) {
    std::sort(bounds_.begin(), bounds_.end());
    bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
}

void MetricFamily::add(const LabelValues& labels, double value) {
    if (type_ == Type::counter && value < 0) return;
    std::lock_guard lock(mutex_);
    series_[fit(labels, labels_.size())].value += value;
}

void MetricFamily::set(const LabelValues& labels, double value) {
    std::lock_guard lock(mutex_);
    series_[fit(labels, labels_.size())].value = value;
}

void MetricFamily::observe(const LabelValues& labels, double value) {
    std::lock_guard lock(mutex_);
    Series& s = series_[fit(labels, labels_.size())];
    if (s.buckets.empty()) s.buckets.assign(bounds_.size(), 0);
    s.value += value;
    ++s.count;
    auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);  // le: value <= bound
    if (it != bounds_.end()) ++s.buckets[static_cast<std::size_t>(it - bounds_.begin())];
}

double MetricFamily::value(const LabelValues& labels) const {
    std::lock_guard lock(mutex_);
    auto it = series_.find(fit(labels, labels_.size()));
    if (it == series_.end()) return 0;
    return type_ == Type::histogram ? static_cast<double>(it->second.count) : it->second.value;
}

double MetricFamily::sum(const LabelValues& labels) const {
    std::lock_guard lock(mutex_);
    auto it = series_.find(fit(labels, labels_.size()));
    return it == series_.end() ? 0 : it->second.value;
}

void MetricFamily::render(std::string& out) const {
    out += "# HELP ";
    out += name_;
    out += ' ';
    append_escaped(out, help_, false);
    out += "\n# TYPE ";
    out += name_;
    out += type_ == Type::counter ? " counter\n" : type_ == Type::gauge ? " gauge\n" : " histogram\n";
    std::lock_guard lock(mutex_);
    for (const auto& [values, s] : series_) {
        if (type_ != Type::histogram) {
            out += name_;
            append_labels(out, labels_, values);
            out += ' ';
            append_number(out, s.value);
            out += '\n';
            continue;
        }
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < bounds_.size(); ++i) {
            cumulative += i < s.buckets.size() ? s.buckets[i] : 0;
            std::string le;
            append_number(le, bounds_[i]);
            out += name_ + "_bucket";
            append_labels(out, labels_, values, le);
            out += ' ' + std::to_string(cumulative) + '\n';
        }
        out += name_ + "_bucket";
        append_labels(out, labels_, values, "+Inf");
        out += ' ' + std::to_string(s.count) + '\n';
        out += name_ + "_sum";
        append_labels(out, labels_, values);
        out += ' ';
        append_number(out, s.value);
        out += '\n' + name_ + "_count";
        append_labels(out, labels_, values);
        out += ' ' + std::to_string(s.count) + '\n';
    }
}

MetricFamily& MetricsRegistry::add(std::string name, std::string help, MetricFamily::Type type,
                                   std::vector<std::string> labels, std::vector<double> buckets) {
    std::lock_guard lock(mutex_);
    for (auto& f : families_)
        if (f->name() == name) return *f;
    families_.push_back(std::make_unique<MetricFamily>(std::move(name), std::move(help), type, std::move(labels),
                                                       std::move(buckets)));
    return *families_.back();
}

MetricFamily& MetricsRegistry::counter(std::string name, std::string help, std::vector<std::string> labels) {
    return add(std::move(name), std::move(help), MetricFamily::Type::counter, std::move(labels), {});
}
MetricFamily& MetricsRegistry::gauge(std::string name, std::string help, std::vector<std::string> labels) {
    return add(std::move(name), std::move(help), MetricFamily::Type::gauge, std::move(labels), {});
}
MetricFamily& MetricsRegistry::histogram(std::string name, std::string help, std::vector<std::string> labels,
                                         std::vector<double> buckets) {
    return add(std::move(name), std::move(help), MetricFamily::Type::histogram, std::move(labels), std::move(buckets));
}

MetricFamily* MetricsRegistry::find(std::string_view name) const {
    std::lock_guard lock(mutex_);
    for (const auto& f : families_)
        if (f->name() == name) return f.get();
    return nullptr;
}

std::string MetricsRegistry::render() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& f : families_) f->render(out);
    return out;
}

// ---- the engine's instruments ------------------------------------------------------------------

Metrics::Metrics(std::string region)
    : tasks_(registry_.counter("ccx_tasks_total", "Runs finished, by outcome.", {"driver", "verb", "outcome"})),
      duration_(registry_.histogram("ccx_task_duration_seconds", "Whole-run time of finished runs.", {"driver", "verb"},
                                    {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800})),
      in_flight_(registry_.gauge("ccx_tasks_in_flight", "Runs under way.", {"driver", "verb"})),
      lock_wait_(registry_.histogram("ccx_lock_wait_seconds", "Time spent waiting for a run's locks.", {"driver", "verb"},
                                     {0.0001, 0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60})),
      lock_timeouts_(registry_.counter("ccx_lock_timeouts_total", "Runs postponed because their locks stayed busy.",
                                       {"driver", "verb"})),
      api_errors_(registry_.counter("ccx_api_errors_total",
                                    "API interaction errors (0xxx codes other than 0001, 0007, 0011) recorded by runs.",
                                    {"driver", "verb", "code"})),
      host_errors_(registry_.counter("ccx_host_errors_total", "Primitive and host errors (2xxx codes) recorded by runs.",
                                     {"driver", "verb", "code"})),
      errors_(registry_.counter("ccx_errors_total", "Every error code recorded by runs.", {"driver", "verb", "code"})) {
    registry_.gauge("ccx_build_info", "The library version and region; always 1.", {"version", "region"})
        .set({CCX_VERSION, std::move(region)}, 1);
}

void Metrics::task_started(std::string_view driver, std::string_view verb) {
    in_flight_.add({std::string(driver), std::string(verb)}, 1);
}

void Metrics::task_finished(std::string_view driver, std::string_view verb, const Outcome& o) {
    LabelValues dv{std::string(driver), std::string(verb)};
    in_flight_.add(dv, -1);
    tasks_.add({dv[0], dv[1], std::string(to_string(o.status))});
    duration_.observe(dv, std::chrono::duration<double>(o.timings.total).count());
    for (const auto& e : o.errors) {
        // The code's last four digits: bounded label values whatever the driver.
        std::string number = e.code.size() >= 4 ? e.code.substr(e.code.size() - 4) : e.code;
        errors_.add({dv[0], dv[1], number});
        if (number[0] == '2') host_errors_.add({dv[0], dv[1], number});
        if (number[0] == '0' && number != "0001" && number != "0007" && number != "0011")
            api_errors_.add({dv[0], dv[1], number});
    }
}

void Metrics::lock_waited(std::string_view driver, std::string_view verb, std::chrono::microseconds waited, bool acquired) {
    LabelValues dv{std::string(driver), std::string(verb)};
    lock_wait_.observe(dv, std::chrono::duration<double>(waited).count());
    if (!acquired) lock_timeouts_.add(dv);
}

}  // namespace cloudcix::drivers
