// The Jerry lock: configuration, semantics, stress over every store, crashes and leases, and its
// wiring into run(). Stress sizes scale with CCX_LOCK_STRESS (default 100000 acquisitions).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "cloudcix_drivers/lock/check.hpp"
#include "cloudcix_drivers/lock/peterson.hpp"
#include "cloudcix_drivers/run.hpp"
#include "cloudcix_drivers/testing.hpp"
#include "support/fixture.hpp"
#include "support/printing.hpp"

namespace ccx = cloudcix::drivers;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::uint64_t stress_size() {
    if (const char* v = std::getenv("CCX_LOCK_STRESS")) return std::strtoull(v, nullptr, 10);
    return 100000;
}

// A fresh path for a shm store, removed afterwards.
struct TempFile {
    std::filesystem::path path;
    TempFile() {
        path = std::filesystem::temp_directory_path() /
               ("ccx-jerry-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
        std::filesystem::remove(path);
    }
    ~TempFile() { std::filesystem::remove(path); }
    static int& counter() {
        static int n = 0;
        return n;
    }
};

std::unique_ptr<ccx::LockHold> take(ccx::Lock& lock, std::vector<std::string> keys, std::chrono::milliseconds wait) {
    return lock.acquire(keys, Clock::now() + wait);
}

int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

// redis-server on a free loopback port, stopped (and waited for) when the fixture goes.
struct RedisServer {
    pid_t pid = -1;
    int port = 0;
    RedisServer() {
        port = free_port();
        pid = ::fork();
        if (pid == 0) {
            std::string p = std::to_string(port);
            int null = ::open("/dev/null", O_WRONLY);
            ::dup2(null, 1);
            ::dup2(null, 2);
            ::execlp("redis-server", "redis-server", "--port", p.c_str(), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--loglevel", "warning", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        for (int i = 0; i < 200; ++i) {
            try {
                ccx::make_store(url());
                return;
            } catch (const std::exception&) {
                std::this_thread::sleep_for(50ms);
            }
        }
        stop();
        throw std::runtime_error("redis-server did not come up on port " + std::to_string(port));
    }
    ~RedisServer() { stop(); }
    void stop() {
        if (pid <= 0) return;
        ::kill(pid, SIGTERM);
        int status = 0;
        ::waitpid(pid, &status, 0);
        pid = -1;
    }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port) + "/0"; }
};

void expect_clean(const ccx::LockCheckResult& r, std::uint64_t at_least) {
    BOOST_TEST_MESSAGE("acquisitions " << r.acquisitions << ", violations " << r.violations << ", timeouts " << r.timeouts
                                       << ", " << r.elapsed.count() << " ms");
    BOOST_TEST(r.violations == 0u);
    BOOST_TEST(r.failed_workers == 0u);
    BOOST_TEST(r.timeouts == 0u);
    BOOST_TEST(r.acquisitions >= at_least);
}

ccx::LockCheckResult hammer(const std::string& store, int workers, std::uint64_t acquisitions) {
    ccx::LockCheck check;
    check.workers = workers;
    check.acquisitions = acquisitions;
    check.duration = 10min;  // the count ends it
    return ccx::lock_check({store, static_cast<std::size_t>(workers), 10s}, check);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(jerry_lock)

BOOST_AUTO_TEST_CASE(store_strings_select_the_store_and_reject_what_they_cannot_parse) {
    BOOST_TEST(ccx::make_store("memory")->describe() == "memory");
    TempFile f;
    BOOST_TEST(ccx::make_store("shm:" + f.path.string())->describe() == "shm:" + f.path.string());
    for (const char* bad : {"", "memcached://x", "shm:", "redis://", "redis://host:0/0", "redis://host:99999/0",
                            "redis://host:6379/x", "redis://[::1/0"})
        BOOST_CHECK_THROW(ccx::make_store(bad), std::invalid_argument);
    BOOST_CHECK_THROW(ccx::make_lock({"memory", 1, 10s}), std::invalid_argument);
    BOOST_CHECK_THROW(ccx::make_lock({"memory", 257, 10s}), std::invalid_argument);
    BOOST_CHECK_THROW(ccx::make_lock({"memory", 4, 1ms}), std::invalid_argument);
    // Nobody listens on a port we just found free: the error says which store.
    int port = free_port();
    try {
        ccx::make_store("redis://127.0.0.1:" + std::to_string(port) + "/0");
        BOOST_FAIL("a Redis store without a server was made");
    } catch (const std::runtime_error& e) {
        BOOST_TEST(std::string(e.what()).find(std::to_string(port)) != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(a_busy_key_past_its_deadline_gives_null_and_leaves_nothing_held) {
    auto lock = ccx::make_lock({"memory", 4, 10s});
    auto held = take(*lock, {"host:1"}, 1s);
    BOOST_REQUIRE(held);
    auto t0 = Clock::now();
    BOOST_TEST(!take(*lock, {"vm:2", "host:1"}, 100ms));
    BOOST_CHECK(Clock::now() - t0 >= 100ms);
    // vm:2 was taken before host:1 timed out: it must have been let go.
    BOOST_TEST(take(*lock, {"vm:2"}, 100ms) != nullptr);
    BOOST_TEST(take(*lock, {"host:2"}, 100ms) != nullptr);  // other keys are independent
    held.reset();
    BOOST_TEST(take(*lock, {"host:1", "vm:2"}, 100ms) != nullptr);
    BOOST_TEST(lock->stats().timeouts == 1u);
}

BOOST_AUTO_TEST_CASE(when_every_slot_is_in_use_an_acquisition_waits_for_one) {
    auto lock = ccx::make_lock({"memory", 2, 10s});
    auto a = take(*lock, {"host:1"}, 1s);
    auto b = take(*lock, {"host:2"}, 1s);
    BOOST_REQUIRE(a);
    BOOST_REQUIRE(b);
    BOOST_TEST(dynamic_cast<ccx::JerryHold&>(*a).slot() != dynamic_cast<ccx::JerryHold&>(*b).slot());
    BOOST_TEST(!take(*lock, {"host:3"}, 50ms));
    b.reset();
    BOOST_TEST(take(*lock, {"host:3"}, 50ms) != nullptr);
}

BOOST_AUTO_TEST_CASE(two_participants_taking_overlapping_key_sets_in_opposite_orders_do_not_deadlock) {
    auto lock = ccx::make_lock({"memory", 4, 10s});
    std::atomic<int> done{0}, failures{0};
    auto worker = [&](std::vector<std::string> keys) {
        for (int i = 0; i < 2000; ++i) {
            auto h = take(*lock, keys, 5s);
            if (!h) ++failures;
        }
        ++done;
    };
    std::thread t1(worker, std::vector<std::string>{"host:1", "vm:1", "project:1"});
    std::thread t2(worker, std::vector<std::string>{"project:1", "vm:1", "host:1"});
    t1.join();
    t2.join();
    BOOST_TEST(done.load() == 2);
    BOOST_TEST(failures.load() == 0);
}

BOOST_AUTO_TEST_CASE(threads_on_the_memory_store_never_overlap_in_the_section) {
    expect_clean(hammer("memory", 4, stress_size()), stress_size());
}

BOOST_AUTO_TEST_CASE(forked_processes_on_the_shm_store_never_overlap_in_the_section) {
    TempFile f;
    expect_clean(hammer("shm:" + f.path.string(), 4, stress_size()), stress_size());
}

BOOST_AUTO_TEST_CASE(processes_on_the_redis_store_never_overlap_in_the_section) {
    RedisServer redis;
    auto n = stress_size();
    if (const char* v = std::getenv("CCX_LOCK_STRESS_REDIS")) n = std::strtoull(v, nullptr, 10);
    expect_clean(hammer(redis.url(), 3, n), n);
}

BOOST_AUTO_TEST_CASE(when_redis_goes_away_acquire_throws_and_a_hold_still_lets_go_quietly) {
    RedisServer redis;
    auto lock = ccx::make_lock({redis.url(), 4, 10s});
    auto hold = take(*lock, {"host:1"}, 1s);
    BOOST_REQUIRE(hold);
    redis.stop();
    BOOST_CHECK_NO_THROW(hold.reset());  // its claim is dropped: its flags count as released
    BOOST_CHECK_THROW(take(*lock, {"host:2"}, 1s), std::runtime_error);
}

// A child holds host:9 until it is killed; it reports through a pipe.
struct Holder {
    pid_t pid = -1;
    int from_child = -1;
    Holder(const std::string& store, std::chrono::milliseconds lease) {
        int fds[2];
        BOOST_REQUIRE(::pipe(fds) == 0);
        pid = ::fork();
        if (pid == 0) {
            ::close(fds[0]);
            auto lock = ccx::make_lock({store, 4, lease});
            auto hold = lock->acquire({"host:9"}, Clock::now() + 5s);
            char c = hold ? 'A' : 'F';
            (void)!::write(fds[1], &c, 1);
            auto& jerry = dynamic_cast<ccx::JerryHold&>(*hold);
            while (jerry.valid()) std::this_thread::sleep_for(10ms);
            c = 'L';  // told by its renewer that its claim was evicted
            (void)!::write(fds[1], &c, 1);
            ::_exit(0);
        }
        ::close(fds[1]);
        from_child = fds[0];
    }
    char next() {
        char c = 0;
        return ::read(from_child, &c, 1) == 1 ? c : '?';
    }
    ~Holder() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
        ::close(from_child);
    }
};

BOOST_AUTO_TEST_CASE(a_holder_killed_mid_section_frees_the_key_after_its_lease_and_not_before) {
    TempFile f;
    std::string store = "shm:" + f.path.string();
    const auto lease = 1000ms;  // generous: a renewer starved on a loaded machine must not look dead
    Holder holder(store, lease);
    BOOST_REQUIRE(holder.next() == 'A');
    auto lock = ccx::make_lock({store, 4, lease});
    // Alive and renewing: three leases pass and the key stays busy.
    BOOST_TEST(!take(*lock, {"host:9"}, 3 * lease));
    ::kill(holder.pid, SIGKILL);
    ::waitpid(holder.pid, nullptr, 0);
    holder.pid = -1;
    auto killed = Clock::now();
    auto hold = take(*lock, {"host:9"}, 20 * lease);
    auto waited = Clock::now() - killed;
    BOOST_REQUIRE(hold);
    BOOST_TEST_MESSAGE("acquired " << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()
                                   << " ms after the kill (lease " << lease.count() << " ms)");
    // Its last beat was at most lease/4 before the kill, and nobody may act on it before a whole
    // lease of silence: the earliest legal take-over is 3/4 of a lease after the kill.
    BOOST_CHECK(waited >= lease * 3 / 4 - 10ms);
    BOOST_TEST(lock->stats().evictions == 1u);
}

BOOST_AUTO_TEST_CASE(a_paused_holder_loses_its_claim_and_learns_it_when_it_resumes) {
    TempFile f;
    std::string store = "shm:" + f.path.string();
    const auto lease = 800ms;
    Holder holder(store, lease);
    BOOST_REQUIRE(holder.next() == 'A');
    ::kill(holder.pid, SIGSTOP);
    auto lock = ccx::make_lock({store, 4, lease});
    auto hold = take(*lock, {"host:9"}, 20 * lease);
    BOOST_REQUIRE(hold);
    ::kill(holder.pid, SIGCONT);
    BOOST_TEST(holder.next() == 'L');
}

// ---- reclaiming register sets --------------------------------------------------------------

// Many distinct keys, one after the other: the store never holds more than max_sets key sets.
void distinct_keys_stay_bounded(std::shared_ptr<ccx::RegisterStore> store, int keys) {
    ccx::LockOptions o;
    o.participants = 4;
    o.max_sets = 32;
    ccx::PetersonLock lock(store, o);
    std::size_t most = 0;
    for (int i = 0; i < keys; ++i) {
        auto h = lock.acquire({"vm:" + std::to_string(i)}, Clock::now() + 5s);
        BOOST_REQUIRE(h);
        if (i % 16 == 0 || i == keys - 1) most = std::max(most, lock.key_sets());
    }
    BOOST_TEST_MESSAGE(store->describe() << ": " << keys << " keys, at most " << most << " sets, "
                                         << lock.stats().reclaimed << " reclaimed");
    BOOST_TEST(most <= o.max_sets);
    BOOST_TEST(lock.stats().reclaimed >= static_cast<std::uint64_t>(keys) - o.max_sets);
    // Every key still locks and excludes after all that recycling.
    auto a = lock.acquire({"vm:3"}, Clock::now() + 1s);
    BOOST_REQUIRE(a);
    BOOST_TEST(!lock.acquire({"vm:3"}, Clock::now() + 50ms));
}

BOOST_AUTO_TEST_CASE(many_distinct_keys_over_time_keep_the_memory_store_within_max_sets) {
    distinct_keys_stay_bounded(ccx::make_memory_store(), 3000);
}

BOOST_AUTO_TEST_CASE(many_distinct_keys_over_time_keep_the_shm_file_within_max_sets) {
    // Room for the table and 8192 registers: ~580 sets of 14 registers, 4096 entries. 6000 keys
    // would fill both without reclamation.
    TempFile f;
    const std::size_t table = (64 + 4096 * 136 + 4095) / 4096 * 4096;
    distinct_keys_stay_bounded(ccx::make_shm_store(f.path.string(), table + 8192 * 8), 6000);
}

BOOST_AUTO_TEST_CASE(many_distinct_keys_over_time_keep_redis_within_max_sets) {
    RedisServer redis;
    distinct_keys_stay_bounded(ccx::make_store(redis.url()), 600);
}

// Workers take random keys among more than their pins can keep, while their own acquisitions
// (max_sets 2) and a dedicated reclaimer keep recycling sets: a set recycled under a participant
// would let two workers into one key's section.
struct PerKey {
    static constexpr int kKeys = 24;
    struct Section {
        volatile std::int64_t occupant;
        volatile std::int64_t counter;
    } sections[kKeys];
    std::int64_t acquisitions, violations, timeouts, stop, reclaimed;
};

std::atomic_ref<std::int64_t> shared_ref(std::int64_t& v) { return std::atomic_ref<std::int64_t>(v); }

void recycle_worker(ccx::PetersonLock* lock, PerKey& s, std::int64_t me, std::uint64_t target, bool reclaimer) {
    std::mt19937 rng(static_cast<unsigned>(me * 7919));
    while (shared_ref(s.stop).load() == 0) {
        if (reclaimer) {
            shared_ref(s.reclaimed).fetch_add(static_cast<std::int64_t>(lock->reclaim()));
            continue;
        }
        int k = static_cast<int>(rng() % PerKey::kKeys);
        auto hold = lock->acquire({"host:" + std::to_string(k)}, Clock::now() + 30s);
        if (!hold) {
            shared_ref(s.timeouts).fetch_add(1);
            continue;
        }
        auto& sec = s.sections[k];
        std::int64_t bad = sec.occupant != 0 ? 1 : 0;
        sec.occupant = me;
        std::int64_t c = sec.counter;
        if ((c & 15) == 0) std::this_thread::yield();
        sec.counter = c + 1;
        if (sec.occupant != me) ++bad;
        sec.occupant = 0;
        hold.reset();
        if (bad) shared_ref(s.violations).fetch_add(bad);
        if (static_cast<std::uint64_t>(shared_ref(s.acquisitions).fetch_add(1) + 1) >= target) shared_ref(s.stop).store(1);
    }
}

void recycle_stress(const std::string& store, bool processes, std::uint64_t target) {
    void* page = ::mmap(nullptr, sizeof(PerKey), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    BOOST_REQUIRE(page != MAP_FAILED);
    auto& s = *new (page) PerKey{};
    const int workers = 3;  // and one reclaimer: 4 slots
    auto t0 = Clock::now();
    if (processes) {
        std::vector<pid_t> pids;
        for (int w = 0; w <= workers; ++w) {
            pid_t pid = ::fork();
            if (pid == 0) {
                int rc = 0;
                try {
                    auto lock = ccx::make_lock({store, 4, 10s, 2});
                    recycle_worker(lock.get(), s, w + 1, target, w == workers);
                } catch (...) {
                    rc = 1;
                    shared_ref(s.stop).store(1);
                }
                ::_exit(rc);
            }
            pids.push_back(pid);
        }
        for (pid_t pid : pids) {
            int status = 0;
            ::waitpid(pid, &status, 0);
            BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0));
        }
    } else {
        auto lock = ccx::make_lock({store, 4, 10s, 2});  // threads share one lock (and one store)
        std::vector<std::thread> ts;
        for (int w = 0; w <= workers; ++w) ts.emplace_back(recycle_worker, lock.get(), std::ref(s), w + 1, target, w == workers);
        for (auto& t : ts) t.join();
    }
    std::int64_t total = 0;
    for (auto& sec : s.sections) total += sec.counter;
    BOOST_TEST_MESSAGE(store << ": " << s.acquisitions << " acquisitions, " << s.reclaimed << " sets reclaimed by the reclaimer, " << s.violations << " violations, "
                             << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count() << " ms");
    BOOST_TEST(s.violations == 0);
    BOOST_TEST(s.timeouts == 0);
    BOOST_TEST(total == s.acquisitions);  // no update lost inside a section
    BOOST_TEST(static_cast<std::uint64_t>(s.acquisitions) >= target);
    // The reclaimer and the workers' own sweeps (max_sets 2) did recycle sets meanwhile.
    BOOST_TEST(s.reclaimed > 0);
    ::munmap(page, sizeof(PerKey));
}

BOOST_AUTO_TEST_CASE(threads_never_see_a_key_in_use_recycled_under_them_on_the_memory_store) {
    recycle_stress("memory", false, stress_size() / 5);
}

BOOST_AUTO_TEST_CASE(processes_never_see_a_key_in_use_recycled_under_them_on_the_shm_store) {
    TempFile f;
    recycle_stress("shm:" + f.path.string(), true, stress_size() / 10);
}

BOOST_AUTO_TEST_CASE(processes_never_see_a_key_in_use_recycled_under_them_on_the_redis_store) {
    RedisServer redis;
    auto n = stress_size();
    if (const char* v = std::getenv("CCX_LOCK_STRESS_REDIS")) n = std::strtoull(v, nullptr, 10);
    recycle_stress(redis.url(), true, n / 10);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
// Wiring: the engine takes the verb's keys through the Lock port for the whole host work.
namespace {

struct Span {
    Clock::time_point first{Clock::time_point::max()}, last{Clock::time_point::min()};
    int calls = 0;
};

struct TwoBuilds {
    std::shared_ptr<ccx::IaasRegion> region = ccx::IaasRegion::demo();
    ccx::MemoryIaas transport{region};
    std::unique_ptr<ccx::IaasClient> iaas;
    ccx::RecordingPrimitives primitives;
    ccx::Registry registry;
    std::mutex mutex;
    std::map<std::thread::id, Span> work;  // host work of each run, by the thread running it
    std::unique_ptr<ccx::PetersonLock> lock = ccx::make_lock({"memory", 4, 10s});
    ccx::Context ctx;

    TwoBuilds() {
        iaas = std::make_unique<ccx::IaasClient>(transport, ccx::system_clock(), ccx_test::demo_settings());
        // vm_kvm.build as declared, but locking only its host besides the vm itself (not the
        // project or PodNet), so that the host key alone decides whether two builds overlap.
        ccx::VerbSpec spec = *ccx::builtin_registry().find("vm_kvm", "build");
        spec.lock_keys = [](const ccx::Fields& vm) {
            return std::vector<std::string>{"host:" + std::to_string(vm.integer("server_id"))};
        };
        registry.add(spec);
        primitives.on_call([this](const ccx::PrimitiveCall&) {
            auto start = Clock::now();
            std::this_thread::sleep_for(20ms);
            auto end = Clock::now();
            std::lock_guard g(mutex);
            auto& w = work[std::this_thread::get_id()];
            w.first = std::min(w.first, start);
            w.last = std::max(w.last, end);
            ++w.calls;
        });
        ctx.registry = &registry;
        ctx.iaas = iaas.get();
        ctx.lock = lock.get();
        ctx.primitives = &primitives;
    }

    // Puts a copy of vm 1501 as `id` on `server` (a copy of server 12 when it is new).
    void vm_on(long long id, long long server) {
        auto vm = *region->object("vm", 1501);
        vm["id"] = id;
        vm["server_id"] = server;
        vm["name"] = "copy" + std::to_string(id);
        region->put("vm", vm);
        if (!region->object("server", server)) {
            auto srv = *region->object("server", 12);
            srv["id"] = server;
            region->put("server", srv);
        }
    }

    std::vector<Span> run_both(long long a, long long b) {
        std::vector<ccx::Outcome> outcomes(2);
        std::thread t1([&] { outcomes[0] = ccx::run(ctx, "vm_kvm", "build", a); });
        std::thread t2([&] { outcomes[1] = ccx::run(ctx, "vm_kvm", "build", b); });
        auto id1 = t1.get_id(), id2 = t2.get_id();
        t1.join();
        t2.join();
        for (const auto& o : outcomes) {
            BOOST_TEST(o.status == ccx::Status::succeeded);
            for (const auto& e : o.errors) BOOST_TEST_MESSAGE(e.code << ": " << e.message);
        }
        std::lock_guard g(mutex);
        return {work[id1], work[id2]};
    }
};

bool overlap(const Span& a, const Span& b) { return a.first < b.last && b.first < a.last; }

}  // namespace

BOOST_AUTO_TEST_SUITE(jerry_lock_wiring)

BOOST_AUTO_TEST_CASE(two_runs_on_different_resources_sharing_a_host_never_overlap_their_host_work) {
    TwoBuilds t;
    t.vm_on(1981, 12);
    t.vm_on(1982, 12);
    auto spans = t.run_both(1981, 1982);
    BOOST_TEST(spans[0].calls >= 2);
    BOOST_TEST(spans[1].calls >= 2);
    BOOST_TEST(!overlap(spans[0], spans[1]));
}

BOOST_AUTO_TEST_CASE(two_runs_on_different_hosts_do_their_host_work_at_the_same_time) {
    TwoBuilds t;
    t.vm_on(1981, 12);
    t.vm_on(1982, 29);
    auto spans = t.run_both(1981, 1982);
    BOOST_TEST(spans[0].calls >= 2);
    BOOST_TEST(spans[1].calls >= 2);
    BOOST_TEST(overlap(spans[0], spans[1]));
}

BOOST_AUTO_TEST_SUITE_END()
