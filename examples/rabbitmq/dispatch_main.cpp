// ccx-dispatch DRIVER VERB ID: publishes the message Celery's send_task would (see docs/rabbitmq.md).
#include <cstdlib>
#include <iostream>
#include <string>

#include "../common/args.hpp"
#include "../common/wiring.hpp"
#include "cloudcix_drivers/log.hpp"
#include "dispatcher.hpp"
#include "worker.hpp"

namespace ccx = cloudcix::drivers;
namespace rmq = cloudcix::rabbitmq;
using namespace std::chrono;

namespace {

constexpr const char* kUsage = R"(usage: ccx-dispatch DRIVER VERB ID [OPTIONS]

Publishes the Celery protocol-2 task <DRIVER>_<VERB> with args [ID], as Python's
app.send_task('<DRIVER>_<VERB>', args=[ID]) does, and prints its task id.

options:
  --broker URL       amqp://USER:PASS@HOST:PORT/VHOST (default: $CCX_BROKER_URL,
                     else amqp://guest:guest@127.0.0.1:5672//)
  --queue NAME       target queue, declared as Celery declares it (default: celery)
  --countdown S      run no earlier than S seconds from now (Celery eta)
  --expires S        drop the task if it has not started S seconds from now
  --ca-file FILE     (https --otlp-endpoint) trust these CA certificates
  --insecure         (https --otlp-endpoint) do not verify the collector's certificate
)";
constexpr const char* kUsageTrace = R"(
The message carries a W3C `traceparent` header so ccx-worker continues the trace: that of the
producer span "dispatch DRIVER.VERB" with --otlp-endpoint (exported before exiting), else a
fresh one. $TRACEPARENT, when set and well-formed, is the caller's context to continue.
)";

}  // namespace

int main(int argc, char** argv) {
    const char* env = std::getenv("CCX_BROKER_URL");
    std::string broker = env ? env : "amqp://guest:guest@127.0.0.1:5672//";
    std::string queue = "celery";
    double countdown = -1, expires = -1;
    std::vector<std::string> positional;
    cloudcix::examples::ObsOptions obs;
    std::string ca_file;
    bool insecure = false;
    const cloudcix::examples::Args args("ccx-dispatch", argc, argv);
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::cout << kUsage << cloudcix::examples::obs_options_usage << kUsageTrace;
            return 0;
        } else if (a == "--broker") {
            broker = args.value(i);
        } else if (a == "--queue") {
            queue = args.value(i);
        } else if (a == "--countdown") {
            countdown = args.decimal(i, 0, 1e9, "number of seconds");
        } else if (a == "--expires") {
            expires = args.decimal(i, 0, 1e9, "number of seconds");
        } else if (a == "--ca-file") {
            ca_file = args.value(i);
        } else if (a == "--insecure") {
            insecure = true;
        } else if (cloudcix::examples::take_obs_option(obs, argc, argv, i, args.on_error())) {
            if (obs.metrics_port >= 0) args.fail("ccx-dispatch runs no verbs: it serves no --metrics-port");
        } else if (a.size() > 1 && a[0] == '-') {
            args.fail("unknown option " + a);
        } else {
            positional.push_back(a);
        }
    }
    if (positional.size() != 3) args.fail("takes DRIVER VERB ID");
    rmq::CeleryTask task;
    task.name = positional[0] + "_" + positional[1];
    if (!rmq::Worker::task_names().count(task.name))
        args.fail("no verb " + positional[0] + "." + positional[1] + " (see 'cloudcix-drivers list')");
    try {
        std::size_t used = 0;
        task.resource_id = std::stoll(positional[2], &used);
        if (used != positional[2].size() || task.resource_id <= 0) throw std::invalid_argument("id");
    } catch (...) {
        args.fail("ID must be a positive integer, got '" + positional[2] + "'");
    }
    auto now = system_clock::now();
    if (countdown >= 0) task.eta = now + duration_cast<system_clock::duration>(duration<double>(countdown));
    if (expires >= 0) task.expires = now + duration_cast<system_clock::duration>(duration<double>(expires));
    if (const char* tp = std::getenv("TRACEPARENT")) task.traceparent = tp;
    try {
        // Declared first, destroyed last: the producer span is exported before the exit.
        cloudcix::examples::Observability observability(obs, "ccx-dispatch", ccx::Config::from_environment().region_name, false, ca_file,
                                                    insecure);
        rmq::RabbitMqDispatcher dispatcher(rmq::BrokerUrl::parse(broker), queue, observability.tracer());
        std::cout << dispatcher.publish(task) << "\n";
        return 0;
    } catch (const std::invalid_argument& e) {
        args.fail(ccx::secrets::redact(e.what()));
    } catch (const std::exception& e) {
        std::cerr << "ccx-dispatch: " << ccx::secrets::redact(e.what()) << "\n";
        return 1;
    }
}
