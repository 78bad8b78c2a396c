// The Dispatcher port on RabbitMQ: each task becomes the Celery protocol-2 message `send_task`
// would publish (delay → Celery `eta`). Publisher confirms: true only once the broker has it.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "amqp.hpp"
#include "celery.hpp"
#include "cloudcix_drivers/ports/dispatcher.hpp"

namespace cloudcix::rabbitmq {

class RabbitMqDispatcher : public cloudcix::drivers::Dispatcher {
public:
    RabbitMqDispatcher(BrokerUrl broker, std::string queue);
    // Thread-safe; reconnects once when the connection has gone.
    bool dispatch(const cloudcix::drivers::Task& task, std::chrono::milliseconds delay) override;
    // Publishes one message and returns its task id (throws AmqpError when the broker refuses it).
    std::string publish(const CeleryTask& task);
    std::string last_error() const;

private:
    void connect();
    std::string publish_locked(const CeleryTask& task);
    BrokerUrl broker_;
    std::string queue_;
    std::string origin_;
    mutable std::mutex mutex_;
    std::unique_ptr<Connection> conn_;
    std::string last_error_;
};

}  // namespace cloudcix::rabbitmq
