// Celery task protocol 2 on AMQP: the message model, its encoder (what `send_task` publishes) and
// its decoder (what a worker accepts). Facts from the captured messages; see docs/rabbitmq.md.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <amqp.h>

namespace cloudcix::rabbitmq {

struct CeleryTask {
    std::string id;          // headers.id == correlation_id (a UUID4)
    std::string name;        // headers.task: "<driver>_<verb>"
    long long resource_id = 0;  // args[0]
    int retries = 0;
    std::string root_id;     // == id for a top-level task
    std::string parent_id;   // empty: null
    std::optional<std::chrono::system_clock::time_point> eta;
    std::optional<std::chrono::system_clock::time_point> expires;
    std::string origin;      // "<program><pid>@<host>", display only
    std::string reply_to;    // empty: a fresh UUID is used when encoding
    // W3C trace context: an extra `traceparent` header when set (Celery workers ignore unknown
    // headers). Decoding copies it as received; run() ignores an ill-formed one.
    std::string traceparent;
};

// A new random UUID4 ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx").
std::string new_uuid();

// ISO 8601 as Celery writes it: "2026-11-25T20:32:43.108664+00:00". Parsing accepts any offset,
// with or without fractional seconds, and "Z".
std::string format_iso8601(std::chrono::system_clock::time_point t);
std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view text);

// The body Celery writes for args=[id]: `[[id], {}, {"callbacks": null, ...}]` (json.dumps spacing).
std::string encode_body(long long resource_id);

// Owns the storage an amqp_basic_properties_t points into, for one publish.
class EncodedMessage {
public:
    explicit EncodedMessage(const CeleryTask& task);
    EncodedMessage(const EncodedMessage&) = delete;
    EncodedMessage& operator=(const EncodedMessage&) = delete;
    const amqp_basic_properties_t& properties() const { return props_; }
    amqp_bytes_t body() const;

private:
    std::string id_, name_, root_id_, parent_id_, eta_, expires_, argsrepr_, origin_, reply_to_, body_, expiration_;
    amqp_field_value_t timelimit_[2];
    std::string traceparent_;
    amqp_table_entry_t headers_[17];
    amqp_basic_properties_t props_;
};

// What a worker makes of one delivery.
struct Decoded {
    bool ok = false;
    std::string message_id;  // best effort, for logs: headers.id, else correlation_id, else "-"
    std::string error;       // why it is rejected
    CeleryTask task;
};

// Checks content type/encoding, protocol 2 headers, body shape [[id], {}, {...}].
Decoded decode(const amqp_basic_properties_t& properties, amqp_bytes_t body);

}  // namespace cloudcix::rabbitmq
