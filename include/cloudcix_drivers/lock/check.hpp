// Evidence for the Jerry lock: many participants hammer one key around a deliberately
// non-atomic critical section that counts the times two were inside at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "cloudcix_drivers/lock/peterson.hpp"

namespace cloudcix::drivers {

struct LockCheck {
    std::string key = "host:lock-check";
    int workers = 4;  // processes (fork) for shm and Redis; threads for memory
    std::chrono::milliseconds duration{1000};  // stop after this long ...
    std::uint64_t acquisitions = 0;            // ... or after this many in total (0: no limit)
    std::chrono::milliseconds acquire_timeout{30000};
};

struct LockCheckResult {
    std::uint64_t acquisitions = 0;
    std::uint64_t violations = 0;  // overlapping holders seen, plus updates lost in the section
    std::uint64_t timeouts = 0;
    std::uint64_t failed_workers = 0;  // workers that died or could not open the store
    std::chrono::milliseconds elapsed{0};
};

// Runs the check with locks made by make_lock(config). Must be called while the process has no
// other threads when the store is not "memory" (it forks).
LockCheckResult lock_check(const LockConfig& config, const LockCheck& check);

}  // namespace cloudcix::drivers
