// How a native primitive talks to a host: numbered steps over the Rcc port, check-then-act,
// "NNNN: text" messages (spec §3.3). Internal to src/primitives/.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "cloudcix_drivers/config.hpp"
#include "cloudcix_drivers/ports/clock.hpp"
#include "cloudcix_drivers/ports/primitives.hpp"
#include "cloudcix_drivers/ports/rcc.hpp"
#include "cloudcix_drivers/ports/tracer.hpp"
#include "cloudcix_drivers/quote.hpp"

namespace cloudcix::drivers::prim {

// Thrown inside a primitive to end it with this result.
struct Stop {
    PrimitiveResult result;
};

class Env {
public:
    Env(Rcc& rcc, Clock& clock, const Config& config, const PrimitiveCall& call)
        : rcc(rcc), clock(clock), config(config), call(call) {}
    Rcc& rcc;
    Clock& clock;
    const Config& config;
    const PrimitiveCall& call;

    std::string str(std::string_view key) const;
    long long num(std::string_view key) const;
    bool flag(std::string_view key, bool fallback) const;
    const boost::json::array& list(std::string_view key) const;
    std::vector<std::string> strings(std::string_view key) const;
};

class Remote {
public:
    // `prefix`: the primitive's failure base (3020 build, 3120 scrub, 3320 update, 3420 quiesce,
    // 3520 restart); step n fails with prefix + 2n - 1 (channel) or prefix + 2n (command).
    Remote(Env& env, std::string host, std::string user, Shell shell, int prefix);

    // A read-only check: returns the result whatever the exit code; a channel failure stops.
    RccResult probe(int step, const std::string& cmd, std::string assumed_out = {}, int assumed_exit = 0);
    // A change: a non-zero exit stops the primitive with the step's failure code.
    RccResult run(int step, const std::string& cmd);
    // Repeats `cmd` every poll_interval until its trimmed stdout equals `want` or poll_timeout.
    bool poll(int step, const std::string& cmd, std::string_view want);

    [[noreturn]] void fail(int step, const std::string& cmd, const RccResult& r, bool channel);
    const std::string& host() const { return host_; }
    Shell shell() const { return shell_; }

private:
    RccResult exec(int step, const HostCommand& hc, bool must_succeed);
    Env& env_;
    std::string host_;
    std::string user_;
    Shell shell_;
    int prefix_;
    std::vector<std::string> done_;
};

PrimitiveResult success(int code, std::string_view text);
std::string trim(std::string_view s);

using Fn = PrimitiveResult (*)(Env&);
using Catalogue = std::map<std::string, Fn, std::less<>>;
void add_kvm(Catalogue& c);
void add_podnet(Catalogue& c);
// Storage and device primitives (issue 5).
void add_snapshot_kvm(Catalogue& c);
void add_snapshot_hyperv(Catalogue& c);
void add_backup_kvm(Catalogue& c);
void add_backup_hyperv(Catalogue& c);
void add_rbd(Catalogue& c);
void add_gpu_kvm(Catalogue& c);
void add_hyperv(Catalogue& c);

}  // namespace cloudcix::drivers::prim
