// A real Prometheus (Debian's /usr/bin/prometheus) for the tests: started on a free loopback
// port with a scrape config pointing at one target, queried through its HTTP API, stopped (and
// its directory removed) when the object goes out of scope, also when a test fails.
#pragma once

#include <boost/json/parse.hpp>

#include <cctype>
#include <cstdint>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/http.hpp"

extern char** environ;

namespace ccx_test {

inline std::string url_encode(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '_' || c == '.' || c == '-') out += static_cast<char>(c);
        else out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
    return out;
}

// Prometheus in its own temporary directory; stopped (and the directory removed) on every exit.
class PrometheusProcess {
public:
    explicit PrometheusProcess(std::uint16_t target_port) {
        static int instance = 0;
        dir_ = std::filesystem::temp_directory_path() / ("ccx-prometheus-" + std::to_string(::getpid()) + "-" + std::to_string(++instance));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_ / "data");
        std::ofstream(dir_ / "prometheus.yml") << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                                                  "scrape_configs:\n  - job_name: ccx\n    static_configs:\n"
                                                  "      - targets: ['127.0.0.1:"
                                               << target_port << "']\n";
        port_ = free_port();
        std::vector<std::string> args{"/usr/bin/prometheus",
                                      "--config.file=" + (dir_ / "prometheus.yml").string(),
                                      "--storage.tsdb.path=" + (dir_ / "data").string(),
                                      "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                      "--log.level=warn"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        const std::string log = (dir_ / "prometheus.log").string();
        posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) throw std::runtime_error("cannot start /usr/bin/prometheus (scripts/setup installs it)");
    }
    ~PrometheusProcess() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            if (::waitpid(pid_, &status, WNOHANG) == 0) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
            }
        }
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    std::string api(const std::string& path_and_query) {
        PlainHttpTransport http;
        cloudcix::drivers::HttpRequest req{"GET", "http://127.0.0.1:" + std::to_string(port_) + path_and_query, {}, {}, std::chrono::seconds(5)};
        auto r = http.send(req);
        return r.status == 200 ? r.body : std::string();
    }
    std::string log() const {
        std::ifstream in(dir_ / "prometheus.log");
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
    // The value of the first sample of an instant query, empty until Prometheus has one.
    std::string query(const std::string& promql) {
        auto body = api("/api/v1/query?query=" + url_encode(promql));
        if (body.empty()) return {};
        auto v = boost::json::parse(body);
        const auto& result = v.at("data").at("result").as_array();
        if (result.empty()) return {};
        return std::string(result[0].at("value").as_array()[1].as_string());
    }

private:
    std::filesystem::path dir_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

inline std::string wait_for_query(PrometheusProcess& p, const std::string& promql, std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto v = p.query(promql);
        if (!v.empty()) return v;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return {};
}

}  // namespace ccx_test
