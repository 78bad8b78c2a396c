// ccx-robot: the loop that finds the work (spec §2.7) and dispatches it to RabbitMQ (ccx-worker or
// any Celery worker), or runs it on an in-process pool when no broker is given.
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <string>

#include "../common/args.hpp"
#include "../common/wiring.hpp"
#include "cloudcix_drivers/robot.hpp"
#include "dispatcher.hpp"

namespace ccx = cloudcix::drivers;
namespace rmq = cloudcix::rabbitmq;

namespace {

constexpr const char* kUsage = R"(usage: ccx-robot [OPTIONS]

Polls GET run_robot/, dispatches every listed verb, acknowledges the projects with
POST run_robot/, sleeps when there is no work. SIGTERM stops it between rounds.

options:
  --broker URL                 publish each task to RabbitMQ (amqp://USER:PASS@HOST:PORT/VHOST)
                               for ccx-worker; without it (and without $CCX_BROKER_URL) the verbs
                               run here on an in-process pool
  --queue NAME                 (broker) target queue, default celery
  --threads N                  (in-process) verb threads, default 2
  --idle-sleep S               seconds between polls when there is no work, default 15
  --once                       one round, then exit
  --until-idle                 exit at the first poll that lists no work

With --otlp-endpoint each published task gets a producer span, whose `traceparent` travels in
the message headers to ccx-worker; --metrics-port serves the in-process runs' metrics.
)";

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop = true; }

}  // namespace

int main(int argc, char** argv) {
    cloudcix::examples::IaasOptions iaas;
    cloudcix::examples::ObsOptions obs;
    const char* env = std::getenv("CCX_BROKER_URL");
    std::string broker = env ? env : "";
    std::string queue = "celery";
    int threads = 2;
    ccx::RobotLoopOptions loop;
    const cloudcix::examples::Args args("ccx-robot", argc, argv);
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::cout << kUsage << cloudcix::examples::iaas_options_usage << cloudcix::examples::obs_options_usage
                      << cloudcix::examples::metrics_options_usage;
            return 0;
        } else if (a == "--broker") {
            broker = args.value(i);
        } else if (a == "--queue") {
            queue = args.value(i);
        } else if (a == "--threads") {
            threads = static_cast<int>(args.integer(i, 1, 256));
        } else if (a == "--idle-sleep") {
            loop.idle_sleep = std::chrono::seconds(args.integer(i, 0, 86400));
        } else if (a == "--once") {
            loop.once = true;
        } else if (a == "--until-idle") {
            loop.until_idle = true;
        } else if (cloudcix::examples::take_iaas_option(iaas, argc, argv, i, args.on_error())) {
            continue;
        } else if (cloudcix::examples::take_obs_option(obs, argc, argv, i, args.on_error())) {
            continue;
        } else {
            args.fail("unknown argument " + a);
        }
    }
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    loop.stop = &g_stop;
    loop.log = [](const std::string& line) { std::cerr << "ccx-robot: " << line << "\n"; };
    try {
        cloudcix::examples::Wiring wiring(iaas, std::cerr, "ccx-robot", obs);
        wiring.obs.serve_metrics();
        ccx::RobotLoopResult result;
        if (!broker.empty()) {
            rmq::RabbitMqDispatcher dispatcher(rmq::BrokerUrl::parse(broker), queue, wiring.obs.tracer());
            result = ccx::run_robot_loop(*wiring.iaas, dispatcher, loop);
            if (result.not_queued > 0) std::cerr << "ccx-robot: last broker error: " << dispatcher.last_error() << "\n";
        } else {
            std::mutex mutex;
            std::map<std::string, int> counts;
            std::unique_ptr<ccx::ThreadPoolDispatcher> pool;
            pool = std::make_unique<ccx::ThreadPoolDispatcher>(static_cast<std::size_t>(threads), [&](const ccx::Task& t) {
                auto o = ccx::run(wiring.ctx, t.driver, t.verb, t.resource_id);
                {
                    std::lock_guard lock(mutex);
                    ++counts[std::string(ccx::to_string(o.status))];
                    std::cerr << "ccx-robot: " << t.driver << "." << t.verb << " #" << t.resource_id << " "
                              << ccx::to_string(o.status) << "\n";
                }
                if (o.status == ccx::Status::postponed) pool->dispatch(t, o.retry_after);
            });
            loop.after_dispatch = [&](const ccx::RobotWork&) { pool->wait_idle(std::chrono::minutes(30)); };
            result = ccx::run_robot_loop(*wiring.iaas, *pool, loop);
            pool->stop();
            std::cerr << "ccx-robot: outcomes:";
            for (const auto& [status, n] : counts) std::cerr << " " << status << "=" << n;
            std::cerr << "\n";
        }
        std::cerr << "ccx-robot: " << result.rounds << " round(s), " << result.dispatched << " task(s) dispatched, "
                  << result.errors << " error(s)\n";
        return result.errors == 0 ? 0 : 1;
    } catch (const std::invalid_argument& e) {
        args.fail(ccx::secrets::redact(e.what()));
    } catch (const std::exception& e) {
        std::cerr << "ccx-robot: " << ccx::secrets::redact(e.what()) << "\n";
        return 1;
    }
}
