// HTTP transport benchmark against the simulator over TLS on loopback (in-process server, free
// port, certificates made with `openssl` at run time). Prints ratios against a baseline measured
// in the same run; asserts nothing.
//   1. 1,000 sequential reads: pooled keep-alive vs a new connection (and handshake) per call.
//   2. TLS handshakes per 1,000 verbs run by a pool of worker threads.
//   3. HTTP requests per vm_kvm.build.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "cloudcix_drivers/run.hpp"
#include "cloudcix_drivers/testing.hpp"
#include "cloudcix_drivers/transport/http.hpp"
#include "server.hpp"
#include "support/certs.hpp"

namespace ccx = cloudcix::drivers;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

ccx::IaasSettings settings_for(const ccx::sim::Server& server) {
    auto creds = json::parse(ccx::demo_region_json()).at("credentials").as_object();
    ccx::IaasSettings s;
    s.iaas_url = server.iaas_url();
    s.membership_url = server.membership_url();
    s.username = std::string(creds.at("email").as_string());
    s.password = std::string(creds.at("password").as_string());
    s.api_key = std::string(creds.at("api_key").as_string());
    return s;
}

// Seconds for `n` sequential reads of vm/1501/ through `transport`.
double timed_reads(ccx::HttpTransport& transport, const ccx::sim::Server& server, int n) {
    ccx::IaasClient client(transport, ccx::system_clock(), settings_for(server));
    if (!client.read("vm", 1501).ok()) {  // logs in, outside the timing
        std::fprintf(stderr, "http_bench: the first read failed\n");
        std::exit(1);
    }
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i)
        if (!client.read("vm", 1501).ok()) {
            std::fprintf(stderr, "http_bench: read %d failed\n", i);
            std::exit(1);
        }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
    const int reads = argc > 1 ? std::atoi(argv[1]) : 1000;
    const int verbs = argc > 2 ? std::atoi(argv[2]) : 1000;
    const int workers = 4;
    const auto& pki = ccx_test::pki();

    ccx::sim::ServerOptions so;
    so.cert_file = pki.server_cert;
    so.key_file = pki.server_key;
    so.threads = 2;
    ccx::sim::Server server(so);

    // 1. Keep-alive vs a connection per call.
    ccx::HttpOptions pooled_options;
    pooled_options.ca_file = pki.ca;
    ccx::HttpTransport pooled(pooled_options);
    ccx::HttpOptions fresh_options = pooled_options;
    fresh_options.keep_alive = false;
    ccx::HttpTransport fresh(fresh_options);
    const double t_pooled = timed_reads(pooled, server, reads);
    const double t_fresh = timed_reads(fresh, server, reads);
    std::printf("sequential reads over TLS: %d\n", reads);
    std::printf("  pooled keep-alive : %8.3f s  %8.1f us/read  %llu connection(s), %llu handshake(s)\n", t_pooled,
                t_pooled * 1e6 / reads, static_cast<unsigned long long>(pooled.stats().connections_opened),
                static_cast<unsigned long long>(pooled.stats().tls_handshakes));
    std::printf("  new connection    : %8.3f s  %8.1f us/read  %llu connection(s), %llu handshake(s)\n", t_fresh,
                t_fresh * 1e6 / reads, static_cast<unsigned long long>(fresh.stats().connections_opened),
                static_cast<unsigned long long>(fresh.stats().tls_handshakes));
    std::printf("  keep-alive speed-up: %.1fx (goal >= 5x)\n", t_fresh / t_pooled);

    // 2. Handshakes per 1,000 verbs on a worker pool: `verbs` copies of VM 1501, each built once.
    auto base_vm = server.region().object("vm", 1501);
    base_vm->erase("project");  // the API's composed view; the table stores project_id
    for (int i = 0; i < verbs; ++i) {
        json::object vm = *base_vm;
        vm["id"] = 200000 + i;
        vm["name"] = "bench" + std::to_string(i);
        server.region().put("vm", std::move(vm));
    }
    ccx::HttpTransport transport(pooled_options);
    ccx::IaasClient client(transport, ccx::system_clock(), settings_for(server));
    ccx::InProcessLock lock;
    ccx::RecordingPrimitives primitives;
    ccx::Context ctx;
    ctx.iaas = &client;
    ctx.lock = &lock;
    ctx.primitives = &primitives;
    ctx.config.iaas = settings_for(server);

    // 3 first: the requests of one build, on a warm connection with a token.
    client.read("vm", 1501);
    const auto before = server.stats().requests;
    auto one = ccx::run(ctx, "vm_kvm", "build", 1501);
    const auto per_build = server.stats().requests - before;

    std::atomic<int> next{0};
    std::mutex outcomes_mutex;
    std::map<std::string, int> outcomes;
    const auto handshakes_before = transport.stats().tls_handshakes;
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int w = 0; w < workers; ++w)
        pool.emplace_back([&] {
            for (int i = next++; i < verbs; i = next++) {
                auto o = ccx::run(ctx, "vm_kvm", "build", 200000 + i);
                std::lock_guard g(outcomes_mutex);
                ++outcomes[std::string(ccx::to_string(o.status))];
            }
        });
    for (auto& t : pool) t.join();
    const double t_verbs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto handshakes = transport.stats().tls_handshakes - handshakes_before;
    std::printf("verbs over TLS: %d vm_kvm.build on %d worker threads in %.3f s (", verbs, workers, t_verbs);
    for (const auto& [status, n] : outcomes) std::printf(" %s=%d", status.c_str(), n);
    std::printf(" )\n");
    std::printf("  TLS handshakes: %llu for %d verbs = %.1f per 1,000 verbs (goal <= %d, one per worker)\n",
                static_cast<unsigned long long>(handshakes), verbs, verbs ? handshakes * 1000.0 / verbs : 0.0, workers);
    std::printf("HTTP requests per vm_kvm.build: %llu (outcome of the measured run: %s)\n",
                static_cast<unsigned long long>(per_build), std::string(ccx::to_string(one.status)).c_str());
    return 0;
}
