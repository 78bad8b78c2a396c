// Jerry lock benchmark: every number is a ratio against a baseline measured in this same run.
//   1. uncontended acquire+release: memory store vs std::mutex (and vs InProcessLock, the same
//      port without Peterson), shm store vs std::mutex, Redis store vs a plain SET NX PX lock
//   2. contended throughput, 2/4/8 participants (threads), memory store vs std::mutex
//   3. Redis round trips per uncontended acquisition
// Usage: lock_bench [--seconds-per-case S] ; starts its own redis-server on a free port.
#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
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

void row(const std::string& name, double ns, double base_ns, const std::string& base) {
    std::printf("  %-44s %10.0f ns   %6.2fx %s\n", name.c_str(), ns, ns / base_ns, base.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::string(argv[i]) == "--seconds-per-case") budget = std::stod(argv[++i]);
    const std::vector<std::string> key{"host:1"};
    const auto far = 10s;

    std::printf("uncontended acquire+release (one thread, one key; ratio to the baseline named)\n");
    std::mutex m;
    double mutex_ns = ns_per_op([&] {
        m.lock();
        m.unlock();
    });
    row("std::mutex", mutex_ns, mutex_ns, "std::mutex");
    ccx::InProcessLock in_process;
    double port_ns = ns_per_op([&] { in_process.acquire(key, Clock::now() + far); });
    row("InProcessLock (the port, no Peterson)", port_ns, mutex_ns, "std::mutex");
    for (std::size_t slots : {2u, 16u, 64u}) {
        ccx::PetersonLock lock(ccx::make_memory_store(), {slots, 10s, "bench"});
        double ns = ns_per_op([&] { lock.acquire(key, Clock::now() + far); });
        row("Jerry, memory, " + std::to_string(slots) + " slots", ns, mutex_ns, "std::mutex");
        if (slots == 16) row("Jerry, memory, 16 slots", ns, port_ns, "InProcessLock");
    }
    auto shm_path = std::filesystem::temp_directory_path() / ("ccx-bench-" + std::to_string(::getpid()));
    {
        ccx::PetersonLock lock(ccx::make_shm_store(shm_path.string()), {16, 10s, "bench"});
        double ns = ns_per_op([&] { lock.acquire(key, Clock::now() + far); });
        row("Jerry, shm, 16 slots", ns, mutex_ns, "std::mutex");
    }
    std::filesystem::remove(shm_path);

    std::printf("\ncontended throughput (threads on one key; ratio to std::mutex with as many threads)\n");
    for (int threads : {2, 4, 8}) {
        double base = throughput(threads, [&] {
            std::lock_guard g(m);
        });
        ccx::PetersonLock lock(ccx::make_memory_store(), {static_cast<std::size_t>(threads), 10s, "bench"});
        double jerry = throughput(threads, [&] { lock.acquire(key, Clock::now() + far); });
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
            lock.acquire(key, Clock::now() + far);  // claim the slot, open the set
            auto before = store->round_trips();
            const int n = 200;
            for (int i = 0; i < n; ++i) lock.acquire(key, Clock::now() + far);
            double trips = static_cast<double>(store->round_trips() - before) / n;
            double ns = ns_per_op([&] { lock.acquire(key, Clock::now() + far); });
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
