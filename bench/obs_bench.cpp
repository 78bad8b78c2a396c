// What observability costs a run: vm_kvm.build on the in-memory ports (native primitives over a
// recording host) with tracing off, with the log tracer, and with OTLP export to a loopback
// receiver (plus metrics and JSON logs on top). Prints the per-run cost of each as a ratio to
// "off", measured in the same process, rounds interleaved. Goal: OTLP <= 1.3x off.
// Three clocks: wall time around run(); CPU time of the task's thread around run() (what the
// task pays, immune to other processes on a loaded machine); CPU time of the whole process
// over the round including the final flush (adds the exporter thread, and the loopback
// receiver, which a real deployment does not pay: an upper bound).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <sstream>

#include <time.h>

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
    std::function<void()> settle;  // after a round, outside the run() timings
    std::vector<double> wall_us, thread_cpu_us, process_cpu_us;  // per run, one entry per round
};

double cpu_us(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

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
    // The same exporter with its sends held back to the end of the round: the task thread's share.
    OtlpOptions deferred_opts = otlp_opts;
    deferred_opts.interval = std::chrono::hours(1);
    deferred_opts.max_batch = 1u << 20;
    deferred_opts.max_queue = 1u << 20;
    OtlpTracer deferred(http, deferred_opts);
    Metrics metrics;
    NullBuf null_buf;
    std::ostream null_out(&null_buf);
    JsonLogSink json_log(null_out);

    std::vector<Mode> modes{
        {"off", [](Context& c) { c.tracer = nullptr; }, [] {}, {}, {}, {}},
        {"log tracer", [&](Context& c) { c.tracer = &log_tracer; }, [] {}, {}, {}, {}},
        {"otlp", [&](Context& c) { c.tracer = &otlp; }, [&] { otlp.flush(); }, {}, {}, {}},
        {"otlp, sends after round", [&](Context& c) { c.tracer = &deferred; }, [&] { deferred.flush(); }, {}, {}, {}},
        {"otlp+metrics+json logs",
         [&](Context& c) {
             c.tracer = &otlp;
             c.metrics = &metrics;
             c.log = &json_log;
         },
         [&] { otlp.flush(); }, {}, {}, {}},
    };

    // Each PATCH adds a history row to the VM (as the API does): start every run from the same VM.
    const auto vm = *d.region->object("vm", 1501);
    std::size_t failures = 0;
    for (int round = 0; round < rounds + 1; ++round) {  // round 0 warms up
        for (auto& m : modes) {
            d.ctx.tracer = nullptr;
            d.ctx.metrics = nullptr;
            d.ctx.log = nullptr;
            m.wire(d.ctx);
            Steady::duration total{};
            double thread_cpu = 0, process0 = cpu_us(CLOCK_PROCESS_CPUTIME_ID);
            for (int i = 0; i < runs; ++i) {
                d.region->put("vm", vm);
                auto t0 = Steady::now();
                double c0 = cpu_us(CLOCK_THREAD_CPUTIME_ID);
                auto o = run(d.ctx, "vm_kvm", "build", 1501);
                thread_cpu += cpu_us(CLOCK_THREAD_CPUTIME_ID) - c0;
                total += Steady::now() - t0;
                failures += o.status != Status::succeeded;
            }
            m.settle();
            double process_cpu = cpu_us(CLOCK_PROCESS_CPUTIME_ID) - process0;
            if (round > 0) {
                m.wall_us.push_back(std::chrono::duration<double, std::micro>(total).count() / runs);
                m.thread_cpu_us.push_back(thread_cpu / runs);
                m.process_cpu_us.push_back(process_cpu / runs);
            }
        }
    }
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    const double base_wall = median(modes[0].wall_us), base_thread = median(modes[0].thread_cpu_us),
                 base_process = median(modes[0].process_cpu_us);
    std::printf("obs_bench: vm_kvm.build on in-memory ports, %d runs x %d rounds per mode (medians of rounds)\n", runs, rounds);
    std::printf("  %-26s %18s %22s %22s\n", "mode", "wall us/run", "task-thread CPU us", "process CPU us");
    for (const auto& m : modes) {
        double w = median(m.wall_us), t = median(m.thread_cpu_us), p = median(m.process_cpu_us);
        std::printf("  %-26s %9.1f (%.2fx)  %12.1f (%.2fx)  %12.1f (%.2fx)\n", m.name.c_str(), w, w / base_wall, t,
                    t / base_thread, p, p / base_process);
    }
    otlp.flush();
    auto s = otlp.stats();
    const double ratio = median(modes[2].thread_cpu_us) / base_thread;
    std::printf("  otlp: %llu spans ended, %llu exported in %llu requests, %llu dropped\n",
                static_cast<unsigned long long>(s.ended), static_cast<unsigned long long>(s.exported),
                static_cast<unsigned long long>(s.requests), static_cast<unsigned long long>(s.dropped));
    std::printf("  goal: otlp <= 1.30x off in the task's cost: %.2fx, %s\n", ratio, ratio <= 1.3 ? "met" : "NOT met");
    if (failures) std::printf("  warning: %zu runs did not succeed\n", failures);
    return failures ? 1 : 0;
}
