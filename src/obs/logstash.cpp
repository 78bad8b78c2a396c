// Logstash over TCP: a bounded queue of JSON lines drained by one thread that reconnects.
#include <condition_variable>
#include <deque>
#include <thread>

#include <sys/socket.h>

#include "cloudcix_drivers/log_sinks.hpp"
#include "obs/socket.hpp"

namespace cloudcix::drivers {

struct LogstashSink::Impl {
    std::string host;
    std::uint16_t port;
    LogstashOptions options;
    mutable std::mutex mutex;
    std::condition_variable wake, drained;
    std::deque<std::string> queue;
    std::size_t in_flight = 0;
    bool stopping = false;
    Stats stats;
    std::thread thread;

    // A peer that closed its end shows as readable with nothing to read.
    static bool peer_closed(int fd) {
        if (!net::wait_readable(fd, std::chrono::milliseconds(0))) return false;
        char c;
        return ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
    }

    void work() {
        net::Fd socket;
        auto backoff = options.min_backoff;
        std::unique_lock lock(mutex);
        while (true) {
            wake.wait(lock, [&] { return stopping || !queue.empty(); });
            if (queue.empty()) break;  // stopping and nothing left
            if (socket && peer_closed(socket.get())) socket.reset();
            if (!socket) {
                lock.unlock();
                std::string error;
                net::Fd s = net::connect_tcp(host, port, options.connect_timeout, error);
                lock.lock();
                if (!s) {
                    stats.last_error = error;
                    if (stopping) break;  // do not hold up shutdown on an unreachable Logstash
                    wake.wait_for(lock, backoff, [&] { return stopping; });
                    backoff = std::min(backoff * 2, options.max_backoff);
                    continue;
                }
                socket = std::move(s);
                ++stats.connects;
                backoff = options.min_backoff;
            }
            std::vector<std::string> batch;
            std::string data;
            while (!queue.empty() && batch.size() < 512) {
                data += queue.front();
                batch.push_back(std::move(queue.front()));
                queue.pop_front();
            }
            in_flight = batch.size();
            lock.unlock();
            bool ok = net::send_all(socket.get(), data, options.send_timeout);
            lock.lock();
            in_flight = 0;
            if (ok) {
                stats.sent += batch.size();
            } else {
                stats.last_error = "send to " + host + ":" + std::to_string(port) + " failed";
                socket.reset();
                // Put the batch back in front (at least once), keeping within the bound.
                for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
                    if (queue.size() >= options.max_buffer) {
                        ++stats.dropped;
                        continue;
                    }
                    queue.push_front(std::move(*it));
                }
                if (stopping) break;
            }
            if (queue.empty()) drained.notify_all();
        }
        drained.notify_all();
    }
};

LogstashSink::LogstashSink(std::string host, std::uint16_t port, LogstashOptions options)
    : impl_(std::make_shared<Impl>()) {
    impl_->host = std::move(host);
    impl_->port = port;
    impl_->options = std::move(options);
    impl_->thread = std::thread([impl = impl_.get()] { impl->work(); });
}

LogstashSink::~LogstashSink() {
    flush(impl_->options.send_timeout);
    {
        std::lock_guard lock(impl_->mutex);
        impl_->stopping = true;
    }
    impl_->wake.notify_all();
    if (impl_->thread.joinable()) impl_->thread.join();
}

void LogstashSink::write(const LogRecord& record) {
    if (record.level < impl_->options.min) return;
    std::string line = to_json_line(record, impl_->options.fields);
    line += '\n';
    {
        std::lock_guard lock(impl_->mutex);
        if (impl_->queue.size() >= impl_->options.max_buffer) {
            ++impl_->stats.dropped;
            return;
        }
        impl_->queue.push_back(std::move(line));
    }
    impl_->wake.notify_one();
}

bool LogstashSink::flush(std::chrono::milliseconds timeout) {
    std::unique_lock lock(impl_->mutex);
    return impl_->drained.wait_for(lock, timeout, [&] { return impl_->queue.empty() && impl_->in_flight == 0; });
}

LogstashSink::Stats LogstashSink::stats() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->stats;
}

}  // namespace cloudcix::drivers
