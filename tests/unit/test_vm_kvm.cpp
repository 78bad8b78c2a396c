// vm_kvm.build and vm_kvm.scrub: their dependencies, plans and e-mails.
#include <boost/test/unit_test.hpp>

#include "support/fixture.hpp"

using namespace ccx_test;
namespace json = boost::json;

namespace {
std::string codes(const Outcome& o) {
    std::string s;
    for (const auto& e : o.errors) s += e.code + ": " + e.message + "\n";
    return s;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(vm_kvm)

BOOST_AUTO_TEST_CASE(a_vm_build_whose_router_is_not_running_is_postponed_for_10_seconds) {
    Demo d;
    d.region->set_state("virtual_router", 77, State::BUILDING);
    auto o = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(o.status == Status::postponed);
    BOOST_TEST(o.retry_after == std::chrono::milliseconds(10000));
    BOOST_TEST(o.errors.front().code == "vm_kvm_build_0011");
    BOOST_TEST(d.state("vm", 1501) == State::REQUESTED);
    BOOST_TEST(d.primitives.calls().empty());
    d.region->set_state("virtual_router", 77, State::RUNNING);
    BOOST_TEST(d.run("vm_kvm", "build", 1501).status == Status::succeeded);
}

BOOST_AUTO_TEST_CASE(a_vm_build_whose_router_is_unresourced_fails_with_0007) {
    Demo d;
    auto o = d.run("vm_kvm", "build", 1601);  // router 78 is UNRESOURCED
    BOOST_TEST(o.status == Status::failed);
    BOOST_TEST(o.errors.front().code == "vm_kvm_build_0007", codes(o));
    BOOST_TEST(d.state("vm", 1601) == State::UNRESOURCED);  // REQUESTED -> UNRESOURCED is allowed
    BOOST_TEST(d.primitives.calls().empty());
    BOOST_TEST(d.mail.sent().size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_vm_build_whose_router_cannot_be_read_is_postponed) {
    Demo d;
    d.region->set_hook([](std::string_view, std::string_view path) -> std::optional<HttpResponse> {
        if (path.rfind("virtual_router/", 0) == 0) return HttpResponse{503, {}, "", {}, true};
        return std::nullopt;
    });
    auto o = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(o.status == Status::postponed);
    BOOST_TEST(o.errors.front().code == "vm_kvm_build_0010", codes(o));
}

BOOST_AUTO_TEST_CASE(every_vm_verb_waits_while_a_snapshot_of_the_vm_is_not_stable) {
    Demo d;
    d.region->put("snapshot", json::object{{"id", 5005}, {"vm_id", 1502}, {"state", 2}, {"name", "s"}});
    auto o = d.run("vm_kvm", "scrub", 1502);
    BOOST_TEST(o.status == Status::postponed);
    BOOST_TEST(codes(o).find("snapshot #5005") != std::string::npos, codes(o));
    d.region->set_state("snapshot", 5005, State::CLOSED);
    BOOST_TEST(d.run("vm_kvm", "scrub", 1502).status == Status::succeeded);
}

BOOST_AUTO_TEST_CASE(the_build_plan_takes_its_arguments_from_the_vm) {
    Demo d;
    auto report = plan(d.ctx, "vm_kvm", "build", 1501);
    const auto& calls = report.calls;
    BOOST_REQUIRE(calls.size() == 4u);
    BOOST_TEST(calls[0].args.at("vlan").as_int64() == 1002);
    BOOST_TEST(calls[0].args.at("host").as_string() == "2a02:db8:9::10:0:12");  // first enabled IPv6 interface
    BOOST_TEST(calls[1].args.at("storage").as_string() == "812_1501_SSD_7002.img");
    BOOST_TEST(calls[1].args.at("gb").as_int64() == 100);
    const auto& ci = calls[3].args;
    BOOST_TEST(ci.at("domain").as_string() == "812_1501");
    BOOST_TEST(ci.at("primary_storage").as_string() == "812_1501_SSD_7001.img");
    BOOST_TEST(ci.at("ram").as_int64() == 4096);
    BOOST_TEST(ci.at("cpu").as_int64() == 2);
    BOOST_TEST(ci.at("interfaces").as_array().at(0).at("mac_address").as_string() == "14:00:04:00:ab:e1");
    BOOST_TEST(calls[2].args.at("podnet").as_array().size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_vm_without_exactly_one_primary_storage_fails_the_build) {
    Demo d;
    auto vm = *d.region->object("vm", 1501);
    vm["storages"].as_array()[1].as_object()["primary"] = true;
    d.region->put("vm", vm);
    auto o = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(o.status == Status::failed);
    BOOST_TEST(codes(o).find("primary storage") != std::string::npos, codes(o));
    BOOST_TEST(d.state("vm", 1501) == State::UNRESOURCED);
}

BOOST_AUTO_TEST_CASE(a_vm_on_a_server_of_another_type_fails_with_1005) {
    Demo d;
    d.region->put("server", json::object{{"id", 12}, {"type_id", 1}, {"interfaces", json::array{}}});
    auto o = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(o.status == Status::failed);
    BOOST_TEST(o.errors.front().code == "vm_kvm_build_1005", codes(o));
}

BOOST_AUTO_TEST_CASE(a_server_without_an_ipv6_interface_fails_with_1006) {
    Demo d;
    d.region->put("server", json::object{{"id", 12}, {"type_id", 2},
                                         {"interfaces", json::array{json::object{{"enabled", true}, {"ip_address", "10.0.0.12"}}}}});
    auto o = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(o.errors.front().code == "vm_kvm_build_1006", codes(o));
}

BOOST_AUTO_TEST_CASE(a_scrub_removes_only_the_bridges_no_other_vm_on_the_server_uses) {
    Demo d;
    auto o = d.run("vm_kvm", "scrub", 1502);
    BOOST_TEST(o.status == Status::succeeded, codes(o));
    BOOST_TEST(d.state("vm", 1502) == State::CLOSED);
    std::vector<long long> removed;
    for (const auto& c : d.primitives.calls())
        if (c.name() == "bridge_kvm.scrub") removed.push_back(c.args.at("vlan").as_int64());
    BOOST_TEST(removed == std::vector<long long>{1010}, boost::test_tools::per_element());  // 1002 is used by 1501/1503
}

BOOST_AUTO_TEST_CASE(a_scrub_from_scrub_is_skipped_because_scrubprep_owns_that_state) {
    Demo d;
    d.region->set_state("vm", 1502, State::SCRUB);
    BOOST_TEST(d.run("vm_kvm", "scrub", 1502).status == Status::skipped);
}

BOOST_AUTO_TEST_CASE(a_scrub_with_an_attached_ceph_drive_fails_through_scrubbing) {
    Demo d;
    d.region->put("ceph", json::object{{"id", 9001}, {"parent_id", 1502}, {"project_id", 812}, {"state", 4}});
    auto o = d.run("vm_kvm", "scrub", 1502);
    BOOST_TEST(o.status == Status::failed);
    BOOST_TEST(codes(o).find("Ceph") != std::string::npos, codes(o));
    BOOST_TEST(d.state("vm", 1502) == State::UNRESOURCED);  // SCRUB_QUEUE -> SCRUBBING -> UNRESOURCED
    BOOST_TEST(d.primitives.calls().empty());
}

BOOST_AUTO_TEST_CASE(a_successful_build_mails_the_owner_without_credentials) {
    Demo d;
    d.run("vm_kvm", "build", 1501);
    auto mails = d.mail.sent();
    BOOST_REQUIRE(mails.size() == 1u);
    BOOST_TEST(mails[0].template_name == "vm_build_success");
    BOOST_TEST(mails[0].to == std::vector<std::string>{"owner@demo.cloudcix.local"}, boost::test_tools::per_element());
    BOOST_TEST(!mails[0].data.contains("admin_password"));
}

BOOST_AUTO_TEST_CASE(native_primitives_over_a_recording_host_run_the_build_commands_in_order) {
    Demo d;
    RecordingRcc hosts;
    NativePrimitives native(hosts, d.clock, d.config);
    d.ctx.primitives = &native;
    auto o = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(o.status == Status::succeeded, codes(o));
    auto cmds = hosts.commands();
    BOOST_REQUIRE(!cmds.empty());
    BOOST_TEST(cmds.front() == "sudo systemctl status bridge_kvm_br1002.service");
    BOOST_TEST(cmds.back().rfind("sudo virt-install --name 812_1501 --memory 4096 --vcpus 2", 0) == 0u, cmds.back());
}

BOOST_AUTO_TEST_CASE(a_host_command_failure_names_the_primitive_and_step) {
    Demo d;
    RecordingRcc hosts;
    hosts.answer("qemu-img create", RccResult{true, {}, 1, "", "No space left on device"});
    NativePrimitives native(hosts, d.clock, d.config);
    d.ctx.primitives = &native;
    auto o = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(o.status == Status::failed);
    BOOST_TEST(o.errors.front().code == "vm_kvm_build_2002", codes(o));
    BOOST_TEST(o.errors.front().message.find("storage_kvm.build step 2") != std::string::npos, codes(o));
    BOOST_TEST(o.errors.front().message.find("No space left on device") != std::string::npos, codes(o));
    for (const auto& c : hosts.commands()) BOOST_TEST(c.find("virt-install") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_unreachable_host_is_a_channel_failure_2003) {
    Demo d;
    RecordingRcc hosts;
    hosts.answer("systemctl status", RccResult{false, "connection refused", -1, "", ""});
    NativePrimitives native(hosts, d.clock, d.config);
    d.ctx.primitives = &native;
    auto o = d.run("vm_kvm", "build", 1501);
    BOOST_TEST(o.errors.front().code == "vm_kvm_build_2003", codes(o));
}

BOOST_AUTO_TEST_SUITE_END()
