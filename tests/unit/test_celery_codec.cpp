// The Celery message codec of examples/rabbitmq against messages real Python Celery published.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <amqp.h>
#include <amqp_framing.h>

#include "amqp.hpp"
#include "celery.hpp"

namespace rmq = cloudcix::rabbitmq;
using namespace std::chrono;

namespace {

std::string read(const std::string& name) {
    std::ifstream in(std::filesystem::path(CCX_TEST_DATA) / "celery" / name);
    BOOST_REQUIRE_MESSAGE(in, "missing test data " << name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<unsigned char> unhex(std::string hex) {
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == ' ')) hex.pop_back();
    std::vector<unsigned char> out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<unsigned char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

std::string hex(const unsigned char* p, std::size_t n) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        s += digits[p[i] >> 4];
        s += digits[p[i] & 15];
    }
    return s;
}

// A captured message: its properties decoded by rabbitmq-c, and its body.
struct Captured {
    amqp_pool_t pool;
    std::vector<unsigned char> raw;
    amqp_basic_properties_t* props = nullptr;
    std::string body;

    explicit Captured(const std::string& name) {
        init_amqp_pool(&pool, 4096);
        raw = unhex(read(name + ".properties.hex"));
        body = read(name + ".body");
        amqp_bytes_t encoded{raw.size(), raw.data()};
        void* decoded = nullptr;
        BOOST_REQUIRE_EQUAL(amqp_decode_properties(AMQP_BASIC_CLASS, &pool, encoded, &decoded), 0);
        props = static_cast<amqp_basic_properties_t*>(decoded);
    }
    ~Captured() { empty_amqp_pool(&pool); }
    rmq::Decoded decode() const { return rmq::decode(*props, amqp_bytes_t{body.size(), const_cast<char*>(body.data())}); }
};

std::string encode_properties(const rmq::EncodedMessage& m) {
    std::vector<unsigned char> buf(8192);
    amqp_bytes_t out{buf.size(), buf.data()};
    int n = amqp_encode_properties(AMQP_BASIC_CLASS, const_cast<amqp_basic_properties_t*>(&m.properties()), out);
    BOOST_REQUIRE_GT(n, 0);
    return hex(buf.data(), static_cast<std::size_t>(n));
}

rmq::Decoded decode_body(const std::string& body, const char* content_type = "application/json") {
    rmq::CeleryTask t;
    t.id = "0b1d5a6e-8c2f-4c1e-9d4a-3f7e2a1b9c01";
    t.name = "vm_kvm_build";
    t.resource_id = 42;
    rmq::EncodedMessage m(t);
    amqp_basic_properties_t p = m.properties();
    if (content_type == nullptr)
        p._flags &= ~AMQP_BASIC_CONTENT_TYPE_FLAG;
    else
        p.content_type = amqp_cstring_bytes(content_type);
    return rmq::decode(p, amqp_bytes_t{body.size(), const_cast<char*>(body.data())});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(celery_codec)

BOOST_AUTO_TEST_CASE(a_send_task_message_from_python_celery_decodes_to_its_task_id_name_and_resource) {
    Captured c("send_task");
    auto d = c.decode();
    BOOST_TEST_REQUIRE(d.ok, d.error);
    BOOST_TEST(d.task.name == "vm_kvm_build");
    BOOST_TEST(d.task.id == "12d9d773-c083-4120-83a5-0bb8702f2099");
    BOOST_TEST(d.task.resource_id == 42);
    BOOST_TEST(d.task.retries == 0);
    BOOST_TEST(!d.task.eta.has_value());
    BOOST_TEST(d.task.reply_to == "2d117a6e-297a-35c7-865d-98fddcaf8284");
}

BOOST_AUTO_TEST_CASE(a_countdown_message_carries_its_eta_to_the_microsecond) {
    Captured c("countdown");
    auto d = c.decode();
    BOOST_TEST_REQUIRE(d.ok, d.error);
    BOOST_TEST_REQUIRE(d.task.eta.has_value());
    BOOST_TEST(rmq::format_iso8601(*d.task.eta) == "2026-11-25T20:32:43.108664+00:00");
}

BOOST_AUTO_TEST_CASE(an_expires_message_carries_its_expiry) {
    Captured c("expires");
    auto d = c.decode();
    BOOST_TEST_REQUIRE(d.ok, d.error);
    BOOST_TEST_REQUIRE(d.task.expires.has_value());
    BOOST_TEST(rmq::format_iso8601(*d.task.expires) == "2026-11-25T20:33:39.569433+00:00");
}

BOOST_AUTO_TEST_CASE(a_protocol_1_message_is_refused_with_a_reason_that_names_the_protocol) {
    Captured c("protocol1_send_task");
    auto d = c.decode();
    BOOST_TEST(!d.ok);
    BOOST_TEST(d.error.find("protocol 1") != std::string::npos, d.error);
    BOOST_TEST(d.message_id == "f772126c-9382-4d99-a2be-5c38100fa3fe");  // from correlation_id
}

BOOST_AUTO_TEST_CASE(the_encoder_writes_the_same_property_bytes_as_python_celery_send_task) {
    Captured c("send_task");
    rmq::CeleryTask t;
    t.id = "12d9d773-c083-4120-83a5-0bb8702f2099";
    t.name = "vm_kvm_build";
    t.resource_id = 42;
    t.origin = "gen9135@vm";
    t.reply_to = "2d117a6e-297a-35c7-865d-98fddcaf8284";
    rmq::EncodedMessage m(t);
    BOOST_TEST(encode_properties(m) == hex(c.raw.data(), c.raw.size()));
    BOOST_TEST(std::string(static_cast<const char*>(m.body().bytes), m.body().len) == c.body);
}

BOOST_AUTO_TEST_CASE(the_encoder_writes_the_same_property_bytes_as_python_celery_countdown) {
    Captured c("countdown");
    auto captured = c.decode();
    BOOST_TEST_REQUIRE(captured.ok, captured.error);
    rmq::CeleryTask t = captured.task;  // id, eta, origin, reply_to of the captured message
    rmq::EncodedMessage m(t);
    BOOST_TEST(encode_properties(m) == hex(c.raw.data(), c.raw.size()));
}

BOOST_AUTO_TEST_CASE(an_encoded_task_decodes_back_to_the_same_task) {
    rmq::CeleryTask t;
    t.name = "virtual_router_updaterunning";
    t.resource_id = 9001;
    t.retries = 3;
    t.eta = system_clock::time_point(seconds(1800000000)) + microseconds(250);
    rmq::EncodedMessage m(t);
    auto d = rmq::decode(m.properties(), m.body());
    BOOST_TEST_REQUIRE(d.ok, d.error);
    BOOST_TEST(d.task.name == t.name);
    BOOST_TEST(d.task.resource_id == 9001);
    BOOST_TEST(d.task.retries == 3);
    BOOST_TEST((d.task.eta.value() == t.eta.value()));
    BOOST_TEST(d.task.id.size() == 36u);
    BOOST_TEST(d.task.root_id == d.task.id);
}

BOOST_AUTO_TEST_CASE(a_traceparent_travels_as_a_seventeenth_header_and_is_absent_when_unset) {
    rmq::CeleryTask t;
    t.name = "vm_kvm_build";
    t.resource_id = 1501;
    rmq::EncodedMessage plain(t);
    BOOST_TEST(plain.properties().headers.num_entries == 16);  // exactly what Celery sends
    BOOST_TEST(rmq::decode(plain.properties(), plain.body()).task.traceparent.empty());
    t.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    rmq::EncodedMessage traced(t);
    BOOST_TEST(traced.properties().headers.num_entries == 17);
    const auto& last = traced.properties().headers.entries[16];
    BOOST_TEST(std::string(static_cast<const char*>(last.key.bytes), last.key.len) == "traceparent");
    auto d = rmq::decode(traced.properties(), traced.body());
    BOOST_TEST_REQUIRE(d.ok, d.error);
    BOOST_TEST(d.task.traceparent == t.traceparent);
    // The worker hands it to run() as it is: an ill-formed one is ignored there, not refused here.
    t.traceparent = "garbage";
    rmq::EncodedMessage bad(t);
    auto b = rmq::decode(bad.properties(), bad.body());
    BOOST_TEST(b.ok);
    BOOST_TEST(b.task.traceparent == "garbage");
}

BOOST_AUTO_TEST_CASE(malformed_bodies_and_content_types_are_refused_with_a_reason) {
    struct Case {
        std::string body;
        const char* content_type;
        std::string reason;
    };
    const std::vector<Case> cases = {
        {"[[42], {}, {", "application/json", "not JSON"},
        {"[[42, 43], {}, {}]", "application/json", "exactly [resource_id]"},
        {"[[], {\"n\": 42}, {}]", "application/json", "exactly [resource_id]"},
        {"[[\"42\"], {}, {}]", "application/json", "not an integer"},
        {"[[-1], {}, {}]", "application/json", "positive"},
        {"{\"args\": [42]}", "application/json", "[args, kwargs, embed]"},
        {"[[42], {}, {}]", "application/x-python-serialize", "not application/json"},
        {"[[42], {}, {}]", nullptr, "not application/json"},
    };
    for (const auto& c : cases) {
        auto d = decode_body(c.body, c.content_type);
        BOOST_TEST(!d.ok, c.body);
        BOOST_TEST(d.error.find(c.reason) != std::string::npos, c.body << " -> " << d.error);
        BOOST_TEST(d.message_id == "0b1d5a6e-8c2f-4c1e-9d4a-3f7e2a1b9c01");
    }
    BOOST_TEST(decode_body("[[42], {}, {}]").ok);
}

BOOST_AUTO_TEST_CASE(iso8601_times_with_offsets_and_z_parse_to_the_same_instant) {
    auto a = rmq::parse_iso8601("2026-11-25T20:32:43.108664+00:00");
    auto b = rmq::parse_iso8601("2026-11-25T21:32:43.108664+01:00");
    auto z = rmq::parse_iso8601("2026-11-25T20:32:43.108664Z");
    BOOST_TEST_REQUIRE(a.has_value());
    BOOST_TEST((a == b));
    BOOST_TEST((a == z));
    BOOST_TEST(!rmq::parse_iso8601("2026-13-25T20:32:43").has_value());
    BOOST_TEST(!rmq::parse_iso8601("yesterday").has_value());
    BOOST_TEST(rmq::parse_iso8601("2026-11-25T20:32:43").has_value());
}

BOOST_AUTO_TEST_CASE(the_broker_url_accepts_celery_s_double_slash_for_the_default_vhost) {
    auto u = rmq::BrokerUrl::parse("amqp://guest:guest@127.0.0.1:5799//");
    BOOST_TEST(u.vhost == "/");
    BOOST_TEST(u.port == 5799);
    auto v = rmq::BrokerUrl::parse("amqp://robot:s3cret-pass@rabbit.local:5672/drivers");
    BOOST_TEST(v.vhost == "drivers");
    BOOST_TEST(v.display().find("s3cret-pass") == std::string::npos);
    BOOST_CHECK_THROW(rmq::BrokerUrl::parse("http://example.com/"), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
