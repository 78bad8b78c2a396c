// The Jerry lock: a tournament tree of two-participant Peterson locks per key, over registers
// (docs/locks.md). tests/spin/jerry.pml models the mutual exclusion exactly as written here and
// tests/spin/reclaim.pml the reclamation of register sets: keep the three in step.
//
// Registers of one key (size 3·L + 2, L = leaves = participants rounded up to a power of two):
//   flag(node, side) = 2·node + side   claim id of the participant competing there, 0 = none
//   victim(node)     = 2·L + node      claim id of the participant that yields at that node
//   retire           = 3·L             0, a reclaimer's token while it checks, -1 once reclaimed
//   incarnation      = 3·L + 1         set by the store at creation (random, never 0)
// Registers of the domain's slots (size (2 + P)·N + 1, P = pins per slot):
//   owner(k)    = k            claim id holding slot k, 0 = free  (compare_and_set: registration)
//   beat(k)     = N + k        heartbeat the owner's renewer moves every lease/4
//   pin(k, j)   = 2N + P·k + j incarnation of a key set slot k is using or about to use
// A claim id is (random << 8 | slot), so any register naming a claim also names its slot.
#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "cloudcix_drivers/lock/peterson.hpp"

namespace cloudcix::drivers {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr std::size_t kMaxParticipants = 256;
constexpr std::size_t kPins = 8;  // distinct keys one acquisition may take
constexpr std::int64_t kReclaimed = -1;

struct Step {
    std::size_t node;
    std::size_t side;
};

std::atomic_ref<std::int64_t> at(std::int64_t& word) { return std::atomic_ref<std::int64_t>(word); }

// A key set this slot has published in its pin register and validated: it cannot be reclaimed
// while the register names it (docs/locks.md, "Reclaiming register sets").
struct Pin {
    std::string key;
    std::shared_ptr<RegisterSet> set;
    std::int64_t* words = nullptr;  // set->words(): the registers in this process's memory, or null
    std::int64_t incarnation = 0;
};

constexpr std::size_t kHoldBytes = 64;

struct Claim {
    int slot = 0;
    std::int64_t id = 0;
    std::int64_t beats = 1;
    std::atomic<bool> lost{false};
    std::atomic<bool> busy{false};  // taken by an acquisition (and its hold)
    std::array<Pin, kPins> pins;    // only the acquisition holding `busy` touches these
    std::size_t next_pin = 0;
    std::atomic<std::uint64_t> acquisitions{0};
    alignas(std::max_align_t) std::byte hold[kHoldBytes];  // the hold lives here, not on the heap
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

// Register access for the algorithm: the same sequentially consistent register operations, either
// on words of this process's memory (memory and shm stores) or through the store (Redis).
struct Direct {
    std::int64_t* w;
    void write_read(std::span<const RegisterSet::Write> writes, std::span<const std::size_t> reads,
                    std::span<std::int64_t> out) const {
        for (const auto& x : writes) at(w[x.index]).store(x.value, std::memory_order_seq_cst);
        for (std::size_t i = 0; i < reads.size(); ++i) out[i] = at(w[reads[i]]).load(std::memory_order_seq_cst);
    }
};
struct Remote {
    RegisterSet* set;
    void write_read(std::span<const RegisterSet::Write> writes, std::span<const std::size_t> reads,
                    std::span<std::int64_t> out) const {
        set->write_read(writes, reads, out);
    }
};

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

std::atomic<std::uint64_t> g_next_uid{1};

// The claim this thread used last with a given lock (by the lock's unique id, never reused).
struct LastClaim {
    std::uint64_t uid = 0;
    Claim* claim = nullptr;
};
thread_local LastClaim t_last;

}  // namespace

struct PetersonLock::Impl {
    std::shared_ptr<RegisterStore> store;
    LockOptions options;
    std::size_t n = 0;       // slots
    std::size_t leaves = 0;  // power of two ≥ n
    std::size_t key_size = 0;
    std::string key_prefix;
    std::shared_ptr<RegisterSet> slots;
    milliseconds check_every{1};
    std::vector<std::vector<Step>> paths;  // by slot: the way from its leaf to the root
    const std::uint64_t uid = g_next_uid.fetch_add(1);

    std::mutex mutex;
    std::vector<std::unique_ptr<Claim>> claims;  // every claim this process made, lost ones too
    std::mt19937_64 rng{std::random_device{}()};

    std::mutex sets_mutex;
    std::unordered_map<std::string, std::shared_ptr<RegisterSet>, StringHash, std::equal_to<>> sets;
    std::mutex reclaim_mutex;

    std::atomic<std::uint64_t> timeouts{0}, evictions{0}, reclaimed{0};

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
        if (options.max_sets < 1) throw std::invalid_argument("max_sets must be at least 1");
        leaves = 1;
        while (leaves < n) leaves *= 2;
        key_size = 3 * leaves + 2;
        key_prefix = options.domain + ":k:" + std::to_string(n) + ":";
        for (std::size_t k = 0; k < n; ++k) {
            std::vector<Step> steps;
            for (std::size_t p = leaves + k; p > 1; p >>= 1) steps.push_back({p >> 1, p & 1});
            paths.push_back(std::move(steps));
        }
        slots = store->open(options.domain + ":slots:" + std::to_string(n), (2 + kPins) * n + 1);
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
        for (const auto& c : claims) {
            if (c->busy.load()) {
                std::fputs("cloudcix_drivers: a Jerry lock hold outlived its PetersonLock\n", stderr);
                std::terminate();
            }
            if (c->lost) continue;
            try {
                // Unpin, then give the slot back: the sets it used become reclaimable.
                std::array<RegisterSet::Write, kPins> unpin{};
                for (std::size_t j = 0; j < kPins; ++j) unpin[j] = {pin_register(c->slot, j), 0};
                slots->write_read(unpin, {}, {});
                slots->compare_and_set(static_cast<std::size_t>(c->slot), c->id, 0);
            } catch (const std::exception&) {
                // The store is gone: the slot's lease runs out on its own.
            }
        }
    }

    std::size_t flag(std::size_t node, std::size_t side) const { return 2 * node + side; }
    std::size_t victim(std::size_t node) const { return 2 * leaves + node; }
    std::size_t retire() const { return 3 * leaves; }
    std::size_t incarnation() const { return 3 * leaves + 1; }
    std::size_t pin_register(int slot, std::size_t j) const { return 2 * n + kPins * static_cast<std::size_t>(slot) + j; }

    // Beats for every claim of this process; notices a claim that someone evicted.
    void renew_loop() {
        std::unique_lock lock(renew_mutex);
        while (!stopping) {
            renew_cv.wait_for(lock, options.lease / 4, [&] { return stopping; });
            if (stopping) break;
            lock.unlock();
            std::vector<Claim*> live;
            {
                std::lock_guard g(mutex);
                for (const auto& c : claims)
                    if (!c->lost) live.push_back(c.get());
            }
            for (Claim* c : live) {
                try {
                    auto k = static_cast<std::size_t>(c->slot);
                    RegisterSet::Write w{n + k, ++c->beats};
                    std::size_t r = k;
                    std::int64_t owner = 0;
                    slots->write_read(std::span(&w, 1), std::span(&r, 1), std::span(&owner, 1));
                    if (owner != c->id) c->lost = true;
                } catch (const std::exception&) {
                    // A store hiccup: the next round tries again; a long outage expires the lease.
                }
            }
            lock.lock();
        }
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

    // ---- slots -------------------------------------------------------------------------------
    // The thread's last claim when it is free (one atomic exchange), else any free claim of this
    // process, else a new slot from the store.
    Claim* take_claim(Clock::time_point deadline) {
        if (t_last.uid == uid) {
            Claim* c = t_last.claim;
            if (!c->lost.load(std::memory_order_acquire) && !c->busy.exchange(true, std::memory_order_acquire)) {
                if (!c->lost.load(std::memory_order_acquire)) return c;
                c->busy.store(false, std::memory_order_release);
            }
        }
        {
            std::lock_guard g(mutex);
            for (const auto& c : claims)
                if (!c->lost && !c->busy.exchange(true, std::memory_order_acquire)) {
                    if (!c->lost) return remember(c.get());
                    c->busy.store(false, std::memory_order_release);
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
                auto c = std::make_unique<Claim>();
                c->slot = static_cast<int>(k);
                c->id = id;
                c->busy = true;
                // A new owner starts with no pins (a dead previous owner's pins die here) and a beat.
                std::array<RegisterSet::Write, kPins + 1> init{};
                for (std::size_t j = 0; j < kPins; ++j) init[j] = {pin_register(c->slot, j), 0};
                init[kPins] = {n + k, c->beats};
                slots->write_read(init, {}, {});
                std::lock_guard g(mutex);
                claims.push_back(std::move(c));
                return remember(claims.back().get());
            }
            // Every slot is owned: free those whose owners stopped beating.
            if (observer.due())
                for (std::size_t k = 0; k < n; ++k)
                    if (owners[k] != 0) observer.released(owners[k]);
            if (Clock::now() >= deadline) return nullptr;
            backoff.pause();
        }
    }

    Claim* remember(Claim* c) {
        t_last = {uid, c};
        return c;
    }

    void give_back(Claim* c) { c->busy.store(false, std::memory_order_release); }

    // Flags we could not clear must not block others while our claim lives on: drop the claim
    // (its flags then count as released), freeing the slot if the store still answers.
    void abandon(Claim* c) {
        c->lost = true;
        c->busy.store(false, std::memory_order_release);
        try {
            slots->compare_and_set(static_cast<std::size_t>(c->slot), c->id, 0);
        } catch (const std::exception&) {
            // Unreachable store: the claim is no longer renewed and expires after a lease.
        }
    }

    // ---- key sets: pins and reclamation ---------------------------------------------------------
    std::shared_ptr<RegisterSet> resolve(std::string_view key) {
        {
            std::lock_guard g(sets_mutex);
            if (auto it = sets.find(key); it != sets.end()) return it->second;
        }
        if (store->list(key_prefix).size() >= options.max_sets) reclaim();
        std::string name = key_prefix;
        name += key;
        auto set = store->open(name, key_size);
        std::lock_guard g(sets_mutex);
        return sets.try_emplace(std::string(key), set).first->second;
    }

    void forget(std::string_view key, const std::shared_ptr<RegisterSet>& set) {
        std::lock_guard g(sets_mutex);
        if (auto it = sets.find(key); it != sets.end() && it->second == set) sets.erase(it);
    }

    // Points pin j of claim c at `key`'s set: publish its incarnation in pin(slot, j), then check
    // that the set is neither reclaimed nor another incarnation. From then on no reclaimer can
    // take it until the pin register names something else.
    void pin(Claim& c, std::size_t j, std::string_view key) {
        auto& p = c.pins[j];
        p = Pin{};
        for (;;) {
            auto set = resolve(key);
            std::int64_t life = set->read(incarnation());
            if (life <= 0) {  // removed (zeroed) since we opened it: open it again
                forget(key, set);
                continue;
            }
            slots->write(pin_register(c.slot, j), life);
            std::int64_t r = set->read(retire());
            while (r != 0 && r != kReclaimed) {
                set->compare_and_set(retire(), r, 0);  // a reclaimer is checking: veto it
                r = set->read(retire());
            }
            if (r == kReclaimed) {  // finish a removal its reclaimer may not have got to
                store->remove(key_prefix + std::string(key), retire(), kReclaimed);
                forget(key, set);
                continue;
            }
            if (set->read(incarnation()) != life) {
                forget(key, set);
                continue;
            }
            p.key = std::string(key);
            p.words = set->words();
            p.set = std::move(set);
            p.incarnation = life;
            return;
        }
    }

    // The pin of claim c for `key`, not among `used` (a bit per pin): one it already has, else
    // an unused pin re-pointed.
    std::size_t pin_for(Claim& c, std::string_view key, unsigned used) {
        for (std::size_t j = 0; j < kPins; ++j)
            if (!(used >> j & 1u) && c.pins[j].set && c.pins[j].key == key) return j;
        std::size_t j = kPins;
        for (std::size_t i = 0; i < kPins && j == kPins; ++i)
            if (!(used >> i & 1u) && !c.pins[i].set) j = i;
        while (j == kPins) {
            std::size_t i = c.next_pin++ % kPins;
            if (!(used >> i & 1u)) j = i;
        }
        pin(c, j, key);
        return j;
    }

    // Reclaims every key set of this domain that no pin names: mark it retiring with a token,
    // check the incarnation under the token, read every pin, then turn the token into
    // "reclaimed" unless a pin names the set or a participant vetoed the token.
    std::size_t reclaim() {
        std::lock_guard one_at_a_time(reclaim_mutex);
        struct Candidate {
            std::string name;
            std::shared_ptr<RegisterSet> set;
            std::int64_t life;
            std::int64_t token;
        };
        std::vector<Candidate> candidates;
        for (auto& name : store->list(key_prefix)) {
            auto set = store->open(name, key_size);
            std::int64_t life = set->read(incarnation());
            std::int64_t token;
            {
                std::lock_guard g(mutex);
                token = static_cast<std::int64_t>((rng() >> 2) | 1);
            }
            if (life <= 0 || !set->compare_and_set(retire(), 0, token)) continue;
            // The location may have been reused since `life` was read: the token must sit on
            // that incarnation (tests/spin/reclaim.pml, NO_TOKEN_RECHECK).
            if (set->read(incarnation()) != life) {
                set->compare_and_set(retire(), token, 0);
                continue;
            }
            candidates.push_back({std::move(name), std::move(set), life, token});
        }
        std::size_t done = 0;
        if (!candidates.empty()) {
            std::vector<std::size_t> reads(kPins * n);
            for (std::size_t i = 0; i < reads.size(); ++i) reads[i] = 2 * n + i;
            std::vector<std::int64_t> pins(reads.size());
            slots->read_many(reads, pins);
            std::unordered_set<std::int64_t> pinned(pins.begin(), pins.end());
            for (auto& c : candidates) {
                if (pinned.count(c.life)) {
                    c.set->compare_and_set(retire(), c.token, 0);
                    continue;
                }
                if (!c.set->compare_and_set(retire(), c.token, kReclaimed)) continue;  // vetoed
                if (store->remove(c.name, retire(), kReclaimed)) ++done;
            }
        }
        {
            // The process cache is rebuilt on demand; pins keep their own handles.
            std::lock_guard g(sets_mutex);
            sets.clear();
        }
        reclaimed.fetch_add(done);
        return done;
    }

    // ---- the algorithm ------------------------------------------------------------------------
    // Clears this claim's flags on steps [0, upto) of a key, from the top down.
    template <class Regs>
    void leave(const Regs& regs, const std::vector<Step>& steps, std::size_t upto) {
        std::array<RegisterSet::Write, 8> writes{};  // 256 slots: 8 levels at most
        std::size_t n_writes = 0;
        for (std::size_t i = upto; i-- > 0;) writes[n_writes++] = {flag(steps[i].node, steps[i].side), 0};
        if (n_writes) regs.write_read(std::span(writes.data(), n_writes), {}, {});
    }

    // Peterson's two-participant entry at one node: flag, yield the turn, wait while the other
    // side competes and the turn is ours to yield. False when the deadline passes.
    template <class Regs>
    bool enter(const Regs& regs, const Step& s, std::int64_t me, Clock::time_point deadline,
               std::optional<Observer>& observer) {
        RegisterSet::Write writes[2] = {{flag(s.node, s.side), me}, {victim(s.node), me}};
        std::size_t reads[2] = {flag(s.node, 1 - s.side), victim(s.node)};
        std::int64_t v[2] = {0, 0};
        regs.write_read(writes, reads, v);
        Backoff backoff;
        for (;;) {
            if (v[0] == 0 || v[1] != me) return true;
            if (backoff.slow()) {
                if (!observer) observer.emplace(*this);
                if (observer->due() && observer->released(v[0])) return true;
            }
            if (Clock::now() >= deadline) return false;
            backoff.pause();
            regs.write_read({}, reads, v);
        }
    }

    // Climbs one key's tree; on timeout leaves nothing behind on that key.
    template <class Regs>
    bool climb(const Regs& regs, const std::vector<Step>& steps, std::int64_t me, Clock::time_point deadline,
               std::optional<Observer>& observer) {
        for (std::size_t i = 0; i < steps.size(); ++i) {
            bool entered = false;
            try {
                entered = enter(regs, steps[i], me, deadline, observer);
            } catch (...) {
                leave(regs, steps, i + 1);  // we hold the levels below i: our side of i is ours to clear
                throw;
            }
            if (!entered) {
                leave(regs, steps, i + 1);
                return false;
            }
        }
        return true;
    }

    bool climb_pin(const Pin& p, const std::vector<Step>& steps, std::int64_t me, Clock::time_point deadline,
                   std::optional<Observer>& observer) {
        if (p.words) return climb(Direct{p.words}, steps, me, deadline, observer);
        return climb(Remote{p.set.get()}, steps, me, deadline, observer);
    }
    void leave_pin(const Pin& p, const std::vector<Step>& steps) {
        if (p.words)
            leave(Direct{p.words}, steps, steps.size());
        else
            leave(Remote{p.set.get()}, steps, steps.size());
    }

    class Hold final : public JerryHold {
    public:
        // Constructed in its claim's storage; `delete` only destroys it.
        static void* operator new(std::size_t, void* where) noexcept { return where; }
        static void operator delete(void*) noexcept {}
        static void operator delete(void*, void*) noexcept {}

        Hold(Impl* impl, Claim* claim, const std::array<std::uint8_t, kPins>& order, std::size_t count)
            : impl_(impl), claim_(claim), order_(order), count_(count) {}
        ~Hold() override {
            // Reverse order of acquisition.
            bool clean = true;
            const auto& steps = impl_->paths[static_cast<std::size_t>(claim_->slot)];
            for (std::size_t i = count_; i-- > 0;) {
                try {
                    impl_->leave_pin(claim_->pins[order_[i]], steps);
                } catch (const std::exception&) {
                    clean = false;
                }
            }
            if (clean)
                impl_->give_back(claim_);
            else
                impl_->abandon(claim_);
        }
        bool valid() const override { return !claim_->lost.load(std::memory_order_acquire); }
        int slot() const override { return claim_->slot; }

    private:
        Impl* impl_;
        Claim* claim_;
        std::array<std::uint8_t, kPins> order_;
        std::size_t count_;
    };
    static_assert(sizeof(Hold) <= kHoldBytes);
};

PetersonLock::PetersonLock(std::shared_ptr<RegisterStore> store, LockOptions options)
    : impl_(std::make_shared<Impl>(std::move(store), std::move(options))) {}

PetersonLock::~PetersonLock() = default;

std::unique_ptr<LockHold> PetersonLock::acquire(const std::vector<std::string>& keys, Clock::time_point deadline) {
    // One key is already in order; several are sorted again rather than trusted.
    std::vector<std::string> sorted;
    const std::vector<std::string>* ordered = &keys;
    if (keys.size() > 1) {
        sorted = lock_order(keys);
        ordered = &sorted;
    }
    if (ordered->size() > kPins)
        throw std::invalid_argument("a Jerry lock takes at most " + std::to_string(kPins) + " keys at once, not " +
                                    std::to_string(ordered->size()));
    Impl& impl = *impl_;
    Claim* claim = impl.take_claim(deadline);
    if (!claim) {
        impl.timeouts.fetch_add(1);
        return nullptr;
    }
    std::array<std::uint8_t, kPins> order{};
    unsigned used = 0;
    try {
        for (std::size_t i = 0; i < ordered->size(); ++i) {
            auto j = impl.pin_for(*claim, (*ordered)[i], used);
            used |= 1u << j;
            order[i] = static_cast<std::uint8_t>(j);
        }
    } catch (...) {
        impl.give_back(claim);
        throw;
    }
    const auto& steps = impl.paths[static_cast<std::size_t>(claim->slot)];
    std::optional<Impl::Observer> observer;
    for (std::size_t i = 0; i < ordered->size(); ++i) {
        bool ok = false;
        try {
            ok = impl.climb_pin(claim->pins[order[i]], steps, claim->id, deadline, observer);
        } catch (...) {
            // The store failed mid-climb: nothing of this claim may stay behind.
            for (std::size_t j = i; j-- > 0;) {
                try {
                    impl.leave_pin(claim->pins[order[j]], steps);
                } catch (const std::exception&) {
                }
            }
            impl.abandon(claim);
            throw;
        }
        if (!ok) {
            for (std::size_t j = i; j-- > 0;) impl.leave_pin(claim->pins[order[j]], steps);
            impl.give_back(claim);
            impl.timeouts.fetch_add(1);
            return nullptr;
        }
    }
    // Only the claim's current acquisition counts on it: no read-modify-write needed.
    claim->acquisitions.store(claim->acquisitions.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return std::unique_ptr<LockHold>(new (claim->hold) Impl::Hold(&impl, claim, order, ordered->size()));
}

const LockOptions& PetersonLock::options() const { return impl_->options; }
RegisterStore& PetersonLock::store() { return *impl_->store; }

PetersonLock::Stats PetersonLock::stats() const {
    Stats s{0, impl_->timeouts.load(), impl_->evictions.load(), impl_->reclaimed.load()};
    std::lock_guard g(impl_->mutex);
    for (const auto& c : impl_->claims) s.acquisitions += c->acquisitions.load(std::memory_order_relaxed);
    return s;
}

std::size_t PetersonLock::reclaim() { return impl_->reclaim(); }
std::size_t PetersonLock::key_sets() { return impl_->store->list(impl_->key_prefix).size(); }

}  // namespace cloudcix::drivers
