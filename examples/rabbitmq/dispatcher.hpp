// The Dispatcher port on RabbitMQ: each task becomes the Celery protocol-2 message `send_task`
// would publish (delay → Celery `eta`). Publisher confirms: true only once the broker has it.
// Every message carries a W3C `traceparent` header: with a tracer, that of a producer span
// ("dispatch <driver>.<verb>") which continues the task's own traceparent when it has one.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "amqp.hpp"
#include "celery.hpp"
#include "cloudcix_drivers/ports/dispatcher.hpp"
#include "cloudcix_drivers/ports/tracer.hpp"

namespace cloudcix::rabbitmq {

class RabbitMqDispatcher : public cloudcix::drivers::Dispatcher {
public:
    // `tracer` (null: none) must outlive the dispatcher.
    RabbitMqDispatcher(BrokerUrl broker, std::string queue, cloudcix::drivers::Tracer* tracer = nullptr);
    // Thread-safe; reconnects once when the connection has gone.
    bool dispatch(const cloudcix::drivers::Task& task, std::chrono::milliseconds delay) override;
    // Publishes one message and returns its task id (throws AmqpError when the broker refuses it).
    // task.traceparent, when well-formed, is the producer span's parent (or, without a tracer,
    // is sent as it is).
    std::string publish(const CeleryTask& task);
    std::string last_error() const;

private:
    void connect();
    std::string publish_locked(const CeleryTask& task);
    BrokerUrl broker_;
    std::string queue_;
    cloudcix::drivers::Tracer* tracer_;
    std::string origin_;
    mutable std::mutex mutex_;
    std::unique_ptr<Connection> conn_;
    std::string last_error_;
};

}  // namespace cloudcix::rabbitmq
