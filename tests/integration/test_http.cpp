// HttpTransport and the IaaS client against the simulator over real TCP and TLS on loopback.
// Every test starts its own server (in-process, free port) and stops it when it ends.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cloudcix_drivers/iaas/client.hpp"
#include "cloudcix_drivers/log.hpp"
#include "cloudcix_drivers/testing.hpp"
#include "cloudcix_drivers/transport/http.hpp"
#include "server.hpp"
#include "support/certs.hpp"
#include "support/fixture.hpp"
#include "support/printing.hpp"

using namespace cloudcix::drivers;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

sim::ServerOptions tls_server() {
    sim::ServerOptions o;
    o.cert_file = ccx_test::pki().server_cert;
    o.key_file = ccx_test::pki().server_key;
    return o;
}

HttpOptions trusting() {
    HttpOptions o;
    o.ca_file = ccx_test::pki().ca;
    return o;
}

IaasSettings settings_for(const sim::Server& server) {
    IaasSettings s = ccx_test::demo_settings(server.iaas_url(), server.membership_url());
    s.request_timeout = 5000ms;
    return s;
}

std::string login(Transport& t, const sim::Server& server) {
    auto s = settings_for(server);
    HttpRequest req{"POST", server.membership_url() + "auth/login/", {{"Content-Type", "application/json"}},
                    json::serialize(json::object{{"email", s.username}, {"password", s.password}, {"api_key", s.api_key}})};
    auto r = t.send(req);
    BOOST_REQUIRE_EQUAL(r.status, 201);
    return std::string(json::parse(r.body).at("token").as_string());
}

HttpRequest get(const sim::Server& server, const std::string& path, const std::string& token) {
    return {"GET", server.iaas_url() + path, {{"X-Auth-Token", token}}, "", 5000ms};
}

HttpRequest patch_state(const sim::Server& server, long long vm, int state, const std::string& token) {
    return {"PATCH", server.iaas_url() + "vm/" + std::to_string(vm) + "/",
            {{"X-Auth-Token", token}, {"Content-Type", "application/json"}},
            json::serialize(json::object{{"state", state}}), 5000ms};
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(url_parsing)

BOOST_AUTO_TEST_CASE(urls_with_ipv6_literals_ports_and_path_prefixes_parse) {
    auto u = parse_url("https://[::1]:8443/iaas/vm/1/?search[id]=1");
    BOOST_REQUIRE(u.has_value());
    BOOST_TEST(u->host == "::1");
    BOOST_TEST(u->port == 8443);
    BOOST_TEST(u->ipv6_literal);
    BOOST_TEST(u->target == "/iaas/vm/1/?search[id]=1");
    BOOST_TEST(u->host_header() == "[::1]:8443");
    auto d = parse_url("HTTPS://IaaS.Example.com");
    BOOST_REQUIRE(d.has_value());
    BOOST_TEST(d->port == 443);
    BOOST_TEST(d->target == "/");
    BOOST_TEST(d->host_header() == "iaas.example.com");
    BOOST_TEST(!parse_url("ftp://host/").has_value());
    BOOST_TEST(!parse_url("https://::1/").has_value());
    BOOST_TEST(!parse_url("https://user:pw@host/").has_value());
    BOOST_TEST(!parse_url("https://host:70000/").has_value());
    BOOST_TEST(!parse_url("memory://iaas/").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(http_transport)

BOOST_AUTO_TEST_CASE(sequential_calls_on_one_thread_share_one_kept_alive_tls_connection) {
    sim::Server server(tls_server());
    HttpTransport t(trusting());
    auto token = login(t, server);
    for (int i = 0; i < 20; ++i) BOOST_REQUIRE_EQUAL(t.send(get(server, "vm/1501/", token)).status, 200);
    BOOST_TEST(server.stats().connections == 1u);
    BOOST_TEST(server.stats().tls_handshakes == 1u);
    BOOST_TEST(t.stats().connections_opened == 1u);
    BOOST_TEST(t.stats().tls_handshakes == 1u);
    BOOST_TEST(t.stats().reused == 20u);
}

BOOST_AUTO_TEST_CASE(plain_http_with_chunked_bodies_is_read_whole) {
    sim::ServerOptions o;
    o.chunked = true;
    sim::Server server(o);
    HttpTransport t;
    auto token = login(t, server);
    auto r = t.send(get(server, "vm/1501/", token));
    BOOST_REQUIRE_EQUAL(r.status, 200);
    BOOST_TEST(contains(r.header("Transfer-Encoding"), "chunked"));
    BOOST_TEST(json::parse(r.body).at("content").at("id").as_int64() == 1501);
    BOOST_TEST(t.stats().tls_handshakes == 0u);
}

BOOST_AUTO_TEST_CASE(a_pool_shared_by_eight_threads_opens_at_most_one_connection_per_thread) {
    sim::ServerOptions o = tls_server();
    o.threads = 4;
    sim::Server server(o);
    HttpTransport t(trusting());
    auto token = login(t, server);
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&] {
            for (int j = 0; j < 40; ++j)
                if (t.send(get(server, "vm/?limit=5", token)).status == 200) ++ok;
        });
    for (auto& th : threads) th.join();
    BOOST_TEST(ok.load() == 8 * 40);
    BOOST_TEST(server.stats().connections <= 8u);
    BOOST_TEST(t.stats().tls_handshakes <= 8u);
    BOOST_TEST(t.stats().reused >= 8u * 40u - 8u);
}

BOOST_AUTO_TEST_CASE(a_connection_the_server_closed_while_idle_is_replaced_and_the_call_succeeds) {
    sim::ServerOptions o = tls_server();
    o.idle_timeout = 100ms;
    sim::Server server(o);
    HttpTransport t(trusting());
    auto token = login(t, server);
    BOOST_REQUIRE_EQUAL(t.send(get(server, "vm/1501/", token)).status, 200);
    std::this_thread::sleep_for(400ms);
    BOOST_TEST(server.stats().idle_closed >= 1u);
    // A PATCH too: the closed connection is noticed before anything is written on it.
    auto r = t.send(patch_state(server, 1501, 2, token));
    BOOST_TEST(r.status == 200, r.status << " " << r.error);
    BOOST_TEST(server.region().patches("vm", 1501) == 1u);
    BOOST_TEST(t.stats().stale_discarded >= 1u);
    BOOST_TEST(t.stats().connections_opened == 2u);
}

BOOST_AUTO_TEST_CASE(a_refused_connection_is_never_sent_so_even_a_patch_is_retried_then_reported) {
    std::string url;
    {
        sim::Server gone(tls_server());
        url = gone.iaas_url() + "vm/1501/";
    }  // stopped: nothing listens on its port any more
    HttpOptions ho = trusting();
    ho.backoff_base = 5ms;
    HttpTransport t(ho);
    auto r = t.send({"PATCH", url, {{"X-Auth-Token", "tok-secret-value-456"}}, "{\"state\": 2}", 5000ms});
    BOOST_TEST(r.status == 0);
    BOOST_TEST(!r.sent);
    BOOST_TEST(contains(r.error, "PATCH https://127.0.0.1:"), r.error);
    BOOST_TEST(contains(r.error, "connection refused"), r.error);
    BOOST_TEST(!contains(r.error, "tok-secret-value-456"));
    BOOST_TEST(t.stats().retries == static_cast<std::uint64_t>(ho.max_attempts - 1));
    BOOST_TEST(t.stats().connections_opened == 0u);
}

BOOST_AUTO_TEST_CASE(a_slow_server_hits_the_deadline_with_an_error_naming_method_host_and_path) {
    sim::ServerOptions o = tls_server();
    o.faults.latency = 5000ms;
    sim::Server server(o);
    HttpTransport t(trusting());
    HttpRequest req = get(server, "vm/1501/?search[x]=1", "tok-secret-value-123");
    req.timeout = 300ms;
    const auto start = std::chrono::steady_clock::now();
    auto r = t.send(req);
    const auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST(r.status == 0);
    BOOST_TEST(took < 2500ms);  // bounded by the deadline, not by the server's 5 s
    BOOST_TEST(contains(r.error, "GET https://127.0.0.1:" + std::to_string(server.port()) + "/iaas/vm/1501/"), r.error);
    BOOST_TEST(!contains(r.error, "tok-secret-value-123"));
    BOOST_TEST(!contains(r.error, "search"));
}

BOOST_AUTO_TEST_CASE(a_server_certificate_from_an_unknown_ca_is_refused_with_a_clear_error) {
    sim::Server server(tls_server());
    HttpOptions o;
    o.ca_file = ccx_test::pki().wrong_ca;
    HttpTransport t(o);
    auto r = t.send(get(server, "vm/1501/", "x"));
    BOOST_TEST(r.status == 0);
    BOOST_TEST(!r.sent);
    BOOST_TEST(contains(r.error, "TLS certificate verification failed"), r.error);
    BOOST_TEST(contains(r.error, "GET https://127.0.0.1:"), r.error);
    BOOST_TEST(server.stats().requests == 0u);
    BOOST_TEST(t.stats().retries == 0u);  // a refused certificate does not get better by retrying
}

BOOST_AUTO_TEST_CASE(a_certificate_for_another_host_name_is_refused) {
    sim::ServerOptions so = tls_server();
    so.cert_file = ccx_test::pki().other_cert;
    so.key_file = ccx_test::pki().other_key;
    sim::Server server(so);
    HttpTransport t(trusting());
    auto r = t.send(get(server, "vm/1501/", "x"));
    BOOST_TEST(r.status == 0);
    BOOST_TEST(contains(r.error, "TLS certificate verification failed"), r.error);
    BOOST_TEST(contains(r.error, "mismatch"), r.error);
    auto by_name = t.send({"GET", "https://localhost:" + std::to_string(server.port()) + "/iaas/vm/1501/", {}, "", 5000ms});
    BOOST_TEST(by_name.status == 0);
    BOOST_TEST(contains(by_name.error, "mismatch"), by_name.error);
    BOOST_TEST(server.stats().requests == 0u);
}

BOOST_AUTO_TEST_CASE(a_host_name_in_the_certificate_is_accepted_by_name_with_sni) {
    sim::Server server(tls_server());
    HttpTransport t(trusting());
    auto r = t.send({"GET", "https://localhost:" + std::to_string(server.port()) + "/_sim/stats", {}, "", 5000ms});
    BOOST_TEST(r.status == 200, r.error);
}

BOOST_AUTO_TEST_CASE(insecure_mode_connects_to_an_untrusted_server_and_warns_on_every_connection) {
    sim::Server server(tls_server());
    MemoryLogSink log;
    HttpOptions o;
    o.insecure = true;
    o.keep_alive = false;
    o.log = &log;
    HttpTransport t(o);
    for (int i = 0; i < 3; ++i) BOOST_TEST(t.send({"GET", server.base_url() + "/_sim/stats", {}, "", 5000ms}).status == 200);
    int warnings = 0;
    for (const auto& rec : log.records())
        if (rec.level == LogLevel::warning && contains(rec.message, "verification is OFF")) ++warnings;
    BOOST_TEST(warnings == 3);
}

BOOST_AUTO_TEST_CASE(an_ipv6_literal_url_reaches_a_server_on_the_ipv6_loopback) {
    sim::ServerOptions o = tls_server();
    o.bind = "::1";
    sim::Server server(o);
    BOOST_TEST(server.iaas_url().rfind("https://[::1]:", 0) == 0u);
    HttpTransport t(trusting());
    auto token = login(t, server);
    auto r = t.send(get(server, "vm/1501/", token));
    BOOST_TEST(r.status == 200, r.error);
}

BOOST_AUTO_TEST_CASE(bursts_of_503_are_retried_for_gets_and_a_patch_is_never_repeated) {
    sim::Server server(tls_server());
    HttpOptions ho = trusting();
    ho.backoff_base = 5ms;
    HttpTransport t(ho);
    auto token = login(t, server);
    sim::Faults f;
    f.fail_503 = 0.5;  // every other request
    server.set_faults(f);
    BOOST_REQUIRE_EQUAL(t.send(get(server, "vm/1501/", token)).status, 200);  // request 1 passes
    const auto before = server.stats().requests;
    auto r = t.send(patch_state(server, 1501, 2, token));  // request 2 is refused
    BOOST_TEST(r.status == 503);
    BOOST_TEST(server.stats().requests == before + 1);  // not sent twice
    BOOST_TEST(server.region().patches("vm", 1501) == 0u);
    // Request 3 passes; from then on every GET meets one 503 and passes on its retry.
    for (int i = 0; i < 10; ++i) BOOST_TEST(t.send(get(server, "vm/1501/", token)).status == 200);
    BOOST_TEST(server.stats().failed_503 == 1u + 9u);
    BOOST_TEST(t.stats().retries == 9u);
}

BOOST_AUTO_TEST_CASE(reset_connections_are_retried_for_gets_and_not_for_a_patch) {
    sim::Server server(tls_server());
    HttpOptions ho = trusting();
    ho.backoff_base = 5ms;
    HttpTransport t(ho);
    auto token = login(t, server);
    sim::Faults f;
    f.reset = 1;
    server.set_faults(f);
    auto r = t.send(patch_state(server, 1501, 2, token));
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.sent);
    BOOST_TEST(contains(r.error, "PATCH https://127.0.0.1:"), r.error);
    BOOST_TEST(server.stats().resets == 1u);
    BOOST_TEST(server.region().patches("vm", 1501) == 0u);
    f.reset = 0.5;
    server.set_faults(f);
    for (int i = 0; i < 6; ++i) BOOST_TEST(t.send(get(server, "vm/1501/", token)).status == 200);
    BOOST_TEST(server.stats().resets >= 4u);
}

BOOST_AUTO_TEST_CASE(truncated_responses_end_in_a_clear_error_without_a_crash) {
    sim::Server server(tls_server());
    HttpOptions ho = trusting();
    ho.backoff_base = 5ms;
    HttpTransport t(ho);
    auto token = login(t, server);
    sim::Faults f;
    f.truncate = 1;
    server.set_faults(f);
    auto r = t.send(get(server, "vm/1501/", token));
    BOOST_TEST(r.status == 0);
    BOOST_TEST(contains(r.error, "truncated"), r.error);
    BOOST_TEST(server.stats().truncated == static_cast<std::uint64_t>(ho.max_attempts));
}

BOOST_AUTO_TEST_CASE(a_body_over_the_size_limit_is_refused_and_the_transport_keeps_working) {
    sim::Server server(tls_server());
    HttpOptions ho = trusting();
    ho.max_body_bytes = 64 * 1024;
    HttpTransport t(ho);
    auto token = login(t, server);
    server.region().set_hook([](std::string_view, std::string_view path) -> std::optional<HttpResponse> {
        if (path.rfind("vm/1501/", 0) != 0) return std::nullopt;
        HttpResponse r;
        r.status = 200;
        r.body = "{\"content\": \"" + std::string(1u << 20, 'x') + "\"}";
        return r;
    });
    auto r = t.send(get(server, "vm/1501/", token));
    BOOST_TEST(r.status == 0);
    BOOST_TEST(contains(r.error, "size limit"), r.error);
    BOOST_TEST(t.send(get(server, "vm/1502/", token)).status != 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(iaas_client_over_https)

BOOST_AUTO_TEST_CASE(a_response_that_is_not_json_is_a_malformed_response_error) {
    sim::Server server(tls_server());
    HttpTransport t(trusting());
    IaasClient client(t, system_clock(), settings_for(server));
    server.region().set_hook([](std::string_view, std::string_view path) -> std::optional<HttpResponse> {
        if (path.rfind("vm/1501/", 0) != 0) return std::nullopt;
        HttpResponse r;
        r.status = 200;
        r.body = "{\"content\": {\"id\": 15";
        return r;
    });
    auto r = client.read("vm", 1501);
    BOOST_TEST(!r.ok());
    BOOST_TEST((r.failure == ErrorNumber::malformed_response));
    BOOST_TEST(contains(r.message, "not JSON"), r.message);
    BOOST_TEST(client.read("vm", 1502).ok());
}

BOOST_AUTO_TEST_CASE(an_expired_token_is_renewed_exactly_once_and_the_call_succeeds) {
    sim::Server server(tls_server());
    HttpTransport t(trusting());
    IaasClient client(t, system_clock(), settings_for(server));
    BOOST_REQUIRE(client.read("vm", 1501).ok());
    BOOST_TEST(client.logins() == 1);
    server.region().expire_tokens();
    auto r = client.read("vm", 1501);
    BOOST_TEST(r.ok(), r.message);
    BOOST_TEST(client.logins() == 2);
    BOOST_TEST(client.read("vm", 1501).ok());
    BOOST_TEST(client.logins() == 2);
}

BOOST_AUTO_TEST_CASE(a_failing_login_is_one_clear_error_not_a_loop) {
    sim::Server server(tls_server());
    HttpTransport t(trusting());
    auto s = settings_for(server);
    s.password = "wrong-password-value";
    IaasClient client(t, system_clock(), s);
    auto r = client.read("vm", 1501);
    BOOST_TEST(!r.ok());
    BOOST_TEST((r.failure == ErrorNumber::login_failed));
    BOOST_TEST(contains(r.message, "membership_auth_login_001"), r.message);
    BOOST_TEST(!contains(r.message, "wrong-password-value"));
    BOOST_TEST(client.logins() == 1);
    BOOST_TEST(server.stats().requests == 1u);
}

BOOST_AUTO_TEST_CASE(a_refused_state_change_comes_back_with_the_api_error_code) {
    sim::Server server(tls_server());
    HttpTransport t(trusting());
    IaasClient client(t, system_clock(), settings_for(server));
    auto r = client.update("vm", 1501, json::object{{"state", 4}});  // REQUESTED -> RUNNING is not the robot's
    BOOST_TEST(r.status == 400);
    BOOST_TEST(contains(r.message, "iaas_vm_update_107"), r.message);
}

BOOST_AUTO_TEST_CASE(lists_are_read_page_by_page_over_https) {
    sim::Server server(tls_server());
    HttpTransport t(trusting());
    IaasClient client(t, system_clock(), settings_for(server));
    Query q;
    q.limit = 1;
    auto all = client.list("server_type", q);
    BOOST_TEST(all.ok(), all.message);
    BOOST_TEST(all.items.size() == 5u);
    BOOST_TEST(t.stats().connections_opened == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(token_age_and_region_file)

BOOST_AUTO_TEST_CASE(a_token_older_than_forty_minutes_is_renewed_before_it_is_used) {
    sim::Server server(tls_server());
    HttpTransport t(trusting());
    ManualClock clock;
    IaasClient client(t, clock, settings_for(server));
    BOOST_REQUIRE(client.read("vm", 1501).ok());
    clock.advance(39min);
    BOOST_REQUIRE(client.read("vm", 1501).ok());
    BOOST_TEST(client.logins() == 1);
    clock.advance(2min);
    BOOST_REQUIRE(client.read("vm", 1501).ok());
    BOOST_TEST(client.logins() == 2);
}

BOOST_AUTO_TEST_CASE(the_simulator_writes_changes_to_its_region_file_periodically_and_on_stop) {
    char tmpl[] = "/tmp/ccx-region-XXXXXX";
    BOOST_REQUIRE(mkdtemp(tmpl) != nullptr);
    const std::filesystem::path dir = tmpl;
    const std::string file = (dir / "region.json").string();
    {
        std::ofstream out(file);
        out << demo_region_json();
    }
    auto state_in_file = [&]() -> std::int64_t {
        std::ifstream in(file);
        std::stringstream text;
        text << in.rdbuf();
        const json::value region = json::parse(text.str());
        for (const auto& vm : region.at("vm").as_array())
            if (vm.at("id").as_int64() == 1501) return vm.at("state").as_int64();
        return -1;
    };
    {
        sim::ServerOptions o = tls_server();
        o.region_file = file;
        o.save_every = 1s;
        sim::Server server(o);
        HttpTransport t(trusting());
        IaasClient client(t, system_clock(), settings_for(server));
        BOOST_REQUIRE(client.update("vm", 1501, json::object{{"state", 2}}).ok());
        std::int64_t seen = -1;
        for (int i = 0; i < 100 && seen != 2; ++i) {  // written by the periodic save, before any stop
            std::this_thread::sleep_for(50ms);
            seen = state_in_file();
        }
        BOOST_TEST(seen == 2);
        BOOST_REQUIRE(client.update("vm", 1501, json::object{{"state", 4}}).ok());
        server.stop();
        BOOST_TEST(state_in_file() == 4);
    }
    std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
