// Structured logs: JSON lines that carry the trace and resource ids, Logstash over TCP with
// reconnection, and no secret in any line even when a message quotes a whole resource.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <sys/socket.h>
#include <unistd.h>

#include "cloudcix_drivers/log_sinks.hpp"
#include "obs/socket.hpp"
#include "support/fixture.hpp"
#include "support/http.hpp"

using namespace ccx_test;
namespace json = boost::json;
namespace net = cloudcix::drivers::net;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line);
    return out;
}

// A Logstash tcp input stand-in: accepts connections on a port and keeps every line.
class LineReceiver {
public:
    explicit LineReceiver(std::uint16_t port = 0) {
        std::string error;
        listener_ = net::listen_tcp("127.0.0.1", port, port_, error);
        if (!listener_) throw std::runtime_error(error);
        thread_ = std::thread([this] { serve(); });
    }
    ~LineReceiver() { stop(); }
    void stop() {
        stopping_ = true;
        if (thread_.joinable()) thread_.join();
        listener_.reset();
    }
    std::uint16_t port() const { return port_; }
    std::vector<std::string> lines() const {
        std::lock_guard lock(mutex_);
        return lines_of(data_);
    }
    bool wait_for_lines(std::size_t n, std::chrono::seconds timeout) const {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (lines().size() >= n) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }

private:
    void serve() {
        std::vector<net::Fd> clients;
        while (!stopping_) {
            if (net::wait_readable(listener_.get(), std::chrono::milliseconds(10)))
                clients.emplace_back(::accept(listener_.get(), nullptr, nullptr));
            for (auto& c : clients) {
                char buf[4096];
                while (c && net::wait_readable(c.get(), std::chrono::milliseconds(0))) {
                    ssize_t n = ::recv(c.get(), buf, sizeof buf, 0);
                    if (n <= 0) {
                        c.reset();
                        break;
                    }
                    std::lock_guard lock(mutex_);
                    data_.append(buf, static_cast<std::size_t>(n));
                }
            }
        }
    }
    net::Fd listener_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;
    std::string data_;
    std::thread thread_;
};

LogRecord record(std::string message, long long id = 1501) {
    LogRecord r;
    r.time = std::chrono::system_clock::now();
    r.level = LogLevel::warning;
    r.logger = "vm_kvm.build.task";
    r.message = std::move(message);
    r.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    r.span_id = "00f067aa0ba902b7";
    r.driver = "vm_kvm";
    r.verb = "build";
    r.resource_id = id;
    return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(logs)

BOOST_AUTO_TEST_CASE(every_log_line_of_a_run_is_json_with_the_trace_and_resource_ids_and_no_secret) {
    Demo d;
    std::ostringstream out;
    JsonLogSink sink(out, LogLevel::debug, {{"application", "robot"}, {"region", "demo"}});
    d.ctx.log = &sink;
    // Secrets the engine never heard of, quoted by an error message that dumps the resource.
    const std::string admin_password = "Zz9-never-remembered-admin", psk = "ike-psk-never-remembered-77";
    auto vm = *d.region->object("vm", 1501);
    vm["admin_password"] = admin_password;
    vm["vpn"] = json::object{{"ike_pre_shared_key", psk}, {"token", "tok-never-remembered-55"}};
    d.primitives.fail_at(1, PrimitiveResult{false, "3022: the host rejected " + json::serialize(vm) + " (password=" +
                                                       admin_password + ", api_key: " + d.config.iaas.api_key + ")",
                                            nullptr, PrimitiveFailure::command});
    auto o = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(o.status == Status::failed);

    auto lines = lines_of(out.str());
    BOOST_TEST(lines.size() >= 5u);
    bool quoted = false;
    for (const auto& line : lines) {
        auto v = json::parse(line).as_object();
        BOOST_TEST(std::regex_match(std::string(v.at("time").as_string()),
                                    std::regex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z")));
        BOOST_TEST(v.at("logger").as_string() == "vm_kvm.build.task");
        BOOST_TEST(v.at("trace_id").as_string() == o.trace_id);
        BOOST_TEST(v.at("span_id").as_string().size() == 16u);
        BOOST_TEST(v.at("driver").as_string() == "vm_kvm");
        BOOST_TEST(v.at("verb").as_string() == "build");
        BOOST_TEST(v.at("resource_id").as_int64() == 1501);
        BOOST_TEST(v.at("application").as_string() == "robot");
        BOOST_TEST(v.at("region").as_string() == "demo");
        BOOST_TEST(!v.at("level").as_string().empty());
        if (v.at("message").as_string().find("the host rejected") != json::string::npos) quoted = true;
    }
    BOOST_TEST(quoted);  // the resource dump did reach the logs ...
    const std::string all = out.str();
    for (const std::string& secret : {admin_password, psk, std::string("tok-never-remembered-55"), d.config.iaas.password,
                                      d.config.iaas.api_key})
        BOOST_TEST(all.find(secret) == std::string::npos, secret);  // ... without its secrets
    BOOST_TEST(all.find("web01") != std::string::npos);  // the rest of the resource is still there
}

BOOST_AUTO_TEST_CASE(a_json_log_file_is_appended_to) {
    auto path = std::filesystem::temp_directory_path() / ("ccx-log-" + std::to_string(::getpid()) + ".jsonl");
    std::filesystem::remove(path);
    {
        JsonLogSink sink(path.string());
        sink.write(record("first"));
    }
    {
        JsonLogSink sink(path.string());
        sink.write(record("second"));
        LogRecord quiet = record("not shown");
        quiet.level = LogLevel::debug;
        sink.write(quiet);
    }
    std::ifstream in(path);
    auto lines = lines_of(std::string(std::istreambuf_iterator<char>(in), {}));
    std::filesystem::remove(path);
    BOOST_REQUIRE(lines.size() == 2u);
    BOOST_TEST(json::parse(lines[0]).at("message").as_string() == "first");
    BOOST_TEST(json::parse(lines[1]).at("message").as_string() == "second");
    BOOST_CHECK_THROW(JsonLogSink("/nonexistent-dir/x.log"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(logstash_receives_json_lines_and_gets_them_again_after_it_restarts) {
    auto receiver = std::make_unique<LineReceiver>();
    const auto port = receiver->port();
    LogstashOptions opts;
    opts.fields = {{"application", "robot"}, {"region", "demo"}};
    opts.min_backoff = std::chrono::milliseconds(20);
    opts.max_backoff = std::chrono::milliseconds(100);
    LogstashSink sink("127.0.0.1", port, opts);
    for (int i = 0; i < 3; ++i) sink.write(record("before " + std::to_string(i)));
    BOOST_TEST(sink.flush(std::chrono::seconds(10)));
    BOOST_TEST(receiver->wait_for_lines(3, std::chrono::seconds(10)));
    for (const auto& line : receiver->lines()) {
        auto v = json::parse(line).as_object();
        BOOST_TEST(v.at("application").as_string() == "robot");
        BOOST_TEST(v.at("trace_id").as_string() == "4bf92f3577b34da6a3ce929d0e0e4736");
    }

    // Logstash goes away: writes still return at once and are kept (bounded) ...
    receiver.reset();
    for (int i = 0; i < 3; ++i) sink.write(record("during " + std::to_string(i)));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    // ... and arrive once it is back on the same port.
    receiver = std::make_unique<LineReceiver>(port);
    BOOST_TEST(receiver->wait_for_lines(3, std::chrono::seconds(20)));
    std::string joined;
    for (const auto& l : receiver->lines()) joined += l;
    for (int i = 0; i < 3; ++i) BOOST_TEST(joined.find("during " + std::to_string(i)) != std::string::npos);
    BOOST_TEST(sink.stats().connects >= 2u);
    BOOST_TEST(sink.stats().dropped == 0u);
}

BOOST_AUTO_TEST_CASE(a_logstash_that_is_down_costs_dropped_records_not_a_blocked_task) {
    LogstashOptions opts;
    opts.max_buffer = 50;
    opts.connect_timeout = std::chrono::milliseconds(100);
    opts.send_timeout = std::chrono::milliseconds(200);
    LogstashSink sink("127.0.0.1", free_port(), opts);
    for (int i = 0; i < 1000; ++i) sink.write(record("x"));
    auto stats = sink.stats();
    BOOST_TEST(stats.dropped >= 950u);
    BOOST_TEST(stats.sent == 0u);
    BOOST_TEST(!sink.flush(std::chrono::milliseconds(200)));
}

BOOST_AUTO_TEST_SUITE_END()
