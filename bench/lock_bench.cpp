// Jerry lock benchmark: every number is a ratio against a baseline measured in this same run.
//   1. uncontended acquire+release: memory store vs std::mutex (and vs InProcessLock, the same
//      port without Peterson), shm store vs std::mutex, Redis store vs a plain SET NX PX lock
//   2. contended throughput, 2/4/8 participants (threads), memory store vs std::mutex
//   3. Redis round trips per uncontended acquisition
// Usage: lock_bench [--seconds-per-case S] ; starts its own redis-server on a free port.
// The Jerry rows go through the Lock port (Lock::acquire with a vector of string keys, the hold
// destroyed), exactly as a driver's run() does; each case computes its deadline once, as run()
// does, so the rows time acquire+release and not the clock. The "floor" rows run the same
// tournament-tree entry and exit inline on seq_cst atomics (no port, no store, no slots): what
// the algorithm alone costs on this machine.
#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cloudcix_drivers/lock/peterson.hpp"
#include "cloudcix_drivers/testing.hpp"

namespace ccx = cloudcix::drivers;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

double budget = 0.5;  // seconds per measurement

// Nanoseconds per call of f, repeated until the budget is spent.
template <class F>
double ns_per_op(F&& f) {
    for (int i = 0; i < 100; ++i) f();  // warm up (slot claim, set open, connections)
    std::uint64_t n = 0;
    auto start = Clock::now();
    auto until = start + std::chrono::duration<double>(budget);
    while (Clock::now() < until) {
        for (int i = 0; i < 64; ++i) f();
        n += 64;
    }
    return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / static_cast<double>(n);
}

// Acquisitions per second with `threads` threads hammering one key.
template <class F>
double throughput(int threads, F&& one) {
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> total{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < threads; ++i)
        ts.emplace_back([&] {
            std::uint64_t n = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                one();
                ++n;
            }
            total += n;
        });
    auto start = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(budget));
    stop = true;
    for (auto& t : ts) t.join();
    return static_cast<double>(total.load()) / std::chrono::duration<double>(Clock::now() - start).count();
}

int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

// The algorithm alone: slot 0's entry (flag, victim, read other flag, read victim, at each level)
// and exit (flags cleared root first) on a tree of `slots` leaves, seq_cst, uncontended.
std::int64_t floor_regs[3 * 64 + 2];
void tree_floor(std::size_t slots) {
    std::size_t leaves = 1;
    while (leaves < slots) leaves *= 2;
    const std::int64_t me = 257;
    std::size_t levels = 0;
    std::size_t path[8];
    for (std::size_t p = leaves; p > 1; p >>= 1) path[levels++] = p;
    for (std::size_t i = 0; i < levels; ++i) {
        std::size_t node = path[i] >> 1, side = path[i] & 1;
        std::atomic_ref<std::int64_t>(floor_regs[2 * node + side]).store(me);
        std::atomic_ref<std::int64_t>(floor_regs[2 * leaves + node]).store(me);
        auto other = std::atomic_ref<std::int64_t>(floor_regs[2 * node + 1 - side]).load();
        auto victim = std::atomic_ref<std::int64_t>(floor_regs[2 * leaves + node]).load();
        if (other != 0 && victim == me) std::abort();  // uncontended: never waits
    }
    for (std::size_t i = levels; i-- > 0;)
        std::atomic_ref<std::int64_t>(floor_regs[2 * (path[i] >> 1) + (path[i] & 1)]).store(0);
}

void row(const std::string& name, double ns, double base_ns, const std::string& base) {
    std::printf("  %-44s %10.0f ns   %6.2fx %s\n", name.c_str(), ns, ns / base_ns, base.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::string(argv[i]) == "--seconds-per-case") budget = std::stod(argv[++i]);
    const std::vector<std::string> key{"host:1"};
    const auto far = 3600s;

    std::printf("uncontended acquire+release (one thread, one key; ratio to the baseline named)\n");
    std::mutex m;
    double mutex_ns = ns_per_op([&] {
        m.lock();
        m.unlock();
    });
    row("std::mutex", mutex_ns, mutex_ns, "std::mutex");
    ccx::InProcessLock in_process;
    const auto deadline = Clock::now() + far;
    double port_ns = ns_per_op([&] { in_process.acquire(key, deadline); });
    row("InProcessLock (the port, no Peterson)", port_ns, mutex_ns, "std::mutex");
    for (std::size_t slots : {2u, 16u, 64u}) {
        std::fill(std::begin(floor_regs), std::end(floor_regs), 0);  // victims of another layout
        double floor_ns = ns_per_op([&] { tree_floor(slots); });
        row("floor: tree of " + std::to_string(slots) + " inline, seq_cst", floor_ns, mutex_ns, "std::mutex");
        ccx::PetersonLock lock(ccx::make_memory_store(), {slots, 10s, "bench"});
        double ns = ns_per_op([&] { lock.acquire(key, deadline); });
        row("Jerry port, memory, " + std::to_string(slots) + " slots", ns, mutex_ns, "std::mutex");
        row("Jerry port, memory, " + std::to_string(slots) + " slots", ns, floor_ns, "its floor");
        if (slots == 16) row("Jerry port, memory, 16 slots", ns, port_ns, "InProcessLock");
    }
    {
        ccx::PetersonLock lock(ccx::make_memory_store(), {16, 10s, "bench"});
        const std::vector<std::string> three{"project:1", "vm:1", "host:1"};
        double ns = ns_per_op([&] { lock.acquire(three, deadline); });
        row("Jerry port, memory, 16 slots, 3 keys", ns, mutex_ns, "std::mutex");
    }
    auto shm_path = std::filesystem::temp_directory_path() / ("ccx-bench-" + std::to_string(::getpid()));
    {
        ccx::PetersonLock lock(ccx::make_shm_store(shm_path.string()), {16, 10s, "bench"});
        double ns = ns_per_op([&] { lock.acquire(key, deadline); });
        row("Jerry port, shm, 16 slots", ns, mutex_ns, "std::mutex");
    }
    std::filesystem::remove(shm_path);

    std::printf("\ncontended throughput (threads on one key; ratio to std::mutex with as many threads)\n");
    for (int threads : {2, 4, 8}) {
        double base = throughput(threads, [&] {
            std::lock_guard g(m);
        });
        ccx::PetersonLock lock(ccx::make_memory_store(), {static_cast<std::size_t>(threads), 10s, "bench"});
        double jerry = throughput(threads, [&] { lock.acquire(key, Clock::now() + 10s); });
        std::printf("  %d participants: std::mutex %10.0f/s   Jerry memory %10.0f/s   %6.3fx\n", threads, base, jerry,
                    jerry / base);
    }

    // Redis: our own server on a free loopback port.
    int port = free_port();
    pid_t redis = ::fork();
    if (redis == 0) {
        int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, 1);
        ::dup2(null, 2);
        std::string p = std::to_string(port);
        ::execlp("redis-server", "redis-server", "--port", p.c_str(), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                 "no", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    std::shared_ptr<ccx::RegisterStore> store;
    for (int i = 0; i < 100 && !store; ++i) {
        try {
            store = ccx::make_redis_store("127.0.0.1", port, 0);
        } catch (const std::exception&) {
            std::this_thread::sleep_for(50ms);
        }
    }
    if (!store) {
        std::printf("\nredis-server did not start: Redis cases skipped\n");
    } else {
        std::printf("\nRedis on loopback (uncontended; ratio to a plain SET NX PX + DEL lock)\n");
        redisContext* c = redisConnect("127.0.0.1", port);
        double plain_ns = ns_per_op([&] {
            auto* r = static_cast<redisReply*>(redisCommand(c, "SET plain:host:1 me NX PX 10000"));
            freeReplyObject(r);
            r = static_cast<redisReply*>(redisCommand(c, "DEL plain:host:1"));
            freeReplyObject(r);
        });
        redisFree(c);
        row("SET NX PX + DEL (2 round trips)", plain_ns, plain_ns, "SET NX PX");
        for (std::size_t slots : {2u, 4u, 16u}) {
            ccx::PetersonLock lock(store, {slots, 10s, "bench" + std::to_string(slots)});
            lock.acquire(key, deadline);  // claim the slot, open the set
            auto before = store->round_trips();
            const int n = 200;
            for (int i = 0; i < n; ++i) lock.acquire(key, deadline);
            double trips = static_cast<double>(store->round_trips() - before) / n;
            double ns = ns_per_op([&] { lock.acquire(key, deadline); });
            row("Jerry, Redis, " + std::to_string(slots) + " slots", ns, plain_ns, "SET NX PX");
            std::printf("  %-44s %10.1f round trips per acquire+release (SET NX PX lock: 2)\n", "", trips);
        }
    }
    if (redis > 0) {
        ::kill(redis, SIGTERM);
        ::waitpid(redis, nullptr, 0);
    }
    return 0;
}
