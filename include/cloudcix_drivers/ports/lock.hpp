// Lock port: exclusive hold on an ordered set of keys until a deadline.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace cloudcix::drivers {

// Released when destroyed. Implementations renew leases while it lives.
class LockHold {
public:
    virtual ~LockHold() = default;
};

class Lock {
public:
    virtual ~Lock() = default;
    // `keys` come in the global order (see lock_order()). Blocks until every key is held or the
    // deadline passes; on timeout nothing stays held and the result is null.
    virtual std::unique_ptr<LockHold> acquire(const std::vector<std::string>& keys,
                                              std::chrono::steady_clock::time_point deadline) = 0;
};

// The global acquisition order: project → vm → host → podnet → ceph → backup_repo → others,
// then by name. Sorting with it makes every multi-key acquisition deadlock-free.
std::vector<std::string> lock_order(std::vector<std::string> keys);

}  // namespace cloudcix::drivers
