// Throughput of the RabbitMQ worker (bench/rabbitmq/run.sh drives it; not a test).
//   bench_rabbitmq publish URL QUEUE N      publish N vm_kvm_build tasks, args [FIRST+i]
//   bench_rabbitmq worker  URL QUEUE N      the ccx-worker engine (2 verb threads) with the
//                                           in-memory IaaS (N REQUESTED VMs) and recording primitives
//   bench_rabbitmq noop    URL QUEUE N      the same engine with a runner that does nothing
//   bench_rabbitmq raw     URL QUEUE N      rabbitmq-c basic.consume + basic.ack, nothing else
// Each consumer prints one line: tasks/s from the first to the last task, CPU seconds of this
// process over the same window, peak RSS.
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <mutex>
#include <string>
#include <thread>

#include <boost/json/parse.hpp>

#include "amqp.hpp"
#include "celery.hpp"
#include "cloudcix_drivers/run.hpp"
#include "cloudcix_drivers/testing.hpp"
#include "worker.hpp"

namespace ccx = cloudcix::drivers;
namespace rmq = cloudcix::rabbitmq;
using namespace std::chrono;

namespace {

constexpr long long kFirst = 100000;

double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

long current_rss_kb() {
    std::ifstream in("/proc/self/status");
    std::string key;
    long value = 0;
    while (in >> key) {
        if (key == "VmRSS:") {
            in >> value;
            return value;
        }
        in.ignore(4096, '\n');
    }
    return 0;
}

long peak_rss_kb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

void report(const char* what, long n, steady_clock::time_point first, steady_clock::time_point last, double cpu0, double cpu1) {
    double secs = duration<double>(last - first).count();
    std::printf("%s tasks=%ld rate=%.0f/s cpu=%.2fs peak_rss=%ldkB\n", what, n, (n - 1) / secs, cpu1 - cpu0, peak_rss_kb());
}

int publish(const std::string& url, const std::string& queue, long n) {
    rmq::Connection c(rmq::BrokerUrl::parse(url), 0);
    c.declare_celery_queue(queue);
    for (long i = 0; i < n; ++i) {
        rmq::CeleryTask t;
        t.name = "vm_kvm_build";
        t.resource_id = kFirst + i;
        rmq::EncodedMessage m(t);
        c.publish(queue, m);
    }
    // Wait until the broker lists them all.
    for (;;) {
        auto* ok = amqp_queue_declare(c.state(), rmq::Connection::channel, amqp_cstring_bytes(queue.c_str()), 1, 1, 0, 0, amqp_empty_table);
        if (ok == nullptr) return 1;
        if (ok->message_count >= static_cast<uint32_t>(n)) break;
        std::this_thread::sleep_for(milliseconds(100));
    }
    c.close();
    return 0;
}

// The worker machinery alone (decode, hand to a verb thread, ack): a runner that does nothing,
// like the Python no-op task.
int noop(const std::string& url, const std::string& queue, long n) {
    rmq::WorkerOptions options;
    options.broker = rmq::BrokerUrl::parse(url);
    options.queue = queue;
    options.concurrency = 2;
    options.quiet = true;
    std::mutex m;
    steady_clock::time_point first{}, last{};
    double cpu0 = 0;
    std::atomic<long> done{0};
    std::ostringstream log;
    rmq::Worker w(options, [&](const ccx::Task& t, const ccx::RunOptions&) {
        {
            std::lock_guard lock(m);
            if (first == steady_clock::time_point{}) {
                first = steady_clock::now();
                cpu0 = cpu_seconds();
            }
        }
        ccx::Outcome o;
        o.driver = t.driver;
        o.verb = t.verb;
        o.resource_id = t.resource_id;
        o.status = ccx::Status::succeeded;
        if (++done == n) last = steady_clock::now();
        return o;
    }, log);
    std::thread stopper([&] {
        while (done.load() < n) std::this_thread::sleep_for(milliseconds(20));
        w.stop();
    });
    w.run();
    stopper.join();
    report("ccx-worker-noop", n, first, last, cpu0, cpu_seconds());
    return 0;
}

int worker(const std::string& url, const std::string& queue, long n) {
    auto demo = boost::json::parse(ccx::demo_region_json()).as_object();
    auto region = ccx::IaasRegion::demo();
    auto vm = *region->object("vm", 1501);
    for (long i = 0; i < n; ++i) {
        auto copy = vm;
        copy["id"] = kFirst + i;
        copy["history"] = boost::json::array{};
        region->put("vm", copy);
    }
    ccx::MemoryIaas transport(region);
    auto creds = demo.at("credentials").as_object();
    ccx::Config config;
    config.iaas.iaas_url = std::string(ccx::MemoryIaas::iaas_url);
    config.iaas.membership_url = std::string(ccx::MemoryIaas::membership_url);
    config.iaas.username = std::string(creds.at("email").as_string());
    config.iaas.password = std::string(creds.at("password").as_string());
    config.iaas.api_key = std::string(creds.at("api_key").as_string());
    ccx::IaasClient iaas(transport, ccx::system_clock(), config.iaas);
    ccx::InProcessLock lock;
    ccx::RecordingPrimitives primitives;
    ccx::MemoryNotifier notifier;
    ccx::Context ctx;
    ctx.iaas = &iaas;
    ctx.lock = &lock;
    ctx.primitives = &primitives;
    ctx.notifier = &notifier;
    ctx.config = config;

    // What the in-memory IaaS with N VMs costs before any task: not the worker's own memory.
    std::printf("(ccx-worker: the in-memory IaaS with %ld VMs holds %ld kB before the first task)\n", n, current_rss_kb());
    rmq::WorkerOptions options;
    options.broker = rmq::BrokerUrl::parse(url);
    options.queue = queue;
    options.concurrency = 2;
    options.quiet = true;
    std::mutex m;
    steady_clock::time_point first{}, last{};
    double cpu0 = 0;
    std::atomic<long> done{0};
    std::atomic<long> succeeded{0};
    std::ostringstream log;
    rmq::Worker w(options, [&](const ccx::Task& t, const ccx::RunOptions& ro) {
        {
            std::lock_guard lock(m);
            if (first == steady_clock::time_point{}) {
                first = steady_clock::now();
                cpu0 = cpu_seconds();
            }
        }
        auto o = ccx::run(ctx, t.driver, t.verb, t.resource_id, ro);
        if (o.status == ccx::Status::succeeded) ++succeeded;
        if (++done == n) last = steady_clock::now();
        return o;
    }, log);
    std::thread stopper([&] {
        while (done.load() < n) std::this_thread::sleep_for(milliseconds(20));
        w.stop();
    });
    w.run();
    stopper.join();
    double cpu1 = cpu_seconds();
    report("ccx-worker", n, first, last, cpu0, cpu1);
    if (succeeded.load() != n) std::fprintf(stderr, "only %ld of %ld builds succeeded\n", succeeded.load(), n);
    return succeeded.load() == n ? 0 : 1;
}

int raw(const std::string& url, const std::string& queue, long n) {
    rmq::Connection c(rmq::BrokerUrl::parse(url), 0);
    c.declare_celery_queue(queue);
    c.qos(8);
    c.consume(queue);
    long got = 0;
    steady_clock::time_point first{}, last{};
    double cpu0 = 0;
    while (got < n) {
        amqp_envelope_t env;
        amqp_maybe_release_buffers(c.state());
        struct timeval tv{5, 0};
        auto r = amqp_consume_message(c.state(), &env, &tv, 0);
        if (r.reply_type != AMQP_RESPONSE_NORMAL) {
            std::fprintf(stderr, "consume: %s\n", rmq::describe(r).c_str());
            return 1;
        }
        if (got == 0) {
            first = steady_clock::now();
            cpu0 = cpu_seconds();
        }
        c.ack(env.delivery_tag);
        amqp_destroy_envelope(&env);
        ++got;
    }
    last = steady_clock::now();
    report("raw-rabbitmq-c", n, first, last, cpu0, cpu_seconds());
    c.close();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::cerr << "usage: bench_rabbitmq publish|worker|raw URL QUEUE N\n";
        return 2;
    }
    std::string mode = argv[1];
    long n = std::stol(argv[4]);
    try {
        if (mode == "publish") return publish(argv[2], argv[3], n);
        if (mode == "worker") return worker(argv[2], argv[3], n);
        if (mode == "raw") return raw(argv[2], argv[3], n);
        if (mode == "noop") return noop(argv[2], argv[3], n);
    } catch (const std::exception& e) {
        std::cerr << "bench_rabbitmq: " << e.what() << "\n";
        return 1;
    }
    std::cerr << "unknown mode " << mode << "\n";
    return 2;
}
