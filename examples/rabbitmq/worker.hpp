// ccx-worker's engine: consumes Celery protocol-2 task messages from one queue and runs each verb.
//
// Design (docs/rabbitmq.md): one I/O thread owns the only AMQP connection (consume, ack, reject,
// publish, heartbeats); `concurrency` threads run verbs and hand their outcomes back through a
// queue and an eventfd. Acks go out after the run (late ack), except that a delivery still
// unacked after `ack_after` is acked early so the broker's consumer_timeout never closes the
// channel (the verb has by then marked its resource in-progress, so a redelivery would only skip).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <ostream>
#include <string>

#include "amqp.hpp"
#include "cloudcix_drivers/outcome.hpp"
#include "cloudcix_drivers/ports/dispatcher.hpp"
#include "cloudcix_drivers/run.hpp"

namespace cloudcix::rabbitmq {

struct WorkerOptions {
    BrokerUrl broker;
    std::string queue = "celery";
    unsigned concurrency = 2;
    unsigned prefetch_multiplier = 4;  // prefetch = concurrency × this (plus one per held ETA message)
    int heartbeat = 60;                // seconds; 0 disables
    std::chrono::milliseconds ack_after{std::chrono::minutes(20)};  // keep below the broker's consumer_timeout
    std::chrono::milliseconds max_backoff{std::chrono::seconds(30)};
    bool quiet = false;  // no per-task line
};

struct WorkerStats {
    std::atomic<long> received{0};
    std::atomic<long> ran{0};
    std::atomic<long> succeeded{0};
    std::atomic<long> postponed{0};
    std::atomic<long> rejected_messages{0};  // malformed / unknown: basic.reject without requeue
    std::atomic<long> expired{0};
    std::atomic<long> early_acks{0};
    std::atomic<long> republished{0};   // postponed runs and long-held ETA messages
    std::atomic<long> connections{0};   // successful connects (1 + reconnects)
};

class Worker {
public:
    // options.resume is set for redelivered messages (their previous worker died mid-run).
    using Runner = std::function<cloudcix::drivers::Outcome(const cloudcix::drivers::Task&, const cloudcix::drivers::RunOptions&)>;
    Worker(WorkerOptions options, Runner runner, std::ostream& log);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Consumes until stop(); then finishes the running verbs, acks them and returns 0.
    int run();
    // Async-signal-safe: sets a flag and wakes the I/O thread.
    void stop() noexcept;
    const WorkerStats& stats() const { return stats_; }
    // The task names this worker accepts ("vm_kvm_build", ...) mapped to driver and verb.
    static const std::map<std::string, std::pair<std::string, std::string>>& task_names();

private:
    struct Impl;
    WorkerOptions options_;
    Runner runner_;
    std::ostream& log_;
    WorkerStats stats_;
    int wake_fd_ = -1;
    std::atomic<bool> stopping_{false};
};

}  // namespace cloudcix::rabbitmq
