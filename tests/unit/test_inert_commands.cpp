// Hostile values in resource data stay inert: quoted values reach their program as one intact
// argument (or stdin), validated names are refused before anything runs. The generated
// commands really run here, through /bin/sh -c with PATH holding only recording stubs.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/test/unit_test.hpp>

#include "cloudcix_drivers/quote.hpp"
#include "support/printing.hpp"
#include "support/verb_world.hpp"

using namespace cloudcix::drivers;
using test::VerbWorld;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kHostile{
    "it's", "say \"hi\"", "$(touch PWNED)", "a; touch PWNED; b", "line1\nline2\n", "`touch PWNED`", "\\$HOME & | < > *",
    "x'$(touch PWNED)'\"; touch PWNED\n#",
};
const std::string kAll = "web'01\"$(touch PWNED);`touch PWNED`\ntouch PWNED";

struct Record {
    std::vector<std::string> argv;  // argv[0] is the program's name
    std::string in;
};

// A scratch directory with bin/ holding one logging stub under many program names.
class Stubs {
public:
    Stubs() {
        char tmpl[] = "/tmp/ccx-inert-XXXXXX";
        dir_ = mkdtemp(tmpl);
        fs::create_directory(dir_ / "bin");
        std::ofstream(dir_ / "bin" / "stub") << "#!/bin/sh\n{\n  printf '%s' \"${0##*/}\"\n  for a in \"$@\"; do printf '\\037%s' \"$a\"; done\n"
                                                 "  printf '\\036'\n  /bin/cat\n  printf '\\035'\n} >> \"$STUB_LOG\"\n";
        fs::permissions(dir_ / "bin" / "stub", fs::perms::owner_all);
        for (const char* name : {"sudo", "touch", "id", "rm", "tee", "cp", "ip", "nft", "virsh", "qemu-img", "virt-install", "systemctl",
                                 "swanctl", "chmod", "mkdir", "cat", "ls", "sh", "bash", "find"})
            fs::create_symlink(dir_ / "bin" / "stub", dir_ / "bin" / name);
    }
    ~Stubs() {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    // Runs `command` with /bin/sh -c, PATH = the stubs only, cwd = the scratch dir.
    int run(const std::string& command) {
        pid_t pid = fork();
        if (pid == 0) {
            if (chdir(dir_.c_str()) != 0) _exit(126);
            int null = open("/dev/null", O_RDONLY);
            dup2(null, 0);
            std::string path = "PATH=" + (dir_ / "bin").string(), log = "STUB_LOG=" + (dir_ / "log").string();
            char* envp[] = {path.data(), log.data(), nullptr};
            execle("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr), envp);
            _exit(127);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    std::vector<Record> records() const {
        std::ifstream in(dir_ / "log", std::ios::binary);
        std::stringstream s;
        s << in.rdbuf();
        std::string all = s.str();
        std::vector<Record> out;
        for (std::size_t start = 0; start < all.size();) {
            auto end = all.find('\035', start);
            std::string rec = all.substr(start, end - start);
            auto sep = rec.find('\036');
            Record r;
            r.in = rec.substr(sep + 1);
            std::string args = rec.substr(0, sep);
            for (std::size_t a = 0;;) {
                auto us = args.find('\037', a);
                r.argv.push_back(args.substr(a, us - a));
                if (us == std::string::npos) break;
                a = us + 1;
            }
            out.push_back(std::move(r));
            if (end == std::string::npos) break;
            start = end + 1;
        }
        return out;
    }
    bool pwned() const { return fs::exists(dir_ / "PWNED"); }

private:
    fs::path dir_;
};

// Reads one PowerShell single-quoted token; returns the value and whether it used all of `s`.
std::pair<std::string, bool> ps_token(const std::string& s) {
    if (s.empty() || s[0] != '\'') return {"", false};
    std::string v;
    for (std::size_t i = 1; i < s.size(); ++i) {
        if (s[i] == '\'') {
            if (i + 1 < s.size() && s[i + 1] == '\'') {
                v += '\'';
                ++i;
                continue;
            }
            return {v, i + 1 == s.size()};
        }
        v += s[i];
    }
    return {v, false};
}

void put_vm(VerbWorld& w, long long id, const std::function<void(json::object&)>& change) {
    json::object vm = *w.region->object("vm", id);
    vm.erase("project");
    change(vm);
    w.region->put("vm", vm);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(inert_commands)

BOOST_AUTO_TEST_CASE(a_quoted_hostile_word_reaches_its_program_as_one_intact_argument) {
    for (const auto& h : kHostile) {
        Stubs stubs;
        std::string cmd = command(Shell::posix, {lit("sudo"), lit("tee"), h, lit("--"), h});
        BOOST_TEST(stubs.run(cmd) == 0);
        auto recs = stubs.records();
        BOOST_REQUIRE(recs.size() == 1u);
        BOOST_TEST(recs[0].argv == (std::vector<std::string>{"sudo", "tee", h, "--", h}), boost::test_tools::per_element());
        BOOST_TEST(!stubs.pwned());
    }
}

BOOST_AUTO_TEST_CASE(the_stub_harness_sees_a_command_that_was_injected) {
    // The control: unquoted text does run a second program, and the log shows it.
    Stubs stubs;
    BOOST_TEST(stubs.run("sudo tee a; touch PWNED") == 0);
    auto recs = stubs.records();
    BOOST_REQUIRE(recs.size() == 2u);
    BOOST_TEST(recs[1].argv == (std::vector<std::string>{"touch", "PWNED"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_powershell_quoted_hostile_word_is_one_single_quoted_token) {
    for (const auto& h : kHostile) {
        auto [value, whole] = ps_token(quote(Shell::powershell, h));
        BOOST_TEST(whole);
        BOOST_TEST(value == h);
    }
    // PowerShell would splat `@x` and build arrays from `a,b`: such words are quoted there.
    BOOST_TEST(command(Shell::powershell, {lit("Get-VM"), "@x", "a,b", "-Force"}) == "Get-VM '@x' 'a,b' '-Force'");
    BOOST_TEST(command(Shell::posix, {lit("ls"), "a,b"}) == "ls a,b");
}

BOOST_AUTO_TEST_CASE(hostile_vm_names_userdata_and_keys_stay_inert_in_a_kvm_build) {
    VerbWorld w;
    put_vm(w, 1509, [](json::object& vm) {
        vm["name"] = kAll;
        vm["userdata"] = "#cloud-config\nruncmd: [\"$(touch PWNED)\", '; touch PWNED']\n" + kAll;
        vm["public_key"] = "ssh-ed25519 AAAA' ; touch PWNED ; '";
    });
    // The same plan through recording primitives gives the exact payloads to expect.
    VerbWorld plan(false);
    put_vm(plan, 1509, [](json::object& vm) {
        vm["name"] = kAll;
        vm["userdata"] = "#cloud-config\nruncmd: [\"$(touch PWNED)\", '; touch PWNED']\n" + kAll;
        vm["public_key"] = "ssh-ed25519 AAAA' ; touch PWNED ; '";
    });
    BOOST_REQUIRE(plan.run("vm_kvm", "build", 1509).status == Status::succeeded);
    PrimitiveCall cidata;
    for (const auto& c : plan.recording.calls())
        if (c.name() == "cidata.build") cidata = c;
    std::string metadata(cidata.args.at("metadata").as_string()), userdata(cidata.args.at("userdata").as_string());
    BOOST_TEST(metadata.find(kAll.substr(0, 5)) != std::string::npos);

    BOOST_REQUIRE(w.run("vm_kvm", "build", 1509).status == Status::succeeded);
    Stubs stubs;
    auto commands = w.rcc.commands();
    BOOST_REQUIRE(!commands.empty());
    for (const auto& c : commands) BOOST_TEST(stubs.run(c) == 0, c);
    BOOST_TEST(!stubs.pwned());
    int metadata_seen = 0, userdata_seen = 0;
    for (const auto& r : stubs.records()) {
        BOOST_TEST(r.argv[0] == "sudo", "unexpected program ran: " << r.argv[0]);  // every command starts with sudo
        BOOST_TEST((std::find(r.argv.begin(), r.argv.end(), "PWNED") == r.argv.end()));
        if (r.argv.size() == 3 && r.argv[1] == "tee" && r.argv[2].ends_with("/metadata")) metadata_seen += r.in == metadata;
        if (r.argv.size() == 3 && r.argv[1] == "tee" && r.argv[2].ends_with("/userdata")) userdata_seen += r.in == userdata;
    }
    BOOST_TEST(metadata_seen == 2);  // both PodNet nodes
    BOOST_TEST(userdata_seen == 2);
}

BOOST_AUTO_TEST_CASE(every_command_of_a_router_build_runs_as_sudo_only) {
    VerbWorld w;
    BOOST_REQUIRE(w.run("virtual_router", "build", 80).status == Status::succeeded);
    Stubs stubs;
    for (const auto& c : w.rcc.commands()) BOOST_TEST(stubs.run(c) == 0, c);
    auto recs = stubs.records();
    BOOST_TEST(recs.size() >= w.rcc.commands().size());
    for (const auto& r : recs) BOOST_TEST(r.argv[0] == "sudo");
    // The ruleset reaches tee intact on both nodes.
    int rulesets = 0;
    for (const auto& r : recs) rulesets += r.argv.size() == 3 && r.argv[2].ends_with("/firewall.nft") && r.in.starts_with("flush ruleset\n");
    BOOST_TEST(rulesets == 2);
}

BOOST_AUTO_TEST_CASE(a_hostile_storage_type_is_refused_with_2005_before_any_host_command) {
    for (const char* driver : {"vm_kvm", "vm_hyperv"}) {
        long long id = std::string(driver) == "vm_kvm" ? 1509 : 1511;
        VerbWorld w;
        put_vm(w, id, [](json::object& vm) { vm["storage_type"] = "SSD'; touch PWNED; '"; });
        Outcome o = w.run(driver, "build", id);
        BOOST_TEST(o.status == Status::failed, driver);
        BOOST_TEST(o.errors.front().code == std::string(driver) + "_build_2005", driver);
        for (const auto& c : w.rcc.commands()) BOOST_TEST(c.find("PWNED") == std::string::npos, c);
    }
}

BOOST_AUTO_TEST_CASE(a_hostile_firewall_port_or_vpn_peer_is_refused_with_2005) {
    {
        VerbWorld w;
        json::object vr = *w.region->object("virtual_router", 80);
        vr.erase("project");
        vr["firewall_rules"].as_array()[0].as_object()["port"] = "22; touch PWNED";
        w.region->put("virtual_router", vr);
        Outcome o = w.run("virtual_router", "build", 80);
        BOOST_TEST(o.errors.front().code == "virtual_router_build_2005");
        for (const auto& c : w.rcc.commands()) BOOST_TEST(c.find("PWNED") == std::string::npos);
    }
    {
        VerbWorld w;
        json::object vpn = *w.region->object("vpn", 31);
        vpn["ike_gateway_value"] = "203.0.113.10\n}\nsecrets {\n";
        w.region->put("vpn", vpn);
        Outcome o = w.run("virtual_router", "build", 80);
        BOOST_TEST(o.errors.front().code == "virtual_router_build_2005");
        for (const auto& c : w.rcc.commands()) BOOST_TEST(c.find("secrets {\n}") == std::string::npos);
    }
}

BOOST_AUTO_TEST_SUITE_END()
