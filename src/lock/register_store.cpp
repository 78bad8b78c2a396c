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
#include <stdexcept>
#include <thread>

#include "cloudcix_drivers/lock/register_store.hpp"

namespace cloudcix::drivers {

namespace {

void check_index(std::size_t index, std::size_t size) {
    if (index >= size) throw std::out_of_range("register " + std::to_string(index) + " of a set of " + std::to_string(size));
}

// ---------------------------------------------------------------------------------------------
class MemorySet final : public RegisterSet {
public:
    explicit MemorySet(std::size_t size) : size_(size), regs_(std::make_unique<std::atomic<std::int64_t>[]>(size)) {}
    std::size_t size() const override { return size_; }
    std::int64_t read(std::size_t i) override {
        check_index(i, size_);
        return regs_[i].load(std::memory_order_seq_cst);
    }
    void write(std::size_t i, std::int64_t v) override {
        check_index(i, size_);
        regs_[i].store(v, std::memory_order_seq_cst);
    }
    void write_read(std::span<const Write> writes, std::span<const std::size_t> reads, std::span<std::int64_t> out) override {
        for (const auto& w : writes) write(w.index, w.value);
        for (std::size_t i = 0; i < reads.size(); ++i) out[i] = read(reads[i]);
    }
    bool compare_and_set(std::size_t i, std::int64_t expected, std::int64_t desired) override {
        check_index(i, size_);
        return regs_[i].compare_exchange_strong(expected, desired, std::memory_order_seq_cst);
    }

private:
    std::size_t size_;
    std::unique_ptr<std::atomic<std::int64_t>[]> regs_;
};

class MemoryStore final : public RegisterStore {
public:
    std::shared_ptr<RegisterSet> open(std::string_view name, std::size_t size) override {
        std::lock_guard lock(mutex_);
        auto it = sets_.find(name);
        if (it == sets_.end()) it = sets_.emplace(std::string(name), std::make_shared<MemorySet>(size)).first;
        if (it->second->size() != size)
            throw std::runtime_error("register set '" + std::string(name) + "' has " + std::to_string(it->second->size()) +
                                     " registers, not " + std::to_string(size));
        return it->second;
    }
    std::string describe() const override { return "memory"; }

private:
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<MemorySet>, std::less<>> sets_;
};

// ---------------------------------------------------------------------------------------------
// File layout: a header, a table of named sets (open addressing), then the registers. Sets are
// bump-allocated and never freed; a full file is an error. Processes see one another's writes
// through the shared mapping; std::atomic_ref on 8-byte-aligned words is lock-free on the
// platforms we build for, hence address-free and valid across processes.
constexpr std::int64_t kMagic = 0x4a45525259313031;  // "JERRY101"
constexpr std::size_t kEntries = 4096;
constexpr std::size_t kNameBytes = 104;

struct Header {
    std::int64_t magic;
    std::int64_t bytes;
    std::int64_t entries;
    std::int64_t data_offset;
    std::int64_t registers;  // capacity in registers
    std::int64_t used;       // registers allocated (atomic)
    std::int64_t pad[2];
};
struct Entry {
    std::int64_t state;  // 0 empty, 1 being filled, 2 ready (atomic)
    std::int64_t size;
    std::int64_t first;  // index of the first register
    std::int64_t pad;
    char name[kNameBytes];
};
static_assert(sizeof(Header) == 64 && sizeof(Entry) == 136);
static_assert(std::atomic_ref<std::int64_t>::is_always_lock_free);

std::atomic_ref<std::int64_t> at(std::int64_t& word) { return std::atomic_ref<std::int64_t>(word); }

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

class ShmMapping {
public:
    ShmMapping(const std::string& path, std::size_t bytes) : path_(path) {
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) throw std::runtime_error(errno_text("lock store " + path));
        // One process formats the file; the others wait on the flock.
        if (::flock(fd, LOCK_EX) != 0) {
            ::close(fd);
            throw std::runtime_error(errno_text("flock " + path));
        }
        struct stat st {};
        ::fstat(fd, &st);
        bool fresh = st.st_size == 0;
        std::size_t data_offset = (sizeof(Header) + kEntries * sizeof(Entry) + 4095) / 4096 * 4096;
        if (fresh) {
            if (bytes < data_offset + 4096) bytes = data_offset + 4096;
            if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
                ::close(fd);
                throw std::runtime_error(errno_text("ftruncate " + path));
            }
        } else {
            bytes = static_cast<std::size_t>(st.st_size);
        }
        void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
            ::close(fd);
            throw std::runtime_error(errno_text("mmap " + path));
        }
        base_ = static_cast<char*>(p);
        bytes_ = bytes;
        auto* h = header();
        if (fresh) {
            h->bytes = static_cast<std::int64_t>(bytes);
            h->entries = kEntries;
            h->data_offset = static_cast<std::int64_t>(data_offset);
            h->registers = static_cast<std::int64_t>((bytes - data_offset) / 8);
            at(h->used).store(0);
            at(h->magic).store(kMagic);
        }
        bool ok = at(h->magic).load() == kMagic && h->bytes == static_cast<std::int64_t>(bytes) &&
                  h->entries == static_cast<std::int64_t>(kEntries);
        ::flock(fd, LOCK_UN);
        ::close(fd);
        if (!ok) {
            ::munmap(base_, bytes_);
            throw std::runtime_error("lock store " + path + " is not a Jerry lock register file");
        }
    }
    ~ShmMapping() { ::munmap(base_, bytes_); }
    ShmMapping(const ShmMapping&) = delete;
    ShmMapping& operator=(const ShmMapping&) = delete;

    Header* header() { return reinterpret_cast<Header*>(base_); }
    Entry* entry(std::size_t i) { return reinterpret_cast<Entry*>(base_ + sizeof(Header) + i * sizeof(Entry)); }
    std::int64_t* registers() { return reinterpret_cast<std::int64_t*>(base_ + header()->data_offset); }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    char* base_ = nullptr;
    std::size_t bytes_ = 0;
};

class ShmSet final : public RegisterSet {
public:
    ShmSet(std::shared_ptr<ShmMapping> map, std::int64_t* regs, std::size_t size)
        : map_(std::move(map)), regs_(regs), size_(size) {}
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

private:
    std::shared_ptr<ShmMapping> map_;
    std::int64_t* regs_;
    std::size_t size_;
};

class ShmStore final : public RegisterStore {
public:
    ShmStore(const std::string& path, std::size_t bytes) : map_(std::make_shared<ShmMapping>(path, bytes)) {}

    std::shared_ptr<RegisterSet> open(std::string_view name, std::size_t size) override {
        if (name.empty() || name.size() >= kNameBytes)
            throw std::runtime_error("register set name '" + std::string(name) + "' must have 1 to " +
                                     std::to_string(kNameBytes - 1) + " characters");
        std::lock_guard lock(mutex_);
        if (auto it = cache_.find(name); it != cache_.end()) return checked(it->second, name, size);
        auto* h = map_->header();
        std::size_t start = std::hash<std::string_view>{}(name) % kEntries;
        for (std::size_t probe = 0; probe < kEntries; ++probe) {
            Entry* e = map_->entry((start + probe) % kEntries);
            auto state = at(e->state);
            std::int64_t expected = 0;
            if (state.load() == 0 && state.compare_exchange_strong(expected, 1)) {
                std::int64_t first = at(h->used).fetch_add(static_cast<std::int64_t>(size));
                if (first + static_cast<std::int64_t>(size) > h->registers) {
                    // Leave the entry unusable rather than half-filled: the file is full.
                    at(h->used).fetch_sub(static_cast<std::int64_t>(size));
                    at(e->state).store(0);
                    throw std::runtime_error("lock store " + map_->path() + " is full (" + std::to_string(h->registers) +
                                             " registers)");
                }
                e->size = static_cast<std::int64_t>(size);
                e->first = first;
                std::memcpy(e->name, name.data(), name.size());
                e->name[name.size()] = '\0';
                state.store(2);
                return remember(e, name, size);
            }
            // Another process is filling this entry: it finishes in microseconds.
            for (int spins = 0; state.load() == 1; ++spins) {
                if (spins > 2000000) throw std::runtime_error("lock store " + map_->path() + ": a set entry stays half-written");
                std::this_thread::yield();
            }
            if (state.load() == 2 && std::string_view(e->name) == name) return remember(e, name, size);
        }
        throw std::runtime_error("lock store " + map_->path() + " has no free set entry (" + std::to_string(kEntries) + ")");
    }
    std::string describe() const override { return "shm:" + map_->path(); }

private:
    std::shared_ptr<RegisterSet> remember(Entry* e, std::string_view name, std::size_t size) {
        auto set = std::make_shared<ShmSet>(map_, map_->registers() + e->first, static_cast<std::size_t>(e->size));
        cache_.emplace(std::string(name), set);
        return checked(set, name, size);
    }
    static std::shared_ptr<RegisterSet> checked(std::shared_ptr<RegisterSet> set, std::string_view name, std::size_t size) {
        if (set->size() != size)
            throw std::runtime_error("register set '" + std::string(name) + "' has " + std::to_string(set->size()) +
                                     " registers, not " + std::to_string(size));
        return set;
    }
    std::shared_ptr<ShmMapping> map_;
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<RegisterSet>, std::less<>> cache_;
};

}  // namespace

std::shared_ptr<RegisterStore> make_memory_store() { return std::make_shared<MemoryStore>(); }

std::shared_ptr<RegisterStore> make_shm_store(const std::string& path, std::size_t bytes) {
    return std::make_shared<ShmStore>(path, bytes);
}

}  // namespace cloudcix::drivers
