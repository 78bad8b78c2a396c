// The Jerry lock: a tournament tree of two-participant Peterson locks per key, over registers
// (docs/locks.md). tests/spin/jerry.pml models exactly this code: keep the two in step.
//
// Registers of one key (size 3·L, L = leaves = participants rounded up to a power of two):
//   flag(node, side) = 2·node + side   claim id of the participant competing there, 0 = none
//   victim(node)     = 2·L + node      claim id of the participant that yields at that node
// Registers of the domain's slots (size 2·N):
//   owner(k) = k      claim id holding slot k, 0 = free   (compare_and_set: registration only)
//   beat(k)  = N + k  heartbeat the owner's renewer moves every lease/4
// A claim id is (random << 8 | slot), so any register naming a claim also names its slot.
#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "cloudcix_drivers/lock/peterson.hpp"

namespace cloudcix::drivers {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr std::size_t kMaxParticipants = 256;

struct Step {
    std::size_t node;
    std::size_t side;
};

struct Claim {
    int slot = 0;
    std::vector<Step> path;  // the slot's way from its leaf to the root
    std::int64_t id = 0;
    std::int64_t beats = 1;
    std::atomic<bool> lost{false};
};

// Spin briefly (the holder is likely running), then sleep with a growing pause.
class Backoff {
public:
    bool slow() const { return rounds_ >= 64; }
    void pause() {
        if (rounds_++ < 64) {
            std::this_thread::yield();
            return;
        }
        std::this_thread::sleep_for(sleep_);
        sleep_ = std::min(sleep_ * 2, microseconds(1000));
    }

private:
    int rounds_ = 0;
    microseconds sleep_{20};
};

}  // namespace

struct PetersonLock::Impl {
    std::shared_ptr<RegisterStore> store;
    LockOptions options;
    std::size_t n = 0;       // slots
    std::size_t leaves = 0;  // power of two ≥ n
    std::shared_ptr<RegisterSet> slots;
    milliseconds check_every{1};

    std::mutex mutex;
    std::vector<std::shared_ptr<Claim>> free;  // claimed by this process, not in use
    std::vector<std::shared_ptr<Claim>> mine;  // every live claim of this process
    std::mt19937_64 rng{std::random_device{}()};

    std::mutex sets_mutex;
    std::map<std::string, std::shared_ptr<RegisterSet>, std::less<>> sets;

    std::atomic<std::uint64_t> acquisitions{0}, timeouts{0}, evictions{0};

    std::mutex renew_mutex;
    std::condition_variable renew_cv;
    bool stopping = false;
    std::thread renewer;

    Impl(std::shared_ptr<RegisterStore> s, LockOptions o) : store(std::move(s)), options(std::move(o)) {
        if (!store) throw std::invalid_argument("a Jerry lock needs a register store");
        n = options.participants;
        if (n < 2 || n > kMaxParticipants)
            throw std::invalid_argument("participants must be between 2 and " + std::to_string(kMaxParticipants) + ", got " +
                                        std::to_string(n));
        if (options.lease < milliseconds(20)) throw std::invalid_argument("the lease must be at least 20 ms");
        leaves = 1;
        while (leaves < n) leaves *= 2;
        slots = store->open(options.domain + ":slots:" + std::to_string(n), 2 * n);
        check_every = std::clamp(options.lease / 8, milliseconds(1), milliseconds(500));
        renewer = std::thread([this] { renew_loop(); });
    }

    ~Impl() {
        {
            std::lock_guard lock(renew_mutex);
            stopping = true;
        }
        renew_cv.notify_all();
        renewer.join();
        for (const auto& c : mine) {
            try {
                slots->compare_and_set(static_cast<std::size_t>(c->slot), c->id, 0);
            } catch (const std::exception&) {
                // The store is gone: the slot's lease runs out on its own.
            }
        }
    }

    std::size_t flag(std::size_t node, std::size_t side) const { return 2 * node + side; }
    std::size_t victim(std::size_t node) const { return 2 * leaves + node; }

    std::vector<Step> path(int slot) const {
        std::vector<Step> steps;
        for (std::size_t p = leaves + static_cast<std::size_t>(slot); p > 1; p >>= 1) steps.push_back({p >> 1, p & 1});
        return steps;
    }

    std::shared_ptr<RegisterSet> set_for(const std::string& key) {
        std::lock_guard lock(sets_mutex);
        auto it = sets.find(key);
        if (it != sets.end()) return it->second;
        auto set = store->open(options.domain + ":key:" + std::to_string(n) + ":" + key, 3 * leaves);
        sets.emplace(key, set);
        return set;
    }

    // Beats for every claim of this process; notices a claim that someone evicted.
    void renew_loop() {
        std::unique_lock lock(renew_mutex);
        while (!stopping) {
            renew_cv.wait_for(lock, options.lease / 4, [&] { return stopping; });
            if (stopping) break;
            lock.unlock();
            std::vector<std::shared_ptr<Claim>> claims;
            {
                std::lock_guard g(mutex);
                claims = mine;
            }
            for (const auto& c : claims) {
                try {
                    auto k = static_cast<std::size_t>(c->slot);
                    RegisterSet::Write w{n + k, ++c->beats};
                    std::size_t r = k;
                    std::int64_t owner = 0;
                    slots->write_read(std::span(&w, 1), std::span(&r, 1), std::span(&owner, 1));
                    if (owner != c->id) lose(c);
                } catch (const std::exception&) {
                    // A store hiccup: the next round tries again; a long outage expires the lease.
                }
            }
            lock.lock();
        }
    }

    void lose(const std::shared_ptr<Claim>& c) {
        c->lost = true;
        std::lock_guard g(mutex);
        std::erase(mine, c);
        std::erase(free, c);
    }

    // Tells whether the claims an acquisition waits on still count.
    class Observer {
    public:
        explicit Observer(Impl& impl) : impl_(impl) {}

        // Checks at most every check_every: the heartbeat only moves every lease/4.
        bool due() {
            auto now = Clock::now();
            if (now < next_) return false;
            next_ = now + impl_.check_every;
            return true;
        }

        // True when `claim` no longer holds its slot, or its heartbeat stood still for a whole
        // lease (then it is evicted: its slot is freed and its owner, if alive, learns it lost).
        bool released(std::int64_t claim) {
            if (dead_.count(claim)) return true;
            auto k = static_cast<std::size_t>(claim & 0xFF);
            if (k >= impl_.n) return true;
            std::size_t reads[2] = {k, impl_.n + k};
            std::int64_t v[2] = {0, 0};
            impl_.slots->read_many(reads, v);
            if (v[0] != claim) {
                dead_.insert(claim);
                return true;
            }
            auto now = Clock::now();
            auto [it, fresh] = seen_.try_emplace(claim, Seen{v[1], now});
            if (fresh || it->second.beat != v[1]) {
                it->second = Seen{v[1], now};
                return false;
            }
            if (now - it->second.since < impl_.options.lease) return false;
            if (impl_.slots->compare_and_set(k, claim, 0)) impl_.evictions.fetch_add(1);
            dead_.insert(claim);
            return true;
        }

    private:
        struct Seen {
            std::int64_t beat;
            Clock::time_point since;
        };
        Impl& impl_;
        Clock::time_point next_{};
        std::unordered_map<std::int64_t, Seen> seen_;
        std::set<std::int64_t> dead_;
    };

    std::shared_ptr<Claim> claim(Clock::time_point deadline) {
        {
            std::lock_guard g(mutex);
            while (!free.empty()) {
                auto c = std::move(free.back());
                free.pop_back();
                if (!c->lost) return c;
            }
        }
        Observer observer(*this);
        Backoff backoff;
        std::vector<std::size_t> reads(n);
        for (std::size_t k = 0; k < n; ++k) reads[k] = k;
        std::vector<std::int64_t> owners(n);
        for (;;) {
            slots->read_many(reads, owners);
            for (std::size_t k = 0; k < n; ++k) {
                if (owners[k] != 0) continue;
                std::int64_t id;
                {
                    std::lock_guard g(mutex);
                    id = static_cast<std::int64_t>(((rng() >> 10) | 1) << 8 | k);
                }
                if (!slots->compare_and_set(k, 0, id)) continue;
                auto c = std::make_shared<Claim>();
                c->slot = static_cast<int>(k);
                c->id = id;
                c->path = path(c->slot);
                slots->write(n + k, c->beats);
                std::lock_guard g(mutex);
                mine.push_back(c);
                return c;
            }
            // Every slot is owned: free those whose owners stopped beating.
            if (observer.due())
                for (std::size_t k = 0; k < n; ++k)
                    if (owners[k] != 0) observer.released(owners[k]);
            if (Clock::now() >= deadline) return nullptr;
            backoff.pause();
        }
    }

    // Flags we could not clear must not block others while our claim lives on: drop the claim
    // (its flags then count as released), freeing the slot if the store still answers.
    void abandon(const std::shared_ptr<Claim>& c) {
        lose(c);
        try {
            slots->compare_and_set(static_cast<std::size_t>(c->slot), c->id, 0);
        } catch (const std::exception&) {
            // Unreachable store: the claim is no longer renewed and expires after a lease.
        }
    }

    void give_back(const std::shared_ptr<Claim>& c) {
        if (c->lost) return;
        std::lock_guard g(mutex);
        free.push_back(c);
    }

    // Clears this claim's flags on steps [0, upto) of a key, from the top down.
    void leave(RegisterSet& set, const std::vector<Step>& steps, std::size_t upto) {
        std::array<RegisterSet::Write, 8> writes{};  // 256 slots: 8 levels at most
        std::size_t n_writes = 0;
        for (std::size_t i = upto; i-- > 0;) writes[n_writes++] = {flag(steps[i].node, steps[i].side), 0};
        if (n_writes) set.write_read(std::span(writes.data(), n_writes), {}, {});
    }

    // Peterson's two-participant entry at one node: flag, yield the turn, wait while the other
    // side competes and the turn is ours to yield. False when the deadline passes.
    bool enter(RegisterSet& set, const Step& s, std::int64_t me, Clock::time_point deadline, Observer& observer) {
        RegisterSet::Write writes[2] = {{flag(s.node, s.side), me}, {victim(s.node), me}};
        std::size_t reads[2] = {flag(s.node, 1 - s.side), victim(s.node)};
        std::int64_t v[2] = {0, 0};
        set.write_read(writes, reads, v);
        Backoff backoff;
        for (;;) {
            if (v[0] == 0 || v[1] != me) return true;
            if (backoff.slow() && observer.due() && observer.released(v[0])) return true;
            if (Clock::now() >= deadline) return false;
            backoff.pause();
            set.read_many(reads, v);
        }
    }

    // Climbs one key's tree; on timeout leaves nothing behind on that key.
    bool climb(RegisterSet& set, const std::vector<Step>& steps, std::int64_t me, Clock::time_point deadline,
               Observer& observer) {
        for (std::size_t i = 0; i < steps.size(); ++i) {
            bool entered = false;
            try {
                entered = enter(set, steps[i], me, deadline, observer);
            } catch (...) {
                leave(set, steps, i + 1);  // we hold the levels below i: our side of i is ours to clear
                throw;
            }
            if (!entered) {
                leave(set, steps, i + 1);
                return false;
            }
        }
        return true;
    }

    class Hold final : public JerryHold {
    public:
        Hold(std::shared_ptr<Impl> impl, std::shared_ptr<Claim> claim, std::vector<std::shared_ptr<RegisterSet>> sets)
            : impl_(std::move(impl)), claim_(std::move(claim)), sets_(std::move(sets)) {}
        ~Hold() override {
            // Reverse order of acquisition.
            bool clean = true;
            for (auto it = sets_.rbegin(); it != sets_.rend(); ++it) {
                try {
                    impl_->leave(**it, claim_->path, claim_->path.size());
                } catch (const std::exception&) {
                    clean = false;
                }
            }
            if (clean)
                impl_->give_back(claim_);
            else
                impl_->abandon(claim_);
        }
        bool valid() const override { return !claim_->lost; }
        int slot() const override { return claim_->slot; }

    private:
        std::shared_ptr<Impl> impl_;
        std::shared_ptr<Claim> claim_;
        std::vector<std::shared_ptr<RegisterSet>> sets_;
    };
};

PetersonLock::PetersonLock(std::shared_ptr<RegisterStore> store, LockOptions options)
    : impl_(std::make_shared<Impl>(std::move(store), std::move(options))) {}

PetersonLock::~PetersonLock() = default;

std::unique_ptr<LockHold> PetersonLock::acquire(const std::vector<std::string>& keys, Clock::time_point deadline) {
    // One key is already in order; several are sorted again rather than trusted.
    auto ordered = keys.size() == 1 ? keys : lock_order(keys);
    std::vector<std::shared_ptr<RegisterSet>> sets;
    sets.reserve(ordered.size());
    for (const auto& k : ordered) sets.push_back(impl_->set_for(k));

    auto claim = impl_->claim(deadline);
    if (!claim) {
        impl_->timeouts.fetch_add(1);
        return nullptr;
    }
    const auto& steps = claim->path;
    Impl::Observer observer(*impl_);
    for (std::size_t i = 0; i < sets.size(); ++i) {
        bool ok = false;
        try {
            ok = impl_->climb(*sets[i], steps, claim->id, deadline, observer);
        } catch (...) {
            // The store failed mid-climb: nothing of this claim may stay behind.
            for (std::size_t j = i; j-- > 0;) {
                try {
                    impl_->leave(*sets[j], steps, steps.size());
                } catch (const std::exception&) {
                }
            }
            impl_->abandon(claim);
            throw;
        }
        if (!ok) {
            for (std::size_t j = i; j-- > 0;) impl_->leave(*sets[j], steps, steps.size());
            impl_->give_back(claim);
            impl_->timeouts.fetch_add(1);
            return nullptr;
        }
    }
    impl_->acquisitions.fetch_add(1);
    return std::make_unique<Impl::Hold>(impl_, std::move(claim), std::move(sets));
}

const LockOptions& PetersonLock::options() const { return impl_->options; }
RegisterStore& PetersonLock::store() { return *impl_->store; }

PetersonLock::Stats PetersonLock::stats() const {
    return Stats{impl_->acquisitions.load(), impl_->timeouts.load(), impl_->evictions.load()};
}

}  // namespace cloudcix::drivers
