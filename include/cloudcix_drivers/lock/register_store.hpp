// Shared integer registers for the Jerry lock (docs/locks.md): named arrays of 64-bit registers
// with read, write and a multi-read. The mutual exclusion uses nothing stronger; only slot
// registration uses compare_and_set.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cloudcix::drivers {

// One named array of registers. Every operation on one register is atomic and sequentially
// consistent with every other operation on the same store. A set is created with every register
// zero except the last, its incarnation: a random non-zero number chosen when the set is created,
// so that a set removed and created again under the same name (or a reused location) is told
// apart from the old one by whoever still holds a handle to the old one.
class RegisterSet {
public:
    struct Write {
        std::size_t index;
        std::int64_t value;
    };

    virtual ~RegisterSet() = default;
    virtual std::size_t size() const = 0;
    virtual std::int64_t read(std::size_t index) = 0;
    virtual void write(std::size_t index, std::int64_t value) = 0;
    // The writes, then the reads, one register operation after the other in that order (not a
    // snapshot, not a transaction): a store may send them in one round trip.
    virtual void write_read(std::span<const Write> writes, std::span<const std::size_t> reads,
                            std::span<std::int64_t> out) = 0;
    // Registration only (participant slots), never the mutual exclusion: sets the register to
    // `desired` if it holds `expected`.
    virtual bool compare_and_set(std::size_t index, std::int64_t expected, std::int64_t desired) = 0;

    void read_many(std::span<const std::size_t> reads, std::span<std::int64_t> out) { write_read({}, reads, out); }

    // The registers as words of this process's memory, when the store keeps them there (memory,
    // shm), else null. Whoever uses them must access them with std::atomic_ref, seq_cst only.
    virtual std::int64_t* words() { return nullptr; }
    std::size_t incarnation_index() const { return size() - 1; }
};

// Where register sets live: one process (memory), one machine (shm file), many machines (Redis).
// Thread-safe; sets it hands out are thread-safe and may outlive nothing but the store.
class RegisterStore {
public:
    virtual ~RegisterStore() = default;
    // The set called `name` with `size` (≥ 2) registers, created on first use (zero, the last
    // register its incarnation). Opening the same name with another size is an error
    // (std::runtime_error).
    virtual std::shared_ptr<RegisterSet> open(std::string_view name, std::size_t size) = 0;
    // Reclamation bookkeeping (never the mutual exclusion): the names of the sets that exist and
    // start with `prefix`; and removing the set `name` if (atomically with open() and with the
    // check) its register `index` holds `value`. After a removal the set's registers read as
    // zero through old handles until the name or location is used again, and open(name) creates
    // a new incarnation.
    virtual std::vector<std::string> list(std::string_view prefix) = 0;
    virtual bool remove(std::string_view name, std::size_t index, std::int64_t value) = 0;
    virtual std::string describe() const = 0;
    // Round trips to a server so far (0 for stores without one): for the benchmark.
    virtual std::uint64_t round_trips() const { return 0; }
};

// Sequentially consistent atomics in this process (threads).
std::shared_ptr<RegisterStore> make_memory_store();
// A file mapped into every process that opens it (processes on one machine). The file is
// created when missing; `bytes` is its size then (an existing file keeps its size).
std::shared_ptr<RegisterStore> make_shm_store(const std::string& path, std::size_t bytes = 16u << 20);
// Redis (hiredis): one hash per set, HSET/HMGET, pipelined write_read (one round trip).
// `prefix` namespaces the keys; the Redis set `prefix + "@sets"` indexes the names (list()). Throws std::runtime_error when the server cannot be reached.
std::shared_ptr<RegisterStore> make_redis_store(const std::string& host, int port, int db,
                                                std::string prefix = "ccx:lock:",
                                                std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

}  // namespace cloudcix::drivers
