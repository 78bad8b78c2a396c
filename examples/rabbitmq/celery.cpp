#include "celery.hpp"

#include <cstdio>
#include <ctime>
#include <random>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace cloudcix::rabbitmq {
namespace json = boost::json;
using namespace std::chrono;

std::string new_uuid() {
    thread_local std::mt19937_64 rng{std::random_device{}() ^ static_cast<std::uint64_t>(steady_clock::now().time_since_epoch().count())};
    std::uint64_t hi = rng(), lo = rng();
    hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
    lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
    char out[64];
    std::snprintf(out, sizeof out, "%08llx-%04llx-%04llx-%04llx-%012llx", static_cast<unsigned long long>(hi >> 32),
                  static_cast<unsigned long long>((hi >> 16) & 0xffff), static_cast<unsigned long long>(hi & 0xffff),
                  static_cast<unsigned long long>(lo >> 48), static_cast<unsigned long long>(lo & 0xffffffffffffULL));
    return out;
}

std::string format_iso8601(system_clock::time_point t) {
    auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(us / 1000000);
    long frac = static_cast<long>(us % 1000000);
    if (frac < 0) {
        frac += 1000000;
        --secs;
    }
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char out[96];
    std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+00:00", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    return out;
}

std::optional<system_clock::time_point> parse_iso8601(std::string_view s) {
    auto digits = [&](std::size_t pos, std::size_t n, int& out) {
        if (pos + n > s.size()) return false;
        out = 0;
        for (std::size_t i = pos; i < pos + n; ++i) {
            if (s[i] < '0' || s[i] > '9') return false;
            out = out * 10 + (s[i] - '0');
        }
        return true;
    };
    int y, mo, d, h, mi, sec;
    if (!digits(0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(5, 2, mo) || s[7] != '-' || !digits(8, 2, d) ||
        (s[10] != 'T' && s[10] != ' ') || !digits(11, 2, h) || s[13] != ':' || !digits(14, 2, mi) || s[16] != ':' ||
        !digits(17, 2, sec))
        return std::nullopt;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
    std::size_t pos = 19;
    long long micros = 0;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        int n = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (n < 6) micros = micros * 10 + (s[pos] - '0');
            ++n;
            ++pos;
        }
        if (n == 0) return std::nullopt;
        for (; n < 6; ++n) micros *= 10;
    }
    long long offset = 0;  // seconds east of UTC
    if (pos < s.size()) {
        if (s[pos] == 'Z' && pos + 1 == s.size()) {
            pos = s.size();
        } else if ((s[pos] == '+' || s[pos] == '-') && pos + 6 == s.size() && s[pos + 3] == ':') {
            int oh, om;
            if (!digits(pos + 1, 2, oh) || !digits(pos + 4, 2, om)) return std::nullopt;
            offset = (oh * 3600LL + om * 60LL) * (s[pos] == '+' ? 1 : -1);
        } else {
            return std::nullopt;
        }
    }
    // Days from civil (proleptic Gregorian).
    int yy = y - (mo <= 2);
    long long era = (yy >= 0 ? yy : yy - 399) / 400;
    long long yoe = yy - era * 400;
    long long doy = (153LL * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long long days = era * 146097 + doe - 719468;
    long long total = days * 86400 + h * 3600LL + mi * 60LL + sec - offset;
    return system_clock::time_point(duration_cast<system_clock::duration>(seconds(total) + microseconds(micros)));
}

std::string encode_body(long long resource_id) {
    return "[[" + std::to_string(resource_id) + "], {}, {\"callbacks\": null, \"errbacks\": null, \"chain\": null, \"chord\": null}]";
}

namespace {
amqp_bytes_t bytes(const std::string& s) {
    amqp_bytes_t b;
    b.len = s.size();
    b.bytes = const_cast<char*>(s.data());
    return b;
}
amqp_field_value_t str(const std::string& s) {
    amqp_field_value_t v{};
    v.kind = AMQP_FIELD_KIND_UTF8;
    v.value.bytes = bytes(s);
    return v;
}
amqp_field_value_t null() {
    amqp_field_value_t v{};
    v.kind = AMQP_FIELD_KIND_VOID;
    return v;
}
amqp_field_value_t str_or_null(const std::string& s) { return s.empty() ? null() : str(s); }
}  // namespace

EncodedMessage::EncodedMessage(const CeleryTask& t)
    : id_(t.id.empty() ? new_uuid() : t.id),
      name_(t.name),
      root_id_(t.root_id.empty() ? id_ : t.root_id),
      parent_id_(t.parent_id),
      eta_(t.eta ? format_iso8601(*t.eta) : std::string()),
      expires_(t.expires ? format_iso8601(*t.expires) : std::string()),
      argsrepr_("[" + std::to_string(t.resource_id) + "]"),
      origin_(t.origin.empty() ? "ccx@localhost" : t.origin),
      reply_to_(t.reply_to.empty() ? new_uuid() : t.reply_to),
      body_(encode_body(t.resource_id)),
      traceparent_(t.traceparent) {
    static const std::string lang = "py", kwargsrepr = "{}";
    timelimit_[0] = null();
    timelimit_[1] = null();
    amqp_field_value_t timelimit{};
    timelimit.kind = AMQP_FIELD_KIND_ARRAY;
    timelimit.value.array.num_entries = 2;
    timelimit.value.array.entries = timelimit_;
    amqp_field_value_t retries{};
    retries.kind = AMQP_FIELD_KIND_I32;
    retries.value.i32 = t.retries;
    amqp_field_value_t ignore{};
    ignore.kind = AMQP_FIELD_KIND_BOOLEAN;
    ignore.value.boolean = 0;
    const amqp_table_entry_t h[16] = {
        {amqp_cstring_bytes("lang"), str(lang)},
        {amqp_cstring_bytes("task"), str(name_)},
        {amqp_cstring_bytes("id"), str(id_)},
        {amqp_cstring_bytes("shadow"), null()},
        {amqp_cstring_bytes("eta"), str_or_null(eta_)},
        {amqp_cstring_bytes("expires"), str_or_null(expires_)},
        {amqp_cstring_bytes("group"), null()},
        {amqp_cstring_bytes("group_index"), null()},
        {amqp_cstring_bytes("retries"), retries},
        {amqp_cstring_bytes("timelimit"), timelimit},
        {amqp_cstring_bytes("root_id"), str(root_id_)},
        {amqp_cstring_bytes("parent_id"), str_or_null(parent_id_)},
        {amqp_cstring_bytes("argsrepr"), str(argsrepr_)},
        {amqp_cstring_bytes("kwargsrepr"), str(kwargsrepr)},
        {amqp_cstring_bytes("origin"), str(origin_)},
        {amqp_cstring_bytes("ignore_result"), ignore},
    };
    int n = 16;
    for (int i = 0; i < 16; ++i) headers_[i] = h[i];
    if (!traceparent_.empty()) headers_[n++] = {amqp_cstring_bytes("traceparent"), str(traceparent_)};
    props_ = amqp_basic_properties_t{};
    props_._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_CONTENT_ENCODING_FLAG | AMQP_BASIC_HEADERS_FLAG |
                    AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_PRIORITY_FLAG | AMQP_BASIC_CORRELATION_ID_FLAG |
                    AMQP_BASIC_REPLY_TO_FLAG;
    props_.content_type = amqp_cstring_bytes("application/json");
    props_.content_encoding = amqp_cstring_bytes("utf-8");
    props_.headers.num_entries = n;
    props_.headers.entries = headers_;
    props_.delivery_mode = 2;
    props_.priority = 0;
    props_.correlation_id = bytes(id_);
    props_.reply_to = bytes(reply_to_);
    if (t.expires) {
        // As Celery: the broker drops the message once it has waited this long in the queue.
        auto ms = duration_cast<milliseconds>(*t.expires - system_clock::now()).count();
        expiration_ = std::to_string(ms > 0 ? ms : 0);
        props_._flags |= AMQP_BASIC_EXPIRATION_FLAG;
        props_.expiration = bytes(expiration_);
    }
}

amqp_bytes_t EncodedMessage::body() const { return bytes(body_); }

namespace {

const amqp_field_value_t* header(const amqp_basic_properties_t& p, std::string_view key) {
    if (!(p._flags & AMQP_BASIC_HEADERS_FLAG)) return nullptr;
    for (int i = 0; i < p.headers.num_entries; ++i) {
        const auto& e = p.headers.entries[i];
        if (std::string_view(static_cast<const char*>(e.key.bytes), e.key.len) == key) return &e.value;
    }
    return nullptr;
}

std::optional<std::string> text(const amqp_field_value_t* v) {
    if (v == nullptr) return std::nullopt;
    if (v->kind == AMQP_FIELD_KIND_UTF8 || v->kind == AMQP_FIELD_KIND_BYTES)
        return std::string(static_cast<const char*>(v->value.bytes.bytes), v->value.bytes.len);
    return std::nullopt;
}

bool is_null(const amqp_field_value_t* v) { return v == nullptr || v->kind == AMQP_FIELD_KIND_VOID; }

std::optional<long long> integer(const amqp_field_value_t* v) {
    if (v == nullptr) return std::nullopt;
    switch (v->kind) {
        case AMQP_FIELD_KIND_I8: return v->value.i8;
        case AMQP_FIELD_KIND_U8: return v->value.u8;
        case AMQP_FIELD_KIND_I16: return v->value.i16;
        case AMQP_FIELD_KIND_U16: return v->value.u16;
        case AMQP_FIELD_KIND_I32: return v->value.i32;
        case AMQP_FIELD_KIND_U32: return v->value.u32;
        case AMQP_FIELD_KIND_I64: return v->value.i64;
        case AMQP_FIELD_KIND_U64:
            if (v->value.u64 > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
            return static_cast<long long>(v->value.u64);
        default: return std::nullopt;
    }
}

std::string prop(const amqp_basic_properties_t& p, amqp_flags_t flag, const amqp_bytes_t& b) {
    if (!(p._flags & flag)) return {};
    return std::string(static_cast<const char*>(b.bytes), b.len);
}

}  // namespace

Decoded decode(const amqp_basic_properties_t& p, amqp_bytes_t body) {
    Decoded d;
    auto id = text(header(p, "id"));
    std::string correlation = prop(p, AMQP_BASIC_CORRELATION_ID_FLAG, p.correlation_id);
    d.message_id = id ? *id : (!correlation.empty() ? correlation : std::string("-"));
    auto fail = [&](std::string why) {
        d.ok = false;
        d.error = std::move(why);
        return d;
    };
    std::string content_type = prop(p, AMQP_BASIC_CONTENT_TYPE_FLAG, p.content_type);
    if (content_type != "application/json") return fail("content type '" + content_type + "' is not application/json");
    std::string encoding = prop(p, AMQP_BASIC_CONTENT_ENCODING_FLAG, p.content_encoding);
    if (!encoding.empty() && encoding != "utf-8" && encoding != "utf8")
        return fail("content encoding '" + encoding + "' is not utf-8");
    auto name = text(header(p, "task"));
    if (!name) {
        if (body.len > 0 && static_cast<const char*>(body.bytes)[0] == '{')
            return fail("a Celery protocol 1 message (no 'task' header); send with task_protocol = 2");
        return fail("no 'task' header");
    }
    if (!id || id->empty()) return fail("no 'id' header");
    d.task.name = *name;
    d.task.id = *id;
    if (auto r = header(p, "retries"); !is_null(r)) {
        auto n = integer(r);
        if (!n || *n < 0 || *n > 1000000) return fail("header 'retries' is not a small integer");
        d.task.retries = static_cast<int>(*n);
    }
    for (auto [key, slot] : {std::pair{"eta", &d.task.eta}, std::pair{"expires", &d.task.expires}}) {
        auto v = header(p, key);
        if (is_null(v)) continue;
        auto s = text(v);
        auto t = s ? parse_iso8601(*s) : std::nullopt;
        if (!t) return fail(std::string("header '") + key + "' is not an ISO 8601 time");
        *slot = t;
    }
    d.task.root_id = text(header(p, "root_id")).value_or(d.task.id);
    d.task.parent_id = text(header(p, "parent_id")).value_or("");
    d.task.origin = text(header(p, "origin")).value_or("");
    d.task.reply_to = prop(p, AMQP_BASIC_REPLY_TO_FLAG, p.reply_to);
    // At most a W3C traceparent's length: anything longer is not one and is not kept.
    if (auto tp = text(header(p, "traceparent")); tp && tp->size() <= 128) d.task.traceparent = *tp;

    boost::system::error_code ec;
    auto v = json::parse(std::string_view(static_cast<const char*>(body.bytes), body.len), ec);
    if (ec) return fail("body is not JSON: " + ec.message());
    if (!v.is_array() || v.get_array().size() != 3 || !v.get_array()[0].is_array() || !v.get_array()[1].is_object())
        return fail("body is not [args, kwargs, embed]");
    const auto& args = v.get_array()[0].get_array();
    const auto& kwargs = v.get_array()[1].get_object();
    if (args.size() != 1 || !kwargs.empty())
        return fail("arguments must be exactly [resource_id], got " + std::to_string(args.size()) + " positional and " +
                    std::to_string(kwargs.size()) + " keyword");
    if (args[0].is_int64()) {
        d.task.resource_id = args[0].get_int64();
    } else if (args[0].is_uint64() && args[0].get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        d.task.resource_id = static_cast<long long>(args[0].get_uint64());
    } else {
        return fail("resource_id is not an integer");
    }
    if (d.task.resource_id <= 0) return fail("resource_id must be positive");
    d.ok = true;
    return d;
}

}  // namespace cloudcix::rabbitmq
