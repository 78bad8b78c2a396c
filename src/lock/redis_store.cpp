// The Redis register store (hiredis kept to this file). One hash per register set, one field
// per register. Redis runs each command atomically and a connection's commands in order, so a
// pipelined HSET + HMGET is exactly "the writes, then the reads" in one round trip.
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "cloudcix_drivers/lock/register_store.hpp"

namespace cloudcix::drivers {

namespace {

struct ContextFree {
    void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyFree {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Connection = std::unique_ptr<redisContext, ContextFree>;
using Reply = std::unique_ptr<redisReply, ReplyFree>;

// Registration and reclamation only: compare-and-set one field of a set that exists (a removed
// set must not come back through an old handle).
constexpr const char* kCasScript =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end "
    "local v = redis.call('HGET', KEYS[1], ARGV[1]) or '0' "
    "if v == ARGV[2] then redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) return 1 end return 0";
// Creates the set on first use (size in field "n", the incarnation in the last register) and
// indexes its name, atomically; answers the recorded size.
constexpr const char* kOpenScript =
    "if redis.call('HSETNX', KEYS[1], 'n', ARGV[2]) == 1 then "
    "redis.call('HSET', KEYS[1], ARGV[3], ARGV[4]) redis.call('SADD', KEYS[2], ARGV[1]) end "
    "return redis.call('HGET', KEYS[1], 'n')";
// Removes the set and its index entry if register ARGV[1] holds ARGV[2].
constexpr const char* kRemoveScript =
    "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then "
    "redis.call('DEL', KEYS[1]) redis.call('SREM', KEYS[2], ARGV[3]) return 1 end return 0";

std::int64_t fresh_incarnation() {
    static std::mutex mutex;
    static std::mt19937_64 rng{std::random_device{}() ^ static_cast<std::uint64_t>(::getpid()) << 32};
    std::lock_guard lock(mutex);
    return static_cast<std::int64_t>((rng() >> 2) | 1);
}

std::int64_t to_int(const redisReply* r) {
    if (r->type == REDIS_REPLY_NIL) return 0;
    if (r->type == REDIS_REPLY_INTEGER) return r->integer;
    if (r->type == REDIS_REPLY_STRING) return std::stoll(std::string(r->str, r->len));
    throw std::runtime_error("redis: unexpected reply type " + std::to_string(r->type));
}

class RedisStore;

class RedisSet final : public RegisterSet {
public:
    RedisSet(RedisStore& store, std::string key, std::size_t size) : store_(store), key_(std::move(key)), size_(size) {}
    std::size_t size() const override { return size_; }
    std::int64_t read(std::size_t i) override {
        std::int64_t out = 0;
        std::size_t idx = i;
        write_read({}, std::span<const std::size_t>(&idx, 1), std::span<std::int64_t>(&out, 1));
        return out;
    }
    void write(std::size_t i, std::int64_t v) override {
        Write w{i, v};
        write_read(std::span<const Write>(&w, 1), {}, {});
    }
    void write_read(std::span<const Write> writes, std::span<const std::size_t> reads, std::span<std::int64_t> out) override;
    bool compare_and_set(std::size_t i, std::int64_t expected, std::int64_t desired) override;

private:
    RedisStore& store_;
    std::string key_;
    std::size_t size_;
};

class RedisStore final : public RegisterStore, public std::enable_shared_from_this<RedisStore> {
public:
    RedisStore(std::string host, int port, int db, std::string prefix, std::chrono::milliseconds timeout)
        : host_(std::move(host)), port_(port), db_(db), prefix_(std::move(prefix)), index_(prefix_ + "@sets"), timeout_(timeout) {
        release(connect());  // fail early when the server is not there
    }

    std::shared_ptr<RegisterSet> open(std::string_view name, std::size_t size) override {
        if (size < 2) throw std::runtime_error("a register set needs at least 2 registers");
        std::string key = prefix_ + std::string(name);
        // The size is recorded in field "n" on first use; a second user with another size is wrong.
        auto replies = pipeline({{"EVAL", kOpenScript, "2", key, index_, std::string(name), std::to_string(size),
                                  std::to_string(size - 1), std::to_string(fresh_incarnation())}});
        auto recorded = static_cast<std::size_t>(to_int(replies[0].get()));
        if (recorded != size)
            throw std::runtime_error("register set '" + std::string(name) + "' has " + std::to_string(recorded) +
                                     " registers, not " + std::to_string(size));
        return std::make_shared<RedisSet>(*this, std::move(key), size);
    }
    std::vector<std::string> list(std::string_view prefix) override {
        auto replies = pipeline({{"SMEMBERS", index_}});
        const redisReply* r = replies[0].get();
        if (r->type != REDIS_REPLY_ARRAY) throw std::runtime_error("redis: SMEMBERS answered oddly");
        std::vector<std::string> names;
        for (std::size_t i = 0; i < r->elements; ++i) {
            std::string name(r->element[i]->str, r->element[i]->len);
            if (name.starts_with(prefix)) names.push_back(std::move(name));
        }
        return names;
    }
    bool remove(std::string_view name, std::size_t index, std::int64_t value) override {
        auto replies = pipeline({{"EVAL", kRemoveScript, "2", prefix_ + std::string(name), index_, std::to_string(index),
                                  std::to_string(value), std::string(name)}});
        return to_int(replies[0].get()) == 1;
    }
    std::string describe() const override {
        return "redis://" + host_ + ":" + std::to_string(port_) + "/" + std::to_string(db_);
    }
    std::uint64_t round_trips() const override { return round_trips_.load(); }

    // Sends every command, then reads every reply: one round trip. Throws on any error.
    std::vector<Reply> pipeline(const std::vector<std::vector<std::string>>& commands) {
        Connection c = take();
        for (const auto& cmd : commands) {
            std::vector<const char*> argv;
            std::vector<std::size_t> lens;
            for (const auto& a : cmd) {
                argv.push_back(a.data());
                lens.push_back(a.size());
            }
            if (redisAppendCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(), lens.data()) != REDIS_OK)
                fail(c, "append");
        }
        std::vector<Reply> replies;
        for (std::size_t i = 0; i < commands.size(); ++i) {
            void* r = nullptr;
            if (redisGetReply(c.get(), &r) != REDIS_OK || r == nullptr) fail(c, "reply");
            replies.emplace_back(static_cast<redisReply*>(r));
        }
        round_trips_.fetch_add(1, std::memory_order_relaxed);
        release(std::move(c));
        for (const auto& r : replies)
            if (r->type == REDIS_REPLY_ERROR) throw std::runtime_error("redis " + describe() + ": " + std::string(r->str, r->len));
        return replies;
    }

private:
    [[noreturn]] void fail(Connection& c, const char* what) {
        std::string message = "redis " + describe() + ": " + what + ": " + (c->errstr[0] ? c->errstr : "connection lost");
        c.reset();  // a broken connection is not returned to the pool
        throw std::runtime_error(message);
    }
    Connection connect() {
        timeval tv{static_cast<time_t>(timeout_.count() / 1000), static_cast<suseconds_t>((timeout_.count() % 1000) * 1000)};
        Connection c(redisConnectWithTimeout(host_.c_str(), port_, tv));
        if (!c) throw std::runtime_error("redis " + describe() + ": out of memory");
        if (c->err) throw std::runtime_error("redis " + describe() + ": " + c->errstr);
        redisSetTimeout(c.get(), tv);
        redisEnableKeepAlive(c.get());
        if (db_ != 0) {
            Reply r(static_cast<redisReply*>(redisCommand(c.get(), "SELECT %d", db_)));
            if (!r || r->type == REDIS_REPLY_ERROR)
                throw std::runtime_error("redis " + describe() + ": SELECT " + std::to_string(db_) + " failed");
        }
        return c;
    }
    Connection take() {
        {
            std::lock_guard lock(mutex_);
            if (!pool_.empty()) {
                Connection c = std::move(pool_.back());
                pool_.pop_back();
                return c;
            }
        }
        return connect();
    }
    void release(Connection c) {
        std::lock_guard lock(mutex_);
        if (pool_.size() < 16) pool_.push_back(std::move(c));
    }

    std::string host_;
    int port_;
    int db_;
    std::string prefix_;
    std::string index_;
    std::chrono::milliseconds timeout_;
    std::mutex mutex_;
    std::vector<Connection> pool_;
    std::atomic<std::uint64_t> round_trips_{0};
};

void RedisSet::write_read(std::span<const Write> writes, std::span<const std::size_t> reads, std::span<std::int64_t> out) {
    std::vector<std::vector<std::string>> cmds;
    if (!writes.empty()) {
        std::vector<std::string> hset{"HSET", key_};
        for (const auto& w : writes) {
            if (w.index >= size_) throw std::out_of_range("register " + std::to_string(w.index));
            hset.push_back(std::to_string(w.index));
            hset.push_back(std::to_string(w.value));
        }
        cmds.push_back(std::move(hset));
    }
    if (!reads.empty()) {
        std::vector<std::string> hmget{"HMGET", key_};
        for (auto i : reads) {
            if (i >= size_) throw std::out_of_range("register " + std::to_string(i));
            hmget.push_back(std::to_string(i));
        }
        cmds.push_back(std::move(hmget));
    }
    if (cmds.empty()) return;
    auto replies = store_.pipeline(cmds);
    if (reads.empty()) return;
    const redisReply* r = replies.back().get();
    if (r->type != REDIS_REPLY_ARRAY || r->elements != reads.size()) throw std::runtime_error("redis: HMGET answered oddly");
    for (std::size_t i = 0; i < reads.size(); ++i) out[i] = to_int(r->element[i]);
}

bool RedisSet::compare_and_set(std::size_t i, std::int64_t expected, std::int64_t desired) {
    if (i >= size_) throw std::out_of_range("register " + std::to_string(i));
    auto replies = store_.pipeline(
        {{"EVAL", kCasScript, "1", key_, std::to_string(i), std::to_string(expected), std::to_string(desired)}});
    return to_int(replies[0].get()) == 1;
}

}  // namespace

std::shared_ptr<RegisterStore> make_redis_store(const std::string& host, int port, int db, std::string prefix,
                                                std::chrono::milliseconds timeout) {
    return std::make_shared<RedisStore>(host, port, db, std::move(prefix), timeout);
}

}  // namespace cloudcix::drivers
