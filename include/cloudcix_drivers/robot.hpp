// The loop that finds the work (spec §2.7): GET run_robot/, dispatch every listed verb, then
// acknowledge the projects with POST run_robot/. Shared by the CLI's `robot` and ccx-robot.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "cloudcix_drivers/iaas/client.hpp"
#include "cloudcix_drivers/ports/clock.hpp"
#include "cloudcix_drivers/ports/dispatcher.hpp"

namespace cloudcix::drivers {

struct RobotWork {
    bool ok = false;
    std::string message;                // why the GET failed
    std::vector<long long> project_ids;
    std::vector<Task> tasks;            // in the order run_robot listed them
};

// One GET run_robot/. Skips the legacy duplicate keys (quiesced_update, running_update, and the
// merged top-level lists) and, for VM/VR drivers, the ids of `scrub` that are also in `scrubprep`
// (the deliberate SCRUB overlap: such an object is in SCRUB, which `scrub` would only skip).
RobotWork read_robot_work(IaasClient& iaas);

// POST run_robot/ {"project_ids": [...]}.
ApiReply acknowledge_robot_work(IaasClient& iaas, const std::vector<long long>& project_ids);

struct RobotLoopOptions {
    std::chrono::milliseconds idle_sleep{std::chrono::seconds(15)};  // [R]: 15 s
    bool once = false;                   // one round, then return
    bool until_idle = false;             // return at the first round that lists no work
    const std::atomic<bool>* stop = nullptr;
    Clock* clock = nullptr;              // null: system_clock()
    // Called after a round's tasks were dispatched, before the acknowledgement (e.g. wait for an
    // in-process pool to drain).
    std::function<void(const RobotWork&)> after_dispatch;
    std::function<void(const std::string&)> log;  // one line per round / problem
};

struct RobotLoopResult {
    int rounds = 0;          // rounds that listed work
    std::size_t dispatched = 0;
    std::size_t not_queued = 0;  // Dispatcher::dispatch returned false
    int errors = 0;          // failed GETs / POSTs
};

RobotLoopResult run_robot_loop(IaasClient& iaas, Dispatcher& dispatcher, const RobotLoopOptions& options);

}  // namespace cloudcix::drivers
