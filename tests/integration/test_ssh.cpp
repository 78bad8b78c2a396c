// SshRcc against a real OpenSSH server on loopback (started by the test, as root, on a free
// port), and the vm_kvm verbs end to end over it against the in-memory IaaS.
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <random>
#include <thread>

#include "cloudcix_drivers/log.hpp"
#include "cloudcix_drivers/native_primitives.hpp"
#include "cloudcix_drivers/quote.hpp"
#include "cloudcix_drivers/rcc/ssh.hpp"
#include "cloudcix_drivers/run.hpp"
#include "cloudcix_drivers/testing.hpp"
#include "support/fixture.hpp"
#include "support/printing.hpp"
#include "support/servers.hpp"

using namespace cloudcix::drivers;
namespace json = boost::json;
using namespace std::chrono_literals;
using ccx_test::SshServer;

namespace {

// One sshd for the whole suite: starting it costs key generation and a fork.
SshServer& server() {
    static SshServer s;
    return s;
}

// Options that reach the test server with the authorized key and its known host key.
SshOptions good_options(LogSink* log = nullptr) {
    SshOptions o;
    o.config_file = server().write_config("ssh_config", "    User root\n").string();
    o.identity_files = {server().client_key.string()};
    o.known_hosts_file = server().known_hosts.string();
    o.use_agent = false;
    o.log = log;
    return o;
}

HostCommand cmd(std::string host, std::string command, std::chrono::milliseconds timeout = 20s) {
    HostCommand c;
    c.host = std::move(host);
    c.user = "robot";
    c.command = std::move(command);
    c.timeout = timeout;
    return c;
}

bool contains(const std::string& haystack, std::string_view needle) { return haystack.find(needle) != std::string::npos; }

// The engine wired as an embedder would: demo region in memory, hosts over SSH.
struct Rig {
    std::shared_ptr<IaasRegion> region = IaasRegion::demo();
    MemoryIaas transport{region};
    Config config;
    std::unique_ptr<IaasClient> iaas;
    InProcessLock lock;
    MemoryLogSink log;
    MemoryNotifier notifier;
    std::unique_ptr<Rcc> rcc;
    std::unique_ptr<NativePrimitives> primitives;
    Context ctx;

    explicit Rig(std::unique_ptr<Rcc> channel) : rcc(std::move(channel)) {
        config.iaas = ccx_test::demo_settings();
        config.send_to_fail = {"noc@demo.cloudcix.local"};
        config.poll_interval = 10ms;
        config.poll_timeout = 5s;
        iaas = std::make_unique<IaasClient>(transport, system_clock(), config.iaas);
        primitives = std::make_unique<NativePrimitives>(*rcc, system_clock(), config);
        ctx.iaas = iaas.get();
        ctx.lock = &lock;
        ctx.primitives = primitives.get();
        ctx.notifier = &notifier;
        ctx.log = &log;
        ctx.config = config;
    }
};

// Caps every command's deadline (the primitives ask for minutes).
class CappedRcc : public Rcc {
public:
    CappedRcc(std::unique_ptr<Rcc> inner, std::chrono::milliseconds cap) : inner_(std::move(inner)), cap_(cap) {}
    RccResult run(const HostCommand& c) override {
        HostCommand capped = c;
        capped.timeout = std::min(c.timeout, cap_);
        return inner_->run(capped);
    }

private:
    std::unique_ptr<Rcc> inner_;
    std::chrono::milliseconds cap_;
};

bool has_error(const Outcome& o, std::string_view code) {
    for (const auto& e : o.errors)
        if (e.code == code) return true;
    return false;
}

std::string errors_of(const Outcome& o) {
    std::string s;
    for (const auto& e : o.errors) s += e.code + ": " + e.message + "\n";
    return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ssh)

BOOST_AUTO_TEST_CASE(a_command_runs_on_ipv6_and_ipv4_loopback_with_exit_code_stdout_and_stderr_apart) {
    SshRcc rcc(good_options());
    for (const char* host : {"::1", "127.0.0.1"}) {
        BOOST_TEST_CONTEXT(host) {
            auto r = rcc.run(cmd(host, "echo out; echo err >&2; exit 3"));
            BOOST_TEST(r.channel_ok);
            BOOST_TEST(r.channel_error == "");
            BOOST_TEST(!r.timed_out);
            BOOST_TEST(r.exit_code == 3);
            BOOST_TEST(r.out == "out\n");
            BOOST_TEST(r.err == "err\n");
            BOOST_TEST(!r.ok());
        }
    }
    auto ok = rcc.run(cmd("::1", "id -un"));
    BOOST_TEST(ok.ok());
    BOOST_TEST(ok.out == "root\n");  // the configuration's User wins over the primitive's "robot"
}

BOOST_AUTO_TEST_CASE(the_ssh_config_maps_an_api_host_address_to_loopback_with_hostname) {
    SshRcc rcc(good_options());
    auto r = rcc.run(cmd("2a02:db8:9::10:0:12", "echo $SSH_CONNECTION"));
    BOOST_TEST_REQUIRE(r.ok(), r.channel_error);
    BOOST_TEST(contains(r.out, "::1"));  // the connection went to ::1, as HostName says
    auto p = rcc.run(cmd("2a02:db8:9::10:0:3", "echo $SSH_CONNECTION"));
    BOOST_TEST_REQUIRE(p.ok(), p.channel_error);
    BOOST_TEST(contains(p.out, "127.0.0.1"));
}

BOOST_AUTO_TEST_CASE(an_unknown_host_key_is_refused_as_a_channel_failure) {
    auto empty = server().dir / "known_hosts_empty";
    ccx_test::spit(empty, "");
    auto o = good_options();
    o.known_hosts_file = empty.string();
    SshRcc rcc(o);
    auto r = rcc.run(cmd("::1", "touch " + (server().dir / "ran-despite-unknown-key").string()));
    BOOST_TEST(!r.channel_ok);
    BOOST_TEST(contains(r.channel_error, "unknown host key"), r.channel_error);
    BOOST_TEST(!r.ok());
    BOOST_TEST(!std::filesystem::exists(server().dir / "ran-despite-unknown-key"));
}

BOOST_AUTO_TEST_CASE(switching_host_key_checking_off_accepts_an_unknown_key_with_a_warning) {
    auto empty = server().dir / "known_hosts_empty2";
    ccx_test::spit(empty, "");
    MemoryLogSink log;
    auto o = good_options(&log);
    o.known_hosts_file = empty.string();
    o.strict_host_key_checking = false;
    SshRcc rcc(o);
    auto r = rcc.run(cmd("::1", "echo hello"));
    BOOST_TEST(r.ok(), r.channel_error);
    BOOST_TEST(contains(log.text(), "host key checking is OFF"));
    BOOST_TEST(contains(log.text(), "accepting the unknown host key"));
}

BOOST_AUTO_TEST_CASE(strict_host_key_checking_no_in_the_config_file_is_honoured_and_warned) {
    auto empty = server().dir / "known_hosts_empty3";
    ccx_test::spit(empty, "");
    MemoryLogSink log;
    auto o = good_options(&log);
    o.config_file = server().write_config("ssh_config_lax", "    User root\n    StrictHostKeyChecking no\n").string();
    o.known_hosts_file = empty.string();
    SshRcc rcc(o);
    auto r = rcc.run(cmd("::1", "echo hello"));
    BOOST_TEST(r.ok(), r.channel_error);
    BOOST_TEST(contains(log.text(), "accepting the unknown host key"));
}

BOOST_AUTO_TEST_CASE(a_changed_host_key_is_refused_even_with_checking_off) {
    auto other = ccx_test::slurp(server().other_host_key.string() + ".pub");
    auto changed = server().dir / "known_hosts_changed";
    ccx_test::spit(changed, server().known_hosts_line(other.substr(0, other.find(" ccx-test"))));
    auto o = good_options();
    o.known_hosts_file = changed.string();
    o.strict_host_key_checking = false;
    SshRcc rcc(o);
    auto r = rcc.run(cmd("127.0.0.1", "echo hello"));
    BOOST_TEST(!r.channel_ok);
    BOOST_TEST(contains(r.channel_error, "host key mismatch"), r.channel_error);
}

BOOST_AUTO_TEST_CASE(known_hosts_and_identity_can_come_from_the_config_file_alone) {
    SshOptions o;
    o.config_file = server()
                        .write_config("ssh_config_full", "    User root\n    IdentityFile " + server().client_key.string() +
                                                             "\n    UserKnownHostsFile " + server().known_hosts.string() + "\n")
                        .string();
    o.use_agent = false;
    SshRcc rcc(o);
    auto r = rcc.run(cmd("2a02:db8:9::10:0:12", "echo via-config"));
    BOOST_TEST(r.ok(), r.channel_error);
    BOOST_TEST(r.out == "via-config\n");
}

BOOST_AUTO_TEST_CASE(without_a_user_in_options_or_config_the_primitives_user_logs_in) {
    auto o = good_options();
    o.config_file = server().write_config("ssh_config_nouser", "").string();
    auto r = SshRcc(o).run(cmd("::1", "echo hello"));  // cmd() asks for "robot", unknown to the server
    BOOST_TEST(!r.channel_ok);
    BOOST_TEST(contains(r.channel_error, "authentication refused by robot@::1:"), r.channel_error);
}

BOOST_AUTO_TEST_CASE(a_wrong_key_is_an_authentication_failure_and_the_engine_reports_2003) {
    auto o = good_options();
    o.identity_files = {server().wrong_key.string()};
    auto direct = SshRcc(o).run(cmd("::1", "echo hello"));
    BOOST_TEST(!direct.channel_ok);
    BOOST_TEST(contains(direct.channel_error, "authentication refused"), direct.channel_error);

    Rig rig(std::make_unique<SshRcc>(o));
    auto out = run(rig.ctx, "vm_kvm", "build", 1501);
    BOOST_TEST(out.status == Status::failed);
    BOOST_TEST(has_error(out, "vm_kvm_build_2003"), errors_of(out));
    BOOST_TEST(!has_error(out, "vm_kvm_build_2002"), errors_of(out));
    BOOST_TEST((rig.region->state("vm", 1501) == State::UNRESOURCED));
}

BOOST_AUTO_TEST_CASE(a_failing_command_is_a_command_failure_with_its_output_in_the_error_2002) {
    std::filesystem::remove_all(server().sandbox / "run");
    ccx_test::spit(server().sandbox / "fail-qemu-img", "");
    Rig rig(std::make_unique<SshRcc>(good_options()));
    auto out = run(rig.ctx, "vm_kvm", "build", 1501);
    std::filesystem::remove(server().sandbox / "fail-qemu-img");
    BOOST_TEST(out.status == Status::failed);
    BOOST_TEST(has_error(out, "vm_kvm_build_2002"), errors_of(out));
    BOOST_TEST(contains(errors_of(out), "injected failure"), errors_of(out));  // stderr kept in the error
}

BOOST_AUTO_TEST_CASE(a_command_past_its_deadline_is_killed_and_reported_as_a_timeout) {
    auto o = good_options();
    o.user = server().unprivileged_user();  // the robot logs in as a normal user, as in production
    SshRcc rcc(o);
    auto marker = server().dir / "shared" / "late-marker";
    // Log in first, so the deadline below measures the command and not a login on a loaded machine.
    BOOST_TEST_REQUIRE(rcc.run(cmd("::1", "true")).ok());
    auto start = std::chrono::steady_clock::now();
    auto r = rcc.run(cmd("::1", "echo started; sleep 3; touch " + marker.string(), 1500ms));
    auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST_REQUIRE(r.channel_ok, r.channel_error);
    BOOST_TEST(r.timed_out);
    BOOST_TEST(!r.ok());
    BOOST_TEST(r.out == "started\n");  // what came before the deadline is kept
    BOOST_TEST(took < 3s);             // it did not wait for the command
    std::this_thread::sleep_for(4s);   // long enough for an unkilled command to finish
    BOOST_TEST(!std::filesystem::exists(marker), server().log());
    // The channel still works afterwards.
    BOOST_TEST(rcc.run(cmd("::1", "true")).ok());
}

BOOST_AUTO_TEST_CASE(a_primitive_whose_command_times_out_makes_the_engine_report_2004) {
    std::filesystem::remove_all(server().sandbox / "run");
    ccx_test::spit(server().sandbox / "hang-systemctl", "");
    Rig rig(std::make_unique<CappedRcc>(std::make_unique<SshRcc>(good_options()), 1500ms));
    auto out = run(rig.ctx, "vm_kvm", "build", 1501);
    std::filesystem::remove(server().sandbox / "hang-systemctl");
    BOOST_TEST(out.status == Status::failed);
    BOOST_TEST(has_error(out, "vm_kvm_build_2004"), errors_of(out));
}

BOOST_AUTO_TEST_CASE(huge_output_is_trimmed_to_the_bound_keeping_its_start_and_end) {
    auto o = good_options();
    o.max_output = 64 * 1024;
    SshRcc rcc(o);
    auto r = rcc.run(cmd("::1",
                         "echo first-line; head -c 30000000 /dev/zero | tr '\\0' a; echo; echo last-line;"
                         " head -c 5000000 /dev/zero | tr '\\0' e >&2; echo err-end >&2",
                         60s));
    BOOST_TEST_REQUIRE(r.ok(), r.channel_error);
    BOOST_TEST(r.out.size() < 66u * 1024);
    BOOST_TEST(r.err.size() < 66u * 1024);
    BOOST_TEST(r.out.rfind("first-line\n", 0) == 0u);
    BOOST_TEST(contains(r.out, "bytes trimmed"));
    BOOST_TEST(r.out.substr(r.out.size() - 10) == "last-line\n");
    BOOST_TEST(r.err.substr(r.err.size() - 8) == "err-end\n");
}

BOOST_AUTO_TEST_CASE(hostile_words_come_back_byte_identical_through_the_real_shell_and_nothing_else_runs) {
    SshRcc rcc(good_options());
    auto canary = server().dir / "pwned";
    std::string c = canary.string();
    std::vector<std::string> words{
        "plain", "", "'", "''", "\"", "it's", "$(touch " + c + ")", "`touch " + c + "`", "; touch " + c,
        "'; touch " + c + "; '", "\"; touch " + c + "; \"", "a\nb\ntouch " + c, "$HOME ${PATH} $((1+1)) $'x'",
        "\\' \\\" \\\\", "&& touch " + c + " || touch " + c, "| touch " + c, "> " + c, "< /etc/passwd",
        "*", "~root", "#comment", "-n", "--help", "%s%d%n", "tab\there", "\r\n", "\x1b[31mred",
        "ünïcödé ✓ 漢字 🙂", "\xe2\x80\x98quoted\xe2\x80\x99", "\xff\xfe raw bytes \x80",
        "!!", "!$", "{a,b}", "$(", "`", "'\"'\"'"};
    // Plus random words from an alphabet of shell metacharacters and multi-byte characters.
    std::mt19937 rng(20261127);
    const std::vector<std::string> alphabet{"'", "\"", "`", "$", "(", ")", ";", "&", "|", "<", ">", "\\", "\n", " ",
                                            "*", "?", "[", "]", "{", "}", "~", "#", "!", "%", "=", "a", "Z", "0",
                                            "é", "✓", "🙂", "\t", "\x7f", "\xc3", "touch " + c};
    for (int i = 0; i < 150; ++i) {
        std::string w;
        int n = std::uniform_int_distribution<int>(1, 24)(rng);
        for (int k = 0; k < n; ++k) w += alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)];
        words.push_back(w);
    }
    int checked = 0;
    for (const auto& w : words) {
        auto r = rcc.run(cmd("::1", command(Shell::posix, {lit("printf"), "%s", w})));
        BOOST_TEST_CONTEXT("word #" << checked) {
            BOOST_TEST(r.ok(), r.err);
            BOOST_TEST(r.out == w);
            BOOST_TEST(r.err == "");
        }
        ++checked;
    }
    BOOST_TEST(checked == static_cast<int>(words.size()));
    BOOST_TEST(!std::filesystem::exists(canary));
    // Joined commands keep each word inert too.
    auto r = rcc.run(cmd("::1", join(Shell::posix, "&&", {command(Shell::posix, {lit("printf"), "%s", "$(touch " + c + ")"}),
                                                           command(Shell::posix, {lit("printf"), "%s", "; touch " + c})})));
    BOOST_TEST(r.out == "$(touch " + c + "); touch " + c);
    BOOST_TEST(!std::filesystem::exists(canary));
    // A NUL cannot be quoted: it is refused before anything is sent.
    BOOST_CHECK_THROW(command(Shell::posix, {lit("printf"), "%s", std::string("a\0b", 3)}), BadArgument);
}

BOOST_AUTO_TEST_CASE(threads_share_a_bounded_pool_of_sessions_per_host) {
    auto o = good_options();
    o.max_sessions_per_host = 2;
    SshRcc rcc(o);
    auto before = ccx_test::slurp(server().dir / "sshd.log");
    std::size_t accepted_before = 0;
    for (std::size_t p = before.find("Accepted publickey"); p != std::string::npos; p = before.find("Accepted publickey", p + 1))
        ++accepted_before;
    std::atomic<int> good{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 5; ++i) {
                std::string word = "t" + std::to_string(t) + "-" + std::to_string(i);
                auto r = rcc.run(cmd("::1", command(Shell::posix, {lit("printf"), "%s", word})));
                if (r.ok() && r.out == word) ++good;
            }
        });
    for (auto& th : threads) th.join();
    BOOST_TEST(good.load() == 30);
    BOOST_TEST(rcc.open_sessions() <= 2u);
    BOOST_TEST(rcc.open_sessions() >= 1u);
    std::this_thread::sleep_for(300ms);  // sshd writes its log line after the reply
    auto after = ccx_test::slurp(server().dir / "sshd.log");
    std::size_t accepted_after = 0;
    for (std::size_t p = after.find("Accepted publickey"); p != std::string::npos; p = after.find("Accepted publickey", p + 1))
        ++accepted_after;
    BOOST_TEST(accepted_after - accepted_before <= 2u);  // 30 commands, at most 2 logins
}

BOOST_AUTO_TEST_CASE(a_pooled_session_that_died_while_idle_is_replaced_transparently) {
    for (auto keepalive : {std::chrono::seconds(0), std::chrono::seconds(3600)}) {
        BOOST_TEST_CONTEXT("keepalive " << keepalive.count() << " s") {
            auto o = good_options();
            o.keepalive = keepalive;  // 0: probed before reuse; 3600: found dead when the channel opens
            SshRcc rcc(o);
            BOOST_TEST_REQUIRE(rcc.run(cmd("::1", "true")).ok());
            BOOST_TEST(rcc.open_sessions() == 1u);
            BOOST_TEST_REQUIRE(server().drop_connections() >= 1);
            auto r = rcc.run(cmd("::1", "echo again"));
            BOOST_TEST(r.ok(), r.channel_error);
            BOOST_TEST(r.out == "again\n");
            BOOST_TEST(rcc.open_sessions() == 1u);
        }
    }
}

BOOST_AUTO_TEST_CASE(sessions_idle_past_idle_close_are_closed_for_every_host) {
    auto o = good_options();
    o.idle_close = std::chrono::seconds(0);
    SshRcc rcc(o);
    BOOST_TEST_REQUIRE(rcc.run(cmd("::1", "true")).ok());
    BOOST_TEST(rcc.open_sessions() == 1u);
    std::this_thread::sleep_for(10ms);
    BOOST_TEST_REQUIRE(rcc.run(cmd("127.0.0.1", "true")).ok());  // sweeps the idle ::1 session
    BOOST_TEST(rcc.open_sessions() == 1u);
}

BOOST_AUTO_TEST_CASE(the_vm_kvm_build_and_scrub_run_end_to_end_over_ssh_against_the_in_memory_iaas) {
    std::filesystem::remove_all(server().sandbox);
    std::filesystem::create_directories(server().sandbox / "var/lib/libvirt/ISOs/KVM/IMGs");
    ccx_test::spit(server().calls_log, "");
    Rig rig(std::make_unique<SshRcc>(good_options()));
    auto vm = *rig.region->object("vm", 1501);
    std::string image(vm.at("image").as_object().at("filename").as_string());
    ccx_test::spit(server().sandbox / "var/lib/libvirt/ISOs/KVM/IMGs" / image, "2361393152");

    auto built = run(rig.ctx, "vm_kvm", "build", 1501);
    BOOST_TEST_REQUIRE((built.status == Status::succeeded), errors_of(built) + rig.log.text());
    BOOST_TEST((rig.region->state("vm", 1501) == State::RUNNING));
    std::string domain = std::to_string(vm.at("project_id").as_int64()) + "_1501";
    BOOST_TEST(ccx_test::slurp(server().sandbox / "run/domains" / domain) == "running\n");
    bool installed = false, bridge = false, storage = false;
    for (const auto& line : server().calls()) {
        if (line.rfind("virt-install\t--name\t" + domain, 0) == 0) installed = true;
        if (line.rfind("systemctl\trestart\tbridge_kvm_br", 0) == 0) bridge = true;
        if (line.rfind("qemu-img\tresize\t/var/lib/libvirt/images/" + domain, 0) == 0) storage = true;
    }
    BOOST_TEST(installed);
    BOOST_TEST(bridge);
    BOOST_TEST(storage);
    BOOST_TEST(contains(rig.log.text(), "cloudinit_kvm.build done in"));  // each step logged with its duration
    BOOST_TEST(rig.notifier.sent().size() == 1u);

    // A second build of the same VM finds everything in place (idempotent host work).
    rig.region->set_state("vm", 1501, State::REQUESTED);
    auto again = run(rig.ctx, "vm_kvm", "build", 1501);
    BOOST_TEST((again.status == Status::succeeded), errors_of(again));
    BOOST_TEST(contains(rig.log.text(), "already exists"));

    rig.region->set_state("vm", 1501, State::SCRUB_QUEUE);
    ccx_test::spit(server().calls_log, "");
    auto scrubbed = run(rig.ctx, "vm_kvm", "scrub", 1501);
    BOOST_TEST_REQUIRE((scrubbed.status == Status::succeeded), errors_of(scrubbed) + rig.log.text());
    BOOST_TEST((rig.region->state("vm", 1501) == State::CLOSED));
    BOOST_TEST(!std::filesystem::exists(server().sandbox / "run/domains" / domain));
    bool destroyed = false, undefined = false;
    for (const auto& line : server().calls()) {
        if (line == "virsh\tdestroy\t" + domain) destroyed = true;
        if (line == "virsh\tundefine\t" + domain + "\t--nvram") undefined = true;
    }
    BOOST_TEST(destroyed);
    BOOST_TEST(undefined);
}

#ifdef CCX_CLI
BOOST_AUTO_TEST_CASE(the_cli_runs_a_vm_build_over_ssh_with_the_operators_options) {
    std::filesystem::remove_all(server().sandbox);
    std::filesystem::create_directories(server().sandbox / "var/lib/libvirt/ISOs/KVM/IMGs");
    ccx_test::spit(server().sandbox / "var/lib/libvirt/ISOs/KVM/IMGs/noble-server-cloudimg-amd64.img", "2361393152");
    ccx_test::spit(server().calls_log, "");
    // Only the address mapping lives in the config; the rest comes from the command line.
    auto config = server().dir / "ssh_config_cli";
    ccx_test::spit(config, "Host 2a02:db8:9::10:0:12\n    HostName ::1\n"
                           "Host 2a02:db8:9::10:0:2 2a02:db8:9::10:0:3\n    HostName 127.0.0.1\n");
    std::string line = std::string(CCX_CLI) + " run vm_kvm build 1501 --hosts ssh --ssh-user root --ssh-key " +
                       server().client_key.string() + " --known-hosts " + server().known_hosts.string() +
                       " --ssh-port " + std::to_string(server().port) + " --ssh-config " + config.string() + " 2>&1";
    FILE* p = ::popen(line.c_str(), "r");
    BOOST_TEST_REQUIRE(p != nullptr);
    std::string output;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) output.append(buf, n);
    int status = ::pclose(p);
    BOOST_TEST(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 0, output);
    BOOST_TEST(contains(output, "vm_kvm.build #1501: succeeded (REQUESTED -> RUNNING)"), output);
    bool installed = false;
    for (const auto& call : server().calls())
        if (call.rfind("virt-install\t--name\t", 0) == 0) installed = true;
    BOOST_TEST(installed);
}
#endif

BOOST_AUTO_TEST_SUITE_END()
