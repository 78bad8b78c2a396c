// Real servers on loopback for the integration tests: OpenSSH's sshd and an aiosmtpd SMTP
// server, each started on a free port in its own temporary directory and stopped (and the
// directory removed) by the destructor, also when a test fails.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#ifndef CCX_TEST_SUPPORT_DIR
#error "CCX_TEST_SUPPORT_DIR must name tests/support"
#endif

namespace ccx_test {

namespace fs = std::filesystem;

inline std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void spit(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + p.string());
}

inline fs::path make_temp_dir(const char* prefix) {
    std::string pattern = std::string("/tmp/") + prefix + "-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    return fs::path(buf.data());
}

// A TCP port nobody listens on right now (the kernel's choice for an ephemeral bind).
inline unsigned free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot find a free port");
    }
    unsigned port = ntohs(a.sin_port);
    ::close(fd);
    return port;
}

inline bool accepts(unsigned port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

inline void run_or_throw(const std::string& cmd) {
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("command failed: " + cmd);
}

// fork + exec with stdout/stderr to `log`; returns the child's pid.
inline pid_t spawn(const std::vector<std::string>& argv, const fs::path& log) {
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        FILE* f = std::fopen(log.c_str(), "a");
        if (f) {
            ::dup2(fileno(f), 1);
            ::dup2(fileno(f), 2);
        }
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        std::_Exit(127);
    }
    return pid;
}

inline void stop(pid_t& pid) {
    if (pid <= 0) return;
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 50; ++i) {
        if (::waitpid(pid, nullptr, WNOHANG) == pid) {
            pid = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    pid = -1;
}

// sshd as root on 127.0.0.1 and ::1 with its own host key, one authorized client key, and a
// session environment whose PATH starts with the recording stubs (tests/support/host-stubs).
class SshServer {
public:
    SshServer() : dir(make_temp_dir("ccx-sshd")) {
        try {
            start();
        } catch (...) {
            cleanup();
            throw;
        }
    }
    ~SshServer() { cleanup(); }
    SshServer(const SshServer&) = delete;
    SshServer& operator=(const SshServer&) = delete;

    fs::path dir;
    unsigned port = 0;
    fs::path client_key, wrong_key, other_host_key, known_hosts, sandbox, calls_log;
    std::string host_public_key;  // "ssh-ed25519 AAAA..."

    // A known_hosts line for both loopback addresses with `key` ("type base64").
    std::string known_hosts_line(const std::string& key) const {
        std::string p = std::to_string(port);
        return "[127.0.0.1]:" + p + ",[::1]:" + p + " " + key + "\n";
    }

    // An OpenSSH client config mapping the demo region's management addresses to loopback
    // (the hypervisor to ::1, the PodNet nodes to 127.0.0.1), plus `extra` for every host.
    fs::path write_config(const std::string& name, const std::string& extra) const {
        fs::path p = dir / name;
        spit(p, "# the demo region's hypervisor (server 12) and its two PodNet nodes\n"
                "Host 2a02:db8:9::10:0:12\n    HostName ::1\n"
                "Host 2a02:db8:9::10:0:2 2a02:db8:9::10:0:3\n    HostName 127.0.0.1\n"
                "Host *\n    Port " + std::to_string(port) + "\n" + extra);
        return p;
    }

    // A temporary unprivileged login (shell /bin/sh) for what OpenSSH only does for non-root
    // sessions: root logins have no privilege-separated child, so sshd refuses signal requests.
    // Removed by the destructor.
    std::string unprivileged_user() {
        if (!user_.empty()) return user_;
        std::string name = "ccxssh" + std::to_string(::getpid() % 100000);
        run_or_throw("useradd --system --password '*' --no-create-home --home-dir /nonexistent --shell /bin/sh " + name);
        user_ = name;
        fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                                 fs::perms::others_exec);
        fs::permissions(dir / "authorized_keys", fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                                     fs::perms::others_read);
        fs::create_directories(dir / "shared");
        fs::permissions(dir / "shared", fs::perms::all);
        return user_;
    }

    // Kills the per-connection sshd processes (children of the listener this object started),
    // so every client session dies while the server keeps listening. Returns how many.
    int drop_connections() {
        std::istringstream children(slurp("/proc/" + std::to_string(pid_) + "/task/" + std::to_string(pid_) + "/children"));
        int n = 0;
        for (pid_t child; children >> child; ++n) ::kill(child, SIGKILL);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        return n;
    }

    std::vector<std::string> calls() const {
        std::vector<std::string> out;
        std::istringstream in(slurp(calls_log));
        for (std::string line; std::getline(in, line);) out.push_back(line);
        return out;
    }
    std::string log() const { return slurp(dir / "sshd.log"); }

private:
    pid_t pid_ = -1;
    std::string user_;

    void start() {
        fs::path support = CCX_TEST_SUPPORT_DIR;
        std::string d = dir.string();
        run_or_throw("ssh-keygen -q -t ed25519 -N '' -C ccx-test-host -f " + d + "/host_ed25519");
        run_or_throw("ssh-keygen -q -t ed25519 -N '' -C ccx-test-client -f " + d + "/id_ed25519");
        run_or_throw("ssh-keygen -q -t ed25519 -N '' -C ccx-test-wrong -f " + d + "/wrong_ed25519");
        run_or_throw("ssh-keygen -q -t ed25519 -N '' -C ccx-test-other-host -f " + d + "/other_host_ed25519");
        client_key = dir / "id_ed25519";
        wrong_key = dir / "wrong_ed25519";
        other_host_key = dir / "other_host_ed25519";
        fs::copy_file(dir / "id_ed25519.pub", dir / "authorized_keys");
        auto pub = slurp(dir / "host_ed25519.pub");
        host_public_key = pub.substr(0, pub.find(" ccx-test-host"));

        sandbox = dir / "host";
        calls_log = dir / "calls.log";
        fs::create_directories(sandbox);
        fs::create_directories(dir / "bin");
        fs::create_directories(dir / "tools");
        spit(calls_log, "");
        fs::copy_file(support / "host-stubs" / "sudo", dir / "bin" / "sudo");
        for (const char* tool : {"tee", "chmod", "mkdir", "rm", "cp", "systemctl", "qemu-img", "virsh", "virt-install"})
            fs::create_symlink(support / "host-stubs" / "hoststub", dir / "tools" / tool);
        // sshd refuses to run without its privilege separation directory.
        fs::create_directories("/run/sshd");

        port = free_port();
        known_hosts = dir / "known_hosts";
        spit(known_hosts, known_hosts_line(host_public_key));
        // SHLVL=1 keeps root's bash from sourcing ~/.bashrc for ssh commands (it would rewrite PATH).
        spit(dir / "sshd_config",
             "Port " + std::to_string(port) + "\n"
             "ListenAddress 127.0.0.1\nListenAddress ::1\n"
             "HostKey " + d + "/host_ed25519\n"
             "PidFile " + d + "/sshd.pid\n"
             "AuthorizedKeysFile " + d + "/authorized_keys\n"
             "PermitRootLogin prohibit-password\nPubkeyAuthentication yes\n"
             "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
             "MaxStartups 100\nMaxSessions 50\nLogLevel VERBOSE\n"
             "SetEnv PATH=" + d + "/bin:/usr/bin:/bin SHLVL=1 CCX_STUB_ROOT=" + sandbox.string() +
             " CCX_STUB_LOG=" + calls_log.string() + " CCX_STUB_TOOLS=" + d + "/tools\n");
        pid_ = spawn({"/usr/sbin/sshd", "-D", "-e", "-f", d + "/sshd_config", "-o", "UsePAM=no", "-o", "StrictModes=no"},
                     dir / "sshd.log");
        for (int i = 0; i < 100 && !accepts(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (!accepts(port)) throw std::runtime_error("sshd did not start: " + log());
    }

    void cleanup() {
        stop(pid_);
        if (!user_.empty()) std::system(("userdel " + user_ + " 2>/dev/null").c_str());
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

// aiosmtpd (Debian python3-aiosmtpd) on 127.0.0.1 with a handler that stores each message as
// a file in `maildir` (tests/support/smtp_sink.py).
class SmtpServer {
public:
    // `tls`: STARTTLS required with a self-signed certificate for 127.0.0.1 (cert), and AUTH
    // with user/password required.
    explicit SmtpServer(bool tls = false, std::string user = "robot@example.com", std::string password = "s3cret-smtp")
        : dir(make_temp_dir("ccx-smtp")), maildir(dir / "mail") {
        fs::create_directories(maildir);
        port = free_port();
        std::vector<std::string> argv{"/usr/bin/python3", std::string(CCX_TEST_SUPPORT_DIR) + "/smtp_sink.py", "127.0.0.1",
                                      std::to_string(port), maildir.string()};
        if (tls) {
            cert = dir / "cert.pem";
            run_or_throw("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                         "-addext subjectAltName=IP:127.0.0.1 -keyout " + (dir / "key.pem").string() + " -out " +
                         cert.string() + " 2>/dev/null");
            argv.insert(argv.end(), {cert.string(), (dir / "key.pem").string(), user, password});
        }
        pid_ = spawn(argv, dir / "smtpd.log");
        for (int i = 0; i < 100 && !accepts(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (!accepts(port)) {
            auto text = slurp(dir / "smtpd.log");
            cleanup();
            throw std::runtime_error("the SMTP server did not start: " + text);
        }
    }
    ~SmtpServer() { cleanup(); }
    SmtpServer(const SmtpServer&) = delete;
    SmtpServer& operator=(const SmtpServer&) = delete;

    fs::path dir, maildir, cert;
    unsigned port = 0;

    // Messages received so far (each: envelope lines, a blank line, then the raw message).
    std::vector<std::string> messages() const {
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(maildir))
            if (e.path().extension() == ".eml") files.push_back(e.path());
        std::sort(files.begin(), files.end());
        std::vector<std::string> out;
        for (const auto& f : files) out.push_back(slurp(f));
        return out;
    }
    // The decoded HTML part of message `n` (0-based, in arrival order).
    std::string html(std::size_t n) const {
        char name[16];
        std::snprintf(name, sizeof name, "%04zu.html", n + 1);
        return slurp(maildir / name);
    }

private:
    pid_t pid_ = -1;
    void cleanup() {
        stop(pid_);
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

}  // namespace ccx_test
