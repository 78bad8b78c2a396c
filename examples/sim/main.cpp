// cloudcix-iaas-sim: an IaaS + Membership server for the demo, the integration tests and anyone
// trying the library without a CloudCIX region. Runs until SIGINT/SIGTERM, then saves the region.
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include <pthread.h>

#include "../common/args.hpp"
#include "server.hpp"

namespace sim = cloudcix::drivers::sim;

namespace {

constexpr const char* kUsage = R"(usage: cloudcix-iaas-sim [OPTIONS]

Serves the CloudCIX IaaS and Membership HTTP contract (spec section 2) from a region held in
memory: envelopes, list filters and pages, the robot state map (400 with CloudCIX error bodies),
X-Auth-Token, membership auth/login/, run_robot. Stops on SIGINT or SIGTERM and then writes the
region back to its file. Faults are spread evenly (a ratio of 0.5 hits every other request).

options:
  --region FILE          region JSON to load and to write back on stop (default: the embedded
                         demo region, kept in memory only)
  --save-every SECONDS   also write the region file this often when requests came in (default 0:
                         only on stop)
  --bind ADDRESS         address to listen on (default 127.0.0.1; ::1 for IPv6 loopback)
  --port N               port to listen on; 0 picks a free one (default 0)
  --port-file FILE       write the chosen port to FILE once listening (atomic rename)
  --cert FILE            PEM certificate chain: serve HTTPS (needs --key)
  --key FILE             PEM private key of --cert
  --iaas-prefix PATH     path of the IaaS application (default /iaas/)
  --membership-prefix PATH
                         path of the Membership application (default /membership/)
  --token-lifetime SECONDS
                         tokens expire this long after login: 401 "JWT token is expired"
                         (default 0: never)
  --idle-timeout-ms N    close keep-alive connections idle this long (default 30000)
  --threads N            server threads (default 2)
  --chunked              send response bodies chunked (Transfer-Encoding) instead of with a
                         Content-Length
  --fail-503 RATIO       answer this share of requests with 503 (0..1, default 0)
  --reset RATIO          reset this share of connections after reading the request, before
                         answering (0..1, default 0)
  --truncate RATIO       send only half of this share of responses, then close (0..1, default 0)
  --latency-ms N         wait N ms before every answer (default 0)
  --quiet                no request log (default: one line per request on stderr)
  -h, --help             this text

endpoints: <iaas-prefix>..., <membership-prefix>auth/login/, and /_sim/stats (JSON counters:
connections, active, tls_handshakes, requests, failed_503, resets, truncated, idle_closed).
On start it prints "listening on URL" to stdout. Exit codes: 0 clean stop, 2 bad usage, 1 error.
)";

}  // namespace

int main(int argc, char** argv) {
    sim::ServerOptions o;
    std::string port_file;
    bool quiet = false;
    const cloudcix::examples::Args args("cloudcix-iaas-sim", argc, argv);
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::cout << kUsage;
            return 0;
        } else if (a == "--region") {
            o.region_file = args.value(i);
        } else if (a == "--save-every") {
            o.save_every = std::chrono::seconds(args.integer(i, 0, 86400));
        } else if (a == "--bind") {
            o.bind = args.value(i);
        } else if (a == "--port") {
            o.port = static_cast<std::uint16_t>(args.integer(i, 0, 65535));
        } else if (a == "--port-file") {
            port_file = args.value(i);
        } else if (a == "--cert") {
            o.cert_file = args.value(i);
        } else if (a == "--key") {
            o.key_file = args.value(i);
        } else if (a == "--iaas-prefix") {
            o.iaas_prefix = args.value(i);
        } else if (a == "--membership-prefix") {
            o.membership_prefix = args.value(i);
        } else if (a == "--token-lifetime") {
            o.token_lifetime = std::chrono::seconds(args.integer(i, 0, 365LL * 86400));
        } else if (a == "--idle-timeout-ms") {
            o.idle_timeout = std::chrono::milliseconds(args.integer(i, 1, 86400000));
        } else if (a == "--threads") {
            o.threads = static_cast<int>(args.integer(i, 1, 256));
        } else if (a == "--chunked") {
            o.chunked = true;
        } else if (a == "--fail-503") {
            o.faults.fail_503 = args.decimal(i, 0, 1, "ratio");
        } else if (a == "--reset") {
            o.faults.reset = args.decimal(i, 0, 1, "ratio");
        } else if (a == "--truncate") {
            o.faults.truncate = args.decimal(i, 0, 1, "ratio");
        } else if (a == "--latency-ms") {
            o.faults.latency = std::chrono::milliseconds(args.integer(i, 0, 600000));
        } else if (a == "--quiet") {
            quiet = true;
        } else {
            args.fail("unknown option " + a);
        }
    }
    if (!quiet) o.log = &std::cerr;

    // Block the stop signals before any thread starts, so only sigwait() below receives them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    try {
        sim::Server server(o);
        std::cout << "cloudcix-iaas-sim: listening on " << server.base_url() << " (iaas: " << server.iaas_url()
                  << ", membership: " << server.membership_url() << ")" << std::endl;
        if (!port_file.empty()) {
            const std::string tmp = port_file + ".tmp";
            {
                std::ofstream out(tmp, std::ios::trunc);
                out << server.port() << "\n";
                if (!out) throw std::runtime_error("cannot write " + tmp);
            }
            if (std::rename(tmp.c_str(), port_file.c_str()) != 0) throw std::runtime_error("cannot write " + port_file);
        }
        int signal = 0;
        sigwait(&stop_signals, &signal);
        std::cerr << "cloudcix-iaas-sim: " << (signal == SIGINT ? "SIGINT" : "SIGTERM") << ": stopping" << std::endl;
        server.stop();
        auto s = server.stats();
        std::cerr << "cloudcix-iaas-sim: stopped after " << s.requests << " request(s) on " << s.connections
                  << " connection(s)" << (o.region_file.empty() ? "" : "; region saved to " + o.region_file) << std::endl;
    } catch (const std::exception& e) {
        std::cerr << "cloudcix-iaas-sim: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
