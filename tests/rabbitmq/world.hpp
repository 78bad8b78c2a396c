// What the RabbitMQ integration tests share: one throwaway broker for the whole test program
// (BOOST_TEST_GLOBAL_FIXTURE(BrokerFixture) in the including file) and the IaaS simulator in this
// process with the demo region, from which they start ccx-worker.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include "cloudcix_drivers/testing.hpp"
#include "server.hpp"
#include "support/processes.hpp"

namespace ccx_rabbit_test {
namespace ccx = cloudcix::drivers;
namespace json = boost::json;
using ccx::State;
using ccx_test::Process;

struct BrokerFixture {
    BrokerFixture() { broker = std::make_unique<ccx_test::ThrowawayRabbit>(CCX_RABBIT_SCRIPT); }
    ~BrokerFixture() { broker.reset(); }
    static inline std::unique_ptr<ccx_test::ThrowawayRabbit> broker;
};

inline ccx_test::ThrowawayRabbit& rabbit() { return *BrokerFixture::broker; }

// The simulator with the demo region, plus `extra` copies of VM 1501 (REQUESTED, project 812)
// numbered from `first`; optional per-request latency.
struct Region {
    std::unique_ptr<ccx::sim::Server> sim;
    std::filesystem::path dir = ccx_test::temp_dir("ccx-region-");
    json::object creds = json::parse(ccx::demo_region_json()).at("credentials").as_object();

    explicit Region(int extra = 0, long long first = 0, std::chrono::milliseconds latency = std::chrono::milliseconds(0)) {
        ccx::sim::ServerOptions o;
        o.threads = 2;
        o.faults.latency = latency;
        sim = std::make_unique<ccx::sim::Server>(o);
        auto vm = *sim->region().object("vm", 1501);
        for (int i = 0; i < extra; ++i) {
            json::object copy = vm;
            copy["id"] = first + i;
            copy["name"] = "web" + std::to_string(first + i);
            copy["history"] = json::array{};
            sim->region().put("vm", copy);
        }
    }
    ~Region() {
        sim.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    std::map<std::string, std::string> env() const {
        return {{"CLOUDCIX_API_USERNAME", std::string(creds.at("email").as_string())},
                {"CLOUDCIX_API_PASSWORD", std::string(creds.at("password").as_string())},
                {"CLOUDCIX_API_KEY", std::string(creds.at("api_key").as_string())},
                {"CLOUDCIX_SEND_TO_FAIL", "noc@demo.cloudcix.local"}};
    }
    std::vector<std::string> iaas_args() const {
        return {"--iaas-url", sim->iaas_url(), "--membership-url", sim->membership_url(), "--hosts", "dry-run"};
    }
    std::optional<State> vm(long long id) { return sim->region().state("vm", id); }
    int count_vms(long long first, int n, State s) {
        int c = 0;
        for (int i = 0; i < n; ++i) c += vm(first + i) == s;
        return c;
    }

    std::unique_ptr<Process> worker(const std::string& queue, const std::string& log, std::vector<std::string> extra = {}) {
        std::vector<std::string> argv{CCX_WORKER_BIN, "--broker", rabbit().url(), "--queue", queue};
        for (auto& a : iaas_args()) argv.push_back(a);
        for (auto& a : extra) argv.push_back(a);
        return std::make_unique<Process>(argv, dir / log, env());
    }
};

}  // namespace ccx_rabbit_test
