// Child processes and throwaway servers for the integration tests: each is stopped (and its
// process group killed) when its object goes out of scope, also when a test fails.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace ccx_test {

inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Polls `done` every 50 ms until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return done();
}

inline bool port_free(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

// A base port with `count` free consecutive ports after it.
inline int free_ports(int count) {
    std::mt19937 rng{std::random_device{}()};
    for (int attempt = 0; attempt < 200; ++attempt) {
        int base = 30000 + static_cast<int>(rng() % 25000);
        bool ok = true;
        for (int i = 0; i < count && ok; ++i) ok = port_free(base + i);
        if (ok) return base;
    }
    throw std::runtime_error("no free ports");
}

inline std::filesystem::path temp_dir(const std::string& prefix) {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    return pattern;
}

// A child in its own process group; stdout and stderr go to `log`.
class Process {
public:
    Process(std::vector<std::string> argv, const std::filesystem::path& log, std::map<std::string, std::string> env = {},
            const std::filesystem::path& cwd = {})
        : log_(log) {
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::setpgid(0, 0);
            int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            int null = ::open("/dev/null", O_RDONLY);
            ::dup2(null, 0);
            for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
            if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
            std::vector<char*> args;
            for (auto& a : argv) args.push_back(a.data());
            args.push_back(nullptr);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        ::setpgid(pid_, pid_);
    }
    ~Process() { kill_group(SIGKILL); wait_exit(std::chrono::seconds(10)); }
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }
    void signal(int sig) const {
        if (exited_) return;
        ::kill(pid_, sig);
    }
    void kill_group(int sig) const {
        if (exited_) return;
        ::kill(-pid_, sig);
    }
    // The exit status (shell style: 128+signal), or -1 on timeout.
    int wait_exit(std::chrono::milliseconds timeout) {
        if (exited_) return status_;
        auto until = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            int st = 0;
            pid_t r = ::waitpid(pid_, &st, WNOHANG);
            if (r == pid_) {
                exited_ = true;
                status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                return status_;
            }
            if (std::chrono::steady_clock::now() >= until) return -1;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    bool running() {
        return wait_exit(std::chrono::milliseconds(0)) == -1;
    }
    std::string output() const { return slurp(log_); }

private:
    pid_t pid_ = -1;
    std::filesystem::path log_;
    bool exited_ = false;
    int status_ = -1;
};

// Runs a command to completion; returns its exit status and output.
inline int run_command(std::vector<std::string> argv, std::string* output = nullptr, std::map<std::string, std::string> env = {},
                       const std::filesystem::path& cwd = {}) {
    auto dir = temp_dir("ccx-cmd-");
    int rc;
    {
        Process p(std::move(argv), dir / "out", std::move(env), cwd);
        rc = p.wait_exit(std::chrono::minutes(5));
        if (output) *output = p.output();
    }
    std::filesystem::remove_all(dir);
    return rc;
}

// A private RabbitMQ node (tests/support/throwaway-rabbitmq.sh): started by the constructor,
// stopped by the destructor.
class ThrowawayRabbit {
public:
    explicit ThrowawayRabbit(const std::string& script, const std::string& extra_conf = {})
        : script_(script), dir_(temp_dir("ccx-rabbit-")), port_(free_ports(3)) {
        start(extra_conf);
    }
    ~ThrowawayRabbit() {
        stop();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    ThrowawayRabbit(const ThrowawayRabbit&) = delete;
    ThrowawayRabbit& operator=(const ThrowawayRabbit&) = delete;

    int port() const { return port_; }
    std::string url() const { return "amqp://guest:guest@127.0.0.1:" + std::to_string(port_) + "//"; }
    const std::filesystem::path& dir() const { return dir_; }

    void start(const std::string& extra_conf = {}) {
        std::map<std::string, std::string> env;
        if (!extra_conf.empty()) env["RMQ_EXTRA_CONF"] = extra_conf;
        env["RMQ_START_TIMEOUT"] = "240";
        std::string out;
        int rc = run_command({"/bin/sh", script_, "start", dir_.string(), std::to_string(port_)}, &out, env);
        if (rc != 0) throw std::runtime_error("RabbitMQ did not start: " + out);
        up_ = true;
    }
    void stop() {
        if (!up_) return;
        run_command({"/bin/sh", script_, "stop", dir_.string()});
        up_ = false;
    }
    // Messages ready in a queue (-1 when it cannot be listed).
    long messages(const std::string& queue) {
        std::string out;
        if (run_command({"/bin/sh", script_, "ctl", dir_.string(), "-q", "list_queues", "name", "messages"}, &out) != 0) return -1;
        std::istringstream in(out);
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::string name;
            long n = 0;
            if (fields >> name >> n && name == queue) return n;
        }
        return -1;
    }

private:
    std::string script_;
    std::filesystem::path dir_;
    int port_;
    bool up_ = false;
};

}  // namespace ccx_test
