// The 16 storage and device verbs (issue 5): snapshot_kvm, snapshot_hyperv, backup_kvm,
// backup_hyperv, ceph, gpu — run through the engine against the demo region in memory, with
// the native primitives over a recording host channel. One table row per verb.
#include <algorithm>
#include <ctime>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include "cloudcix_drivers/native_primitives.hpp"
#include "cloudcix_drivers/run.hpp"
#include "cloudcix_drivers/testing.hpp"
#include "drivers/common/storage.hpp"
#include "support/printing.hpp"
#include "support/verb_world.hpp"

using namespace cloudcix::drivers;
namespace json = boost::json;

namespace {

// The verb world, with the storage tests' NOC list and primitives answered from the recording
// (`recorded`) or run on the recording host channel.
struct Harness : test::VerbWorld {
    explicit Harness(bool recorded = false) : VerbWorld(!recorded) {
        config.send_to_fail = {"noc@test.example", "ops@test.example"};
        ctx.config = config;
    }
};

bool has_code(const Outcome& o, const std::string& code) {
    for (const auto& e : o.errors)
        if (e.code == code) return true;
    return false;
}

std::string describe(const Outcome& o) {
    std::string s = std::string(to_string(o.status));
    for (const auto& e : o.errors) s += "; " + e.code + ": " + e.message;
    return s;
}

struct Row {
    const char* driver;
    const char* verb;
    const char* service;
    long long id;
    State success;
    std::vector<std::string> lock_keys;  // the verb's own keys (the engine adds <service>:<id>)
    std::size_t calls;                   // primitive calls in the plan
    const char* middle_needle;           // a host command in the middle of the work
    const char* middle_code;             // the primitive's failure code when that command fails
};

const std::vector<Row>& rows() {
    static const std::vector<Row> r{
        {"snapshot_kvm", "build", "snapshot", 5001, State::RUNNING, {"vm:1701", "host:20"}, 1, "snapshot-create-as", "3036"},
        {"snapshot_kvm", "scrub", "snapshot", 5003, State::CLOSED, {"vm:1701", "host:20"}, 1, "snapshot-delete", "3124"},
        {"snapshot_kvm", "updaterunning", "snapshot", 5002, State::RUNNING, {"vm:1701", "host:20"}, 1, "snapshot-revert", "3324"},
        {"snapshot_hyperv", "build", "snapshot", 5011, State::RUNNING, {"vm:1702", "host:21"}, 1, "Set-VM -Name", "3036"},
        {"snapshot_hyperv", "scrub", "snapshot", 5013, State::CLOSED, {"vm:1702", "host:21"}, 1, "Remove-VMSnapshot", "3124"},
        {"snapshot_hyperv", "updaterunning", "snapshot", 5012, State::RUNNING, {"vm:1702", "host:21"}, 1, "Restore-VMCheckpoint", "3324"},
        {"backup_kvm", "build", "backup", 6001, State::RUNNING, {"vm:1701", "host:20", "backup_repo:1"}, 1, "snapshot-create-as", "3030"},
        {"backup_kvm", "scrub", "backup", 6002, State::CLOSED, {"vm:1701", "host:20", "backup_repo:2"}, 1, "rm --recursive", "3124"},
        {"backup_hyperv", "build", "backup", 6011, State::RUNNING, {"vm:1702", "host:21", "backup_repo:1"}, 1, "Export-VM", "3024"},
        {"backup_hyperv", "scrub", "backup", 6012, State::CLOSED, {"vm:1702", "host:21", "backup_repo:2"}, 1, "Remove-Item", "3124"},
        {"ceph", "build", "ceph", 9002, State::RUNNING, {"ceph:cluster", "ceph:image:9002"}, 1, "create --size", "3024"},
        {"ceph", "scrub", "ceph", 9003, State::CLOSED, {"ceph:cluster", "ceph:image:9003"}, 1, " rm cloudcix/", "3124"},
        {"ceph", "updaterunning", "ceph", 9001, State::RUNNING, {"ceph:cluster", "ceph:image:9001", "vm:1701"}, 2, "resize --size", "3324"},
        {"ceph", "updatequiesced", "ceph", 9004, State::QUIESCED, {"ceph:cluster", "ceph:image:9004"}, 1, "resize --size", "3324"},
        {"gpu", "updaterunning", "vm", 1704, State::RUNNING, {"vm:1704", "host:22"}, 3, "detach-device", "3344"},
        {"gpu", "updatequiesced", "vm", 1703, State::QUIESCED, {"vm:1703", "host:22"}, 1, "attach-device", "3324"},
    };
    return r;
}

PrimitiveCall storage_attach(const Config& c, const Fields& drive, const Fields& vm) {
    return storage::ceph_attach_call(c, drive, vm, "2a02:db8:9::10:0:20", true);
}
PrimitiveCall storage_detach(const Config& c, const Fields& drive, const Fields& vm) {
    return storage::ceph_detach_call(c, drive, vm, "2a02:db8:9::10:0:20", true);
}

std::string golden_path(const Row& r) { return std::string(CCX_GOLDEN_DIR) + "/" + r.driver + "." + r.verb + ".txt"; }

}  // namespace

BOOST_AUTO_TEST_SUITE(storage_verbs)

BOOST_AUTO_TEST_CASE(all_sixteen_storage_and_device_verbs_have_a_declaration_with_a_plan) {
    BOOST_TEST(rows().size() == 16u);
    for (const auto& r : rows()) {
        const VerbSpec* spec = builtin_registry().find(r.driver, r.verb);
        BOOST_REQUIRE(spec != nullptr);
        BOOST_TEST((spec->plan != nullptr), r.driver << "." << r.verb);
        BOOST_TEST((spec->notifications != nullptr), r.driver << "." << r.verb);
        BOOST_TEST(spec->service == r.service);
    }
}

BOOST_AUTO_TEST_CASE(each_verb_takes_the_lock_keys_of_its_infrastructure) {
    Harness h;
    for (const auto& r : rows()) {
        BOOST_TEST_CONTEXT(r.driver << "." << r.verb) {
            const VerbSpec* spec = builtin_registry().find(r.driver, r.verb);
            auto obj = h.object(r.service, r.id);
            auto keys = spec->lock_keys(Fields("resource", obj));
            BOOST_TEST(keys == r.lock_keys, boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_CASE(each_verb_succeeds_with_its_golden_host_commands) {
    bool update = std::getenv("CCX_UPDATE_GOLDEN") != nullptr;
    for (const auto& r : rows()) {
        BOOST_TEST_CONTEXT(r.driver << "." << r.verb << " #" << r.id) {
            Harness h;
            Outcome o = h.run(r.driver, r.verb, r.id);
            BOOST_TEST(o.status == Status::succeeded, describe(o));
            BOOST_TEST((o.state_after == r.success));
            BOOST_TEST((h.region->state(r.service, r.id) == r.success));
            BOOST_TEST(h.tap.marks.size() == r.calls);
            BOOST_TEST(h.notifier.sent().empty());
            std::string got = h.transcript();
            if (update) {
                std::ofstream(golden_path(r)) << got;
                continue;
            }
            std::ifstream in(golden_path(r));
            BOOST_REQUIRE_MESSAGE(in.good(), "missing " + golden_path(r) + " (regenerate with CCX_UPDATE_GOLDEN=1)");
            std::stringstream want;
            want << in.rdbuf();
            BOOST_TEST(got == want.str());
        }
    }
}

BOOST_AUTO_TEST_CASE(a_failing_first_primitive_leaves_the_resource_unresourced_with_2002_and_runs_nothing_after) {
    for (const auto& r : rows()) {
        BOOST_TEST_CONTEXT(r.driver << "." << r.verb) {
            Harness h(true);
            h.recording.fail_at(0, PrimitiveResult{false, "3021: simulated host failure", nullptr, PrimitiveFailure::command});
            Outcome o = h.run(r.driver, r.verb, r.id);
            BOOST_TEST(o.status == Status::failed);
            BOOST_TEST(has_code(o, std::string(r.driver) + "_" + r.verb + "_2002"), describe(o));
            BOOST_TEST((h.region->state(r.service, r.id) == State::UNRESOURCED));
            BOOST_TEST(h.recording.calls().size() == 1u);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_failing_middle_primitive_stops_the_plan_there) {
    for (const auto& r : rows()) {
        if (r.calls < 2) continue;
        BOOST_TEST_CONTEXT(r.driver << "." << r.verb) {
            Harness h(true);
            h.recording.fail_at(1, PrimitiveResult{false, "3324: simulated host failure", nullptr, PrimitiveFailure::command});
            Outcome o = h.run(r.driver, r.verb, r.id);
            BOOST_TEST(has_code(o, std::string(r.driver) + "_" + r.verb + "_2002"), describe(o));
            BOOST_TEST((h.region->state(r.service, r.id) == State::UNRESOURCED));
            BOOST_TEST(h.recording.calls().size() == 2u);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_failing_host_command_in_the_middle_fails_the_verb_and_no_later_command_runs) {
    for (const auto& r : rows()) {
        BOOST_TEST_CONTEXT(r.driver << "." << r.verb) {
            Harness h;
            h.rcc.answer(r.middle_needle, RccResult{true, "", 1, "", "simulated failure"});
            Outcome o = h.run(r.driver, r.verb, r.id);
            BOOST_TEST(o.status == Status::failed);
            BOOST_TEST(has_code(o, std::string(r.driver) + "_" + r.verb + "_2002"), describe(o));
            BOOST_TEST(describe(o).find(std::string(r.middle_code) + ":") != std::string::npos, describe(o));
            BOOST_TEST((h.region->state(r.service, r.id) == State::UNRESOURCED));
            auto commands = h.rcc.commands();
            BOOST_REQUIRE(!commands.empty());
            BOOST_TEST(commands.back().find(r.middle_needle) != std::string::npos, commands.back());
        }
    }
}

BOOST_AUTO_TEST_CASE(a_resource_outside_its_trigger_state_is_skipped_untouched) {
    for (const auto& r : rows()) {
        BOOST_TEST_CONTEXT(r.driver << "." << r.verb) {
            Harness h(true);
            h.region->set_state(r.service, r.id, State::CLOSED);
            Outcome o = h.run(r.driver, r.verb, r.id);
            BOOST_TEST(o.status == Status::skipped);
            BOOST_TEST(has_code(o, std::string(r.driver) + "_" + r.verb + "_0001"));
            BOOST_TEST(h.recording.calls().empty());
            BOOST_TEST(h.region->patches(r.service, r.id) == 0u);
        }
    }
}

// ---- dependencies ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(snapshots_and_backups_wait_while_their_vm_is_not_running) {
    for (const auto& r : rows()) {
        std::string service = r.service;
        if (service != "snapshot" && service != "backup") continue;
        BOOST_TEST_CONTEXT(r.driver << "." << r.verb) {
            Harness h(true);
            long long vm = h.object(r.service, r.id).at("vm_id").as_int64();
            h.region->set_state("vm", vm, State::QUIESCED);
            State before = *h.region->state(r.service, r.id);
            Outcome o = h.run(r.driver, r.verb, r.id);
            BOOST_TEST(o.status == Status::postponed);
            BOOST_TEST(o.retry_after.count() > 0);
            BOOST_TEST(has_code(o, std::string(r.driver) + "_" + r.verb + "_0011"));
            BOOST_TEST((h.region->state(r.service, r.id) == before));
            BOOST_TEST(h.recording.calls().empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(a_snapshot_of_a_vm_with_gpus_fails_and_tells_the_noc_though_the_api_refuses_the_record) {
    for (const auto& r : rows()) {
        if (std::string(r.service) != "snapshot") continue;
        BOOST_TEST_CONTEXT(r.driver << "." << r.verb) {
            Harness h(true);
            long long vm = h.object(r.service, r.id).at("vm_id").as_int64();
            h.edit("vm", vm, {{"gpu", 1}});
            State before = *h.region->state(r.service, r.id);
            Outcome o = h.run(r.driver, r.verb, r.id);
            BOOST_TEST(o.status == Status::failed);
            BOOST_TEST(has_code(o, std::string(r.driver) + "_" + r.verb + "_0007"), describe(o));
            BOOST_TEST(has_code(o, std::string(r.driver) + "_" + r.verb + "_0009"), describe(o));  // refused by the API
            BOOST_TEST((h.region->state(r.service, r.id) == before));
            BOOST_TEST(h.recording.calls().empty());
            bool noc = false;
            for (const auto& n : h.notifier.sent()) noc = noc || (n.template_name == "failure_noc" && n.data.at("kind") == "snapshot");
            BOOST_TEST(noc);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_backup_to_a_repository_the_region_lacks_fails_before_any_host_work) {
    for (auto [driver, id] : {std::pair{"backup_kvm", 6001LL}, std::pair{"backup_hyperv", 6011LL}}) {
        BOOST_TEST_CONTEXT(driver) {
            Harness h(true);
            h.edit("backup", id, {{"repository", 3}});
            Outcome o = h.run(driver, "build", id);
            BOOST_TEST(o.status == Status::failed);
            BOOST_TEST(has_code(o, std::string(driver) + "_build_0004"), describe(o));
            BOOST_TEST(describe(o).find("repository 3 is not available") != std::string::npos);
            BOOST_TEST((h.region->state("backup", id) == State::UNRESOURCED));
            BOOST_TEST(h.recording.calls().empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(a_snapshot_driver_refuses_a_vm_on_the_other_hypervisor) {
    Harness h(true);
    h.edit("snapshot", 5011, {{"vm_id", 1701}});  // a KVM VM under snapshot_hyperv
    Outcome o = h.run("snapshot_hyperv", "build", 5011);
    BOOST_TEST(has_code(o, "snapshot_hyperv_build_1005"), describe(o));
    BOOST_TEST((h.region->state("snapshot", 5011) == State::UNRESOURCED));
    BOOST_TEST(h.recording.calls().empty());
}

BOOST_AUTO_TEST_CASE(a_ceph_scrub_is_refused_while_the_drive_is_attached) {
    Harness h(true);
    h.edit("ceph", 9003, {{"parent_id", 1701}});
    Outcome o = h.run("ceph", "scrub", 9003);
    BOOST_TEST(o.status == Status::failed);
    BOOST_TEST(has_code(o, "ceph_scrub_0007"), describe(o));
    BOOST_TEST(describe(o).find("still attached to vm #1701") != std::string::npos);
    BOOST_TEST((h.region->state("ceph", 9003) == State::UNRESOURCED));
    BOOST_TEST(h.recording.calls().empty());
    BOOST_REQUIRE(h.notifier.sent().size() == 1u);
    BOOST_TEST(h.notifier.sent()[0].subject == "Ceph Failure Occurred!");
}

BOOST_AUTO_TEST_CASE(a_gpu_update_needs_the_api_to_have_assigned_enough_devices_of_the_vms_server) {
    {
        Harness h(true);
        h.edit("vm", 1703, {{"gpu", 2}});  // only device 801 is assigned; 803 is free but unassigned
        Outcome o = h.run("gpu", "updatequiesced", 1703);
        BOOST_TEST(has_code(o, "gpu_updatequiesced_0007"), describe(o));
        BOOST_TEST((h.region->state("vm", 1703) == State::UNRESOURCED));
        BOOST_TEST(h.recording.calls().empty());
    }
    {
        Harness h(true);
        h.edit("device", 801, {{"server_id", 12}});  // assigned, but on another server
        Outcome o = h.run("gpu", "updatequiesced", 1703);
        BOOST_TEST(has_code(o, "gpu_updatequiesced_0007"), describe(o));
        BOOST_TEST(describe(o).find("not on the VM's server") != std::string::npos);
        BOOST_TEST(h.recording.calls().empty());
    }
    {
        Harness h(true);  // a device of another VM is never touched
        h.edit("device", 803, {{"vm_id", 1704}});
        h.edit("vm", 1704, {{"gpu", 1}});
        Outcome o = h.run("gpu", "updaterunning", 1704);
        BOOST_TEST(o.status == Status::succeeded, describe(o));
        auto names = h.recording.names();
        BOOST_TEST(std::count(names.begin(), names.end(), "gpu_kvm.detach") == 1);
        BOOST_TEST(std::count(names.begin(), names.end(), "gpu_kvm.attach") == 1);
        BOOST_TEST(h.object("device", 801).at("vm_id").as_int64() == 1703);
    }
}

BOOST_AUTO_TEST_CASE(a_gpu_update_waits_while_a_snapshot_of_the_vm_is_unstable) {
    Harness h(true);
    h.region->put("snapshot", json::object{{"id", 5099}, {"name", "x"}, {"vm_id", 1703}, {"state", 2}});
    Outcome o = h.run("gpu", "updatequiesced", 1703);
    BOOST_TEST(o.status == Status::postponed);
    BOOST_TEST((h.region->state("vm", 1703) == State::QUIESCED_UPDATE));
    BOOST_TEST(h.recording.calls().empty());
}

// ---- behaviours ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_snapshot_revert_on_kvm_reverts_the_domain_and_leaves_it_running) {
    Harness h;
    Outcome o = h.run("snapshot_kvm", "updaterunning", 5002);
    BOOST_TEST(o.status == Status::succeeded, describe(o));
    BOOST_TEST((h.region->state("snapshot", 5002) == State::RUNNING));
    auto c = h.rcc.commands();
    BOOST_REQUIRE(c.size() == 2u);
    BOOST_TEST(c[0] == "sudo virsh snapshot-info --domain 812_1701 --snapshotname 1701_5002");
    BOOST_TEST(c[1] == "sudo virsh snapshot-revert --domain 812_1701 --snapshotname 1701_5002 --running");
}

BOOST_AUTO_TEST_CASE(a_snapshot_revert_on_hyperv_restores_the_checkpoint_and_starts_the_vm) {
    Harness h;
    Outcome o = h.run("snapshot_hyperv", "updaterunning", 5012);
    BOOST_TEST(o.status == Status::succeeded, describe(o));
    BOOST_TEST((h.region->state("snapshot", 5012) == State::RUNNING));
    auto e = h.rcc.entries();
    BOOST_REQUIRE(e.size() == 4u);
    BOOST_TEST(e[0].command.host == "hyperv21.demo.cloudcix.local");
    BOOST_TEST((e[0].command.shell == Shell::powershell));
    BOOST_TEST(e[1].command.command == "Restore-VMCheckpoint -VMName 812_1702 -Name 1702_5012 -Confirm:$false -ErrorAction Stop");
    BOOST_TEST(e[3].command.command == "Start-VM -Name 812_1702 -ErrorAction Stop");
}

BOOST_AUTO_TEST_CASE(a_hyperv_revert_does_not_start_a_vm_that_is_already_running) {
    Harness h;
    h.rcc.answer(").State", RccResult{true, "", 0, "Running\r\n", ""});
    Outcome o = h.run("snapshot_hyperv", "updaterunning", 5012);
    BOOST_TEST(o.status == Status::succeeded, describe(o));
    BOOST_TEST(h.rcc.commands().size() == 3u);
}

BOOST_AUTO_TEST_CASE(a_backup_build_records_time_valid_taken_before_the_copy) {
    for (auto [driver, id] : {std::pair{"backup_kvm", 6001LL}, std::pair{"backup_hyperv", 6011LL}}) {
        BOOST_TEST_CONTEXT(driver) {
            Harness h;
            std::time_t secs = std::chrono::system_clock::to_time_t(h.clock.wall());
            std::tm utc{};
            gmtime_r(&secs, &utc);
            char want[32];
            std::strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S", &utc);  // the API reads it back as ISO
            BOOST_TEST(h.object("backup", id).at("time_valid").is_null());
            Outcome o = h.run(driver, "build", id);
            BOOST_TEST(o.status == Status::succeeded, describe(o));
            BOOST_TEST(h.object("backup", id).at("time_valid").as_string() == want);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_failed_kvm_backup_copy_commits_the_overlays_back_before_failing) {
    Harness h;
    h.rcc.answer("cp --sparse", RccResult{true, "", 1, "", "No space left on device"});
    Outcome o = h.run("backup_kvm", "build", 6001);
    BOOST_TEST(o.status == Status::failed);
    BOOST_TEST(describe(o).find("3034:") != std::string::npos, describe(o));
    auto c = h.rcc.commands();
    auto cp = std::find_if(c.begin(), c.end(), [](const std::string& s) { return s.find("cp --sparse") != std::string::npos; });
    BOOST_REQUIRE(cp != c.end());
    BOOST_TEST(std::count(cp, c.end(), "sudo virsh blockcommit 812_1701 vda --active --pivot") == 1);
    BOOST_TEST(std::count(cp, c.end(), "sudo virsh blockcommit 812_1701 vdb --active --pivot") == 1);
    BOOST_TEST(std::none_of(c.begin(), c.end(), [](const std::string& s) { return s.find("dumpxml") != std::string::npos; }));
    BOOST_TEST(h.object("backup", 6001).at("time_valid").is_null());
}

BOOST_AUTO_TEST_CASE(a_kvm_backup_refuses_a_domain_left_on_snaptemp_overlays) {
    Harness h;
    h.rcc.answer("domblklist", RccResult{true, "", 0, " Type Device Target Source\n file disk vda /var/lib/libvirt/images/812_1701_SSD_7101.snaptemp\n", ""});
    Outcome o = h.run("backup_kvm", "build", 6001);
    BOOST_TEST(o.status == Status::failed);
    BOOST_TEST(describe(o).find("3028:") != std::string::npos, describe(o));
    for (const auto& c : h.rcc.commands()) BOOST_TEST(c.find("snapshot-create-as") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_kvm_backup_leaves_attached_ceph_drives_out) {
    Harness h;
    h.rcc.answer("domblklist", RccResult{true, "", 0,
                                         " Type    Device   Target   Source\n"
                                         " file    disk     vda      /var/lib/libvirt/images/812_1701_SSD_7101.img\n"
                                         " network disk     vdb      cloudcix/812_9001\n"
                                         " file    cdrom    sda      -\n",
                                         ""});
    Outcome o = h.run("backup_kvm", "build", 6001);
    BOOST_TEST(o.status == Status::succeeded, describe(o));
    auto c = h.rcc.commands();
    BOOST_TEST(std::count_if(c.begin(), c.end(), [](const std::string& s) {
                   return s.find("--diskspec vda,snapshot=external --diskspec vdb,snapshot=no") != std::string::npos;
               }) == 1);
    BOOST_TEST(std::count_if(c.begin(), c.end(), [](const std::string& s) { return s.find("cp --sparse") != std::string::npos; }) == 1);
    BOOST_TEST(std::count_if(c.begin(), c.end(), [](const std::string& s) { return s.find("blockcommit") != std::string::npos; }) == 1);
}

BOOST_AUTO_TEST_CASE(a_ceph_drive_attaches_to_the_first_free_target_and_detaches_by_its_source) {
    Harness h;
    h.config.ceph.secret_uuid = "5a1f0c3e-1b2c-4d3e-9f00-aa11bb22cc33";
    NativePrimitives p(h.rcc, h.clock, h.config);
    h.rcc.answer("domblklist", RccResult{true, "", 0,
                                         " Type Device Target Source\n file disk vda /var/lib/libvirt/images/812_1701_SSD_7101.img\n"
                                         " file disk vdb /var/lib/libvirt/images/812_1701_SSD_7102.img\n",
                                         ""});
    auto vm = h.object("vm", 1701);
    auto drive = h.object("ceph", 9001);
    Fields v("vm", vm), d("ceph", drive);
    auto r = p.call(storage_attach(h.config, d, v));
    BOOST_TEST(r.ok, r.message);
    auto c = h.rcc.commands();
    BOOST_REQUIRE(c.size() == 2u);
    BOOST_TEST(c[1].find("<auth username='\\''libvirt'\\''>") != std::string::npos, c[1]);
    BOOST_TEST(c[1].find("name='\\''cloudcix/812_9001'\\''") != std::string::npos, c[1]);
    BOOST_TEST(c[1].find("<target dev='\\''vdc'\\''") != std::string::npos, c[1]);
    BOOST_TEST(c[1].find("| sudo virsh attach-device 812_1701 /dev/stdin --config --live") != std::string::npos, c[1]);

    RecordingRcc rcc;
    NativePrimitives q(rcc, h.clock, h.config);
    rcc.answer("domblklist", RccResult{true, "", 0, " network disk vdc cloudcix/812_9001\n", ""});
    auto detached = q.call(storage_detach(h.config, d, v));
    BOOST_TEST(detached.ok, detached.message);
    BOOST_TEST(rcc.commands().back() == "sudo virsh detach-disk 812_1701 vdc --config --live");
}

BOOST_AUTO_TEST_CASE(a_ceph_resize_grows_the_image_and_the_running_domain_that_uses_it) {
    Harness h;
    Outcome o = h.run("ceph", "updaterunning", 9001);
    BOOST_TEST(o.status == Status::succeeded, describe(o));
    auto c = h.rcc.commands();
    BOOST_TEST(std::count(c.begin(), c.end(), "sudo rbd --cluster ceph resize --size 200G cloudcix/812_9001") == 1);
    BOOST_TEST(std::count(c.begin(), c.end(), "sudo virsh blockresize 812_1701 vdb 200G") == 1);
    BOOST_TEST(h.rcc.entries().front().command.host == h.config.ceph.admin_host);
}

BOOST_AUTO_TEST_CASE(a_ceph_resize_to_the_current_size_changes_nothing_and_a_shrink_is_refused) {
    {
        Harness h;
        h.rcc.answer("info --format json", RccResult{true, "", 0, "{\"size\": 107374182400}", ""});  // 100 GB
        Outcome o = h.run("ceph", "updatequiesced", 9004);
        BOOST_TEST(o.status == Status::succeeded, describe(o));
        BOOST_TEST(h.rcc.commands().size() == 1u);
    }
    {
        Harness h;
        h.rcc.answer("info --format json", RccResult{true, "", 0, "{\"size\": 214748364800}", ""});  // 200 GB
        Outcome o = h.run("ceph", "updatequiesced", 9004);
        BOOST_TEST(o.status == Status::failed);
        BOOST_TEST(describe(o).find("3324:") != std::string::npos, describe(o));
        BOOST_TEST((h.region->state("ceph", 9004) == State::UNRESOURCED));
    }
}

BOOST_AUTO_TEST_CASE(a_ceph_build_accepts_an_existing_image_of_the_same_size_only) {
    {
        Harness h;
        h.rcc.answer("info --format json", RccResult{true, "", 0, "{\"size\": 53687091200}", ""});  // 50 GB
        Outcome o = h.run("ceph", "build", 9002);
        BOOST_TEST(o.status == Status::succeeded, describe(o));
        BOOST_TEST(h.rcc.commands().size() == 1u);
    }
    {
        Harness h;
        h.rcc.answer("info --format json", RccResult{true, "", 0, "{\"size\": 1073741824}", ""});
        Outcome o = h.run("ceph", "build", 9002);
        BOOST_TEST(describe(o).find("3001:") != std::string::npos, describe(o));
    }
}

BOOST_AUTO_TEST_CASE(a_gpu_attach_on_a_quiesced_vm_changes_only_the_persistent_definition) {
    Harness h;
    Outcome o = h.run("gpu", "updatequiesced", 1703);
    BOOST_TEST(o.status == Status::succeeded, describe(o));
    BOOST_TEST((h.region->state("vm", 1703) == State::QUIESCED));
    auto c = h.rcc.commands();
    BOOST_REQUIRE(c.size() == 2u);
    BOOST_TEST(c[0] == "sudo virsh dumpxml --inactive 812_1703");
    BOOST_TEST(c[1] == "printf %s '<hostdev mode='\\''subsystem'\\'' type='\\''pci'\\'' managed='\\''yes'\\''><source><address "
                       "domain='\\''0x0000'\\'' bus='\\''0x41'\\'' slot='\\''0x00'\\'' function='\\''0x0'\\''/></source></hostdev>' "
                       "| sudo virsh attach-device 812_1703 /dev/stdin --config");
    BOOST_TEST(h.object("device", 801).at("vm_id").as_int64() == 1703);  // attached devices stay assigned
}

BOOST_AUTO_TEST_CASE(an_attached_gpu_is_not_attached_twice) {
    Harness h;
    h.rcc.answer("dumpxml", RccResult{true, "", 0,
                                      "<domain><devices><hostdev mode='subsystem' type='pci' managed='yes'><source>"
                                      "<address domain='0x0000' bus='0x41' slot='0x00' function='0x0'/></source></hostdev>"
                                      "</devices></domain>",
                                      ""});
    Outcome o = h.run("gpu", "updatequiesced", 1703);
    BOOST_TEST(o.status == Status::succeeded, describe(o));
    BOOST_TEST(h.rcc.commands().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_gpu_detach_on_a_running_vm_shuts_it_down_detaches_restarts_and_frees_the_device) {
    Harness h;
    BOOST_TEST(h.object("device", 802).at("vm_id").as_int64() == 1704);
    Outcome o = h.run("gpu", "updaterunning", 1704);
    BOOST_TEST(o.status == Status::succeeded, describe(o));
    BOOST_TEST((h.region->state("vm", 1704) == State::RUNNING));
    std::vector<std::string> order;
    for (const auto& [name, at] : h.tap.marks) order.push_back(name);
    std::vector<std::string> want{"cloudinit_kvm.quiesce", "gpu_kvm.detach", "cloudinit_kvm.restart"};
    BOOST_TEST(order == want, boost::test_tools::per_element());
    BOOST_TEST(h.object("device", 802).at("vm_id").is_null());
    BOOST_TEST(h.object("device", 801).at("vm_id").as_int64() == 1703);
}

BOOST_AUTO_TEST_CASE(a_failed_gpu_detach_leaves_the_device_assigned) {
    Harness h(true);
    h.recording.fail_at(1, PrimitiveResult{false, "3344: simulated", nullptr, PrimitiveFailure::command});
    Outcome o = h.run("gpu", "updaterunning", 1704);
    BOOST_TEST(o.status == Status::failed);
    BOOST_TEST(h.object("device", 802).at("vm_id").as_int64() == 1704);
}

BOOST_AUTO_TEST_CASE(failure_mails_reach_the_customer_for_builds_and_the_noc_always) {
    {
        Harness h(true);
        h.recording.fail_at(0, PrimitiveResult{false, "3032: no such VM", nullptr, PrimitiveFailure::command});
        h.run("snapshot_kvm", "build", 5001);
        auto sent = h.notifier.sent();
        BOOST_REQUIRE(sent.size() == 2u);
        BOOST_TEST(sent[0].subject == "Your Snapshot has failed to build.");
        BOOST_TEST(sent[0].to == std::vector<std::string>{"owner@demo.cloudcix.local"}, boost::test_tools::per_element());
        BOOST_TEST(sent[0].data.at("name").as_string() == "before-upgrade");
        BOOST_TEST(sent[1].subject == "Snapshot Failure Occurred!");
        BOOST_TEST(sent[1].to.size() == 2u);  // every NOC address, split uniformly
        BOOST_TEST(sent[1].data.at("task").as_string() == "build");
    }
    {
        Harness h(true);
        h.recording.fail_at(0, PrimitiveResult{false, "3024: export failed", nullptr, PrimitiveFailure::command});
        h.run("backup_hyperv", "build", 6011);
        auto sent = h.notifier.sent();
        BOOST_REQUIRE(sent.size() == 2u);
        BOOST_TEST(sent[0].subject == "Your Backup has failed to build.");
        BOOST_TEST(sent[0].data.at("name").as_string() == "win01");  // the VM's name, as [R]
        BOOST_TEST(sent[1].subject == "Backup Failure Occurred!");
    }
    {
        Harness h(true);
        h.recording.fail_at(0, PrimitiveResult{false, "3124: rm failed", nullptr, PrimitiveFailure::command});
        h.run("backup_kvm", "scrub", 6002);
        auto sent = h.notifier.sent();
        BOOST_REQUIRE(sent.size() == 1u);
        BOOST_TEST(sent[0].subject == "Backup Failure Occurred!");
        BOOST_TEST(sent[0].data.at("task").as_string() == "scrub");
    }
}

BOOST_AUTO_TEST_CASE(primitives_reject_hostile_arguments_before_touching_a_host) {
    Harness h;
    NativePrimitives& p = h.native;
    auto bad = [&](PrimitiveCall c) {
        auto r = p.call(c);
        BOOST_TEST(!r.ok, c.name());
        BOOST_TEST((r.failure == PrimitiveFailure::bad_argument), c.name() << ": " << r.message);
    };
    bad({"snapshot_kvm", "build", {{"host", "h"}, {"domain", "812_1701; reboot"}, {"snapshot", "1"}}});
    bad({"snapshot_hyperv", "build", {{"host", "h"}, {"vm", "a'b"}, {"snapshot", "1"}}});
    bad({"backup_kvm", "scrub", {{"host", "h"}, {"repository", "/mnt/../etc/"}, {"backup", "1_2"}}});
    bad({"backup_hyperv", "scrub", {{"host", "h"}, {"repository", "\\\\evil\\share"}, {"backup", "1_2"}}});
    bad({"rbd", "build", {{"host", "h"}, {"cluster", "ceph"}, {"pool", "p/x"}, {"image", "i"}, {"gb", 1}}});
    bad({"rbd", "build", {{"host", "h"}, {"cluster", "ceph"}, {"pool", "p"}, {"image", "i"}, {"gb", -1}}});
    bad({"gpu_kvm", "attach", {{"host", "h"}, {"domain", "d"}, {"pci", "0000:41:00.0'"}}});
    BOOST_TEST(h.rcc.commands().empty());
}

BOOST_AUTO_TEST_CASE(every_storage_verb_plans_without_touching_the_api_state) {
    for (const auto& r : rows()) {
        BOOST_TEST_CONTEXT(r.driver << "." << r.verb) {
            Harness h;
            auto report = plan(h.ctx, r.driver, r.verb, r.id);
            BOOST_TEST(report.outcome.status == Status::succeeded, describe(report.outcome));
            BOOST_TEST(report.in_trigger_state);
            BOOST_TEST(report.calls.size() == r.calls);
            BOOST_TEST(h.region->patches(r.service, r.id) == 0u);
        }
    }
}

BOOST_AUTO_TEST_CASE(host_work_already_done_is_recognised_and_not_repeated) {
    struct Case {
        const char* driver;
        const char* verb;
        long long id;
        const char* needle;
        RccResult answer;
        const char* never;
    };
    const std::vector<Case> cases{
        {"snapshot_kvm", "build", 5001, "snapshot-info", {true, "", 0, "Name:           1701_5001\n", ""}, "snapshot-create-as"},
        {"snapshot_kvm", "scrub", 5003, "snapshot-info",
         {true, "", 1, "", "error: Domain snapshot not found: no domain snapshot with matching name '1701_5003'"}, "snapshot-delete"},
        {"snapshot_hyperv", "build", 5011, "SilentlyContinue", {true, "", 0, "812_1702 1702_5011 Standard\r\n", ""}, "Checkpoint-VM"},
        {"snapshot_hyperv", "scrub", 5013, "SilentlyContinue", {true, "", 1, "", ""}, "Remove-VMSnapshot"},
        {"backup_kvm", "build", 6001, "test -e", {true, "", 0, "", ""}, "snapshot-create-as"},
        {"backup_kvm", "scrub", 6002, "test -e", {true, "", 1, "", ""}, "rm --recursive"},
        {"backup_hyperv", "build", 6011, "Test-Path", {true, "", 0, "True\r\n", ""}, "Export-VM"},
        {"backup_hyperv", "scrub", 6012, "Test-Path", {true, "", 0, "False\r\n", ""}, "Remove-Item"},
        {"ceph", "scrub", 9003, "info --format json", {true, "", 2, "", "rbd: error opening image 812_9003: (2) No such file or directory"}, " rm "},
        {"gpu", "updaterunning", 1704, "dumpxml", {true, "", 0, "<domain type='kvm'><name>812_1704</name></domain>", ""}, "detach-device"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.driver << "." << c.verb) {
            Harness h;
            h.rcc.answer(c.needle, c.answer);
            Outcome o = h.run(c.driver, c.verb, c.id);
            BOOST_TEST(o.status == Status::succeeded, describe(o));
            for (const auto& cmd : h.rcc.commands()) BOOST_TEST(cmd.find(c.never) == std::string::npos, cmd);
        }
    }
    Harness h;  // a GPU already detached on the host is still freed in the API
    h.rcc.answer("dumpxml", RccResult{true, "", 0, "<domain/>", ""});
    BOOST_TEST(h.run("gpu", "updaterunning", 1704).status == Status::succeeded);
    BOOST_TEST(h.object("device", 802).at("vm_id").is_null());
}

BOOST_AUTO_TEST_SUITE_END()
