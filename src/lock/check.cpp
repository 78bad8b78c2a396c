// lock_check: N workers, one key, a critical section that detects overlap without atomics.
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cloudcix_drivers/lock/check.hpp"

namespace cloudcix::drivers {

namespace {

// Lives in a MAP_SHARED|MAP_ANONYMOUS page: shared by threads and by forked children alike.
struct Shared {
    volatile std::int64_t occupant;  // deliberately plain: only the lock orders these
    volatile std::int64_t counter;
    std::int64_t acquisitions;  // atomic_ref
    std::int64_t violations;    // atomic_ref
    std::int64_t timeouts;      // atomic_ref
    std::int64_t stop;          // atomic_ref
};

std::atomic_ref<std::int64_t> ref(std::int64_t& v) { return std::atomic_ref<std::int64_t>(v); }

void section(Shared& s, std::int64_t me) {
    std::int64_t violations = 0;
    if (s.occupant != 0) ++violations;
    s.occupant = me;
    std::int64_t c = s.counter;
    for (int i = 0; i < 20; ++i) {
        if (s.occupant != me) ++violations;  // someone else came in while we were inside
    }
    if ((c & 63) == 0) std::this_thread::yield();  // now and then give a rival the core
    s.counter = c + 1;
    if (s.occupant != me) ++violations;
    s.occupant = 0;
    if (violations) ref(s.violations).fetch_add(violations);
}

void work(Lock& lock, Shared& s, const LockCheck& check, std::int64_t me, std::chrono::steady_clock::time_point until) {
    std::vector<std::string> keys{check.key};
    while (ref(s.stop).load() == 0 && std::chrono::steady_clock::now() < until) {
        auto hold = lock.acquire(keys, std::chrono::steady_clock::now() + check.acquire_timeout);
        if (!hold) {
            ref(s.timeouts).fetch_add(1);
            continue;
        }
        section(s, me);
        hold.reset();
        auto n = ref(s.acquisitions).fetch_add(1) + 1;
        if (check.acquisitions != 0 && static_cast<std::uint64_t>(n) >= check.acquisitions) ref(s.stop).store(1);
    }
}

}  // namespace

LockCheckResult lock_check(const LockConfig& config, const LockCheck& check) {
    if (check.workers < 1 || check.workers > 256) throw std::invalid_argument("lock check: workers must be 1 to 256");
    void* page = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) throw std::runtime_error("lock check: mmap failed");
    auto* s = new (page) Shared{};
    auto start = std::chrono::steady_clock::now();
    auto until = start + check.duration;
    LockCheckResult result;

    if (config.store == "memory") {
        auto lock = make_lock(config);
        std::vector<std::thread> threads;
        for (int i = 0; i < check.workers; ++i) threads.emplace_back([&, i] { work(*lock, *s, check, i + 1, until); });
        for (auto& t : threads) t.join();
    } else {
        make_store(config.store);  // a bad configuration fails here, once, not in every child
        std::vector<pid_t> children;
        for (int i = 0; i < check.workers; ++i) {
            pid_t pid = ::fork();
            if (pid < 0) {
                ref(s->stop).store(1);
                break;
            }
            if (pid == 0) {
                int code = 0;
                try {
                    auto lock = make_lock(config);
                    work(*lock, *s, check, i + 1, until);
                } catch (...) {
                    code = 3;
                }
                ::_exit(code);
            }
            children.push_back(pid);
        }
        for (pid_t pid : children) {
            int status = 0;
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++result.failed_workers;
        }
    }
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    result.acquisitions = static_cast<std::uint64_t>(ref(s->acquisitions).load());
    result.violations = static_cast<std::uint64_t>(ref(s->violations).load());
    result.timeouts = static_cast<std::uint64_t>(ref(s->timeouts).load());
    // Updates the section lost are overlaps the occupant checks may have missed.
    auto counted = static_cast<std::uint64_t>(s->counter);
    if (counted != result.acquisitions)
        result.violations += counted > result.acquisitions ? counted - result.acquisitions : result.acquisitions - counted;
    ::munmap(page, sizeof(Shared));
    return result;
}

}  // namespace cloudcix::drivers
