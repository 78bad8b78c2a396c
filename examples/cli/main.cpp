// cloudcix-drivers: list, explain, plan, run, robot — the library from the command line.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "cloudcix_drivers/native_primitives.hpp"
#include "cloudcix_drivers/run.hpp"
#include "cloudcix_drivers/testing.hpp"
#include "cloudcix_drivers/transport/http.hpp"

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
                               (http:// or https://; a path prefix is kept: https://h:8443/iaas/)
  --ca-file FILE               trust these CA certificates for https (default: $CLOUDCIX_CA_FILE,
                               else the system store)
  --insecure                   do not verify TLS certificates (warns on every connection)
  --threads N                  (robot) worker threads, default 2
  --quiet                      only warnings and errors on stderr
  -h, --help                   this text

exit codes: 0 succeeded, 1 failed, 2 usage error or rejected, 3 skipped, 4 postponed
environment: CLOUDCIX_IAAS_URL, CLOUDCIX_MEMBERSHIP_URL, CLOUDCIX_CA_FILE, CLOUDCIX_API_USERNAME,
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
    std::string ca_file;
    bool insecure = false;
    int threads = 2;
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
        } else if (a == "--ca-file") {
            o.ca_file = value(a);
        } else if (a == "--insecure") {
            o.insecure = true;
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
    ccx::StreamLogSink log;
    ccx::OutboxNotifier outbox{std::cerr};
    ccx::Context ctx;

    explicit Wiring(const Options& o, std::ostream& commands)
        : log(std::cerr, o.quiet ? ccx::LogLevel::warning : ccx::LogLevel::info) {
        if (!o.iaas_url.empty()) config.iaas.iaas_url = o.iaas_url;
        if (!o.membership_url.empty()) config.iaas.membership_url = o.membership_url;
        bool demo = config.iaas.iaas_url.empty();
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
            if (config.iaas.membership_url.empty())
                usage_error("--membership-url (or CLOUDCIX_MEMBERSHIP_URL) is required with a real IaaS URL");
            for (const auto* url : {&config.iaas.iaas_url, &config.iaas.membership_url})
                if (!ccx::parse_url(*url)) usage_error("'" + *url + "' is not an http:// or https:// URL");
            ccx::HttpOptions http;
            http.ca_file = o.ca_file;
            http.insecure = o.insecure;
            http.request_timeout = config.iaas.request_timeout;
            http.log = &log;
            transport = std::make_unique<ccx::HttpTransport>(http);
        }
        std::string hosts = o.hosts.empty() && demo ? "dry-run" : o.hosts;
        if (hosts.empty()) usage_error("--hosts is required against a real IaaS (dry-run)");
        if (hosts != "dry-run") usage_error("unknown --hosts '" + hosts + "' (dry-run)");
        rcc = std::make_unique<ccx::DryRunRcc>(commands);
        iaas = std::make_unique<ccx::IaasClient>(*transport, ccx::system_clock(), config.iaas);
        primitives = std::make_unique<ccx::NativePrimitives>(*rcc, ccx::system_clock(), config);
        ctx.iaas = iaas.get();
        ctx.lock = &lock;
        ctx.primitives = primitives.get();
        ctx.notifier = &outbox;
        ctx.log = &log;
        ctx.config = config;
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
    auto outcome = ccx::run(w.ctx, o.positional[1], o.positional[2], id);
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
    std::mutex out_mutex;
    std::map<std::string, int> counts;
    std::unique_ptr<ccx::ThreadPoolDispatcher> pool;
    pool = std::make_unique<ccx::ThreadPoolDispatcher>(static_cast<std::size_t>(o.threads), [&](const ccx::Task& t) {
        auto outcome = ccx::run(w.ctx, t.driver, t.verb, t.resource_id);
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
        int dispatched = 0;
        for (const auto& [driver, lists] : content.at("resource").as_object())
            for (const auto& [verb, ids] : lists.as_object()) {
                if (verb == "quiesced_update" || verb == "running_update") continue;  // legacy duplicates
                for (const auto& id : ids.as_array()) {
                    pool->dispatch({std::string(driver), std::string(verb), id.as_int64(), {}}, std::chrono::milliseconds(0));
                    ++dispatched;
                }
            }
        std::cerr << "cloudcix-drivers: round " << round << ": " << dispatched << " task(s) for " << projects.size()
                  << " project(s)\n";
        pool->wait_idle(std::chrono::minutes(10));
        json::value ack = json::object{{"project_ids", projects}};
        auto acked = w.iaas->call("POST", "run_robot/", &ack);
        if (!acked.ok()) std::cerr << "cloudcix-drivers: acknowledging run_robot failed: " << acked.message << "\n";
        if (o.once) break;
    }
    pool->stop();
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
