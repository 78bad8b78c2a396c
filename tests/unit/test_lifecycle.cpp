// The lifecycle engine, through vm_kvm.build/scrub (the two complete verbs) and the in-memory ports.
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include "support/fixture.hpp"

using namespace ccx_test;
namespace json = boost::json;

namespace {
bool has_code(const Outcome& o, std::string_view suffix) {
    for (const auto& e : o.errors)
        if (e.code.size() >= 4 && e.code.substr(e.code.size() - 4) == suffix) return true;
    return false;
}
std::string codes(const Outcome& o) {
    std::string s;
    for (const auto& e : o.errors) s += e.code + ": " + e.message + "\n";
    return s;
}
// Throws from inside a port.
class ThrowingPrimitives : public Primitives {
public:
    PrimitiveResult call(const PrimitiveCall&) override { throw std::runtime_error("disk on fire"); }
};
}  // namespace

BOOST_AUTO_TEST_SUITE(lifecycle)

BOOST_AUTO_TEST_CASE(a_build_from_requested_succeeds_and_writes_running) {
    Demo d;
    auto o = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(o.status == Status::succeeded, codes(o));
    BOOST_TEST(*o.state_before == State::REQUESTED);
    BOOST_TEST(*o.state_after == State::RUNNING);
    BOOST_TEST(d.state("vm", 1501) == State::RUNNING);
    BOOST_TEST(o.errors.empty());
    BOOST_TEST(o.trace_id.size() == 32u);
    std::vector<std::string> expected{"bridge_kvm.build", "storage_kvm.build", "cidata.build", "cloudinit_kvm.build"};
    BOOST_TEST(d.primitives.names() == expected, boost::test_tools::per_element());
    BOOST_TEST(d.region->patches("vm", 1501) == 2u);  // BUILDING, then RUNNING
}

BOOST_AUTO_TEST_CASE(a_resource_not_in_the_trigger_state_is_skipped_with_0001_and_no_write) {
    Demo d;
    auto o = d.run("vm_kvm", "build", 1503);  // RUNNING
    BOOST_TEST(o.status == Status::skipped);
    BOOST_TEST(has_code(o, "0001"), codes(o));
    BOOST_TEST(o.errors.front().code == "vm_kvm_build_0001");
    BOOST_TEST(d.region->patches("vm", 1503) == 0u);
    BOOST_TEST(d.primitives.calls().empty());
    BOOST_TEST(*o.state_after == State::RUNNING);
}

BOOST_AUTO_TEST_CASE(a_second_run_of_the_same_task_is_skipped) {
    Demo d;
    BOOST_TEST(d.run("vm_kvm", "build", 1501).status == Status::succeeded);
    auto again = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(again.status == Status::skipped);
    BOOST_TEST(d.primitives.calls().size() == 4u);
}

BOOST_AUTO_TEST_CASE(an_unknown_driver_or_verb_is_rejected_with_close_names) {
    Demo d;
    auto o = d.run("vm_kvm", "bild", 1501);
    BOOST_TEST(o.status == Status::rejected);
    BOOST_TEST(has_code(o, "1004"));
    BOOST_TEST(o.errors.front().message.find("vm_kvm.build") != std::string::npos, o.errors.front().message);
    BOOST_TEST(d.run("vm_kmv", "build", 1501).status == Status::rejected);
    BOOST_TEST(d.region->patches("vm", 1501) == 0u);
}

BOOST_AUTO_TEST_CASE(a_non_positive_id_is_rejected) {
    Demo d;
    for (long long id : {0LL, -5LL}) {
        auto o = d.run("vm_kvm", "build", id);
        BOOST_TEST(o.status == Status::rejected);
        BOOST_TEST(has_code(o, "1004"));
    }
}

BOOST_AUTO_TEST_CASE(a_missing_resource_is_rejected_with_0002) {
    Demo d;
    auto o = d.run("vm_kvm", "build", 424242);
    BOOST_TEST(o.status == Status::rejected);
    BOOST_TEST(has_code(o, "0002"), codes(o));
    BOOST_TEST(!o.state_before.has_value());
}

BOOST_AUTO_TEST_CASE(a_verb_without_a_plan_is_rejected_and_never_reports_success) {
    Demo d;
    // Find a registered verb with no plan in this build (the catalogue is completed verb by verb).
    const VerbSpec* missing = nullptr;
    for (const auto& name : builtin_registry().names())
        if (!builtin_registry().find(name)->plan) missing = builtin_registry().find(name);
    if (missing == nullptr) return;  // every verb has its plan
    auto o = d.run(missing->driver, missing->verb, 1503);
    BOOST_TEST(o.status == Status::rejected);
    BOOST_TEST(has_code(o, "1003"), codes(o));
}

BOOST_AUTO_TEST_CASE(malformed_json_from_the_api_is_rejected) {
    Demo d;
    d.region->set_hook([](std::string_view, std::string_view path) -> std::optional<HttpResponse> {
        if (path == "vm/1501/") return HttpResponse{200, {}, "{\"content\": {\"id\": 1501,", {}, true};
        return std::nullopt;
    });
    auto o = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(o.status == Status::rejected);
    BOOST_TEST(has_code(o, "0003"), codes(o));
}

BOOST_AUTO_TEST_CASE(a_missing_or_ill_typed_field_is_rejected_naming_the_field) {
    Demo d;
    auto vm = *d.region->object("vm", 1501);
    vm.erase("project");
    vm["state"] = "one";
    d.region->put("vm", vm);
    auto o = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(o.status == Status::rejected);
    BOOST_TEST(has_code(o, "0004"), codes(o));
    BOOST_TEST(o.errors.front().message.find("'state'") != std::string::npos, o.errors.front().message);

    Demo e;
    auto vm2 = *e.region->object("vm", 1501);
    vm2["cpu"] = "two";
    e.region->put("vm", vm2);
    auto o2 = e.run("vm_kvm", "build", 1501);
    BOOST_TEST(o2.status == Status::failed);  // found after the in-progress mark: UNRESOURCED
    BOOST_TEST(has_code(o2, "0004"), codes(o2));
    BOOST_TEST(codes(o2).find("'cpu'") != std::string::npos, codes(o2));
    BOOST_TEST(e.state("vm", 1501) == State::UNRESOURCED);
}

BOOST_AUTO_TEST_CASE(a_refused_in_progress_patch_fails_without_host_work) {
    Demo d;
    d.region->set_hook([](std::string_view method, std::string_view path) -> std::optional<HttpResponse> {
        if (method == "PATCH" && path == "vm/1501/")
            return HttpResponse{400, {}, R"({"errors":{"state":{"error_code":"iaas_vm_update_107","detail":"no"}},"detail":"Bad request."})", {}, true};
        return std::nullopt;
    });
    auto o = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(o.status == Status::failed);
    BOOST_TEST(has_code(o, "0005"), codes(o));
    BOOST_TEST(codes(o).find("iaas_vm_update_107") != std::string::npos);
    BOOST_TEST(d.primitives.calls().empty());
    BOOST_TEST(d.state("vm", 1501) == State::REQUESTED);
}

BOOST_AUTO_TEST_CASE(a_failing_primitive_leaves_the_resource_unresourced_with_a_2xxx_code) {
    Demo d;
    d.primitives.fail_at(1, PrimitiveResult{false, "3022: storage_kvm.build step 2 failed", nullptr, PrimitiveFailure::command});
    auto o = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(o.status == Status::failed);
    BOOST_TEST(o.errors.front().code == "vm_kvm_build_2002", codes(o));
    BOOST_TEST(o.errors.front().message.find("storage_kvm.build") != std::string::npos);
    BOOST_TEST(has_code(o, "1001"));
    BOOST_TEST(d.primitives.calls().size() == 2u);  // nothing after the failing step
    BOOST_TEST(d.state("vm", 1501) == State::UNRESOURCED);
    BOOST_TEST(*o.state_after == State::UNRESOURCED);
    auto mails = d.mail.sent();
    BOOST_REQUIRE(mails.size() == 2u);
    BOOST_TEST(mails[0].template_name == "vm_build_failure");
    BOOST_TEST(mails[1].template_name == "failure_noc");
    BOOST_TEST(mails[1].data.at("kind").as_string() == "vm");
    BOOST_TEST(mails[1].subject == "VM Failure Occurred!");
}

BOOST_AUTO_TEST_CASE(primitive_failures_map_to_their_own_2xxx_codes) {
    struct Row {
        PrimitiveResult result;
        std::string code;
    };
    std::vector<Row> rows{
        {{false, "4000: no primitive", nullptr, PrimitiveFailure::unknown}, "2000"},
        {{true, "3021: actually failed", nullptr, PrimitiveFailure::none}, "2001"},
        {{false, "3021: could not reach", nullptr, PrimitiveFailure::channel}, "2003"},
        {{false, "3527: timed out", nullptr, PrimitiveFailure::timeout}, "2004"},
        {{false, "4001: bad vlan", nullptr, PrimitiveFailure::bad_argument}, "2005"},
    };
    for (const auto& row : rows) {
        Demo d;
        d.primitives.fail_at(0, row.result);
        auto o = d.run("vm_kvm", "build", 1501);
        BOOST_TEST(o.status == Status::failed);
        BOOST_TEST(o.errors.front().code == "vm_kvm_build_" + row.code, codes(o));
    }
}

BOOST_AUTO_TEST_CASE(an_exception_in_a_port_becomes_1000_and_unresourced) {
    Demo d;
    ThrowingPrimitives boom;
    d.ctx.primitives = &boom;
    auto o = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(o.status == Status::failed);
    BOOST_TEST(o.errors.front().code == "vm_kvm_build_1000", codes(o));
    BOOST_TEST(o.errors.front().message.find("disk on fire") != std::string::npos);
    BOOST_TEST(d.state("vm", 1501) == State::UNRESOURCED);
    BOOST_TEST(d.lock.held().empty());
}

BOOST_AUTO_TEST_CASE(an_exception_before_the_mark_leaves_the_state_alone) {
    Demo d;
    d.region->set_hook([](std::string_view, std::string_view path) -> std::optional<HttpResponse> {
        if (path.rfind("virtual_router/", 0) == 0) throw std::runtime_error("transport exploded");
        return std::nullopt;
    });
    auto o = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(o.status == Status::failed);
    BOOST_TEST(o.errors.front().code == "vm_kvm_build_1000", codes(o));
    BOOST_TEST(d.state("vm", 1501) == State::REQUESTED);
    BOOST_TEST(d.lock.held().empty());
}

BOOST_AUTO_TEST_CASE(a_busy_lock_postpones_without_touching_the_resource) {
    Demo d;
    auto hold = d.lock.acquire({"host:12"}, std::chrono::steady_clock::now() + std::chrono::seconds(1));
    BOOST_REQUIRE(hold);
    auto o = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(o.status == Status::postponed);
    BOOST_TEST(has_code(o, "1002"), codes(o));
    BOOST_TEST(o.retry_after.count() > 0);
    BOOST_TEST(d.region->patches("vm", 1501) == 0u);
    hold.reset();
    BOOST_TEST(d.run("vm_kvm", "build", 1501).status == Status::succeeded);
}

BOOST_AUTO_TEST_CASE(the_lock_is_released_on_every_path) {
    Demo d;
    d.run("vm_kvm", "build", 1501);    // succeeded
    d.run("vm_kvm", "build", 1503);    // skipped
    d.run("vm_kvm", "build", 1601);    // failed by dependency
    d.run("vm_kvm", "scrub", 424242);  // rejected
    d.primitives.fail_at(4, PrimitiveResult{false, "3121: x", nullptr, PrimitiveFailure::command});
    d.run("vm_kvm", "scrub", 1502);  // failed by primitive
    BOOST_TEST(d.lock.held().empty());
}

BOOST_AUTO_TEST_CASE(a_caller_traceparent_is_continued) {
    Demo d;
    RunOptions opts;
    opts.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    auto o = d.run("vm_kvm", "build", 1501, opts);
    BOOST_TEST(o.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
    bool child_of_caller = false;
    for (const auto& s : d.tracer.spans())
        if (s.name == "vm_kvm.build") child_of_caller = s.parent_span_id == "00f067aa0ba902b7";
    BOOST_TEST(child_of_caller);
}

BOOST_AUTO_TEST_CASE(every_step_is_a_child_span_of_the_task) {
    Demo d;
    auto o = d.run("vm_kvm", "build", 1501);
    std::string root_span;
    std::vector<std::string> names;
    for (const auto& s : d.tracer.spans()) {
        BOOST_TEST(s.context.trace_id == o.trace_id);
        names.push_back(s.name);
        if (s.name == "vm_kvm.build") root_span = s.context.span_id;
    }
    for (const char* step : {"read", "lock", "prerequisites", "plan", "execute", "cloudinit_kvm.build", "notify"})
        BOOST_TEST((std::find(names.begin(), names.end(), step) != names.end()), step);
    BOOST_TEST(!root_span.empty());
}

BOOST_AUTO_TEST_CASE(secrets_never_appear_in_an_outcome_a_log_line_or_a_span) {
    Demo d;
    const std::string admin_password = "Adm1nPassw0rdXYZ";
    auto vm = *d.region->object("vm", 1501);
    vm["admin_password"] = admin_password;
    vm["cpu"] = "two " + admin_password;  // an error message that would quote a secret
    d.region->put("vm", vm);
    secrets::remember(admin_password);
    d.primitives.fail_at(0, PrimitiveResult{false, "3022: failed with token " + d.config.iaas.password, nullptr, PrimitiveFailure::command});
    auto o = d.run("vm_kvm", "build", 1501);
    d.run("vm_kvm", "scrub", 1502);
    std::string everything = to_json(o) + d.log.text();
    for (const auto& s : d.tracer.spans()) {
        everything += s.error;
        for (const auto& [k, v] : s.attributes) everything += k + "=" + v;
    }
    for (const auto& m : d.mail.sent()) everything += boost::json::serialize(m.data);
    BOOST_TEST(everything.find(admin_password) == std::string::npos);
    BOOST_TEST(everything.find(d.config.iaas.password) == std::string::npos);
    BOOST_TEST(everything.find(d.config.iaas.api_key) == std::string::npos);
    BOOST_TEST(!d.log.text().empty());
}

BOOST_AUTO_TEST_CASE(plan_reads_without_writing_or_locking) {
    Demo d;
    auto report = plan(d.ctx, "vm_kvm", "build", 1501);
    BOOST_TEST(report.outcome.status == Status::succeeded, codes(report.outcome));
    BOOST_TEST(report.in_trigger_state);
    BOOST_TEST(report.calls.size() == 4u);
    BOOST_TEST(d.region->patches("vm", 1501) == 0u);
    BOOST_TEST(d.primitives.calls().empty());
}

BOOST_AUTO_TEST_SUITE_END()
