// Rcc port ("remote command channel", spec §3.3): run one command on one host.
#pragma once

#include <chrono>
#include <string>

namespace cloudcix::drivers {

enum class Shell { posix, powershell };

struct HostCommand {
    std::string host;     // address or name, as the API gives it (IPv6 literals included)
    std::string user;     // "robot", "administrator"
    Shell shell = Shell::posix;
    std::string command;  // built by the quoting module only (src/primitives/quote.cpp)
    std::chrono::milliseconds timeout{120000};
    // What a host in the verb's starting state answers. Only a dry run uses it: it lets
    // `plan` walk the path that changes things instead of the "already done" shortcut.
    std::string assumed_stdout;
    int assumed_exit = 0;
};

struct RccResult {
    bool channel_ok = true;     // false: could not connect / authenticate / run at all
    std::string channel_error;  // set when !channel_ok
    int exit_code = 0;
    std::string out;
    std::string err;
    // The command ran past HostCommand::timeout and was killed; out/err hold what came before.
    bool timed_out = false;
    bool ok() const noexcept { return channel_ok && !timed_out && exit_code == 0; }
};

class Rcc {
public:
    virtual ~Rcc() = default;
    virtual RccResult run(const HostCommand& command) = 0;
};

}  // namespace cloudcix::drivers
