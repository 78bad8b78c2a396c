// The cloudcix-iaas-sim and cloudcix-drivers executables as a user runs them: the simulator as a
// child process over HTTPS on a free port, the CLI as another, the region file read afterwards.
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "cloudcix_drivers/testing.hpp"
#include "support/certs.hpp"
#include "support/process.hpp"

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ccx_test::ChildProcess;
using ccx_test::read_file;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/ccx-sim-XXXXXX";
        if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
    std::string file(const char* name) const { return (path / name).string(); }
};

// Waits for the simulator to write its port file; 0 when it did not within the timeout.
int wait_for_port(const std::string& port_file, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        std::string text = read_file(port_file);
        if (!text.empty()) return std::stoi(text);
        std::this_thread::sleep_for(20ms);
    }
    return 0;
}

long long state_in_file(const std::string& region_file, const char* service, long long id) {
    auto region = json::parse(read_file(region_file)).as_object();
    for (const auto& o : region.at(service).as_array())
        if (o.at("id").as_int64() == id) return o.at("state").as_int64();
    return -100;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(simulator_process)

BOOST_AUTO_TEST_CASE(the_cli_builds_a_vm_over_https_and_the_simulator_file_shows_it_running) {
    TempDir dir;
    const auto& pki = ccx_test::pki();
    fs::copy_file(CCX_DEMO_REGION_FILE, dir.file("region.json"));
    BOOST_REQUIRE_EQUAL(state_in_file(dir.file("region.json"), "vm", 1501), 1);

    ChildProcess sim({CCX_SIM_BIN, "--region", dir.file("region.json"), "--port", "0", "--port-file",
                      dir.file("port"), "--cert", pki.server_cert, "--key", pki.server_key},
                     {}, dir.file("sim.out"), dir.file("sim.err"));
    const int port = wait_for_port(dir.file("port"), 10s);
    BOOST_REQUIRE_MESSAGE(port > 0, "the simulator did not start: " << read_file(dir.file("sim.err")));
    const std::string base = "https://127.0.0.1:" + std::to_string(port);

    auto creds = json::parse(cloudcix::drivers::demo_region_json()).at("credentials").as_object();
    ChildProcess cli({CCX_CLI_BIN, "run", "vm_kvm", "build", "1501", "--iaas-url", base + "/iaas/", "--membership-url",
                      base + "/membership/", "--ca-file", pki.ca, "--hosts", "dry-run", "--json"},
                     {"CLOUDCIX_API_USERNAME=" + std::string(creds.at("email").as_string()),
                      "CLOUDCIX_API_PASSWORD=" + std::string(creds.at("password").as_string()),
                      "CLOUDCIX_API_KEY=" + std::string(creds.at("api_key").as_string())},
                     dir.file("cli.out"), dir.file("cli.err"));
    const int cli_rc = cli.wait(60s);
    BOOST_TEST(cli_rc == 0, "cli: " << read_file(dir.file("cli.err")));
    auto outcome = json::parse(read_file(dir.file("cli.out"))).as_object();
    BOOST_TEST(outcome.at("status").as_string() == "succeeded");
    BOOST_TEST(outcome.at("state_after").as_int64() == 4);
    BOOST_TEST(read_file(dir.file("cli.err")).find("demo-robot-password") == std::string::npos);

    sim.signal(SIGTERM);
    BOOST_TEST(sim.wait(20s) == 0);
    BOOST_TEST(state_in_file(dir.file("region.json"), "vm", 1501) == 4);  // RUNNING, written back on stop
    const std::string log = read_file(dir.file("sim.err"));
    BOOST_TEST(log.find("PATCH /iaas/vm/1501/ -> 200") != std::string::npos, log);
    BOOST_TEST(read_file(dir.file("sim.out")).find("listening on " + base) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_cli_refuses_a_server_whose_certificate_it_cannot_verify) {
    TempDir dir;
    const auto& pki = ccx_test::pki();
    ChildProcess sim({CCX_SIM_BIN, "--port-file", dir.file("port"), "--cert", pki.server_cert, "--key", pki.server_key,
                      "--quiet"},
                     {}, dir.file("sim.out"), dir.file("sim.err"));
    const int port = wait_for_port(dir.file("port"), 10s);
    BOOST_REQUIRE(port > 0);
    const std::string base = "https://127.0.0.1:" + std::to_string(port);
    ChildProcess cli({CCX_CLI_BIN, "run", "vm_kvm", "build", "1501", "--iaas-url", base + "/iaas/", "--membership-url",
                      base + "/membership/", "--ca-file", pki.wrong_ca, "--hosts", "dry-run"},
                     {"CLOUDCIX_API_USERNAME=u", "CLOUDCIX_API_PASSWORD=p-secret", "CLOUDCIX_API_KEY=k-secret"},
                     dir.file("cli.out"), dir.file("cli.err"));
    BOOST_TEST(cli.wait(60s) == 2);  // rejected: the VM could not be read
    const std::string out = read_file(dir.file("cli.out"));
    BOOST_TEST(out.find("TLS certificate verification failed") != std::string::npos, out);
    sim.signal(SIGINT);
    BOOST_TEST(sim.wait(20s) == 0);
}

BOOST_AUTO_TEST_CASE(the_simulator_help_documents_every_flag) {
    TempDir dir;
    ChildProcess help({CCX_SIM_BIN, "--help"}, {}, dir.file("out"), dir.file("err"));
    BOOST_REQUIRE_EQUAL(help.wait(10s), 0);
    const std::string text = read_file(dir.file("out"));
    for (const char* flag : {"--region", "--save-every", "--bind", "--port ", "--port-file", "--cert", "--key",
                             "--iaas-prefix", "--membership-prefix", "--token-lifetime", "--idle-timeout-ms", "--threads",
                             "--chunked", "--fail-503", "--reset", "--truncate", "--latency-ms", "--quiet", "--help",
                             "/_sim/stats"})
        BOOST_TEST(text.find(flag) != std::string::npos, "--help does not mention " << flag);
    ChildProcess bad({CCX_SIM_BIN, "--fail-503", "2"}, {}, dir.file("out2"), dir.file("err2"));
    BOOST_TEST(bad.wait(10s) == 2);
    BOOST_TEST(read_file(dir.file("err2")).find("--fail-503 needs a ratio from 0 to 1, got '2'") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
