#include "worker.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "celery.hpp"
#include "cloudcix_drivers/log.hpp"
#include "cloudcix_drivers/registry.hpp"

namespace cloudcix::rabbitmq {

namespace ccx = cloudcix::drivers;
using namespace std::chrono;
using steady = steady_clock;

const std::map<std::string, std::pair<std::string, std::string>>& Worker::task_names() {
    static const auto names = [] {
        std::map<std::string, std::pair<std::string, std::string>> m;
        for (const auto& n : ccx::builtin_registry().names()) {
            auto dot = n.find('.');
            m[n.substr(0, dot) + "_" + n.substr(dot + 1)] = {n.substr(0, dot), n.substr(dot + 1)};
        }
        return m;
    }();
    return names;
}

namespace {

struct Job {
    std::uint64_t generation = 0;
    std::uint64_t tag = 0;
    CeleryTask task;
    std::string driver, verb;
    steady::time_point delivered;
    steady::time_point due;  // ETA held until this time
    bool redelivered = false;
};

struct Done {
    Job job;
    ccx::Outcome outcome;
    double ms = 0;
};

}  // namespace

struct Worker::Impl {
    Worker& w;
    std::unique_ptr<Connection> conn;
    std::uint64_t generation = 0;
    unsigned prefetch_now = 0;

    // Hand-over between the I/O thread and the verb threads.
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<Job> jobs;
    std::deque<Done> done;
    std::size_t running = 0;
    bool quit_threads = false;
    std::vector<std::thread> threads;

    // Owned by the I/O thread.
    std::vector<Job> held;                             // ETA not yet due
    std::map<std::uint64_t, steady::time_point> unacked;  // tag -> delivered (queued or running)
    std::map<std::uint64_t, bool> acked_early;

    explicit Impl(Worker& worker) : w(worker) {}

    void log_line(const std::string& s) {
        w.log_ << ccx::secrets::redact(s) << '\n';
        w.log_.flush();
    }

    void verb_thread() {
        for (;;) {
            Job job;
            {
                std::unique_lock lock(mutex);
                cv.wait(lock, [&] { return quit_threads || !jobs.empty(); });
                if (jobs.empty()) return;
                job = std::move(jobs.front());
                jobs.pop_front();
                ++running;
            }
            auto t0 = steady::now();
            ccx::Outcome outcome;
            try {
                ccx::RunOptions run_options;
                run_options.resume = job.redelivered;
                run_options.traceparent = job.task.traceparent;  // the dispatcher's producer span
                outcome = w.runner_(ccx::Task{job.driver, job.verb, job.task.resource_id, job.task.traceparent}, run_options);
            } catch (const std::exception& e) {
                outcome.driver = job.driver;
                outcome.verb = job.verb;
                outcome.resource_id = job.task.resource_id;
                outcome.status = ccx::Status::failed;
                outcome.errors.push_back({"worker", e.what()});
            }
            double ms = duration<double, std::milli>(steady::now() - t0).count();
            {
                std::lock_guard lock(mutex);
                --running;
                done.push_back({std::move(job), std::move(outcome), ms});
            }
            wake();
        }
    }

    void wake() {
        std::uint64_t one = 1;
        ssize_t n = ::write(w.wake_fd_, &one, sizeof one);
        (void)n;
    }

    unsigned base_prefetch() const { return std::max(1u, w.options_.concurrency * std::max(1u, w.options_.prefetch_multiplier)); }

    void connect() {
        conn.reset();
        auto c = std::make_unique<Connection>(w.options_.broker, w.options_.heartbeat);
        c->declare_celery_queue(w.options_.queue);
        prefetch_now = base_prefetch();
        c->qos(prefetch_now);
        c->consume(w.options_.queue);
        conn = std::move(c);
        ++generation;
        ++w.stats_.connections;
        log_line("ccx-worker: consuming '" + w.options_.queue + "' on " + w.options_.broker.display() + " (concurrency " +
                 std::to_string(w.options_.concurrency) + ", prefetch " + std::to_string(prefetch_now) + ")");
    }

    // The connection is gone: its unacked deliveries go back to the queue on the broker's side.
    void lose_connection(const std::string& why) {
        log_line("ccx-worker: connection lost: " + why);
        conn.reset();
        held.clear();
        unacked.clear();
        acked_early.clear();
        std::lock_guard lock(mutex);
        jobs.clear();  // not started: the broker redelivers them
        ++generation;  // running jobs of the old connection will not be acked
    }

    void reject(std::uint64_t tag, const std::string& id, const std::string& why) {
        ++w.stats_.rejected_messages;
        log_line("ccx-worker: rejected message " + id + ": " + why);
        conn->reject(tag, false);
    }

    void handle_delivery(amqp_envelope_t& env) {
        ++w.stats_.received;
        auto d = decode(env.message.properties, env.message.body);
        std::uint64_t tag = env.delivery_tag;
        if (!d.ok) return reject(tag, d.message_id, d.error);
        const auto& names = task_names();
        auto it = names.find(d.task.name);
        if (it == names.end()) return reject(tag, d.message_id, "unknown task '" + d.task.name + "'");
        auto now_wall = system_clock::now();
        if (d.task.expires && *d.task.expires <= now_wall) {
            ++w.stats_.expired;
            log_line("ccx-worker: task " + d.task.id + " " + d.task.name + " expired at " + format_iso8601(*d.task.expires) +
                     ": dropped");
            conn->ack(tag);
            return;
        }
        Job job{generation, tag, std::move(d.task), it->second.first, it->second.second, steady::now(), steady::now(),
                env.redelivered != 0};
        unacked[tag] = job.delivered;
        if (job.task.eta && *job.task.eta > now_wall) {
            job.due = steady::now() + duration_cast<steady::duration>(*job.task.eta - now_wall);
            held.push_back(std::move(job));
            return;
        }
        enqueue(std::move(job));
    }

    void enqueue(Job job) {
        {
            std::lock_guard lock(mutex);
            jobs.push_back(std::move(job));
        }
        cv.notify_one();
    }

    // Re-publishes a task with a new eta (postponed run, or an ETA held too long).
    void republish(const CeleryTask& t, system_clock::time_point eta, int retries) {
        CeleryTask copy = t;
        copy.eta = eta;
        copy.retries = retries;
        EncodedMessage m(copy);
        conn->publish(w.options_.queue, m);
        ++w.stats_.republished;
    }

    void finish(Done& d) {
        const auto& o = d.outcome;
        ++w.stats_.ran;
        if (o.status == ccx::Status::succeeded) ++w.stats_.succeeded;
        if (o.status == ccx::Status::postponed) ++w.stats_.postponed;
        if (!w.options_.quiet || o.status == ccx::Status::failed) {
            char ms[32];
            std::snprintf(ms, sizeof ms, "%.1f", d.ms);
            std::string line = "ccx-worker: task " + d.job.task.id + " " + d.job.driver + "." + d.job.verb + " #" +
                               std::to_string(d.job.task.resource_id) + " " + std::string(ccx::to_string(o.status)) + " " +
                               ms + " ms";
            if (o.state_before && o.state_after)
                line += " (" + std::string(ccx::to_string(*o.state_before)) + " -> " +
                        std::string(ccx::to_string(*o.state_after)) + ")";
            if (o.status == ccx::Status::postponed)
                line += ", retry " + std::to_string(d.job.task.retries + 1) + " in " + std::to_string(o.retry_after.count()) + " ms";
            if (!o.errors.empty()) line += ": " + o.errors.back().code + " " + o.errors.back().message;
            log_line(line);
        }
        if (d.job.generation != generation || !conn) return;  // its delivery died with the old connection
        if (o.status == ccx::Status::postponed) {
            auto delay = std::max(o.retry_after, milliseconds(1));
            republish(d.job.task, system_clock::now() + delay, d.job.task.retries + 1);
        }
        bool early = acked_early.erase(d.job.tag) > 0;
        unacked.erase(d.job.tag);
        if (!early) conn->ack(d.job.tag);
    }

    void drain_done() {
        std::deque<Done> batch;
        {
            std::lock_guard lock(mutex);
            batch.swap(done);
        }
        for (auto& d : batch) finish(d);
    }

    // ETA messages that came due; messages held or running past ack_after.
    void timers() {
        auto now = steady::now();
        for (auto it = held.begin(); it != held.end();) {
            if (it->due <= now) {
                Job job = std::move(*it);
                it = held.erase(it);
                if (job.task.expires && *job.task.expires <= system_clock::now()) {
                    ++w.stats_.expired;
                    log_line("ccx-worker: task " + job.task.id + " " + job.task.name + " expired before its eta: dropped");
                    unacked.erase(job.tag);
                    conn->ack(job.tag);
                    continue;
                }
                enqueue(std::move(job));
            } else if (now - it->delivered >= w.options_.ack_after) {
                // Held too long for the broker's consumer_timeout: put a copy back with the same eta.
                republish(it->task, *it->task.eta, it->task.retries);
                unacked.erase(it->tag);
                conn->ack(it->tag);
                it = held.erase(it);
            } else {
                ++it;
            }
        }
        for (auto& [tag, delivered] : unacked) {
            if (now - delivered < w.options_.ack_after || acked_early.count(tag)) continue;
            bool is_held = std::any_of(held.begin(), held.end(), [&](const Job& j) { return j.tag == tag; });
            if (is_held) continue;
            conn->ack(tag);
            acked_early[tag] = true;
            ++w.stats_.early_acks;
            log_line("ccx-worker: delivery " + std::to_string(tag) + " still running after " +
                     std::to_string(duration_cast<seconds>(now - delivered).count()) + " s: acked early (consumer_timeout)");
        }
        unsigned want = base_prefetch() + static_cast<unsigned>(held.size());
        if (want != prefetch_now) {
            conn->qos(want);
            prefetch_now = want;
        }
    }

    int poll_timeout_ms() const {
        long long t = 1000;
        if (w.options_.heartbeat > 0) t = std::min<long long>(t, w.options_.heartbeat * 1000LL / 2);
        auto now = steady::now();
        for (const auto& j : held) t = std::min<long long>(t, duration_cast<milliseconds>(j.due - now).count() + 1);
        return static_cast<int>(std::max<long long>(t, 0));
    }

    // A frame other than a delivery: the broker closing the channel or connection, or cancelling us.
    void handle_other_frame() {
        amqp_frame_t frame;
        struct timeval tv{1, 0};
        if (amqp_simple_wait_frame_noblock(conn->state(), &frame, &tv) != AMQP_STATUS_OK) throw AmqpError("reading a frame failed");
        if (frame.frame_type != AMQP_FRAME_METHOD) return;
        switch (frame.payload.method.id) {
            case AMQP_CHANNEL_CLOSE_METHOD: {
                auto* m = static_cast<amqp_channel_close_t*>(frame.payload.method.decoded);
                std::string text(static_cast<char*>(m->reply_text.bytes), m->reply_text.len);
                amqp_channel_close_ok_t ok{};
                amqp_send_method(conn->state(), frame.channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
                throw AmqpError("channel closed by broker: " + std::to_string(m->reply_code) + " " + text);
            }
            case AMQP_CONNECTION_CLOSE_METHOD: {
                auto* m = static_cast<amqp_connection_close_t*>(frame.payload.method.decoded);
                std::string text(static_cast<char*>(m->reply_text.bytes), m->reply_text.len);
                amqp_connection_close_ok_t ok{};
                amqp_send_method(conn->state(), 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
                throw AmqpError("connection closed by broker: " + std::to_string(m->reply_code) + " " + text);
            }
            case AMQP_BASIC_CANCEL_METHOD: throw AmqpError("the broker cancelled the consumer (queue deleted?)");
            default: return;
        }
    }

    // Reads every delivery already available without blocking.
    void read_deliveries() {
        for (int i = 0; i < 512; ++i) {
            if (i > 0 && !amqp_frames_enqueued(conn->state()) && !amqp_data_in_buffer(conn->state())) {
                pollfd p{conn->fd(), POLLIN, 0};
                if (::poll(&p, 1, 0) <= 0) return;
            }
            amqp_envelope_t env;
            amqp_maybe_release_buffers(conn->state());
            struct timeval zero{0, 0};
            auto r = amqp_consume_message(conn->state(), &env, &zero, 0);
            if (r.reply_type == AMQP_RESPONSE_NORMAL) {
                try {
                    if (!w.stopping_) handle_delivery(env);
                } catch (...) {
                    amqp_destroy_envelope(&env);
                    throw;
                }
                amqp_destroy_envelope(&env);
                continue;
            }
            if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT) return;
            if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
                handle_other_frame();
                continue;
            }
            throw AmqpError("consume: " + describe(r));
        }
    }

    void wait_wake(int timeout_ms, int fd) {
        pollfd p[2] = {{w.wake_fd_, POLLIN, 0}, {fd, POLLIN, 0}};
        int n = ::poll(p, fd >= 0 ? 2 : 1, timeout_ms);
        if (n > 0 && (p[0].revents & POLLIN)) {
            std::uint64_t v;
            ssize_t r = ::read(w.wake_fd_, &v, sizeof v);
            (void)r;
        }
    }

    std::size_t busy() {
        std::lock_guard lock(mutex);
        return running + jobs.size() + done.size();
    }

    int run() {
        for (unsigned i = 0; i < std::max(1u, w.options_.concurrency); ++i) threads.emplace_back([this] { verb_thread(); });
        milliseconds backoff(250);
        steady::time_point retry_at = steady::now();
        bool cancelled = false;
        while (true) {
            if (w.stopping_ && !cancelled) {
                cancelled = true;
                log_line("ccx-worker: stopping: no new deliveries; finishing the running tasks");
                if (conn) {
                    try {
                        conn->cancel();
                    } catch (const std::exception& e) {
                        lose_connection(e.what());
                    }
                }
                {
                    std::lock_guard lock(mutex);
                    jobs.clear();  // not started: they go back to the queue when the channel closes
                }
                held.clear();
            }
            if (w.stopping_) {
                try {
                    if (conn) drain_done();
                } catch (const std::exception& e) {
                    lose_connection(e.what());
                }
                {
                    std::lock_guard lock(mutex);
                    if (!conn) done.clear();
                    if (running == 0 && jobs.empty() && done.empty()) break;
                }
                // Keep servicing the connection (heartbeats) while the last verbs finish; new
                // deliveries are ignored and go back to the queue when the channel closes.
                try {
                    wait_wake(200, conn ? conn->fd() : -1);
                    if (conn) read_deliveries();
                } catch (const std::exception& e) {
                    lose_connection(e.what());
                }
                continue;
            }
            if (!conn) {
                drain_done();  // outcomes of the lost connection: logged, not acked
                if (steady::now() < retry_at) {
                    wait_wake(static_cast<int>(std::min<long long>(200, duration_cast<milliseconds>(retry_at - steady::now()).count() + 1)), -1);
                    continue;
                }
                try {
                    connect();
                    backoff = milliseconds(250);
                } catch (const std::exception& e) {
                    conn.reset();
                    log_line("ccx-worker: cannot reach the broker (" + std::string(e.what()) + "); retrying in " +
                             std::to_string(backoff.count()) + " ms");
                    retry_at = steady::now() + backoff;
                    backoff = std::min(backoff * 2, w.options_.max_backoff);
                }
                continue;
            }
            try {
                drain_done();
                timers();
                if (amqp_frames_enqueued(conn->state()) || amqp_data_in_buffer(conn->state())) {
                    read_deliveries();
                } else {
                    wait_wake(poll_timeout_ms(), conn->fd());
                    read_deliveries();  // also services heartbeats
                }
            } catch (const std::exception& e) {
                lose_connection(e.what());
                retry_at = steady::now() + backoff;
            }
        }
        if (conn) {
            conn->close();
            conn.reset();
        }
        {
            std::lock_guard lock(mutex);
            quit_threads = true;
        }
        cv.notify_all();
        for (auto& t : threads) t.join();
        threads.clear();
        log_line("ccx-worker: stopped after " + std::to_string(w.stats_.ran.load()) + " task(s)");
        return 0;
    }
};

Worker::Worker(WorkerOptions options, Runner runner, std::ostream& log)
    : options_(std::move(options)), runner_(std::move(runner)), log_(log) {
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) throw std::runtime_error("eventfd failed");
}

Worker::~Worker() {
    if (wake_fd_ >= 0) ::close(wake_fd_);
}

int Worker::run() {
    Impl impl(*this);
    return impl.run();
}

void Worker::stop() noexcept {
    stopping_ = true;
    std::uint64_t one = 1;
    ssize_t n = ::write(wake_fd_, &one, sizeof one);
    (void)n;
}

}  // namespace cloudcix::rabbitmq
