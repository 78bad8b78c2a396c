// The Jerry lock: Peterson's mutual exclusion for N participants (a tournament tree of
// two-participant Peterson locks) over a RegisterStore, implementing the Lock port.
// docs/locks.md explains the algorithm, the leases and the configuration.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cloudcix_drivers/lock/register_store.hpp"
#include "cloudcix_drivers/ports/lock.hpp"

namespace cloudcix::drivers {

struct LockOptions {
    // Slots: how many acquisitions may be in flight at once over all processes and machines
    // sharing the store (2..256). Every participant must use the same number.
    std::size_t participants = 16;
    // A claim whose heartbeat nobody has seen move for this long is treated as released. The
    // holder's renewer beats every lease/4. Every participant must use the same lease.
    std::chrono::milliseconds lease{10000};
    // Prefix of every register set name, so several lock domains can share one store.
    std::string domain = "jerry";
    // Register sets of this domain a store may hold before an acquisition that needs a new one
    // first reclaims the idle ones (docs/locks.md, "Reclaiming register sets"). At least 1.
    std::size_t max_sets = 1024;
};

// What a PetersonLock hands out.
class JerryHold : public LockHold {
public:
    // False once this holder's claim was found expired and evicted by another participant (it
    // was paused or cut off for longer than the lease): the keys may now be held by someone else.
    virtual bool valid() const = 0;
    virtual int slot() const = 0;
};

// Holds live inside the lock (no allocation per acquisition): release every hold before the
// PetersonLock that gave it is destroyed (a hold outliving its lock terminates the process).
class PetersonLock : public Lock {
public:
    PetersonLock(std::shared_ptr<RegisterStore> store, LockOptions options = {});
    ~PetersonLock() override;  // releases this process's slots
    PetersonLock(const PetersonLock&) = delete;
    PetersonLock& operator=(const PetersonLock&) = delete;

    // Keys are sorted with lock_order() and de-duplicated here too; null when the deadline passes
    // (or no slot is free before it). Store failures throw std::runtime_error; more than 8
    // distinct keys in one acquisition throw std::invalid_argument.
    std::unique_ptr<LockHold> acquire(const std::vector<std::string>& keys,
                                      std::chrono::steady_clock::time_point deadline) override;

    const LockOptions& options() const;
    RegisterStore& store();

    struct Stats {
        std::uint64_t acquisitions = 0;  // holds handed out
        std::uint64_t timeouts = 0;      // acquisitions that returned null
        std::uint64_t evictions = 0;     // expired claims this lock evicted
        std::uint64_t reclaimed = 0;     // register sets this lock reclaimed
    };
    Stats stats() const;

    // Reclaims now every register set of this domain that no participant is using or entering
    // (acquire does it by itself when the store holds max_sets of them); the number reclaimed.
    std::size_t reclaim();
    // How many register sets of this domain's keys the store holds.
    std::size_t key_sets();

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

// Which store, how many slots, which lease: the one configuration shared by the CLI, the worker
// and the C API.
//   store: "memory"              registers in this process (threads)
//          "shm:PATH"            a file mapped by every process on this machine
//          "redis://HOST:PORT/N" Redis database N (port and database optional: 6379, 0)
struct LockConfig {
    std::string store = "memory";
    std::size_t participants = 16;
    std::chrono::milliseconds lease{10000};
    std::size_t max_sets = 1024;  // LockOptions::max_sets
};

// Parses a store string; throws std::invalid_argument naming what is wrong.
std::shared_ptr<RegisterStore> make_store(std::string_view store);
// make_store + PetersonLock; throws std::invalid_argument for a bad configuration and
// std::runtime_error when the store cannot be reached.
std::unique_ptr<PetersonLock> make_lock(const LockConfig& config);

}  // namespace cloudcix::drivers
