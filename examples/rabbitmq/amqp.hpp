// A small owner of one rabbitmq-c connection (one channel, number 1). Not thread-safe: one thread
// owns it, as rabbitmq-c requires. Failures throw AmqpError; callers reconnect.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

#include <amqp.h>

namespace cloudcix::rabbitmq {

class EncodedMessage;

struct AmqpError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct BrokerUrl {
    std::string host = "127.0.0.1";
    int port = 5672;
    std::string user = "guest";
    std::string password = "guest";
    std::string vhost = "/";
    // amqp://USER:PASS@HOST:PORT/VHOST ("//" or no path: vhost "/"). The password is remembered as a secret.
    static BrokerUrl parse(std::string_view url);
    std::string display() const;  // without the password
};

class Connection {
public:
    static constexpr amqp_channel_t channel = 1;

    Connection(const BrokerUrl& url, int heartbeat_seconds);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    amqp_connection_state_t state() { return conn_; }
    int fd() const;

    // exchange NAME (direct, durable) + queue NAME (durable) + binding NAME, exactly as Celery.
    void declare_celery_queue(const std::string& queue);
    void qos(unsigned prefetch);
    void consume(const std::string& queue);
    void cancel();
    void publish(const std::string& queue, const EncodedMessage& message);
    void ack(std::uint64_t tag);
    void reject(std::uint64_t tag, bool requeue);
    void close();  // polite close; errors ignored

private:
    void check(const char* what);
    amqp_connection_state_t conn_ = nullptr;
    std::string consumer_tag_;
    bool open_ = false;
};

std::string describe(amqp_rpc_reply_t reply);

}  // namespace cloudcix::rabbitmq
