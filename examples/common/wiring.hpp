// The IaaS / hosts / lock / mail options and the wiring of one Context, shared by the example
// programs (cloudcix-drivers, ccx-worker, ccx-robot) so each accepts them the same way.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "cloudcix_drivers/lock/peterson.hpp"
#include "cloudcix_drivers/native_primitives.hpp"
#include "cloudcix_drivers/notify/smtp.hpp"
#include "cloudcix_drivers/rcc/ssh.hpp"
#include "cloudcix_drivers/run.hpp"
#include "cloudcix_drivers/testing.hpp"

namespace cloudcix::examples {

struct IaasOptions {
    std::string hosts;
    std::string iaas_url;
    std::string membership_url;
    std::string ca_file;
    bool insecure = false;
    bool quiet = false;
    drivers::SshOptions ssh;
    bool ssh_options_given = false;
    std::string mail = "outbox";
    std::string lock_store;  // empty: the in-process lock
    int lock_slots = 16;
    int lock_lease_ms = 10000;
};

// The usage lines of the options below.
extern const char* const iaas_options_usage;

// When argv[i] is one of the shared options, consumes it (and its value) and returns true.
bool take_iaas_option(IaasOptions& o, int argc, char** argv, int& i, const std::function<void(const std::string&)>& usage_error);

// Everything one process wires together. The embedded demo region is the default.
struct Wiring {
    drivers::Config config = drivers::Config::from_environment();
    std::shared_ptr<drivers::IaasRegion> region;  // set for the embedded demo region
    std::unique_ptr<drivers::Transport> transport;
    std::unique_ptr<drivers::IaasClient> iaas;
    drivers::InProcessLock lock;
    std::unique_ptr<drivers::PetersonLock> jerry;  // --lock-store: shared with other workers
    std::unique_ptr<drivers::Rcc> rcc;
    std::unique_ptr<drivers::NativePrimitives> primitives;
    drivers::StreamLogSink log;
    drivers::OutboxNotifier outbox;
    std::unique_ptr<drivers::SmtpNotifier> smtp;
    drivers::Context ctx;

    // Throws std::invalid_argument for an unusable combination of options.
    Wiring(const IaasOptions& o, std::ostream& commands, std::string_view program);
};

}  // namespace cloudcix::examples
