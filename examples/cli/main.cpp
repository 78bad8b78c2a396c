// cloudcix-drivers: list, explain, plan, run, robot — the library from the command line.
#include <algorithm>
#include <chrono>
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

#include "cloudcix_drivers/lock/check.hpp"
#include "cloudcix_drivers/lock/peterson.hpp"
#include "cloudcix_drivers/native_primitives.hpp"
#include "cloudcix_drivers/notify/smtp.hpp"
#include "cloudcix_drivers/rcc/ssh.hpp"
#include "cloudcix_drivers/run.hpp"
#include "cloudcix_drivers/testing.hpp"

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
  lock-check                   N participants hammer one Jerry lock key for S seconds; prints
                               the acquisitions and the violations (overlapping holders)

options:
  --json                       (run) print the Outcome as JSON on stdout
  --hosts dry-run              host channel: print each host command instead of running it
                               (the default against the embedded demo region; required to be
                               explicit against a real IaaS URL)
  --hosts ssh                  host channel: run each host command over SSH (libssh) on the
                               address the API gives for the server (IPv6 included)
  --ssh-config FILE            OpenSSH client config (Host, HostName, Port, User, IdentityFile,
                               UserKnownHostsFile, StrictHostKeyChecking); default ~/.ssh/config
  --ssh-user USER              log in as USER (default: the config's User, else the primitive's
                               user: robot / administrator)
  --ssh-key FILE               private key to authenticate with (repeatable; default: the
                               config's IdentityFile, ssh-agent, ~/.ssh/id_*)
  --ssh-port PORT              SSH port (default: the config's Port, else 22)
  --known-hosts FILE           known hosts file (default: the config's UserKnownHostsFile,
                               else ~/.ssh/known_hosts); unknown host keys are refused
  --ssh-accept-unknown-hosts   accept host keys that are not in the known hosts file (warned;
                               a changed key is still refused). Not for production.
  --iaas-url URL               IaaS API root (default: $CLOUDCIX_IAAS_URL; none: the embedded demo)
  --membership-url URL         Membership API root (default: $CLOUDCIX_MEMBERSHIP_URL)
  --threads N                  (robot) worker threads, default 2
  --lock-store STORE           (run, robot) Jerry lock store: memory, shm:PATH or
                               redis://HOST:PORT/N (default: an in-process lock)
  --lock-slots N               (run, robot) Jerry lock participants over all workers, default 16
  --lock-lease-ms MS           Jerry lock lease, default 10000
  --store STORE                (lock-check) the store to check, as for --lock-store
  --participants N             (lock-check) processes (threads for memory), default 4
  --seconds S                  (lock-check) how long to hammer, default 5
  --mail outbox|smtp           e-mails: one JSON line each on stderr (default), or sent over SMTP
                               (STARTTLS required) with $CLOUDCIX_EMAIL_HOST, _PORT (25), _USER,
                               _PASSWORD, _REPLY_TO and templates from $CLOUDCIX_EMAIL_TEMPLATES
  --quiet                      only warnings and errors on stderr
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
    std::string mail = "outbox";
    std::string hosts;
    cloudcix::drivers::SshOptions ssh;
    bool ssh_options_given = false;
    std::string iaas_url;
    std::string membership_url;
    int threads = 2;
    std::string lock_store;
    int lock_slots = 16;
    int lock_lease_ms = 10000;
    int participants = 4;
    int seconds = 5;
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
        } else if (a == "--ssh-config") {
            o.ssh.config_file = value(a);
            o.ssh_options_given = true;
        } else if (a == "--ssh-user") {
            o.ssh.user = value(a);
            o.ssh_options_given = true;
        } else if (a == "--ssh-key") {
            o.ssh.identity_files.push_back(value(a));
            o.ssh_options_given = true;
        } else if (a == "--known-hosts") {
            o.ssh.known_hosts_file = value(a);
            o.ssh_options_given = true;
        } else if (a == "--ssh-accept-unknown-hosts") {
            o.ssh.strict_host_key_checking = false;
            o.ssh_options_given = true;
        } else if (a == "--ssh-port") {
            std::string v = value(a);
            try {
                std::size_t used = 0;
                long port = std::stol(v, &used);
                if (used != v.size() || port < 1 || port > 65535) throw std::out_of_range(v);
                o.ssh.port = static_cast<unsigned>(port);
            } catch (...) {
                usage_error("--ssh-port needs a port number (1..65535)");
            }
            o.ssh_options_given = true;
        } else if (a == "--mail") {
            o.mail = value(a);
            if (o.mail != "outbox" && o.mail != "smtp") usage_error("unknown --mail '" + o.mail + "' (outbox, smtp)");
        } else if (a == "--iaas-url") {
            o.iaas_url = value(a);
        } else if (a == "--membership-url") {
            o.membership_url = value(a);
        } else if (a == "--threads") {
            try {
                o.threads = std::stoi(value(a));
            } catch (...) {
                usage_error("--threads needs a number");
            }
            if (o.threads < 1 || o.threads > 256) usage_error("--threads must be between 1 and 256");
        } else if (a == "--lock-store" || a == "--store") {
            o.lock_store = value(a);
        } else if (a == "--lock-slots" || a == "--lock-lease-ms" || a == "--participants" || a == "--seconds") {
            int n = 0;
            try {
                n = std::stoi(value(a));
            } catch (...) {
                usage_error(a + " needs a number");
            }
            if (n < 1) usage_error(a + " must be positive");
            (a == "--lock-slots" ? o.lock_slots : a == "--lock-lease-ms" ? o.lock_lease_ms : a == "--participants" ? o.participants : o.seconds) = n;
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
    std::unique_ptr<ccx::PetersonLock> jerry;  // --lock-store: shared with other workers
    std::unique_ptr<ccx::Rcc> rcc;
    std::unique_ptr<ccx::NativePrimitives> primitives;
    ccx::StreamLogSink log;
    ccx::OutboxNotifier outbox{std::cerr};
    std::unique_ptr<ccx::SmtpNotifier> smtp;
    ccx::Context ctx;

    explicit Wiring(const Options& o, std::ostream& commands)
        : log(std::cerr, o.quiet ? ccx::LogLevel::warning : ccx::LogLevel::info) {
        if (!o.iaas_url.empty()) config.iaas.iaas_url = o.iaas_url;
        if (!o.membership_url.empty()) config.iaas.membership_url = o.membership_url;
        bool demo = config.iaas.iaas_url.empty();
        // A dry run against a real IaaS would report RUNNING for a VM that was never built:
        // there the host channel must be chosen explicitly.
        std::string hosts = o.hosts.empty() && demo ? "dry-run" : o.hosts;
        if (hosts.empty()) usage_error("--hosts is required against a real IaaS (dry-run or ssh)");
        if (hosts != "dry-run" && hosts != "ssh") usage_error("unknown --hosts '" + hosts + "' (dry-run, ssh)");
        if (demo) {
            std::cerr << "cloudcix-drivers: no IaaS URL configured: using the embedded demo region (in memory) with "
                      << (o.hosts == "ssh" ? "hosts over SSH" : "dry-run hosts") << "\n";
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
        if (hosts != "ssh" && o.ssh_options_given) usage_error("the --ssh-* and --known-hosts options need --hosts ssh");
        if (hosts == "ssh") {
            ccx::SshOptions ssh = o.ssh;
            ssh.log = &log;
            rcc = std::make_unique<ccx::SshRcc>(std::move(ssh));
        } else {
            rcc = std::make_unique<ccx::DryRunRcc>(commands);
        }
        iaas = std::make_unique<ccx::IaasClient>(*transport, ccx::system_clock(), config.iaas);
        primitives = std::make_unique<ccx::NativePrimitives>(*rcc, ccx::system_clock(), config);
        ctx.iaas = iaas.get();
        ctx.lock = &lock;
        if (!o.lock_store.empty()) {
            try {
                jerry = ccx::make_lock({o.lock_store, static_cast<std::size_t>(o.lock_slots),
                                        std::chrono::milliseconds(o.lock_lease_ms)});
            } catch (const std::invalid_argument& e) {
                usage_error(e.what());
            }
            ctx.lock = jerry.get();
        }
        ctx.primitives = primitives.get();
        ctx.notifier = &outbox;
        if (o.mail == "smtp") {
            auto env = [](const char* name) {
                const char* v = std::getenv(name);
                return std::string(v ? v : "");
            };
            ccx::SmtpOptions mail;
            mail.host = env("CLOUDCIX_EMAIL_HOST");
            if (mail.host.empty()) usage_error("--mail smtp needs CLOUDCIX_EMAIL_HOST");
            if (!env("CLOUDCIX_EMAIL_PORT").empty()) {
                try {
                    mail.port = static_cast<unsigned>(std::stoul(env("CLOUDCIX_EMAIL_PORT")));
                } catch (...) {
                    usage_error("CLOUDCIX_EMAIL_PORT must be a port number");
                }
            }
            mail.username = env("CLOUDCIX_EMAIL_USER");
            mail.password = env("CLOUDCIX_EMAIL_PASSWORD");
            mail.reply_to = env("CLOUDCIX_EMAIL_REPLY_TO");
            mail.templates_dir = env("CLOUDCIX_EMAIL_TEMPLATES");
            mail.organization_url = config.organization_url;
            mail.log = &log;
            smtp = std::make_unique<ccx::SmtpNotifier>(std::move(mail));
            ctx.notifier = smtp.get();
        }
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
        // Generated passwords and pre-shared keys are registered secrets: never printed.
        for (const auto& c : commands)
            std::cout << "[" << c.user << "@" << c.host << "] " << ccx::secrets::redact(c.command) << "\n";
        if (!result.ok) std::cout << "#    would fail: " << result.message << "\n";
    }
    return 0;
}

int cmd_lock_check(const Options& o) {
    if (o.positional.size() != 1) usage_error("lock-check takes no arguments");
    ccx::LockConfig config;
    config.store = o.lock_store.empty() ? "memory" : o.lock_store;
    config.participants = static_cast<std::size_t>(std::max(2, o.participants));  // one slot each
    config.lease = std::chrono::milliseconds(o.lock_lease_ms);
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
        if (cmd == "lock-check") return cmd_lock_check(o);
    } catch (const std::exception& e) {
        std::cerr << "cloudcix-drivers: " << ccx::secrets::redact(e.what()) << "\n";
        return 1;
    }
    usage_error("unknown command '" + cmd + "'");
}
