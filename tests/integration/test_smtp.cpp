// SmtpNotifier against a real SMTP server (aiosmtpd) on loopback, and the template renderer.
#include <fstream>
#include <iterator>
#include <set>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include "cloudcix_drivers/log.hpp"
#include "cloudcix_drivers/notify/smtp.hpp"
#include "cloudcix_drivers/robot.hpp"
#include "cloudcix_drivers/run.hpp"
#include "cloudcix_drivers/testing.hpp"
#include "support/fixture.hpp"
#include "support/printing.hpp"
#include "support/servers.hpp"

using namespace cloudcix::drivers;
namespace json = boost::json;
using namespace std::chrono_literals;
using ccx_test::SmtpServer;

namespace {

bool contains(const std::string& haystack, std::string_view needle) { return haystack.find(needle) != std::string::npos; }

SmtpOptions options_for(unsigned port, LogSink* log) {
    SmtpOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    o.starttls = false;
    o.from = "robot@demo.cloudcix.local";
    o.reply_to = "support@demo.cloudcix.local";
    o.organization_url = "demo.cloudcix.local";
    o.templates_dir = CCX_TEMPLATES_SOURCE_DIR;
    o.connect_timeout = 3s;
    o.timeout = 10s;
    o.log = log;
    return o;
}

// The engine over the in-memory IaaS with recording primitives: only the notifier is real.
struct Rig {
    std::shared_ptr<IaasRegion> region = IaasRegion::demo();
    MemoryIaas transport{region};
    Config config;
    std::unique_ptr<IaasClient> iaas;
    InProcessLock lock;
    MemoryLogSink log;
    RecordingPrimitives primitives;
    Context ctx;

    explicit Rig(Notifier& notifier) {
        config = ccx_test::demo_config();
        config.send_to_fail = {"noc@demo.cloudcix.local"};
        config.compute_ui_url = "https://portal.demo.cloudcix.local/compute/";
        iaas = std::make_unique<IaasClient>(transport, system_clock(), config.iaas);
        ctx.iaas = iaas.get();
        ctx.lock = &lock;
        ctx.primitives = &primitives;
        ctx.notifier = &notifier;
        ctx.log = &log;
        ctx.config = config;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(smtp)

BOOST_AUTO_TEST_CASE(the_template_renderer_escapes_every_value_and_repeats_lists) {
    json::object data{{"name", "<script>alert('x')</script> & co"},
                      {"errors", json::array{"first <b>", "second"}},
                      {"vm", json::object{{"id", 7}, {"tags", json::array{"a"}}}},
                      {"empty", ""}};
    BOOST_TEST(email::render("Hi {{ name }}!", data) == "Hi &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co!");
    BOOST_TEST(email::render("{{#errors}}[{{.}}]{{/errors}}", data) == "[first &lt;b&gt;][second]");
    BOOST_TEST(email::render("{{^errors}}none{{/errors}}{{^missing}}none{{/missing}}{{#empty}}x{{/empty}}", data) == "none");
    BOOST_TEST(email::render("{{vm.id}} {{#vm}}{{id}}/{{name}}{{/vm}}", data) ==
               "7 7/&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co");
    BOOST_TEST(email::render("{{vm}}", data) == "{\n  &quot;id&quot;: 7,\n  &quot;tags&quot;: [\n    &quot;a&quot;\n  ]\n}");
    BOOST_TEST(email::render("{{missing}}.", data) == ".");
    BOOST_CHECK_THROW(email::render("{{#errors}}unclosed", data), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(the_vm_build_success_mail_reaches_a_real_smtp_server_over_starttls_with_auth) {
    SmtpServer server(true, "robot@demo.cloudcix.local", "smtp-pass-1234");
    MemoryLogSink log;
    auto o = options_for(server.port, &log);
    o.starttls = true;
    o.username = "robot@demo.cloudcix.local";
    o.password = "smtp-pass-1234";
    o.ca_file = server.cert.string();
    SmtpNotifier notifier(o);
    Rig rig(notifier);
    auto out = run(rig.ctx, "vm_kvm", "build", 1501);
    BOOST_TEST_REQUIRE((out.status == Status::succeeded));
    auto messages = server.messages();
    BOOST_TEST_REQUIRE(messages.size() == 1u, log.text());
    const std::string& m = messages[0];
    BOOST_TEST(contains(m, "RCPT TO: owner@demo.cloudcix.local\n"));
    BOOST_TEST(contains(m, "AUTH: True\n"));
    BOOST_TEST(contains(m, "TLS: True\n"));
    BOOST_TEST(contains(m, "Subject: [demo.cloudcix.local] Your VM has been built successfully!\r\n"));
    BOOST_TEST(contains(m, "From: robot@demo.cloudcix.local\r\n"));
    BOOST_TEST(contains(m, "To: owner@demo.cloudcix.local\r\n"));
    BOOST_TEST(contains(m, "Reply-To: \"demo.cloudcix.local\" <support@demo.cloudcix.local>\r\n"));
    BOOST_TEST(contains(m, "Content-Type: multipart/alternative;"));
    BOOST_TEST(contains(m, "Content-Type: text/plain; charset=UTF-8"));
    auto html = server.html(0);
    BOOST_TEST(contains(html, "<strong>web01</strong>"));
    BOOST_TEST(contains(html, "https://portal.demo.cloudcix.local/compute/"));
    BOOST_TEST(!contains(html, "Password"));  // a cloud-init VM has no generated password
    BOOST_TEST(!contains(log.text(), "smtp-pass-1234"));
}

BOOST_AUTO_TEST_CASE(a_notification_goes_as_one_message_per_recipient) {
    SmtpServer server;
    SmtpNotifier notifier(options_for(server.port, nullptr));
    Notification n{"vm_build_failure", {"a@example.com", "b@example.com"}, "Your VM has failed to build.", {{"name", "web01"}}};
    BOOST_TEST(notifier.send(n));
    auto messages = server.messages();
    BOOST_TEST_REQUIRE(messages.size() == 2u);
    BOOST_TEST(contains(messages[0], "RCPT TO: a@example.com\n"));
    BOOST_TEST(contains(messages[0], "To: a@example.com\r\n"));
    BOOST_TEST(!contains(messages[0], "b@example.com"));
    BOOST_TEST(contains(messages[1], "RCPT TO: b@example.com\n"));
    BOOST_TEST(!contains(messages[1], "a@example.com"));
}

BOOST_AUTO_TEST_CASE(the_noc_failure_mail_lists_the_errors_and_the_record) {
    SmtpServer server;
    SmtpNotifier notifier(options_for(server.port, nullptr));
    Notification n{"failure_noc", {"noc@example.com"}, "VM Failure Occurred!",
                   {{"title", "VM"}, {"noun", "VM"}, {"id", 1501}, {"task", "build"},
                    {"errors", json::array{"vm_kvm_build_2002: step <1> failed"}},
                    {"data", json::object{{"id", 1501}, {"name", "web01"}}}}};
    BOOST_TEST(notifier.send(n));
    auto html = server.html(0);
    BOOST_TEST(contains(html, "<li><code>vm_kvm_build_2002: step &lt;1&gt; failed</code></li>"));
    BOOST_TEST(contains(html, "&quot;name&quot;: &quot;web01&quot;"));
    BOOST_TEST(contains(html, "VM Failure Occurred!"));
    BOOST_TEST(contains(html, "<strong>build</strong> VM <strong>#1501</strong>"));
}

BOOST_AUTO_TEST_CASE(the_hyperv_build_success_mail_carries_the_admin_password_only_in_the_body) {
    SmtpServer server;
    MemoryLogSink log;
    SmtpNotifier notifier(options_for(server.port, &log));
    secrets::remember("Adm1n-Pa55-word");
    Notification n{"vm_build_success", {"owner@example.com"}, "Your VM has been built successfully!",
                   {{"name", "win01"}, {"username", "administrator"}, {"admin_password", "Adm1n-Pa55-word"}}};
    BOOST_TEST(notifier.send(n));
    auto html = server.html(0);
    BOOST_TEST(contains(html, "<code>Adm1n-Pa55-word</code>"));
    BOOST_TEST(contains(html, "<code>administrator</code>"));
    auto m = server.messages()[0];
    BOOST_TEST(!contains(m.substr(0, m.find("\r\n\r\n")), "Adm1n"));  // not in any header
    BOOST_TEST(!contains(log.text(), "Adm1n-Pa55-word"));
}

BOOST_AUTO_TEST_CASE(with_the_smtp_server_down_the_verb_still_succeeds_and_the_failure_is_logged) {
    MemoryLogSink log;
    SmtpNotifier notifier(options_for(ccx_test::free_port(), &log));
    Rig rig(notifier);
    auto out = run(rig.ctx, "vm_kvm", "build", 1501);
    BOOST_TEST((out.status == Status::succeeded));
    BOOST_TEST(out.errors.empty());
    BOOST_TEST((rig.region->state("vm", 1501) == State::RUNNING));
    BOOST_TEST(contains(log.text(), "could not send e-mail 'vm_build_success' to owner@demo.cloudcix.local"), log.text());
    BOOST_TEST(contains(rig.log.text(), "could not send e-mail 'vm_build_success'"), rig.log.text());
}

BOOST_AUTO_TEST_CASE(a_refused_login_is_a_logged_failure_without_the_password) {
    SmtpServer server(true, "robot@demo.cloudcix.local", "the-right-one");
    MemoryLogSink log;
    auto o = options_for(server.port, &log);
    o.starttls = true;
    o.username = "robot@demo.cloudcix.local";
    o.password = "the-wrong-one";
    o.ca_file = server.cert.string();
    SmtpNotifier notifier(o);
    Notification n{"vm_build_failure", {"a@example.com"}, "Your VM has failed to build.", {{"name", "web01"}}};
    BOOST_TEST(!notifier.send(n));
    BOOST_TEST(server.messages().empty());
    BOOST_TEST(contains(log.text(), "could not send"));
    BOOST_TEST(!contains(log.text(), "the-wrong-one"));
}

BOOST_AUTO_TEST_CASE(an_unverifiable_server_certificate_is_refused) {
    SmtpServer server(true);
    MemoryLogSink log;
    auto o = options_for(server.port, &log);
    o.starttls = true;
    o.username = "robot@example.com";
    o.password = "s3cret-smtp";
    SmtpNotifier notifier(o);  // no ca_file: the self-signed certificate cannot be verified
    Notification n{"vm_build_failure", {"a@example.com"}, "Your VM has failed to build.", {{"name", "web01"}}};
    BOOST_TEST(!notifier.send(n));
    BOOST_TEST(server.messages().empty());
}

BOOST_AUTO_TEST_CASE(header_injection_through_a_recipient_or_subject_is_refused) {
    SmtpServer server;
    MemoryLogSink log;
    SmtpNotifier notifier(options_for(server.port, &log));
    Notification bad_to{"vm_build_failure", {"a@example.com\r\nBcc: evil@example.com"}, "s", {{"name", "x"}}};
    BOOST_TEST(!notifier.send(bad_to));
    Notification bad_subject{"vm_build_failure", {"a@example.com"}, "s\r\nBcc: evil@example.com", {{"name", "x"}}};
    BOOST_TEST(!notifier.send(bad_subject));
    Notification bad_template{"../../etc/passwd", {"a@example.com"}, "s", {}};
    BOOST_TEST(!notifier.send(bad_template));
    BOOST_TEST(server.messages().empty());
}

BOOST_AUTO_TEST_CASE(every_template_the_spec_lists_exists_and_renders) {
    SmtpNotifier notifier(options_for(25, nullptr));
    for (const char* name : {"vm_build_success", "vm_build_failure", "failure_noc", "vm_scheduled_for_deletion", "vpn_success",
                             "snapshot_build_failure", "backup_build_failure"}) {
        BOOST_TEST_CONTEXT(name) {
            Notification n{name, {"a@example.com"}, "Subject ünïcödé", {{"name", "x"}, {"id", 1}, {"task", "build"}}};
            std::string m;
            BOOST_CHECK_NO_THROW(m = notifier.compose(n, "a@example.com"));
            BOOST_TEST(contains(m, "Subject: =?UTF-8?B?"));
        }
    }
}

BOOST_AUTO_TEST_CASE(every_mail_the_verbs_send_over_the_demo_region_has_a_template_that_renders) {
    // The robot's whole demo workload (52 verbs, one failure) plus a router build with VPN mails:
    // each notification a verb sends must compose, so a template name in the code without a file
    // (or a section left open) fails here rather than in an operator's log.
    MemoryNotifier sent;
    Rig rig(sent);
    for (int round = 0; round < 5; ++round) {
        RobotWork work = read_robot_work(*rig.iaas);
        BOOST_TEST_REQUIRE(work.ok, work.message);
        if (work.tasks.empty()) break;
        for (const auto& t : work.tasks) run(rig.ctx, t.driver, t.verb, t.resource_id);
        BOOST_TEST_REQUIRE(acknowledge_robot_work(*rig.iaas, work.project_ids).ok());
    }
    run(rig.ctx, "virtual_router", "build", 80);
    SmtpNotifier notifier(options_for(25, nullptr));
    std::set<std::string> templates;
    for (const auto& n : sent.sent()) {
        templates.insert(n.template_name);
        BOOST_TEST_CONTEXT(n.template_name) {
            BOOST_REQUIRE(!n.to.empty());
            std::string m;
            BOOST_CHECK_NO_THROW(m = notifier.compose(n, n.to.front()));
            BOOST_TEST(!contains(m, "{{"));
        }
        if (n.template_name == "vpn_success" && n.data.at("vpn_type") == "site_to_site") {
            // The customer needs every value of both phases to configure their end.
            std::ifstream in(std::string(CCX_TEMPLATES_SOURCE_DIR) + "/vpn_success.html");
            std::string html = email::render(std::string(std::istreambuf_iterator<char>(in), {}), n.data);
            std::string action(n.data.at("action").as_string()), psk(n.data.at("ike").at("pre_shared_key").as_string());
            for (const std::string& want : {action + " successfully", std::string("IKE (phase 1)"), std::string("sha-256"), psk,
                                            std::string("IPsec (phase 2)"), std::string("aes-256-gcm"), std::string("group19"),
                                            std::string("192.168.10.0/24")})
                BOOST_TEST(contains(html, want), want);
            BOOST_TEST(psk.rfind("demo-psk-", 0) == 0u);
        }
    }
    for (const char* name : {"vm_build_success", "vm_build_failure", "failure_noc", "vpn_success"})
        BOOST_TEST(templates.count(name) == 1u, name << " was among the mails sent");
}

BOOST_AUTO_TEST_SUITE_END()
