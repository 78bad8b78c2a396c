// cloudcix-drivers: list, explain, plan, run, robot — the library from the command line.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "cloudcix_drivers/log_sinks.hpp"
#include "cloudcix_drivers/metrics.hpp"
#include "cloudcix_drivers/native_primitives.hpp"
#include "cloudcix_drivers/run.hpp"
#include "cloudcix_drivers/testing.hpp"
#include "cloudcix_drivers/tracer/otlp.hpp"
// The OTLP exporter needs a network transport: present once the HTTPS transport is built in.
#if __has_include("cloudcix_drivers/transport/http.hpp")
#include "cloudcix_drivers/transport/http.hpp"
#define CCX_CLI_HAS_HTTP 1
#endif

namespace ccx = cloudcix::drivers;
namespace json = boost::json;

namespace {

constexpr const char* kUsage = R"(usage: cloudcix-drivers COMMAND [ARGS] [OPTIONS]

commands:
  list                         every driver.verb, one a line (51)
  explain CODE                 the sentence for an error code (vm_kvm_build_0007 or 0007)
  plan DRIVER VERB ID          the host commands the verb would run now, in order; runs nothing
  run DRIVER VERB ID           run one verb on one resource through the lifecycle
  robot [--once]               read run_robot/, run every listed verb on an in-process pool,
                               acknowledge, repeat until nothing is left (or once)

options:
  --json                       (run) print the Outcome as JSON on stdout
  --hosts dry-run              host channel: print each host command instead of running it
                               (the default against the embedded demo region; required to be
                               explicit against a real IaaS URL)
  --iaas-url URL               IaaS API root (default: $CLOUDCIX_IAAS_URL; none: the embedded demo)
  --membership-url URL         Membership API root (default: $CLOUDCIX_MEMBERSHIP_URL)
  --threads N                  (robot) worker threads, default 2
  --quiet                      only warnings and errors on stderr
  --log-format text|json       log lines as text (default) or JSON lines with trace ids
  --log-file FILE              append the log to FILE instead of stderr
  --logstash HOST:PORT         also stream JSON log lines to Logstash (tcp input, json_lines)
  --otlp-endpoint URL          export traces as OTLP/HTTP JSON to URL/v1/traces
                               (e.g. http://127.0.0.1:4318; needs the HTTP transport)
  --metrics-port N             (robot) serve Prometheus metrics on 127.0.0.1:N/metrics
  --metrics-address ADDR       (robot) listen address for --metrics-port (default 127.0.0.1)
  --linger SECONDS             (robot) keep serving /metrics this long after the last round
  -h, --help                   this text

exit codes: 0 succeeded, 1 failed, 2 usage error or rejected, 3 skipped, 4 postponed
environment: CLOUDCIX_IAAS_URL, CLOUDCIX_MEMBERSHIP_URL, CLOUDCIX_API_USERNAME,
             CLOUDCIX_API_PASSWORD, CLOUDCIX_API_KEY, CLOUDCIX_SEND_TO_FAIL, ...
)";

struct Options {
    std::vector<std::string> positional;
    bool json = false;
    bool quiet = false;
    bool once = false;
    std::string hosts;
    std::string iaas_url;
    std::string membership_url;
    int threads = 2;
    std::string log_format = "text";
    std::string log_file;
    std::string logstash;
    std::string otlp_endpoint;
    int metrics_port = -1;
    std::string metrics_address = "127.0.0.1";
    int linger = 0;
};

[[noreturn]] void usage_error(const std::string& message) {
    std::cerr << "cloudcix-drivers: " << message << "\n(run 'cloudcix-drivers --help' for usage)\n";
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&](const std::string& name) -> std::string {
            if (i + 1 >= argc) usage_error(name + " needs a value");
            return argv[++i];
        };
        if (a == "-h" || a == "--help") {
            std::cout << kUsage;
            std::exit(0);
        } else if (a == "--json") {
            o.json = true;
        } else if (a == "--quiet") {
            o.quiet = true;
        } else if (a == "--once") {
            o.once = true;
        } else if (a == "--hosts") {
            o.hosts = value(a);
        } else if (a == "--iaas-url") {
            o.iaas_url = value(a);
        } else if (a == "--membership-url") {
            o.membership_url = value(a);
        } else if (a == "--log-format") {
            o.log_format = value(a);
            if (o.log_format != "text" && o.log_format != "json") usage_error("--log-format is text or json");
        } else if (a == "--log-file") {
            o.log_file = value(a);
        } else if (a == "--logstash") {
            o.logstash = value(a);
        } else if (a == "--otlp-endpoint") {
            o.otlp_endpoint = value(a);
            if (o.otlp_endpoint.rfind("http://", 0) != 0 && o.otlp_endpoint.rfind("https://", 0) != 0)
                usage_error("--otlp-endpoint needs an http:// or https:// URL");
        } else if (a == "--metrics-port") {
            try {
                o.metrics_port = std::stoi(value(a));
            } catch (...) {
                usage_error("--metrics-port needs a number");
            }
            if (o.metrics_port < 0 || o.metrics_port > 65535) usage_error("--metrics-port must be between 0 and 65535");
        } else if (a == "--linger") {
            try {
                o.linger = std::stoi(value(a));
            } catch (...) {
                usage_error("--linger needs a number of seconds");
            }
            if (o.linger < 0 || o.linger > 86400) usage_error("--linger must be between 0 and 86400");
        } else if (a == "--metrics-address") {
            o.metrics_address = value(a);
        } else if (a == "--threads") {
            try {
                o.threads = std::stoi(value(a));
            } catch (...) {
                usage_error("--threads needs a number");
            }
            if (o.threads < 1 || o.threads > 256) usage_error("--threads must be between 1 and 256");
        } else if (a.size() > 1 && a[0] == '-' && !std::isdigit(static_cast<unsigned char>(a[1]))) {
            usage_error("unknown option " + a);
        } else {
            o.positional.push_back(a);
        }
    }
    return o;
}

long long parse_id(const std::string& s) {
    try {
        std::size_t used = 0;
        long long id = std::stoll(s, &used);
        if (used == s.size()) return id;
    } catch (...) {
    }
    usage_error("resource id must be an integer, got '" + s + "'");
}

// Everything one invocation wires together. The embedded demo region is the default.
struct Wiring {
    ccx::Config config = ccx::Config::from_environment();
    std::shared_ptr<ccx::IaasRegion> region;
    std::unique_ptr<ccx::Transport> transport;
    std::unique_ptr<ccx::IaasClient> iaas;
    ccx::InProcessLock lock;
    std::unique_ptr<ccx::Rcc> rcc;
    std::unique_ptr<ccx::NativePrimitives> primitives;
    std::unique_ptr<std::ofstream> log_file;
    std::unique_ptr<ccx::LogSink> log_main;
    std::unique_ptr<ccx::LogstashSink> logstash;
    ccx::TeeLogSink log;
    std::unique_ptr<ccx::Transport> otlp_transport;
    std::unique_ptr<ccx::OtlpTracer> tracer;
    ccx::Metrics metrics;
    ccx::OutboxNotifier outbox{std::cerr};
    ccx::Context ctx;

    explicit Wiring(const Options& o, std::ostream& commands) : metrics(config.region_name) {
        auto min = o.quiet ? ccx::LogLevel::warning : ccx::LogLevel::info;
        std::ostream* log_out = &std::cerr;
        if (!o.log_file.empty()) {
            log_file = std::make_unique<std::ofstream>(o.log_file, std::ios::app);
            if (!*log_file) usage_error("cannot open --log-file " + o.log_file);
            log_out = log_file.get();
        }
        ccx::LogFields fields{{"application", "robot"}, {"region", config.region_name}};
        if (o.log_format == "json") log_main = std::make_unique<ccx::JsonLogSink>(*log_out, min, fields);
        else log_main = std::make_unique<ccx::StreamLogSink>(*log_out, min);
        log.add(*log_main);
        if (!o.logstash.empty()) {
            auto colon = o.logstash.rfind(':');
            int port = 0;
            try {
                port = colon == std::string::npos ? 0 : std::stoi(o.logstash.substr(colon + 1));
            } catch (...) {
            }
            if (colon == std::string::npos || colon == 0 || port <= 0 || port > 65535)
                usage_error("--logstash needs HOST:PORT, got '" + o.logstash + "'");
            ccx::LogstashOptions lo;
            lo.min = min;
            lo.fields = fields;
            std::string host = o.logstash.substr(0, colon);
            if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
            logstash = std::make_unique<ccx::LogstashSink>(host, static_cast<std::uint16_t>(port), lo);
            log.add(*logstash);
        }
        if (!o.otlp_endpoint.empty()) {
#ifdef CCX_CLI_HAS_HTTP
            otlp_transport = std::make_unique<ccx::HttpTransport>();
            ccx::OtlpOptions to;
            to.endpoint = o.otlp_endpoint;
            to.service_name = "cloudcix-drivers";
            to.resource_attributes = {{"cloudcix.region", config.region_name}};
            tracer = std::make_unique<ccx::OtlpTracer>(*otlp_transport, to);
#else
            usage_error("--otlp-endpoint needs the HTTP transport, which this build does not have");
#endif
        }
        if (!o.iaas_url.empty()) config.iaas.iaas_url = o.iaas_url;
        if (!o.membership_url.empty()) config.iaas.membership_url = o.membership_url;
        bool demo = config.iaas.iaas_url.empty();
        // A dry run against a real IaaS would report RUNNING for a VM that was never built:
        // there the host channel must be chosen explicitly.
        std::string hosts = o.hosts.empty() && demo ? "dry-run" : o.hosts;
        if (hosts.empty()) usage_error("--hosts is required against a real IaaS (dry-run)");
        if (hosts != "dry-run") usage_error("unknown --hosts '" + hosts + "' (dry-run)");
        if (demo) {
            std::cerr << "cloudcix-drivers: no IaaS URL configured: using the embedded demo region (in memory) "
                         "with dry-run hosts\n";
            region = ccx::IaasRegion::demo();
            transport = std::make_unique<ccx::MemoryIaas>(region);
            auto creds = json::parse(ccx::demo_region_json()).at("credentials").as_object();
            config.iaas.iaas_url = std::string(ccx::MemoryIaas::iaas_url);
            config.iaas.membership_url = std::string(ccx::MemoryIaas::membership_url);
            config.iaas.username = std::string(creds.at("email").as_string());
            config.iaas.password = std::string(creds.at("password").as_string());
            config.iaas.api_key = std::string(creds.at("api_key").as_string());
            config.send_to_fail = {"noc@demo.cloudcix.local"};
            config.compute_ui_url = "https://portal.demo.cloudcix.local/compute/";
            ccx::secrets::remember(config.iaas.password);
            ccx::secrets::remember(config.iaas.api_key);
        } else {
            usage_error("--iaas-url " + config.iaas.iaas_url +
                        ": this build has no network transport to reach it; use the embedded demo region");
        }
        rcc = std::make_unique<ccx::DryRunRcc>(commands);
        iaas = std::make_unique<ccx::IaasClient>(*transport, ccx::system_clock(), config.iaas);
        primitives = std::make_unique<ccx::NativePrimitives>(*rcc, ccx::system_clock(), config);
        ctx.iaas = iaas.get();
        ctx.lock = &lock;
        ctx.primitives = primitives.get();
        ctx.notifier = &outbox;
        ctx.log = &log;
        ctx.tracer = tracer.get();
        ctx.metrics = &metrics;
        ctx.config = config;
    }

    // Traces and logs still queued go out before the process ends.
    ~Wiring() {
        if (tracer && !tracer->flush(std::chrono::seconds(10)))
            std::cerr << "cloudcix-drivers: some spans did not reach " << tracer->stats().last_error << "\n";
        if (logstash) logstash->flush(std::chrono::seconds(5));
    }
};

std::string states(const ccx::Outcome& o) {
    auto name = [](const std::optional<ccx::State>& s) { return s ? std::string(ccx::to_string(*s)) : std::string("?"); };
    return name(o.state_before) + " -> " + name(o.state_after);
}

void print_outcome(const ccx::Outcome& o, bool as_json) {
    if (as_json) {
        std::cout << ccx::to_json(o) << "\n";
        return;
    }
    std::cout << o.driver << "." << o.verb << " #" << o.resource_id << ": " << ccx::to_string(o.status) << " (" << states(o)
              << ") in " << o.timings.total.count() / 1000.0 << " ms";
    if (o.status == ccx::Status::postponed) std::cout << ", retry after " << o.retry_after.count() << " ms";
    std::cout << "\n";
    for (const auto& e : o.errors) std::cout << "  " << e.code << ": " << e.message << "\n";
}

int cmd_list() {
    for (const auto& n : ccx::builtin_registry().names()) std::cout << n << "\n";
    return 0;
}

int cmd_explain(const Options& o) {
    if (o.positional.size() != 2) usage_error("explain takes one CODE");
    auto info = ccx::explain(o.positional[1]);
    if (!info) {
        std::cerr << "cloudcix-drivers: no error code '" << o.positional[1] << "' (see docs/errors.md)\n";
        return 2;
    }
    std::cout << o.positional[1] << " (" << info->title << "): " << info->sentence << "\n";
    return 0;
}

int cmd_run(const Options& o) {
    if (o.positional.size() != 4) usage_error("run takes DRIVER VERB ID");
    long long id = parse_id(o.positional[3]);
    Wiring w(o, std::cerr);
    ccx::RunOptions run_options;
    if (const char* tp = std::getenv("TRACEPARENT")) run_options.traceparent = tp;  // continue a caller's trace
    auto outcome = ccx::run(w.ctx, o.positional[1], o.positional[2], id, run_options);
    print_outcome(outcome, o.json);
    return ccx::exit_code(outcome.status);
}

int cmd_plan(const Options& o) {
    if (o.positional.size() != 4) usage_error("plan takes DRIVER VERB ID");
    long long id = parse_id(o.positional[3]);
    std::ostringstream ignored;
    Wiring w(o, ignored);
    auto report = ccx::plan(w.ctx, o.positional[1], o.positional[2], id);
    if (report.outcome.status != ccx::Status::succeeded) {
        print_outcome(report.outcome, o.json);
        return ccx::exit_code(report.outcome.status);
    }
    if (!report.in_trigger_state)
        std::cout << "# note: " << o.positional[1] << " #" << id << " is " << ccx::to_string(*report.outcome.state_before)
                  << ", not in the verb's trigger state: a run now would skip it\n";
    for (std::size_t i = 0; i < report.calls.size(); ++i) {
        const auto& call = report.calls[i];
        std::vector<ccx::HostCommand> commands;
        ccx::DryRunRcc capture([&](const ccx::HostCommand& c) { commands.push_back(c); });
        ccx::NativePrimitives native(capture, ccx::system_clock(), w.config);
        auto result = native.call(call);
        std::cout << "# " << i + 1 << ". " << call.name() << "\n";
        for (const auto& c : commands) std::cout << "[" << c.user << "@" << c.host << "] " << c.command << "\n";
        if (!result.ok) std::cout << "#    would fail: " << result.message << "\n";
    }
    return 0;
}

int cmd_robot(const Options& o) {
    Wiring w(o, std::cerr);
    std::unique_ptr<ccx::MetricsServer> metrics_server;
    if (o.metrics_port >= 0) {
        metrics_server = std::make_unique<ccx::MetricsServer>(w.metrics, o.metrics_address,
                                                              static_cast<std::uint16_t>(o.metrics_port));
        std::cerr << "cloudcix-drivers: metrics on http://" << o.metrics_address << ":" << metrics_server->port()
                  << "/metrics\n";
    }
    ccx::Tracer* tracer = w.ctx.tracer;
    std::mutex out_mutex;
    std::map<std::string, int> counts;
    std::unique_ptr<ccx::ThreadPoolDispatcher> pool;
    pool = std::make_unique<ccx::ThreadPoolDispatcher>(static_cast<std::size_t>(o.threads), [&](const ccx::Task& t) {
        ccx::RunOptions run_options;
        run_options.traceparent = t.traceparent;  // the round's trace, across the pool
        auto outcome = ccx::run(w.ctx, t.driver, t.verb, t.resource_id, run_options);
        {
            std::lock_guard lock(out_mutex);
            print_outcome(outcome, o.json);
            ++counts[std::string(ccx::to_string(outcome.status))];
        }
        if (outcome.status == ccx::Status::postponed) pool->dispatch(t, outcome.retry_after);
    });
    for (int round = 1;; ++round) {
        auto reply = w.iaas->call("GET", "run_robot/", nullptr);
        if (!reply.ok()) {
            std::cerr << "cloudcix-drivers: run_robot failed: " << reply.message << "\n";
            return 1;
        }
        const auto& content = reply.content.as_object();
        const auto& projects = content.at("project_ids").as_array();
        if (projects.empty()) {
            std::cerr << "cloudcix-drivers: run_robot lists no work; done after " << round - 1 << " round(s)\n";
            break;
        }
        // One span per round; every task it dispatches continues its trace.
        std::unique_ptr<ccx::Span> round_span;
        if (tracer) {
            round_span = tracer->start_span("robot.round", nullptr);
            round_span->set_kind(ccx::SpanKind::producer);
            round_span->set_number("round", round);
        }
        const std::string traceparent = round_span ? round_span->context().traceparent() : std::string();
        int dispatched = 0;
        for (const auto& [driver, lists] : content.at("resource").as_object())
            for (const auto& [verb, ids] : lists.as_object()) {
                if (verb == "quiesced_update" || verb == "running_update") continue;  // legacy duplicates
                for (const auto& id : ids.as_array()) {
                    pool->dispatch({std::string(driver), std::string(verb), id.as_int64(), traceparent}, std::chrono::milliseconds(0));
                    ++dispatched;
                }
            }
        std::cerr << "cloudcix-drivers: round " << round << ": " << dispatched << " task(s) for " << projects.size()
                  << " project(s)\n";
        pool->wait_idle(std::chrono::minutes(10));
        json::value ack = json::object{{"project_ids", projects}};
        auto acked = w.iaas->call("POST", "run_robot/", &ack);
        if (!acked.ok()) std::cerr << "cloudcix-drivers: acknowledging run_robot failed: " << acked.message << "\n";
        if (round_span) round_span->set_number("tasks", dispatched);
        if (o.once) break;
    }
    pool->stop();
    if (metrics_server && o.linger > 0) std::this_thread::sleep_for(std::chrono::seconds(o.linger));
    std::cerr << "cloudcix-drivers: outcomes:";
    for (const auto& [status, n] : counts) std::cerr << " " << status << "=" << n;
    std::cerr << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse(argc, argv);
    if (o.positional.empty()) usage_error("no command given");
    const std::string& cmd = o.positional[0];
    try {
        if (cmd == "list") return cmd_list();
        if (cmd == "explain") return cmd_explain(o);
        if (cmd == "run") return cmd_run(o);
        if (cmd == "plan") return cmd_plan(o);
        if (cmd == "robot") return cmd_robot(o);
    } catch (const std::exception& e) {
        std::cerr << "cloudcix-drivers: " << ccx::secrets::redact(e.what()) << "\n";
        return 1;
    }
    usage_error("unknown command '" + cmd + "'");
}
