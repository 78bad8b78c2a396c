// What observability costs a run: vm_kvm.build on the in-memory ports (native primitives over a
// recording host) with tracing off, with the log tracer, and with OTLP export to a loopback
// receiver (plus metrics and JSON logs on top). Prints the per-run cost of each as a ratio to
// "off", measured in the same process, rounds interleaved. Goal: OTLP <= 1.3x off.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <sstream>

#include "cloudcix_drivers/log_sinks.hpp"
#include "cloudcix_drivers/metrics.hpp"
#include "cloudcix_drivers/tracer/otlp.hpp"
#include "support/fixture.hpp"
#include "support/http.hpp"

using namespace ccx_test;
using Steady = std::chrono::steady_clock;

namespace {

class CountingSink : public LogSink {
public:
    void write(const LogRecord& r) override { bytes_ += r.message.size(); }
    std::size_t bytes_ = 0;
};

class NullBuf : public std::streambuf {
protected:
    int overflow(int c) override { return c; }
    std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

struct Mode {
    std::string name;
    std::function<void(Context&)> wire;
    std::function<void()> settle;  // after a round, outside the timed part
    std::vector<double> per_run_us;
};

}  // namespace

int main(int argc, char** argv) {
    int runs = argc > 1 ? std::atoi(argv[1]) : 200;
    int rounds = argc > 2 ? std::atoi(argv[2]) : 7;

    Demo d;
    RecordingRcc hosts;
    NativePrimitives native(hosts, d.clock, d.config);
    d.ctx.primitives = &native;
    d.ctx.log = nullptr;

    CountingSink counting;
    LogTracer log_tracer(counting);
    LoopbackHttpServer collector;
    PlainHttpTransport http;
    OtlpOptions otlp_opts;
    otlp_opts.endpoint = collector.url();
    OtlpTracer otlp(http, otlp_opts);
    Metrics metrics;
    NullBuf null_buf;
    std::ostream null_out(&null_buf);
    JsonLogSink json_log(null_out);

    std::vector<Mode> modes{
        {"off", [](Context& c) { c.tracer = nullptr; }, [] {}, {}},
        {"log tracer", [&](Context& c) { c.tracer = &log_tracer; }, [] {}, {}},
        {"otlp", [&](Context& c) { c.tracer = &otlp; }, [&] { otlp.flush(); }, {}},
        {"otlp+metrics+json logs",
         [&](Context& c) {
             c.tracer = &otlp;
             c.metrics = &metrics;
             c.log = &json_log;
         },
         [&] { otlp.flush(); }, {}},
    };

    std::size_t failures = 0;
    for (int round = 0; round < rounds + 1; ++round) {  // round 0 warms up
        for (auto& m : modes) {
            d.ctx.tracer = nullptr;
            d.ctx.metrics = nullptr;
            d.ctx.log = nullptr;
            m.wire(d.ctx);
            Steady::duration total{};
            for (int i = 0; i < runs; ++i) {
                d.region->set_state("vm", 1501, State::REQUESTED);
                auto t0 = Steady::now();
                auto o = run(d.ctx, "vm_kvm", "build", 1501);
                total += Steady::now() - t0;
                failures += o.status != Status::succeeded;
            }
            m.settle();
            if (round > 0) m.per_run_us.push_back(std::chrono::duration<double, std::micro>(total).count() / runs);
        }
    }
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    double base = median(modes[0].per_run_us);
    std::printf("obs_bench: vm_kvm.build on in-memory ports, %d runs x %d rounds per mode (median of rounds)\n", runs, rounds);
    for (const auto& m : modes)
        std::printf("  %-24s %9.1f us/run   %.2fx off\n", m.name.c_str(), median(m.per_run_us), median(m.per_run_us) / base);
    auto s = otlp.stats();
    otlp.flush();
    s = otlp.stats();
    std::printf("  otlp: %llu spans ended, %llu exported in %llu requests, %llu dropped; goal otlp <= 1.30x off: %s\n",
                static_cast<unsigned long long>(s.ended), static_cast<unsigned long long>(s.exported),
                static_cast<unsigned long long>(s.requests), static_cast<unsigned long long>(s.dropped),
                median(modes[2].per_run_us) / base <= 1.3 ? "met" : "NOT met");
    if (failures) std::printf("  warning: %zu runs did not succeed\n", failures);
    return failures ? 1 : 0;
}
