#include "amqp.hpp"

#include <cstring>
#include <vector>

#include <amqp_tcp_socket.h>

#include "celery.hpp"
#include "cloudcix_drivers/log.hpp"

namespace cloudcix::rabbitmq {

BrokerUrl BrokerUrl::parse(std::string_view url) {
    std::string text(url);
    // Celery/kombu write the default vhost "/" as a trailing "//"; rabbitmq-c wants "%2f".
    if (auto at = text.find('@'); text.size() > 2 && text.ends_with("//") && text.find('/', at == std::string::npos ? 7 : at) == text.size() - 2)
        text.replace(text.size() - 1, 1, "%2f");
    std::vector<char> buf(text.begin(), text.end());
    buf.push_back('\0');
    amqp_connection_info info;
    amqp_default_connection_info(&info);
    if (amqp_parse_url(buf.data(), &info) != AMQP_STATUS_OK)
        throw std::invalid_argument("broker URL '" + std::string(url) + "' is not amqp://USER:PASS@HOST:PORT/VHOST");
    if (info.ssl) throw std::invalid_argument("amqps:// is not supported by this build; use amqp://");
    BrokerUrl b;
    b.host = info.host;
    b.port = info.port;
    b.user = info.user;
    b.password = info.password;
    b.vhost = (info.vhost == nullptr || std::strlen(info.vhost) == 0) ? "/" : info.vhost;
    cloudcix::drivers::secrets::remember(b.password);
    return b;
}

std::string BrokerUrl::display() const {
    return "amqp://" + user + "@" + host + ":" + std::to_string(port) + "/" + (vhost == "/" ? "" : vhost);
}

std::string describe(amqp_rpc_reply_t r) {
    switch (r.reply_type) {
        case AMQP_RESPONSE_NORMAL: return "ok";
        case AMQP_RESPONSE_NONE: return "missing RPC reply";
        case AMQP_RESPONSE_LIBRARY_EXCEPTION: return amqp_error_string2(r.library_error);
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
                auto* m = static_cast<amqp_connection_close_t*>(r.reply.decoded);
                return "connection closed by broker: " + std::to_string(m->reply_code) + " " +
                       std::string(static_cast<char*>(m->reply_text.bytes), m->reply_text.len);
            }
            if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
                auto* m = static_cast<amqp_channel_close_t*>(r.reply.decoded);
                return "channel closed by broker: " + std::to_string(m->reply_code) + " " +
                       std::string(static_cast<char*>(m->reply_text.bytes), m->reply_text.len);
            }
            return "broker error (method " + std::to_string(r.reply.id) + ")";
    }
    return "unknown reply";
}

Connection::Connection(const BrokerUrl& url, int heartbeat_seconds) {
    conn_ = amqp_new_connection();
    amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
    if (socket == nullptr) throw AmqpError("cannot create a socket");
    struct timeval tv{5, 0};
    if (int rc = amqp_socket_open_noblock(socket, url.host.c_str(), url.port, &tv); rc != AMQP_STATUS_OK) {
        amqp_destroy_connection(conn_);
        conn_ = nullptr;
        throw AmqpError("cannot connect to " + url.display() + ": " + amqp_error_string2(rc));
    }
    auto r = amqp_login(conn_, url.vhost.c_str(), 0, AMQP_DEFAULT_FRAME_SIZE, heartbeat_seconds, AMQP_SASL_METHOD_PLAIN,
                        url.user.c_str(), url.password.c_str());
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        std::string why = describe(r);
        amqp_destroy_connection(conn_);
        conn_ = nullptr;
        throw AmqpError("login to " + url.display() + " failed: " + why);
    }
    amqp_channel_open(conn_, channel);
    check("channel.open");
    open_ = true;
}

Connection::~Connection() {
    if (conn_ != nullptr) amqp_destroy_connection(conn_);
}

int Connection::fd() const { return amqp_get_sockfd(conn_); }

void Connection::check(const char* what) {
    auto r = amqp_get_rpc_reply(conn_);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        open_ = false;
        throw AmqpError(std::string(what) + ": " + describe(r));
    }
}

void Connection::declare_celery_queue(const std::string& q) {
    auto name = amqp_cstring_bytes(q.c_str());
    amqp_exchange_declare(conn_, channel, name, amqp_cstring_bytes("direct"), 0, /*durable*/ 1, /*auto_delete*/ 0, 0,
                          amqp_empty_table);
    check("exchange.declare");
    amqp_queue_declare(conn_, channel, name, 0, /*durable*/ 1, /*exclusive*/ 0, /*auto_delete*/ 0, amqp_empty_table);
    check("queue.declare");
    amqp_queue_bind(conn_, channel, name, name, name, amqp_empty_table);
    check("queue.bind");
}

void Connection::qos(unsigned prefetch) {
    if (prefetch > 65535) prefetch = 65535;
    amqp_basic_qos(conn_, channel, 0, static_cast<uint16_t>(prefetch), /*global*/ 0);
    check("basic.qos");
}

void Connection::consume(const std::string& q) {
    auto* ok = amqp_basic_consume(conn_, channel, amqp_cstring_bytes(q.c_str()), amqp_empty_bytes, 0, /*no_ack*/ 0, 0,
                                  amqp_empty_table);
    check("basic.consume");
    consumer_tag_.assign(static_cast<char*>(ok->consumer_tag.bytes), ok->consumer_tag.len);
}

void Connection::cancel() {
    if (consumer_tag_.empty()) return;
    amqp_basic_cancel(conn_, channel, amqp_cstring_bytes(consumer_tag_.c_str()));
    check("basic.cancel");
    consumer_tag_.clear();
}

void Connection::publish(const std::string& q, const EncodedMessage& m) {
    int rc = amqp_basic_publish(conn_, channel, amqp_empty_bytes, amqp_cstring_bytes(q.c_str()), 0, 0, &m.properties(),
                                m.body());
    if (rc != AMQP_STATUS_OK) throw AmqpError(std::string("basic.publish: ") + amqp_error_string2(rc));
}

void Connection::ack(std::uint64_t tag) {
    int rc = amqp_basic_ack(conn_, channel, tag, 0);
    if (rc != AMQP_STATUS_OK) throw AmqpError(std::string("basic.ack: ") + amqp_error_string2(rc));
}

void Connection::reject(std::uint64_t tag, bool requeue) {
    int rc = amqp_basic_reject(conn_, channel, tag, requeue ? 1 : 0);
    if (rc != AMQP_STATUS_OK) throw AmqpError(std::string("basic.reject: ") + amqp_error_string2(rc));
}

void Connection::close() {
    if (conn_ == nullptr) return;
    if (open_) {
        amqp_channel_close(conn_, channel, AMQP_REPLY_SUCCESS);
        amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
    }
    open_ = false;
}

}  // namespace cloudcix::rabbitmq
