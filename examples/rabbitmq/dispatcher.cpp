#include "dispatcher.hpp"

#include <unistd.h>

#include "cloudcix_drivers/log.hpp"

namespace cloudcix::rabbitmq {

namespace ccx = cloudcix::drivers;
using namespace std::chrono;

namespace {
std::string host_name() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
    return buf;
}
}  // namespace

RabbitMqDispatcher::RabbitMqDispatcher(BrokerUrl broker, std::string queue, ccx::Tracer* tracer)
    : broker_(std::move(broker)), queue_(std::move(queue)), tracer_(tracer), origin_("ccx" + std::to_string(::getpid()) + "@" + host_name()) {}

void RabbitMqDispatcher::connect() {
    conn_.reset();
    auto c = std::make_unique<Connection>(broker_, 0);
    c->declare_celery_queue(queue_);
    amqp_confirm_select(c->state(), Connection::channel);
    if (amqp_get_rpc_reply(c->state()).reply_type != AMQP_RESPONSE_NORMAL) throw AmqpError("confirm.select failed");
    conn_ = std::move(c);
}

std::string RabbitMqDispatcher::publish_locked(const CeleryTask& task) {
    if (!conn_) connect();
    CeleryTask t = task;
    if (t.id.empty()) t.id = new_uuid();
    if (t.origin.empty()) t.origin = origin_;
    EncodedMessage m(t);
    conn_->publish(queue_, m);
    // Wait for the broker's confirm.
    for (;;) {
        amqp_frame_t frame;
        struct timeval tv{10, 0};
        int rc = amqp_simple_wait_frame_noblock(conn_->state(), &frame, &tv);
        if (rc != AMQP_STATUS_OK) throw AmqpError(std::string("waiting for the publish confirm: ") + amqp_error_string2(rc));
        if (frame.frame_type != AMQP_FRAME_METHOD) continue;
        switch (frame.payload.method.id) {
            case AMQP_BASIC_ACK_METHOD: return t.id;
            case AMQP_BASIC_NACK_METHOD: throw AmqpError("the broker refused the message (basic.nack)");
            case AMQP_CHANNEL_CLOSE_METHOD:
            case AMQP_CONNECTION_CLOSE_METHOD: throw AmqpError("the broker closed the channel while publishing");
            default: continue;
        }
    }
}

std::string RabbitMqDispatcher::publish(const CeleryTask& task) {
    CeleryTask t = task;
    if (t.id.empty()) t.id = new_uuid();
    // The producer span (OpenTelemetry messaging conventions); the consumer's task span becomes
    // its child through the message's traceparent header.
    const ccx::SpanContext caller = ccx::SpanContext::from_traceparent(t.traceparent);
    std::unique_ptr<ccx::Span> span;
    if (tracer_ != nullptr) {
        auto under = t.name.rfind('_');  // verbs have no underscore; drivers may
        span = tracer_->start_span("dispatch " + (under == std::string::npos ? t.name : t.name.substr(0, under) + "." + t.name.substr(under + 1)),
                                   caller.valid() ? &caller : nullptr);
        span->set_kind(ccx::SpanKind::producer);
        span->set_attribute("messaging.system", "rabbitmq");
        span->set_attribute("messaging.operation", "publish");
        span->set_attribute("messaging.destination.name", queue_);
        span->set_attribute("messaging.message.id", t.id);
        span->set_attribute("task", t.name);
        span->set_number("resource", t.resource_id);
        t.traceparent = span->context().traceparent();
    } else if (!caller.valid()) {
        // No tracer: a fresh context still lets the worker's logs and spans share one trace id.
        t.traceparent = ccx::SpanContext::generate().traceparent();
    }
    std::lock_guard lock(mutex_);
    try {
        return publish_locked(t);
    } catch (const AmqpError&) {
        conn_.reset();
        try {
            return publish_locked(t);  // once more on a fresh connection
        } catch (const std::exception& e) {
            if (span) span->set_error(ccx::secrets::redact(e.what()));
            throw;
        }
    }
}

bool RabbitMqDispatcher::dispatch(const ccx::Task& task, milliseconds delay) {
    CeleryTask t;
    t.name = task.driver + "_" + task.verb;
    t.resource_id = task.resource_id;
    t.traceparent = task.traceparent;
    if (delay.count() > 0) t.eta = system_clock::now() + delay;
    try {
        publish(t);
        return true;
    } catch (const std::exception& e) {
        std::lock_guard lock(mutex_);
        conn_.reset();
        last_error_ = ccx::secrets::redact(e.what());
        return false;
    }
}

std::string RabbitMqDispatcher::last_error() const {
    std::lock_guard lock(mutex_);
    return last_error_;
}

}  // namespace cloudcix::rabbitmq
