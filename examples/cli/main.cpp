// cloudcix-drivers: list, explain, plan, run, robot — the library from the command line.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "../common/args.hpp"
#include "../common/wiring.hpp"
#include "cloudcix_drivers/lock/check.hpp"
#include "cloudcix_drivers/native_primitives.hpp"
#include "cloudcix_drivers/robot.hpp"
#include "cloudcix_drivers/run.hpp"
#include "cloudcix_drivers/testing.hpp"

namespace ccx = cloudcix::drivers;
namespace json = boost::json;

namespace {

constexpr const char* kUsageHead = R"(usage: cloudcix-drivers COMMAND [ARGS] [OPTIONS]

commands:
  list                         every driver.verb, one a line (51)
  explain CODE                 the sentence for an error code (vm_kvm_build_0007 or 0007)
  plan DRIVER VERB ID          the host commands the verb would run now, in order; runs nothing
  run DRIVER VERB ID           run one verb on one resource through the lifecycle
  robot [--once]               read run_robot/, run every listed verb on an in-process pool,
                               acknowledge, repeat until nothing is left (or once)
  lock-check                   N participants hammer one Jerry lock key for S seconds; prints
                               the acquisitions and the violations (overlapping holders)

options:
  --json                       (run) print the Outcome as JSON on stdout
  --threads N                  (robot) worker threads, default 2
  --store STORE                (lock-check) the store to check: memory, shm:PATH, redis://HOST:PORT/N
  --participants N             (lock-check) processes (threads for memory), default 4
  --seconds S                  (lock-check) how long to hammer, default 5
  --linger S                   (robot) keep serving --metrics-port S seconds after the last round
  -h, --help                   this text
)";
constexpr const char* kUsageMetrics = R"(  (robot only:)
)";
constexpr const char* kUsageTail = R"(
$TRACEPARENT (run): a W3C trace context the run continues (an ill-formed one is ignored).

exit codes: 0 succeeded, 1 failed, 2 usage error or rejected, 3 skipped, 4 postponed
environment: CLOUDCIX_IAAS_URL, CLOUDCIX_MEMBERSHIP_URL, CLOUDCIX_API_USERNAME,
             CLOUDCIX_API_PASSWORD, CLOUDCIX_API_KEY, CLOUDCIX_SEND_TO_FAIL, ...
)";

struct Options {
    std::vector<std::string> positional;
    bool json = false;
    bool once = false;
    cloudcix::examples::IaasOptions iaas;
    cloudcix::examples::ObsOptions obs;
    int linger = 0;
    int threads = 2;
    std::string store;  // lock-check
    int participants = 4;
    int seconds = 5;
};

[[noreturn]] void usage_error(const std::string& message) { cloudcix::examples::usage_failure("cloudcix-drivers", message); }

Options parse(int argc, char** argv) {
    Options o;
    const cloudcix::examples::Args args("cloudcix-drivers", argc, argv);
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::cout << kUsageHead << cloudcix::examples::iaas_options_usage << cloudcix::examples::obs_options_usage
                      << kUsageMetrics << cloudcix::examples::metrics_options_usage << kUsageTail;
            std::exit(0);
        } else if (a == "--json") {
            o.json = true;
        } else if (a == "--once") {
            o.once = true;
        } else if (cloudcix::examples::take_iaas_option(o.iaas, argc, argv, i, usage_error)) {
            continue;
        } else if (cloudcix::examples::take_obs_option(o.obs, argc, argv, i, usage_error)) {
            continue;
        } else if (a == "--linger") {
            o.linger = static_cast<int>(args.integer(i, 0, 86400));
        } else if (a == "--threads") {
            o.threads = static_cast<int>(args.integer(i, 1, 256));
        } else if (a == "--store") {
            o.store = args.value(i);
        } else if (a == "--participants") {
            o.participants = static_cast<int>(args.integer(i, 1, 1024));
        } else if (a == "--seconds") {
            o.seconds = static_cast<int>(args.integer(i, 1, 86400));
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

// The shared wiring (examples/common); an unusable combination of options is a usage error.
std::unique_ptr<cloudcix::examples::Wiring> wire(const Options& o, std::ostream& commands) {
    try {
        return std::make_unique<cloudcix::examples::Wiring>(o.iaas, commands, "cloudcix-drivers", o.obs);
    } catch (const std::invalid_argument& e) {
        usage_error(e.what());
    }
}

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
    auto wp = wire(o, std::cerr);
    auto& w = *wp;
    ccx::RunOptions run_options;
    if (const char* tp = std::getenv("TRACEPARENT")) run_options.traceparent = tp;  // a caller's trace
    auto outcome = ccx::run(w.ctx, o.positional[1], o.positional[2], id, run_options);
    print_outcome(outcome, o.json);
    return ccx::exit_code(outcome.status);
}

int cmd_plan(const Options& o) {
    if (o.positional.size() != 4) usage_error("plan takes DRIVER VERB ID");
    long long id = parse_id(o.positional[3]);
    std::ostringstream ignored;
    auto wp = wire(o, ignored);
    auto& w = *wp;
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

int cmd_lock_check(const Options& o) {
    if (o.positional.size() != 1) usage_error("lock-check takes no arguments");
    ccx::LockConfig config;
    config.store = o.store.empty() ? (o.iaas.lock_store.empty() ? "memory" : o.iaas.lock_store) : o.store;
    config.participants = static_cast<std::size_t>(std::max(2, o.participants));  // one slot each
    config.lease = std::chrono::milliseconds(o.iaas.lock_lease_ms);
    ccx::LockCheck check;
    check.workers = o.participants;
    check.duration = std::chrono::seconds(o.seconds);
    ccx::LockCheckResult r;
    try {
        ccx::make_store(config.store);
        r = ccx::lock_check(config, check);
    } catch (const std::invalid_argument& e) {
        usage_error(e.what());
    }
    double secs = static_cast<double>(r.elapsed.count()) / 1000.0;
    std::cout << "store: " << config.store << ", participants: " << o.participants << ", slots: " << config.participants
              << ", seconds: " << secs << "\n";
    std::cout << "acquisitions: " << r.acquisitions << " (" << (secs > 0 ? static_cast<double>(r.acquisitions) / secs : 0.0)
              << "/s)\n";
    std::cout << "violations: " << r.violations << "\n";
    std::cout << "timeouts: " << r.timeouts << ", failed participants: " << r.failed_workers << "\n";
    return r.violations == 0 && r.failed_workers == 0 && r.acquisitions > 0 ? 0 : 1;
}

int cmd_robot(const Options& o) {
    auto wp = wire(o, std::cerr);
    auto& w = *wp;
    w.obs.serve_metrics();
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
    ccx::RobotLoopOptions loop;
    loop.once = o.once;
    loop.until_idle = true;
    loop.after_dispatch = [&](const ccx::RobotWork&) { pool->wait_idle(std::chrono::minutes(10)); };
    loop.log = [](const std::string& line) { std::cerr << "cloudcix-drivers: " << line << "\n"; };
    auto result = ccx::run_robot_loop(*w.iaas, *pool, loop);
    pool->stop();
    std::cerr << "cloudcix-drivers: run_robot lists no more work; done after " << result.rounds << " round(s)\n";
    std::cerr << "cloudcix-drivers: outcomes:";
    for (const auto& [status, n] : counts) std::cerr << " " << status << "=" << n;
    std::cerr << "\n";
    // Spans and log lines go out now; /metrics stays up for --linger (a last scrape).
    w.obs.flush(std::chrono::seconds(10));
    if (o.obs.metrics_port >= 0 && o.linger > 0) {
        std::cerr << "cloudcix-drivers: serving metrics for " << o.linger << " more second(s)\n";
        std::this_thread::sleep_for(std::chrono::seconds(o.linger));
    }
    return result.errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse(argc, argv);
    if (o.positional.empty()) usage_error("no command given");
    const std::string& cmd = o.positional[0];
    if (cmd != "robot" && (o.obs.metrics_port >= 0 || o.linger > 0))
        usage_error("--metrics-port, --metrics-bind and --linger are for the robot command");
    try {
        if (cmd == "list") return cmd_list();
        if (cmd == "explain") return cmd_explain(o);
        if (cmd == "run") return cmd_run(o);
        if (cmd == "plan") return cmd_plan(o);
        if (cmd == "robot") return cmd_robot(o);
        if (cmd == "lock-check") return cmd_lock_check(o);
    } catch (const std::exception& e) {
        std::cerr << "cloudcix-drivers: " << ccx::secrets::redact(e.what()) << "\n";
        return 1;
    }
    usage_error("unknown command '" + cmd + "'");
}
