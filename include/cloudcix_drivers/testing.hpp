// The in-memory implementation of every port: for embedding, for unit tests, and for the demo.
// None of them touches the network or a host.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "cloudcix_drivers/ports/clock.hpp"
#include "cloudcix_drivers/ports/dispatcher.hpp"
#include "cloudcix_drivers/ports/lock.hpp"
#include "cloudcix_drivers/ports/notifier.hpp"
#include "cloudcix_drivers/ports/primitives.hpp"
#include "cloudcix_drivers/ports/rcc.hpp"
#include "cloudcix_drivers/ports/tracer.hpp"
#include "cloudcix_drivers/ports/transport.hpp"
#include "cloudcix_drivers/state.hpp"

namespace cloudcix::drivers {

class LogSink;

// ---------------------------------------------------------------------------------------------
// A region of the IaaS API held in memory, answering the spec §2 contract: envelopes, list
// filters and pagination, PATCH with the robot state map (400 with CloudCIX error bodies), 404,
// X-Auth-Token, membership's auth/login/, run_robot. Shared by MemoryIaas and the simulator.
//
// Region JSON: {"credentials": {"email","password","api_key"},
//               "<service>": [ {object with "id"}, ... ], ...}
class IaasRegion {
public:
    explicit IaasRegion(boost::json::object region);
    static std::shared_ptr<IaasRegion> demo();  // the embedded demo region

    // `path` is relative to the application root ("vm/1501/?x=y"); `app` is "iaas" or "membership".
    HttpResponse handle(std::string_view app, std::string_view method, std::string_view path,
                        std::string_view token, std::string_view body);

    // Direct access for tests and the simulator (thread-safe copies).
    std::optional<boost::json::object> object(std::string_view service, long long id) const;
    std::optional<State> state(std::string_view service, long long id) const;
    void set_state(std::string_view service, long long id, State s);
    void put(std::string_view service, boost::json::object obj);  // insert or replace by id
    boost::json::object snapshot() const;                           // the whole region
    std::size_t requests() const;                                   // requests answered
    std::size_t patches(std::string_view service, long long id) const;  // PATCHes of one object

    // Tokens expire after this long (default: never). Expired → 401 "JWT token is expired...".
    void set_token_lifetime(std::chrono::seconds lifetime);
    void expire_tokens();
    // Called before each request; a returned response replaces the normal answer (fault injection).
    using Hook = std::function<std::optional<HttpResponse>(std::string_view method, std::string_view path)>;
    void set_hook(Hook hook);

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

// Transport to an IaasRegion: URLs memory://iaas/... and memory://membership/....
class MemoryIaas : public Transport {
public:
    static constexpr std::string_view iaas_url = "memory://iaas/";
    static constexpr std::string_view membership_url = "memory://membership/";

    explicit MemoryIaas(std::shared_ptr<IaasRegion> region);
    HttpResponse send(const HttpRequest& request) override;
    IaasRegion& region() { return *region_; }

private:
    std::shared_ptr<IaasRegion> region_;
};

// ---------------------------------------------------------------------------------------------
// Locks every key of a set at once or none (no hold-and-wait, so no deadlock), in one process.
class InProcessLock : public Lock {
public:
    std::unique_ptr<LockHold> acquire(const std::vector<std::string>& keys,
                                      std::chrono::steady_clock::time_point deadline) override;
    std::vector<std::string> held() const;

private:
    class Hold;
    void release(const std::vector<std::string>& keys);
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::set<std::string> held_;
};

// ---------------------------------------------------------------------------------------------
// Spans that only carry ids (the default).
class NoopTracer : public Tracer {
public:
    std::unique_ptr<Span> start_span(std::string_view name, const SpanContext* parent) override;
};

// Every span start/end as a debug log line with its duration.
class LogTracer : public Tracer {
public:
    explicit LogTracer(LogSink& sink);
    std::unique_ptr<Span> start_span(std::string_view name, const SpanContext* parent) override;

private:
    LogSink& sink_;
};

// Keeps finished spans (tests).
class MemoryTracer : public Tracer {
public:
    struct Record {
        std::string name;
        SpanContext context;
        std::string parent_span_id;
        std::vector<std::pair<std::string, std::string>> attributes;
        std::string error;
    };
    std::unique_ptr<Span> start_span(std::string_view name, const SpanContext* parent) override;
    std::vector<Record> spans() const;
    void add(Record r);

private:
    mutable std::mutex mutex_;
    std::vector<Record> spans_;
};

// ---------------------------------------------------------------------------------------------
// Records every call; answers "1000: ok" unless told otherwise.
class RecordingPrimitives : public Primitives {
public:
    PrimitiveResult call(const PrimitiveCall& call) override;
    // The n-th call (0-based) answers `result`.
    void fail_at(std::size_t index, PrimitiveResult result);
    // Every call of "primitive.action" answers `result`.
    void answer(std::string name, PrimitiveResult result);
    // Runs before each call (e.g. to throw, or to observe concurrency).
    void on_call(std::function<void(const PrimitiveCall&)> f);
    std::vector<PrimitiveCall> calls() const;
    std::vector<std::string> names() const;  // "primitive.action" of each call

private:
    mutable std::mutex mutex_;
    std::vector<PrimitiveCall> calls_;
    std::map<std::size_t, PrimitiveResult> by_index_;
    std::map<std::string, PrimitiveResult> by_name_;
    std::function<void(const PrimitiveCall&)> on_call_;
};

// Records every command with a timestamp; answers like a host in the verb's starting state
// (HostCommand::assumed_*), unless a rule matches.
class RecordingRcc : public Rcc {
public:
    struct Entry {
        HostCommand command;
        std::chrono::steady_clock::time_point start;
        std::chrono::steady_clock::time_point end;
    };
    explicit RecordingRcc(std::chrono::milliseconds delay = std::chrono::milliseconds(0));
    RccResult run(const HostCommand& command) override;
    // Commands containing `needle` answer `result`.
    void answer(std::string needle, RccResult result);
    std::vector<Entry> entries() const;
    std::vector<std::string> commands() const;

private:
    std::chrono::milliseconds delay_;
    mutable std::mutex mutex_;
    std::vector<Entry> entries_;
    std::vector<std::pair<std::string, RccResult>> rules_;
};

// Prints each command instead of running it: "[user@host] command".
class DryRunRcc : public Rcc {
public:
    explicit DryRunRcc(std::ostream& out);
    explicit DryRunRcc(std::function<void(const HostCommand&)> print);
    RccResult run(const HostCommand& command) override;

private:
    std::function<void(const HostCommand&)> print_;
    std::mutex mutex_;
};

// ---------------------------------------------------------------------------------------------
// Time moves only when someone sleeps or calls advance(): waits cost nothing in tests.
class ManualClock : public Clock {
public:
    ManualClock();
    std::chrono::steady_clock::time_point now() override;
    std::chrono::system_clock::time_point wall() override;
    void sleep_for(std::chrono::nanoseconds d) override;
    void advance(std::chrono::nanoseconds d);

private:
    std::mutex mutex_;
    std::chrono::steady_clock::time_point steady_;
    std::chrono::system_clock::time_point wall_;
};

// ---------------------------------------------------------------------------------------------
// In-process delayed dispatcher: a thread pool that honours delays.
class ThreadPoolDispatcher : public Dispatcher {
public:
    using Handler = std::function<void(const Task&)>;
    ThreadPoolDispatcher(std::size_t threads, Handler handler);
    ~ThreadPoolDispatcher() override;

    bool dispatch(const Task& task, std::chrono::milliseconds delay) override;
    // Blocks until no task is queued or running, or the timeout passes; true when idle.
    bool wait_idle(std::chrono::milliseconds timeout);
    void stop();  // drops queued tasks, joins the workers

private:
    struct Item {
        std::chrono::steady_clock::time_point due;
        std::uint64_t seq;
        Task task;
    };
    void work();
    Handler handler_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::condition_variable idle_cv_;
    std::vector<Item> queue_;  // heap by (due, seq)
    std::uint64_t seq_ = 0;
    std::size_t running_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

// ---------------------------------------------------------------------------------------------
// Writes each notification as one JSON line (the default "outbox").
class OutboxNotifier : public Notifier {
public:
    explicit OutboxNotifier(std::ostream& out);
    bool send(const Notification& n) override;

private:
    std::ostream& out_;
    std::mutex mutex_;
};

// Keeps notifications in memory (tests).
class MemoryNotifier : public Notifier {
public:
    bool send(const Notification& n) override;
    std::vector<Notification> sent() const;

private:
    mutable std::mutex mutex_;
    std::vector<Notification> sent_;
};

// The embedded demo region (also data/demo-region.json).
std::string_view demo_region_json() noexcept;

}  // namespace cloudcix::drivers
