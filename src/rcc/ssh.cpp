// SshRcc over libssh: pooled sessions per (user, host), known-hosts checking, deadlines.
// libssh sessions are not thread-safe: a session is used by one thread at a time, handed out
// by the pool and handed back after the command.
#include "cloudcix_drivers/rcc/ssh.hpp"

#include <fnmatch.h>
#include <libssh/libssh.h>
#include <libssh/server.h>  // ssh_send_keepalive (works for client sessions too)
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <sstream>

#include "cloudcix_drivers/log.hpp"

namespace cloudcix::drivers {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

struct SessionFree {
    void operator()(ssh_session s) const {
        if (s == nullptr) return;
        if (ssh_is_connected(s)) ssh_disconnect(s);
        ssh_free(s);
    }
};
using SessionPtr = std::unique_ptr<ssh_session_struct, SessionFree>;

struct ChannelFree {
    void operator()(ssh_channel c) const { ssh_channel_free(c); }
};
using ChannelPtr = std::unique_ptr<ssh_channel_struct, ChannelFree>;

struct KeyFree {
    void operator()(ssh_key k) const { ssh_key_free(k); }
};

struct CharFree {
    void operator()(char* s) const { ssh_string_free_char(s); }
};
using SshString = std::unique_ptr<char, CharFree>;

// Keeps the first and the last half of `max` bytes of a stream and counts what falls between,
// so a command that prints gigabytes costs `max` bytes of memory and still shows how it ended.
class Bounded {
public:
    explicit Bounded(std::size_t max) : head_max_(max / 2), tail_max_(max - max / 2) {}

    void add(const char* p, std::size_t n) {
        total_ += n;
        std::size_t h = std::min(n, head_max_ - head_.size());
        head_.append(p, h);
        p += h;
        n -= h;
        if (n == 0) return;
        if (n >= tail_max_) {
            tail_.assign(p + (n - tail_max_), tail_max_);
        } else {
            tail_.append(p, n);
            if (tail_.size() > tail_max_) tail_.erase(0, tail_.size() - tail_max_);
        }
    }

    std::string str() const {
        std::size_t dropped = total_ - head_.size() - tail_.size();
        if (dropped == 0) return head_ + tail_;
        return head_ + "\n[... " + std::to_string(dropped) + " bytes trimmed ...]\n" + tail_;
    }

private:
    std::size_t head_max_;
    std::size_t tail_max_;
    std::size_t total_ = 0;
    std::string head_;
    std::string tail_;
};

std::string home_file(const char* relative) {
    const char* home = std::getenv("HOME");
    return home ? std::string(home) + "/" + relative : std::string();
}

bool readable(const std::string& path) { return !path.empty() && ::access(path.c_str(), R_OK) == 0; }

// StrictHostKeyChecking as the configuration sets it for `host` (first value wins, as in
// OpenSSH). libssh applies the option to the session but offers no way to read it back, so
// this one keyword is looked up here, with the same Host pattern rules; Match blocks and
// Include are not followed (documented in docs/ssh-and-mail.md).
std::optional<bool> config_strictness(const std::string& path, const std::string& host) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    bool applies = true;
    std::string line;
    while (std::getline(in, line)) {
        std::replace(line.begin(), line.end(), '=', ' ');
        std::istringstream words(line);
        std::string key;
        if (!(words >> key) || key[0] == '#') continue;
        std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
        if (key == "host") {
            bool positive = false, negative = false;
            for (std::string pattern; words >> pattern;) {
                bool negated = pattern[0] == '!';
                if (negated) pattern.erase(0, 1);
                if (fnmatch(pattern.c_str(), host.c_str(), FNM_CASEFOLD) == 0) (negated ? negative : positive) = true;
            }
            applies = positive && !negative;
        } else if (key == "match") {
            applies = false;
        } else if (key == "stricthostkeychecking" && applies) {
            std::string value;
            words >> value;
            std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::tolower(c); });
            return !(value == "no" || value == "off" || value == "accept-new");
        }
    }
    return std::nullopt;
}

std::string fingerprint(ssh_session s) {
    ssh_key key = nullptr;
    if (ssh_get_server_publickey(s, &key) != SSH_OK) return "(no key)";
    std::unique_ptr<ssh_key_struct, KeyFree> owned(key);
    unsigned char* hash = nullptr;
    std::size_t len = 0;
    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) != SSH_OK) return "(no hash)";
    SshString text(ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len));
    ssh_clean_pubkey_hash(&hash);
    return text ? std::string(text.get()) : "(no hash)";
}

struct Conn {
    SessionPtr session;
    std::string label;  // user@host:port after the configuration was applied
    Steady::time_point last_used;
};

struct Slot {
    std::vector<std::unique_ptr<Conn>> idle;
    std::size_t busy = 0;
};

RccResult channel_failure(std::string message) {
    RccResult r;
    r.channel_ok = false;
    r.channel_error = std::move(message);
    r.exit_code = -1;
    return r;
}

}  // namespace

struct SshRcc::Impl {
    SshOptions o;
    mutable std::mutex mutex;
    std::condition_variable freed;
    std::map<std::string, Slot> slots;
    std::atomic<std::size_t> open{0};

    void log(LogLevel level, const std::string& message) {
        if (o.log == nullptr) return;
        LogRecord r;
        r.time = std::chrono::system_clock::now();
        r.level = level;
        r.logger = "rcc.ssh";
        r.message = secrets::redact(message);
        o.log->write(r);
    }

    // A connected, authenticated session for `c`, or a channel failure.
    std::unique_ptr<Conn> connect(const HostCommand& c, RccResult& failure) {
        SessionPtr s(ssh_new());
        if (!s) {
            failure = channel_failure("cannot create an SSH session");
            return nullptr;
        }
        int verbosity = SSH_LOG_NOLOG;
        ssh_options_set(s.get(), SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
        if (ssh_options_set(s.get(), SSH_OPTIONS_HOST, c.host.c_str()) != SSH_OK) {
            failure = channel_failure("invalid host '" + c.host + "': " + ssh_get_error(s.get()));
            return nullptr;
        }
        // The configuration first, then what the operator set explicitly on top (like `ssh -p -l -i`).
        if (!o.config_file.empty() && !readable(o.config_file)) {
            failure = channel_failure("cannot read the SSH configuration file " + o.config_file);
            return nullptr;
        }
        if (ssh_options_parse_config(s.get(), o.config_file.empty() ? nullptr : o.config_file.c_str()) != SSH_OK) {
            failure = channel_failure("cannot parse the SSH configuration: " + std::string(ssh_get_error(s.get())));
            return nullptr;
        }
        if (!o.user.empty()) {
            ssh_options_set(s.get(), SSH_OPTIONS_USER, o.user.c_str());
        } else {
            char* configured = nullptr;
            if (ssh_options_get(s.get(), SSH_OPTIONS_USER, &configured) == SSH_OK && configured != nullptr)
                ssh_string_free_char(configured);
            else
                ssh_options_set(s.get(), SSH_OPTIONS_USER, c.user.c_str());
        }
        if (o.port) {
            unsigned port = *o.port;
            ssh_options_set(s.get(), SSH_OPTIONS_PORT, &port);
        }
        if (!o.known_hosts_file.empty()) ssh_options_set(s.get(), SSH_OPTIONS_KNOWNHOSTS, o.known_hosts_file.c_str());
        long sec = static_cast<long>(o.connect_timeout.count() / 1000);
        long usec = static_cast<long>((o.connect_timeout.count() % 1000) * 1000);
        ssh_options_set(s.get(), SSH_OPTIONS_TIMEOUT, &sec);
        ssh_options_set(s.get(), SSH_OPTIONS_TIMEOUT_USEC, &usec);

        std::string user = "?", host = c.host;
        unsigned port = 22;
        {
            char* v = nullptr;
            if (ssh_options_get(s.get(), SSH_OPTIONS_USER, &v) == SSH_OK) user = SshString(v).get();
            if (ssh_options_get(s.get(), SSH_OPTIONS_HOST, &v) == SSH_OK) host = SshString(v).get();
            ssh_options_get_port(s.get(), &port);
        }
        auto conn = std::make_unique<Conn>();
        conn->label = user + "@" + host + ":" + std::to_string(port);
        std::string via = host == c.host ? "" : " (for " + c.host + ")";

        if (ssh_connect(s.get()) != SSH_OK) {
            failure = channel_failure("cannot connect to " + conn->label + via + ": " + ssh_get_error(s.get()));
            return nullptr;
        }

        bool strict = o.strict_host_key_checking;
        if (strict) {
            std::string file = o.config_file.empty() ? home_file(".ssh/config") : o.config_file;
            auto configured = config_strictness(file, c.host);
            if (!configured && o.config_file.empty()) configured = config_strictness("/etc/ssh/ssh_config", c.host);
            if (configured) strict = *configured;
        }
        // The policy is ours (unknown keys are warned about, never silently accepted): libssh's
        // own handling of StrictHostKeyChecking is switched off by keeping its option strict.
        int libssh_strict = 1;
        ssh_options_set(s.get(), SSH_OPTIONS_STRICTHOSTKEYCHECK, &libssh_strict);
        std::string known;
        {
            char* v = nullptr;
            if (ssh_options_get(s.get(), SSH_OPTIONS_KNOWNHOSTS, &v) == SSH_OK) known = SshString(v).get();
        }
        switch (ssh_session_is_known_server(s.get())) {
            case SSH_KNOWN_HOSTS_OK:
                break;
            case SSH_KNOWN_HOSTS_CHANGED:
                failure = channel_failure("host key mismatch for " + conn->label + via + ": the server offers " +
                                          fingerprint(s.get()) + ", which differs from the key in " + known +
                                          " (possible man-in-the-middle); refused");
                return nullptr;
            case SSH_KNOWN_HOSTS_OTHER:
                failure = channel_failure("host key mismatch for " + conn->label + via + ": " + known +
                                          " holds a key of another type for this host; refused");
                return nullptr;
            case SSH_KNOWN_HOSTS_UNKNOWN:
            case SSH_KNOWN_HOSTS_NOT_FOUND:
                if (strict) {
                    failure = channel_failure("unknown host key " + fingerprint(s.get()) + " for " + conn->label + via +
                                              ": not in " + (known.empty() ? "the known hosts file" : known) +
                                              " (StrictHostKeyChecking); refused");
                    return nullptr;
                }
                log(LogLevel::warning, "accepting the unknown host key " + fingerprint(s.get()) + " of " + conn->label +
                                           via + " without verification: StrictHostKeyChecking is off");
                break;
            case SSH_KNOWN_HOSTS_ERROR:
                failure = channel_failure("cannot check the host key of " + conn->label + via + ": " + ssh_get_error(s.get()));
                return nullptr;
        }

        if (!authenticate(s.get(), conn->label + via, failure)) return nullptr;
        conn->session = std::move(s);
        conn->last_used = Steady::now();
        ++open;
        log(LogLevel::debug, "connected to " + conn->label + via);
        return conn;
    }

    bool authenticate(ssh_session s, const std::string& who, RccResult& failure) {
        int rc = ssh_userauth_none(s, nullptr);
        if (rc == SSH_AUTH_SUCCESS) return true;
        if (rc == SSH_AUTH_ERROR) {
            failure = channel_failure("authentication with " + who + " failed: " + ssh_get_error(s));
            return false;
        }
        std::vector<std::string> tried;
        for (const auto& file : o.identity_files) {
            ssh_key key = nullptr;
            if (ssh_pki_import_privkey_file(file.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK) {
                tried.push_back("key file " + file + " (unreadable or passphrase-protected)");
                continue;
            }
            std::unique_ptr<ssh_key_struct, KeyFree> owned(key);
            rc = ssh_userauth_publickey(s, nullptr, key);
            if (rc == SSH_AUTH_SUCCESS) return true;
            tried.push_back("key file " + file);
        }
        bool agent = o.use_agent && std::getenv("SSH_AUTH_SOCK") != nullptr;
        if (agent) {
            rc = ssh_userauth_agent(s, nullptr);
            if (rc == SSH_AUTH_SUCCESS) return true;
            tried.push_back("ssh-agent");
        }
        if (o.identity_files.empty()) {
            rc = ssh_userauth_publickey_auto(s, nullptr, nullptr);
            if (rc == SSH_AUTH_SUCCESS) return true;
            tried.push_back("IdentityFile and default keys");
        }
        std::string list;
        for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
        failure = channel_failure("authentication refused by " + who + " (public key; tried " +
                                  (list.empty() ? std::string("nothing") : list) + ")");
        return false;
    }

    static std::string key_of(const HostCommand& c, const SshOptions& o) {
        return (o.user.empty() ? c.user : o.user) + "@" + c.host;
    }

    // Waits for a free slot of this host (at most `deadline`), then returns an idle session or null.
    bool checkout(const std::string& key, Steady::time_point deadline, std::unique_ptr<Conn>& conn) {
        std::vector<std::unique_ptr<Conn>> stale;
        {
            std::unique_lock lock(mutex);
            Slot& slot = slots[key];
            if (!freed.wait_until(lock, deadline, [&] { return slot.busy < std::max<std::size_t>(1, o.max_sessions_per_host); }))
                return false;
            ++slot.busy;
            auto now = Steady::now();
            // Sessions idle too long are closed, for every host (a host may never be used again).
            for (auto& [other, s] : slots) {
                auto old = std::stable_partition(s.idle.begin(), s.idle.end(),
                                                 [&](const auto& c) { return now - c->last_used <= o.idle_close; });
                std::move(old, s.idle.end(), std::back_inserter(stale));
                s.idle.erase(old, s.idle.end());
            }
            if (!slot.idle.empty()) {
                conn = std::move(slot.idle.back());  // the most recently used one
                slot.idle.pop_back();
            }
        }
        open -= stale.size();
        stale.clear();  // disconnects outside the lock
        if (conn && Steady::now() - conn->last_used > o.keepalive &&
            (!ssh_is_connected(conn->session.get()) || ssh_send_keepalive(conn->session.get()) != SSH_OK)) {
            log(LogLevel::debug, "dropping the dead idle session to " + conn->label);
            --open;
            conn.reset();
        }
        return true;
    }

    void checkin(const std::string& key, std::unique_ptr<Conn> conn) {
        if (conn) conn->last_used = Steady::now();
        {
            std::lock_guard lock(mutex);
            Slot& slot = slots[key];
            --slot.busy;
            if (conn) slot.idle.push_back(std::move(conn));
        }
        freed.notify_one();
    }

    void discard(std::unique_ptr<Conn>& conn) {
        if (!conn) return;
        conn.reset();
        --open;
    }

    enum class Exec { done, stale, failed };

    // Runs the command on one session. `stale`: the session was dead before anything ran.
    Exec exec(Conn& conn, const HostCommand& c, Steady::time_point deadline, RccResult& r) {
        ssh_session s = conn.session.get();
        ChannelPtr ch(ssh_channel_new(s));
        if (!ch || ssh_channel_open_session(ch.get()) != SSH_OK) return Exec::stale;
        if (ssh_channel_request_exec(ch.get(), c.command.c_str()) != SSH_OK) {
            r = channel_failure("cannot start the command on " + conn.label + ": " + ssh_get_error(s));
            return Exec::failed;
        }
        Bounded out(o.max_output), err(o.max_output);
        char buf[16384];
        auto last_ping = Steady::now();
        auto drain_stderr = [&] {
            int n;
            while ((n = ssh_channel_read_nonblocking(ch.get(), buf, sizeof buf, 1)) > 0) err.add(buf, static_cast<std::size_t>(n));
            return n;
        };
        while (true) {
            auto now = Steady::now();
            if (now >= deadline) {
                // Past its deadline: the remote process is killed (signal request) and the
                // channel closed; the session is not reused.
                ssh_channel_request_send_signal(ch.get(), "KILL");
                ssh_channel_close(ch.get());
                r.channel_ok = true;
                r.timed_out = true;
                r.exit_code = -1;
                r.out = out.str();
                r.err = err.str();
                return Exec::failed;
            }
            int wait = static_cast<int>(std::min<long long>(200, duration_cast<milliseconds>(deadline - now).count() + 1));
            int n = ssh_channel_read_timeout(ch.get(), buf, sizeof buf, 0, wait);
            if (n > 0) out.add(buf, static_cast<std::size_t>(n));
            int e = drain_stderr();
            if (n == SSH_ERROR || e == SSH_ERROR) {
                r = channel_failure("the connection to " + conn.label + " broke while the command ran: " + ssh_get_error(s));
                return Exec::failed;
            }
            if (ssh_channel_is_eof(ch.get())) break;
            if (Steady::now() - last_ping > o.keepalive) {
                ssh_send_ignore(s, "keepalive");
                last_ping = Steady::now();
            }
        }
        while (true) {  // whatever is still buffered
            int n = ssh_channel_read_nonblocking(ch.get(), buf, sizeof buf, 0);
            if (n <= 0) break;
            out.add(buf, static_cast<std::size_t>(n));
        }
        drain_stderr();
        int status = ssh_channel_get_exit_status(ch.get());
        ssh_channel_send_eof(ch.get());
        ssh_channel_close(ch.get());
        r.channel_ok = true;
        r.out = out.str();
        r.err = err.str();
        if (status < 0) {
            // No exit status: the process died of a signal (or the server did not say).
            r.exit_code = 255;
            r.err += (r.err.empty() ? "" : "\n") + std::string("[no exit status: the command was killed]");
        } else {
            r.exit_code = status;
        }
        return Exec::done;
    }
};

SshRcc::SshRcc(SshOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->o = std::move(options);
    if (!impl_->o.strict_host_key_checking)
        impl_->log(LogLevel::warning,
                   "SSH host key checking is OFF: unknown host keys are accepted without verification "
                   "(changed keys are still refused); do not run like this in production");
}

SshRcc::~SshRcc() = default;

std::size_t SshRcc::open_sessions() const { return impl_->open.load(); }

RccResult SshRcc::run(const HostCommand& c) {
    Impl& m = *impl_;
    if (c.command.find('\0') != std::string::npos) return channel_failure("the command contains a NUL byte; nothing was sent");
    auto start = Steady::now();
    auto deadline = start + c.timeout;
    std::string key = Impl::key_of(c, m.o);
    std::unique_ptr<Conn> conn;
    if (!m.checkout(key, deadline, conn))
        return channel_failure("no free SSH session to " + key + " before the command's deadline (" +
                               std::to_string(m.o.max_sessions_per_host) + " in use)");
    RccResult r;
    for (int attempt = 0; attempt < 2; ++attempt) {
        bool reused = conn != nullptr;
        if (!conn) {
            conn = m.connect(c, r);
            if (!conn) break;
        }
        auto outcome = m.exec(*conn, c, deadline, r);
        if (outcome == Impl::Exec::done) break;
        m.discard(conn);
        // A pooled session that died while idle is replaced once; anything else is the result.
        if (outcome == Impl::Exec::failed || !reused) {
            if (outcome == Impl::Exec::stale) r = channel_failure("cannot open a channel on a new session to " + key);
            break;
        }
    }
    m.checkin(key, std::move(conn));
    m.log(r.timed_out ? LogLevel::warning : LogLevel::debug,
          key + ": " + (r.timed_out ? "killed at its deadline after " : !r.channel_ok ? "channel failed after " : "exit " + std::to_string(r.exit_code) + " after ") +
              std::to_string(duration_cast<milliseconds>(Steady::now() - start).count()) + " ms");
    return r;
}

}  // namespace cloudcix::drivers
