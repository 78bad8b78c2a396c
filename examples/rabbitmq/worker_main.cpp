// ccx-worker: a Celery-compatible worker that runs the drivers' verbs (see docs/rabbitmq.md).
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

#include "../common/args.hpp"
#include "../common/wiring.hpp"
#include "worker.hpp"

namespace ccx = cloudcix::drivers;
namespace rmq = cloudcix::rabbitmq;

namespace {

constexpr const char* kUsage = R"(usage: ccx-worker [OPTIONS]

Consumes Celery task-protocol-2 messages named <driver>_<verb> with args [resource_id] and runs
each verb through the lifecycle engine. Acks after the run; SIGTERM finishes the running tasks.

options:
  --broker URL                 amqp://USER:PASS@HOST:PORT/VHOST (default: $CCX_BROKER_URL,
                               else amqp://guest:guest@127.0.0.1:5672//)
  --queue NAME                 queue to consume, declared as Celery declares it (default: celery)
  --concurrency N              verbs run at once, default 2
  --prefetch-multiplier N      unacked deliveries per verb thread, default 4
  --heartbeat S                AMQP heartbeat in seconds, default 60 (0: off)
  --ack-after S                ack a delivery still unacked after S seconds, default 1200
                               (keep below the broker's consumer_timeout, 1800 s by default)

A message whose headers carry a W3C `traceparent` (ccx-dispatch and ccx-robot put one there)
runs as part of that trace; an ill-formed one is ignored (the task starts a new trace).
)";

rmq::Worker* g_worker = nullptr;
extern "C" void on_signal(int) {
    if (g_worker != nullptr) g_worker->stop();
}

}  // namespace

int main(int argc, char** argv) {
    cloudcix::examples::IaasOptions iaas;
    cloudcix::examples::ObsOptions obs;
    rmq::WorkerOptions options;
    const char* env = std::getenv("CCX_BROKER_URL");
    std::string broker = env ? env : "amqp://guest:guest@127.0.0.1:5672//";
    const cloudcix::examples::Args args("ccx-worker", argc, argv);
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::cout << kUsage << cloudcix::examples::iaas_options_usage << cloudcix::examples::obs_options_usage
                      << cloudcix::examples::metrics_options_usage;
            return 0;
        } else if (a == "--broker") {
            broker = args.value(i);
        } else if (a == "--queue") {
            options.queue = args.value(i);
        } else if (a == "--concurrency") {
            options.concurrency = static_cast<unsigned>(args.integer(i, 1, 256));
        } else if (a == "--prefetch-multiplier") {
            options.prefetch_multiplier = static_cast<unsigned>(args.integer(i, 1, 1000));
        } else if (a == "--heartbeat") {
            options.heartbeat = static_cast<int>(args.integer(i, 0, 3600));
        } else if (a == "--ack-after") {
            options.ack_after = std::chrono::seconds(args.integer(i, 1, 86400));
        } else if (cloudcix::examples::take_iaas_option(iaas, argc, argv, i, args.on_error())) {
            continue;
        } else if (cloudcix::examples::take_obs_option(obs, argc, argv, i, args.on_error())) {
            continue;
        } else {
            args.fail("unknown argument " + a);
        }
    }
    if (options.queue.empty()) args.fail("--queue must not be empty");
    options.quiet = false;
    try {
        options.broker = rmq::BrokerUrl::parse(broker);
        cloudcix::examples::Wiring wiring(iaas, std::cerr, "ccx-worker", obs);
        wiring.obs.serve_metrics();
        rmq::Worker worker(options, [&](const ccx::Task& t, const ccx::RunOptions& ro) { return ccx::run(wiring.ctx, t.driver, t.verb, t.resource_id, ro); },
                           std::cerr);
        g_worker = &worker;
        struct sigaction sa{};
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, nullptr);
        sigaction(SIGINT, &sa, nullptr);
        std::signal(SIGPIPE, SIG_IGN);
        int rc = worker.run();
        g_worker = nullptr;
        return rc;
    } catch (const std::invalid_argument& e) {
        args.fail(ccx::secrets::redact(e.what()));
    } catch (const std::exception& e) {
        std::cerr << "ccx-worker: " << ccx::secrets::redact(e.what()) << "\n";
        return 1;
    }
}
