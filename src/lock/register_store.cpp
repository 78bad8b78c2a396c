// The memory and shared-memory-file register stores. Both use sequentially consistent atomics:
// the Peterson lock's correctness needs each register operation to be a total-order event.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include "cloudcix_drivers/lock/register_store.hpp"

namespace cloudcix::drivers {

namespace {

std::atomic_ref<std::int64_t> at(std::int64_t& word) { return std::atomic_ref<std::int64_t>(word); }

// A set's incarnation: random, positive, never zero (docs/locks.md, "Reclaiming register sets").
std::int64_t fresh_incarnation() {
    static std::mutex mutex;
    static std::mt19937_64 rng{std::random_device{}() ^ static_cast<std::uint64_t>(::getpid()) << 32};
    std::lock_guard lock(mutex);
    return static_cast<std::int64_t>((rng() >> 2) | 1);
}

void check_index(std::size_t index, std::size_t size) {
    if (index >= size) throw std::out_of_range("register " + std::to_string(index) + " of a set of " + std::to_string(size));
}

// ---------------------------------------------------------------------------------------------
// Registers as sequentially consistent atomic words, wherever the words live.
class WordSet : public RegisterSet {
public:
    WordSet(std::int64_t* regs, std::size_t size) : regs_(regs), size_(size) {}
    std::size_t size() const override { return size_; }
    std::int64_t read(std::size_t i) override {
        check_index(i, size_);
        return at(regs_[i]).load(std::memory_order_seq_cst);
    }
    void write(std::size_t i, std::int64_t v) override {
        check_index(i, size_);
        at(regs_[i]).store(v, std::memory_order_seq_cst);
    }
    void write_read(std::span<const Write> writes, std::span<const std::size_t> reads, std::span<std::int64_t> out) override {
        for (const auto& w : writes) write(w.index, w.value);
        for (std::size_t i = 0; i < reads.size(); ++i) out[i] = read(reads[i]);
    }
    bool compare_and_set(std::size_t i, std::int64_t expected, std::int64_t desired) override {
        check_index(i, size_);
        return at(regs_[i]).compare_exchange_strong(expected, desired, std::memory_order_seq_cst);
    }
    std::int64_t* words() override { return regs_; }

protected:
    std::int64_t* regs_;
    std::size_t size_;
};

// Words owned by the set, for threads of one process.
class MemorySet final : public WordSet {
public:
    explicit MemorySet(std::size_t size) : WordSet(nullptr, size), storage_(std::make_unique<std::int64_t[]>(size)) {
        regs_ = storage_.get();
        for (std::size_t i = 0; i < size; ++i) regs_[i] = 0;
        regs_[size - 1] = fresh_incarnation();
    }
    void zero() {
        for (std::size_t i = 0; i < size_; ++i) at(regs_[i]).store(0, std::memory_order_seq_cst);
    }

private:
    std::unique_ptr<std::int64_t[]> storage_;
};

class MemoryStore final : public RegisterStore {
public:
    std::shared_ptr<RegisterSet> open(std::string_view name, std::size_t size) override {
        if (size < 2) throw std::runtime_error("a register set needs at least 2 registers");
        std::lock_guard lock(mutex_);
        auto it = sets_.find(name);
        if (it == sets_.end()) it = sets_.emplace(std::string(name), std::make_shared<MemorySet>(size)).first;
        if (it->second->size() != size)
            throw std::runtime_error("register set '" + std::string(name) + "' has " + std::to_string(it->second->size()) +
                                     " registers, not " + std::to_string(size));
        return it->second;
    }
    std::vector<std::string> list(std::string_view prefix) override {
        std::lock_guard lock(mutex_);
        std::vector<std::string> names;
        for (auto it = sets_.lower_bound(prefix); it != sets_.end() && it->first.starts_with(prefix); ++it)
            names.push_back(it->first);
        return names;
    }
    bool remove(std::string_view name, std::size_t index, std::int64_t value) override {
        std::lock_guard lock(mutex_);
        auto it = sets_.find(name);
        if (it == sets_.end() || index >= it->second->size() || it->second->read(index) != value) return false;
        it->second->zero();
        sets_.erase(it);
        return true;
    }
    std::string describe() const override { return "memory"; }

private:
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<MemorySet>, std::less<>> sets_;
};

// ---------------------------------------------------------------------------------------------
// File layout: a header, a table of named sets (open addressing, linear probing), then the
// registers. The table is changed only under an flock of the file (and this process's mutex:
// flock does not exclude threads sharing a descriptor); registers are used without it. A removed
// set's entry becomes a tombstone that keeps its register block, zeroed, for the next set of the
// same size, so a file whose sets are reclaimed does not fill up. Processes see one another's
// writes through the shared mapping; std::atomic_ref on 8-byte-aligned words is lock-free on
// the platforms we build for, hence address-free and valid across processes.
constexpr std::int64_t kMagic = 0x4a45525259313032;  // "JERRY102"
constexpr std::size_t kEntries = 4096;
constexpr std::size_t kNameBytes = 104;
constexpr std::int64_t kEmpty = 0, kReady = 2, kTombstone = 3;

struct Header {
    std::int64_t magic;
    std::int64_t bytes;
    std::int64_t entries;
    std::int64_t data_offset;
    std::int64_t registers;  // capacity in registers
    std::int64_t used;       // registers bump-allocated so far
    std::int64_t pad[2];
};
struct Entry {
    std::int64_t state;  // kEmpty, kReady, kTombstone (a tombstone may keep a block: size > 0)
    std::int64_t size;
    std::int64_t first;  // index of the first register
    std::int64_t pad;
    char name[kNameBytes];
};
static_assert(sizeof(Header) == 64 && sizeof(Entry) == 136);
static_assert(std::atomic_ref<std::int64_t>::is_always_lock_free);

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

class ShmMapping {
public:
    ShmMapping(const std::string& path, std::size_t bytes) : path_(path) {
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd_ < 0) throw std::runtime_error(errno_text("lock store " + path));
        try {
            map(bytes);
        } catch (...) {
            ::close(fd_);
            throw;
        }
    }
    ~ShmMapping() {
        ::munmap(base_, bytes_);
        ::close(fd_);
    }
    ShmMapping(const ShmMapping&) = delete;
    ShmMapping& operator=(const ShmMapping&) = delete;

    Header* header() { return reinterpret_cast<Header*>(base_); }
    Entry* entry(std::size_t i) { return reinterpret_cast<Entry*>(base_ + sizeof(Header) + i * sizeof(Entry)); }
    std::int64_t* registers() { return reinterpret_cast<std::int64_t*>(base_ + header()->data_offset); }
    const std::string& path() const { return path_; }

    // The table's lock: this process's threads, then other processes.
    class Guard {
    public:
        explicit Guard(ShmMapping& m) : m_(m), lock_(m.mutex_) {
            if (::flock(m_.fd_, LOCK_EX) != 0) throw std::runtime_error(errno_text("flock " + m_.path_));
        }
        ~Guard() { ::flock(m_.fd_, LOCK_UN); }
        Guard(const Guard&) = delete;
        Guard& operator=(const Guard&) = delete;

    private:
        ShmMapping& m_;
        std::lock_guard<std::mutex> lock_;
    };

private:
    void map(std::size_t bytes) {
        // One process formats the file; the others wait on the flock.
        if (::flock(fd_, LOCK_EX) != 0) throw std::runtime_error(errno_text("flock " + path_));
        struct stat st {};
        ::fstat(fd_, &st);
        bool fresh = st.st_size == 0;
        std::size_t data_offset = (sizeof(Header) + kEntries * sizeof(Entry) + 4095) / 4096 * 4096;
        if (fresh) {
            if (bytes < data_offset + 4096) bytes = data_offset + 4096;
            if (::ftruncate(fd_, static_cast<off_t>(bytes)) != 0) {
                ::flock(fd_, LOCK_UN);
                throw std::runtime_error(errno_text("ftruncate " + path_));
            }
        } else {
            bytes = static_cast<std::size_t>(st.st_size);
        }
        void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
        if (p == MAP_FAILED) {
            ::flock(fd_, LOCK_UN);
            throw std::runtime_error(errno_text("mmap " + path_));
        }
        base_ = static_cast<char*>(p);
        bytes_ = bytes;
        auto* h = header();
        if (fresh) {
            h->bytes = static_cast<std::int64_t>(bytes);
            h->entries = kEntries;
            h->data_offset = static_cast<std::int64_t>(data_offset);
            h->registers = static_cast<std::int64_t>((bytes - data_offset) / 8);
            h->used = 0;
            at(h->magic).store(kMagic);
        }
        bool ok = at(h->magic).load() == kMagic && h->bytes == static_cast<std::int64_t>(bytes) &&
                  h->entries == static_cast<std::int64_t>(kEntries);
        ::flock(fd_, LOCK_UN);
        if (!ok) {
            ::munmap(base_, bytes_);
            throw std::runtime_error("lock store " + path_ + " is not a Jerry lock register file (of this version)");
        }
    }

    std::string path_;
    int fd_ = -1;
    char* base_ = nullptr;
    std::size_t bytes_ = 0;
    std::mutex mutex_;
};

// Words inside the shared mapping, which the set keeps alive.
class ShmSet final : public WordSet {
public:
    ShmSet(std::shared_ptr<ShmMapping> map, std::int64_t* regs, std::size_t size) : WordSet(regs, size), map_(std::move(map)) {}

private:
    std::shared_ptr<ShmMapping> map_;
};

class ShmStore final : public RegisterStore {
public:
    ShmStore(const std::string& path, std::size_t bytes) : map_(std::make_shared<ShmMapping>(path, bytes)) {}

    std::shared_ptr<RegisterSet> open(std::string_view name, std::size_t size) override {
        if (name.empty() || name.size() >= kNameBytes)
            throw std::runtime_error("register set name '" + std::string(name) + "' must have 1 to " +
                                     std::to_string(kNameBytes - 1) + " characters");
        if (size < 2) throw std::runtime_error("a register set needs at least 2 registers");
        ShmMapping::Guard guard(*map_);
        Entry* place = nullptr;  // where a new set would go: the first reusable entry of the chain
        std::size_t start = std::hash<std::string_view>{}(name) % kEntries;
        for (std::size_t probe = 0; probe < kEntries; ++probe) {
            Entry* e = map_->entry((start + probe) % kEntries);
            if (e->state == kReady && std::string_view(e->name) == name) return handle(e, name, size);
            if (e->state == kTombstone && !place && (e->size == 0 || e->size == static_cast<std::int64_t>(size))) place = e;
            if (e->state == kEmpty) {
                if (!place) place = e;
                break;
            }
        }
        if (!place) throw std::runtime_error("lock store " + map_->path() + " has no free set entry (" + std::to_string(kEntries) + ")");
        give_block(place, size);
        std::memcpy(place->name, name.data(), name.size());
        place->name[name.size()] = '\0';
        auto* regs = map_->registers() + place->first;
        for (std::size_t i = 0; i < size; ++i) at(regs[i]).store(0);
        at(regs[size - 1]).store(fresh_incarnation());
        place->state = kReady;
        return handle(place, name, size);
    }

    std::vector<std::string> list(std::string_view prefix) override {
        ShmMapping::Guard guard(*map_);
        std::vector<std::string> names;
        for (std::size_t i = 0; i < kEntries; ++i) {
            Entry* e = map_->entry(i);
            if (e->state == kReady && std::string_view(e->name).starts_with(prefix)) names.emplace_back(e->name);
        }
        return names;
    }

    bool remove(std::string_view name, std::size_t index, std::int64_t value) override {
        ShmMapping::Guard guard(*map_);
        std::size_t start = std::hash<std::string_view>{}(name) % kEntries;
        for (std::size_t probe = 0; probe < kEntries; ++probe) {
            Entry* e = map_->entry((start + probe) % kEntries);
            if (e->state == kEmpty) return false;
            if (e->state != kReady || std::string_view(e->name) != name) continue;
            auto* regs = map_->registers() + e->first;
            if (index >= static_cast<std::size_t>(e->size) || at(regs[index]).load() != value) return false;
            for (std::int64_t i = 0; i < e->size; ++i) at(regs[i]).store(0);
            e->name[0] = '\0';
            e->state = kTombstone;  // keeps its zeroed block for the next set of this size
            return true;
        }
        return false;
    }

    std::string describe() const override { return "shm:" + map_->path(); }

private:
    // A block of `size` registers for `e`: its own (a tombstone's of this size), another
    // tombstone's of this size, or fresh from the bump area. Under the table's lock.
    void give_block(Entry* e, std::size_t size) {
        auto want = static_cast<std::int64_t>(size);
        if (e->state == kTombstone && e->size == want) return;
        for (std::size_t i = 0; i < kEntries; ++i) {
            Entry* t = map_->entry(i);
            if (t != e && t->state == kTombstone && t->size == want) {
                e->first = t->first;
                e->size = want;
                t->size = 0;  // still a tombstone (it keeps probe chains intact), without a block
                t->first = 0;
                return;
            }
        }
        auto* h = map_->header();
        if (h->used + want > h->registers)
            throw std::runtime_error("lock store " + map_->path() + " is full (" + std::to_string(h->registers) + " registers)");
        e->first = h->used;
        e->size = want;
        h->used += want;
    }
    std::shared_ptr<RegisterSet> handle(Entry* e, std::string_view name, std::size_t size) {
        if (static_cast<std::size_t>(e->size) != size)
            throw std::runtime_error("register set '" + std::string(name) + "' has " + std::to_string(e->size) +
                                     " registers, not " + std::to_string(size));
        return std::make_shared<ShmSet>(map_, map_->registers() + e->first, size);
    }
    std::shared_ptr<ShmMapping> map_;
};

}  // namespace

std::shared_ptr<RegisterStore> make_memory_store() { return std::make_shared<MemoryStore>(); }

std::shared_ptr<RegisterStore> make_shm_store(const std::string& path, std::size_t bytes) {
    return std::make_shared<ShmStore>(path, bytes);
}

}  // namespace cloudcix::drivers
