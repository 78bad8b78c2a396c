// The IaaS / hosts / lock / mail options, the observability options (logs, traces, metrics) and
// the wiring of one Context, shared by the example programs (cloudcix-drivers, ccx-worker,
// ccx-robot; ccx-dispatch uses the observability part) so each accepts them the same way.
#pragma once

#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "cloudcix_drivers/lock/peterson.hpp"
#include "cloudcix_drivers/log_sinks.hpp"
#include "cloudcix_drivers/metrics.hpp"
#include "cloudcix_drivers/native_primitives.hpp"
#include "cloudcix_drivers/notify/smtp.hpp"
#include "cloudcix_drivers/rcc/ssh.hpp"
#include "cloudcix_drivers/run.hpp"
#include "cloudcix_drivers/testing.hpp"
#include "cloudcix_drivers/tracer/otlp.hpp"

namespace cloudcix::examples {

struct IaasOptions {
    std::string hosts;
    std::string iaas_url;
    std::string membership_url;
    std::string ca_file;
    bool insecure = false;
    bool quiet = false;
    drivers::SshOptions ssh;
    bool ssh_options_given = false;
    std::string mail = "outbox";
    std::string lock_store;  // empty: the in-process lock
    int lock_slots = 16;
    int lock_lease_ms = 10000;
};

// The usage lines of the options below.
extern const char* const iaas_options_usage;

// When argv[i] is one of the shared options, consumes it (and its value) and returns true.
bool take_iaas_option(IaasOptions& o, int argc, char** argv, int& i, const std::function<void(const std::string&)>& usage_error);

// Logs, traces and metrics (docs/operations.md).
struct ObsOptions {
    std::string log_format = "text";  // text | json
    std::string log_file;             // empty: stderr
    std::string logstash_host;        // empty: no Logstash
    std::uint16_t logstash_port = 0;
    std::string otlp_endpoint;        // empty: spans are not exported
    int metrics_port = -1;            // -1: no /metrics; 0: any free port (announced)
    std::string metrics_bind = "127.0.0.1";
};

// The usage lines of the log and trace options, and of the metrics options.
extern const char* const obs_options_usage;
extern const char* const metrics_options_usage;

// When argv[i] is one of the observability options, consumes it (and its value) and returns
// true; a bad value (unknown format, malformed HOST:PORT or URL, port out of range) calls
// usage_error. --metrics-port and --metrics-bind are accepted here: a program that serves no
// metrics refuses them itself.
bool take_obs_option(ObsOptions& o, int argc, char** argv, int& i, const std::function<void(const std::string&)>& usage_error);

// The log sinks, the OTLP exporter and the metrics of one process. The destructor flushes the
// spans (OTLP shutdown) and the Logstash stream, and says on stderr what could not be delivered.
class Observability {
public:
    // `service` names the process in spans (service.name) and log lines; `ca_file` / `insecure`
    // apply to an https OTLP endpoint. Throws std::invalid_argument for an unusable value (a log
    // file that cannot be opened, an unreadable CA file).
    Observability(const ObsOptions& o, std::string service, std::string region, bool quiet, const std::string& ca_file = {},
                  bool insecure = false);
    ~Observability();
    Observability(const Observability&) = delete;
    Observability& operator=(const Observability&) = delete;

    drivers::LogSink& log() { return tee_; }
    drivers::Tracer* tracer() { return tracer_.get(); }  // null without --otlp-endpoint
    drivers::Metrics& metrics() { return metrics_; }
    // Starts serving /metrics when --metrics-port was given and says where on stderr; returns
    // the bound port (0: not serving). Throws std::runtime_error when the port cannot be bound.
    std::uint16_t serve_metrics();
    // Sends the queued spans and log records now; false when some did not arrive in time.
    bool flush(std::chrono::milliseconds timeout);

private:
    ObsOptions options_;
    std::string service_;
    std::unique_ptr<std::ofstream> file_;
    std::unique_ptr<drivers::LogSink> main_;
    std::unique_ptr<drivers::LogstashSink> logstash_;
    drivers::TeeLogSink tee_;
    std::unique_ptr<drivers::Transport> otlp_transport_;
    std::unique_ptr<drivers::OtlpTracer> tracer_;
    drivers::Metrics metrics_;
    std::unique_ptr<drivers::MetricsServer> server_;
};

// Everything one process wires together. The embedded demo region is the default.
struct Wiring {
    drivers::Config config = drivers::Config::from_environment();
    Observability obs;  // ctx.log, ctx.tracer and ctx.metrics
    std::shared_ptr<drivers::IaasRegion> region;  // set for the embedded demo region
    std::unique_ptr<drivers::Transport> transport;
    std::unique_ptr<drivers::IaasClient> iaas;
    drivers::InProcessLock lock;
    std::unique_ptr<drivers::PetersonLock> jerry;  // --lock-store: shared with other workers
    std::unique_ptr<drivers::Rcc> rcc;
    std::unique_ptr<drivers::NativePrimitives> primitives;
    drivers::LogSink& log;  // obs.log()
    drivers::OutboxNotifier outbox;
    std::unique_ptr<drivers::SmtpNotifier> smtp;
    drivers::Context ctx;

    // Throws std::invalid_argument for an unusable combination of options.
    Wiring(const IaasOptions& o, std::ostream& commands, std::string_view program, const ObsOptions& obs_options = {});
};

}  // namespace cloudcix::examples
