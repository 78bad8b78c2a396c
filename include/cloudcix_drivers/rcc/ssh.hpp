// SshRcc: the production host channel (spec §3.3) — one command on one host over SSH (libssh).
// No libssh type appears here: the implementation lives in src/rcc/ssh.cpp behind a pimpl.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cloudcix_drivers/ports/rcc.hpp"

namespace cloudcix::drivers {

class LogSink;

struct SshOptions {
    // An OpenSSH client configuration file read with libssh's own parser (Host patterns,
    // HostName, Port, User, IdentityFile, UserKnownHostsFile, StrictHostKeyChecking ...).
    // Empty: ~/.ssh/config and /etc/ssh/ssh_config, as `ssh` reads them.
    std::string config_file;

    // Explicit settings win over the configuration file (like `ssh -l/-p/-i`). Without a user
    // here or in the file, the primitive's user (HostCommand::user: "robot", "administrator") is used.
    std::string user;
    std::optional<unsigned> port;
    // Private keys tried, in order, before anything else. When set, only these keys (and the
    // agent, if allowed) are offered; otherwise the configuration's IdentityFile entries and the
    // default ~/.ssh/id_* keys are.
    std::vector<std::string> identity_files;
    bool use_agent = true;  // ssh-agent via $SSH_AUTH_SOCK

    // Known hosts: empty means the configuration's UserKnownHostsFile, else ~/.ssh/known_hosts.
    std::string known_hosts_file;
    // On by default: an unknown host key is refused, a changed one always is. Switching it off
    // (here or with `StrictHostKeyChecking no` in the configuration) accepts unknown keys with
    // a warning in the log for every new connection; a changed key is still refused.
    bool strict_host_key_checking = true;

    std::chrono::milliseconds connect_timeout{10000};  // TCP connect + key exchange + auth
    std::chrono::seconds keepalive{30};                // idle sessions and long commands are pinged
    std::chrono::seconds idle_close{300};              // pooled sessions unused this long are closed
    std::size_t max_sessions_per_host = 4;             // concurrent commands per host and user
    std::size_t max_output = 1 << 20;                  // bytes kept of stdout and of stderr each

    LogSink* log = nullptr;  // warnings (host key policy), connection events at debug
};

class SshRcc : public Rcc {
public:
    explicit SshRcc(SshOptions options = {});
    ~SshRcc() override;
    SshRcc(const SshRcc&) = delete;
    SshRcc& operator=(const SshRcc&) = delete;

    // Thread-safe. Channel failures (connect, host key, auth) → channel_ok == false; a command
    // past HostCommand::timeout is killed and reported with timed_out == true.
    RccResult run(const HostCommand& command) override;

    // Sessions currently connected (idle or in use), for tests and operations.
    std::size_t open_sessions() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace cloudcix::drivers
