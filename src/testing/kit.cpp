// In-memory ports: locks, tracers, recording primitives and hosts, clock, dispatcher, outboxes.
#include <algorithm>

#include <boost/json/serialize.hpp>

#include "cloudcix_drivers/log.hpp"
#include "cloudcix_drivers/testing.hpp"

namespace cloudcix::drivers {

// ---- InProcessLock ----------------------------------------------------------------------------
class InProcessLock::Hold final : public LockHold {
public:
    Hold(InProcessLock& owner, std::vector<std::string> keys) : owner_(owner), keys_(std::move(keys)) {}
    ~Hold() override { owner_.release(keys_); }

private:
    InProcessLock& owner_;
    std::vector<std::string> keys_;
};

std::unique_ptr<LockHold> InProcessLock::acquire(const std::vector<std::string>& keys,
                                                 std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    auto free = [&] {
        return std::none_of(keys.begin(), keys.end(), [&](const std::string& k) { return held_.count(k) > 0; });
    };
    if (!cv_.wait_until(lock, deadline, free)) return nullptr;
    for (const auto& k : keys) held_.insert(k);
    return std::make_unique<Hold>(*this, keys);
}

void InProcessLock::release(const std::vector<std::string>& keys) {
    {
        std::lock_guard lock(mutex_);
        for (const auto& k : keys) held_.erase(k);
    }
    cv_.notify_all();
}

std::vector<std::string> InProcessLock::held() const {
    std::lock_guard lock(mutex_);
    return {held_.begin(), held_.end()};
}

// ---- Tracers ----------------------------------------------------------------------------------
namespace {
class IdSpan : public Span {
public:
    explicit IdSpan(const SpanContext* parent)
        : ctx_(SpanContext::generate(parent && parent->valid() ? parent->trace_id : std::string_view{})) {}
    const SpanContext& context() const override { return ctx_; }
    void set_attribute(std::string_view, std::string_view) override {}
    void set_error(std::string_view) override {}
    void end() override {}

protected:
    SpanContext ctx_;
};

class LogSpan final : public IdSpan {
public:
    LogSpan(LogSink& sink, std::string_view name, const SpanContext* parent)
        : IdSpan(parent), sink_(sink), name_(name), start_(std::chrono::steady_clock::now()) {
        emit("start " + name_);
    }
    ~LogSpan() override { end(); }
    void set_error(std::string_view message) override { error_ = secrets::redact(message); }
    void end() override {
        if (ended_) return;
        ended_ = true;
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start_);
        emit("end " + name_ + " (" + std::to_string(us.count() / 1000.0) + " ms)" + (error_.empty() ? "" : " error: " + error_));
    }

private:
    void emit(std::string message) {
        LogRecord r;
        r.time = std::chrono::system_clock::now();
        r.level = LogLevel::debug;
        r.logger = "cloudcix_drivers.trace";
        r.message = std::move(message);
        r.trace_id = ctx_.trace_id;
        r.span_id = ctx_.span_id;
        sink_.write(r);
    }
    LogSink& sink_;
    std::string name_;
    std::string error_;
    std::chrono::steady_clock::time_point start_;
    bool ended_ = false;
};

class MemorySpan final : public IdSpan {
public:
    MemorySpan(MemoryTracer& tracer, std::string_view name, const SpanContext* parent) : IdSpan(parent), tracer_(tracer) {
        record_.name = name;
        record_.parent_span_id = parent && parent->valid() ? parent->span_id : "";
    }
    ~MemorySpan() override { end(); }
    void set_attribute(std::string_view k, std::string_view v) override {
        record_.attributes.emplace_back(std::string(k), secrets::redact(v));
    }
    void set_error(std::string_view m) override { record_.error = secrets::redact(m); }
    void end() override {
        if (ended_) return;
        ended_ = true;
        record_.context = ctx_;
        tracer_.add(record_);
    }

private:
    MemoryTracer& tracer_;
    MemoryTracer::Record record_;
    bool ended_ = false;
};
}  // namespace

std::unique_ptr<Span> NoopTracer::start_span(std::string_view, const SpanContext* parent) {
    return std::make_unique<IdSpan>(parent);
}

LogTracer::LogTracer(LogSink& sink) : sink_(sink) {}
std::unique_ptr<Span> LogTracer::start_span(std::string_view name, const SpanContext* parent) {
    return std::make_unique<LogSpan>(sink_, name, parent);
}

std::unique_ptr<Span> MemoryTracer::start_span(std::string_view name, const SpanContext* parent) {
    return std::make_unique<MemorySpan>(*this, name, parent);
}
std::vector<MemoryTracer::Record> MemoryTracer::spans() const {
    std::lock_guard lock(mutex_);
    return spans_;
}
void MemoryTracer::add(Record r) {
    std::lock_guard lock(mutex_);
    spans_.push_back(std::move(r));
}

// ---- RecordingPrimitives ----------------------------------------------------------------------
PrimitiveResult RecordingPrimitives::call(const PrimitiveCall& call) {
    std::function<void(const PrimitiveCall&)> hook;
    std::size_t index;
    {
        std::lock_guard lock(mutex_);
        index = calls_.size();
        calls_.push_back(call);
        hook = on_call_;
    }
    if (hook) hook(call);
    std::lock_guard lock(mutex_);
    if (auto it = by_index_.find(index); it != by_index_.end()) return it->second;
    if (auto it = by_name_.find(call.name()); it != by_name_.end()) return it->second;
    return PrimitiveResult{true, "1000: " + call.name() + " succeeded", nullptr, PrimitiveFailure::none};
}
void RecordingPrimitives::fail_at(std::size_t index, PrimitiveResult result) {
    std::lock_guard lock(mutex_);
    by_index_[index] = std::move(result);
}
void RecordingPrimitives::answer(std::string name, PrimitiveResult result) {
    std::lock_guard lock(mutex_);
    by_name_[std::move(name)] = std::move(result);
}
void RecordingPrimitives::on_call(std::function<void(const PrimitiveCall&)> f) {
    std::lock_guard lock(mutex_);
    on_call_ = std::move(f);
}
std::vector<PrimitiveCall> RecordingPrimitives::calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
}
std::vector<std::string> RecordingPrimitives::names() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> n;
    for (const auto& c : calls_) n.push_back(c.name());
    return n;
}

// ---- RecordingRcc / DryRunRcc -----------------------------------------------------------------
RecordingRcc::RecordingRcc(std::chrono::milliseconds delay) : delay_(delay) {}

RccResult RecordingRcc::run(const HostCommand& command) {
    auto start = std::chrono::steady_clock::now();
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
    RccResult result{true, {}, command.assumed_exit, command.assumed_stdout, {}};
    std::lock_guard lock(mutex_);
    for (const auto& [needle, r] : rules_)
        if (command.command.find(needle) != std::string::npos) {
            result = r;
            break;
        }
    entries_.push_back({command, start, std::chrono::steady_clock::now()});
    return result;
}
void RecordingRcc::answer(std::string needle, RccResult result) {
    std::lock_guard lock(mutex_);
    rules_.emplace_back(std::move(needle), std::move(result));
}
std::vector<RecordingRcc::Entry> RecordingRcc::entries() const {
    std::lock_guard lock(mutex_);
    return entries_;
}
std::vector<std::string> RecordingRcc::commands() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> c;
    for (const auto& e : entries_) c.push_back(e.command.command);
    return c;
}

DryRunRcc::DryRunRcc(std::ostream& out)
    : print_([&out](const HostCommand& c) { out << "[" << c.user << "@" << c.host << "] " << c.command << "\n"; }) {}
DryRunRcc::DryRunRcc(std::function<void(const HostCommand&)> print) : print_(std::move(print)) {}
RccResult DryRunRcc::run(const HostCommand& command) {
    {
        std::lock_guard lock(mutex_);
        print_(command);
    }
    return RccResult{true, {}, command.assumed_exit, command.assumed_stdout, {}};
}

// ---- ManualClock ------------------------------------------------------------------------------
ManualClock::ManualClock() : steady_(std::chrono::steady_clock::now()), wall_(std::chrono::system_clock::now()) {}
std::chrono::steady_clock::time_point ManualClock::now() {
    std::lock_guard lock(mutex_);
    return steady_;
}
std::chrono::system_clock::time_point ManualClock::wall() {
    std::lock_guard lock(mutex_);
    return wall_;
}
void ManualClock::sleep_for(std::chrono::nanoseconds d) { advance(d); }
void ManualClock::advance(std::chrono::nanoseconds d) {
    std::lock_guard lock(mutex_);
    steady_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
}

// ---- ThreadPoolDispatcher ---------------------------------------------------------------------
namespace {
struct Later {
    template <class T>
    bool operator()(const T& a, const T& b) const {
        return a.due != b.due ? a.due > b.due : a.seq > b.seq;
    }
};
}  // namespace

ThreadPoolDispatcher::ThreadPoolDispatcher(std::size_t threads, Handler handler) : handler_(std::move(handler)) {
    for (std::size_t i = 0; i < std::max<std::size_t>(1, threads); ++i) threads_.emplace_back([this] { work(); });
}
ThreadPoolDispatcher::~ThreadPoolDispatcher() { stop(); }

bool ThreadPoolDispatcher::dispatch(const Task& task, std::chrono::milliseconds delay) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return false;
        queue_.push_back({std::chrono::steady_clock::now() + delay, seq_++, task});
        std::push_heap(queue_.begin(), queue_.end(), Later{});
    }
    cv_.notify_all();
    return true;
}

void ThreadPoolDispatcher::work() {
    std::unique_lock lock(mutex_);
    while (true) {
        if (stopping_) return;
        if (queue_.empty()) {
            cv_.wait(lock);
            continue;
        }
        auto due = queue_.front().due;
        if (std::chrono::steady_clock::now() < due) {
            cv_.wait_until(lock, due);
            continue;
        }
        std::pop_heap(queue_.begin(), queue_.end(), Later{});
        Task task = std::move(queue_.back().task);
        queue_.pop_back();
        ++running_;
        lock.unlock();
        try {
            handler_(task);
        } catch (...) {
            // A handler must not kill the pool; run() itself never throws.
        }
        lock.lock();
        --running_;
        if (queue_.empty() && running_ == 0) idle_cv_.notify_all();
    }
}

bool ThreadPoolDispatcher::wait_idle(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return idle_cv_.wait_for(lock, timeout, [&] { return queue_.empty() && running_ == 0; });
}

void ThreadPoolDispatcher::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && threads_.empty()) return;
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
    std::lock_guard lock(mutex_);
    queue_.clear();
    idle_cv_.notify_all();
}

// ---- Notifiers --------------------------------------------------------------------------------
OutboxNotifier::OutboxNotifier(std::ostream& out) : out_(out) {}
bool OutboxNotifier::send(const Notification& n) {
    boost::json::array to;
    for (const auto& t : n.to) to.push_back(boost::json::string(t));
    boost::json::object line{{"template", n.template_name}, {"to", std::move(to)}, {"subject", n.subject}, {"data", n.data}};
    std::lock_guard lock(mutex_);
    out_ << boost::json::serialize(line) << '\n' << std::flush;
    return static_cast<bool>(out_);
}

bool MemoryNotifier::send(const Notification& n) {
    std::lock_guard lock(mutex_);
    sent_.push_back(n);
    return true;
}
std::vector<Notification> MemoryNotifier::sent() const {
    std::lock_guard lock(mutex_);
    return sent_;
}

}  // namespace cloudcix::drivers
