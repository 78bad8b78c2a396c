// Native primitives check first: a host already in the desired state answers success with the
// "already" number and changes nothing; failures carry the (prefix + step) number of spec §3.3.
#include <boost/test/unit_test.hpp>

#include "cloudcix_drivers/native_primitives.hpp"
#include "cloudcix_drivers/testing.hpp"
#include "support/printing.hpp"

using namespace cloudcix::drivers;
namespace json = boost::json;

namespace {

struct Host {
    RecordingRcc rcc;
    ManualClock clock;
    Config config;
    NativePrimitives native{rcc, clock, config};
    PrimitiveResult call(std::string p, std::string a, json::object args) { return native.call({std::move(p), std::move(a), std::move(args)}); }
    bool ran(std::string_view needle) const {
        for (const auto& c : rcc.commands())
            if (c.find(needle) != std::string::npos) return true;
        return false;
    }
};

RccResult says(std::string out, int exit = 0) { return RccResult{true, {}, exit, std::move(out), {}}; }
json::array podnet() { return json::array{"2a02:db8:9::10:0:2", "2a02:db8:9::10:0:3"}; }

}  // namespace

BOOST_AUTO_TEST_SUITE(idempotent_primitives)

BOOST_AUTO_TEST_CASE(a_namespace_that_exists_on_both_nodes_is_not_added_again) {
    Host h;
    h.rcc.answer("ip netns list", says("P812 (id: 3)\nP900\n"));
    auto r = h.call("ns", "build", {{"podnet", podnet()}, {"namespace", "P812"}});
    BOOST_TEST(r.ok);
    BOOST_TEST(r.message.rfind("1001: ", 0) == 0, r.message);
    BOOST_TEST(!h.ran("netns add"));
}

BOOST_AUTO_TEST_CASE(a_namespace_is_added_when_only_a_similar_name_exists) {
    Host h;
    h.rcc.answer("ip netns list", says("P8120\n"));
    auto r = h.call("ns", "build", {{"podnet", podnet()}, {"namespace", "P812"}});
    BOOST_TEST(r.message.rfind("1000: ", 0) == 0, r.message);
    BOOST_TEST(h.ran("sudo ip netns add P812"));
}

BOOST_AUTO_TEST_CASE(each_podnet_node_fails_with_its_own_numbers) {
    Host h;
    h.rcc.answer("ip netns add", says("", 1));
    auto r = h.call("ns", "build", {{"podnet", podnet()}, {"namespace", "P812"}});
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.message.rfind("3024: ns.build step 2", 0) == 0, r.message);  // enabled node, step 2
    BOOST_TEST(!h.ran("netns exec"));                                          // nothing after the failure

    // The disabled node (second) numbers its failures 30 higher.
    struct SecondFails : Rcc {
        RccResult run(const HostCommand& c) override {
            bool fail = c.host == "2a02:db8:9::10:0:3" && c.command.find("netns add") != std::string::npos;
            return RccResult{true, {}, fail ? 1 : c.assumed_exit, c.assumed_stdout, {}};
        }
    } second;
    ManualClock clock;
    NativePrimitives native(second, clock, Config{});
    auto d = native.call({"ns", "build", {{"podnet", podnet()}, {"namespace", "P812"}}});
    BOOST_TEST(d.message.rfind("3054: ns.build step 2 failed on 2a02:db8:9::10:0:3", 0) == 0, d.message);
}

BOOST_AUTO_TEST_CASE(an_address_already_on_the_interface_is_not_added_again) {
    Host h;
    h.rcc.answer("ip -o address show", says("5: P812.B21    inet 185.49.60.110/27 brd 185.49.60.127 scope global P812.B21\n"));
    auto r = h.call("network_ns", "build", {{"podnet", podnet()}, {"namespace", "P812"}, {"interface", "P812.B21"}, {"address", "185.49.60.110/27"}});
    BOOST_TEST(r.message.rfind("1001: ", 0) == 0, r.message);
    BOOST_TEST(!h.ran("address add"));
}

BOOST_AUTO_TEST_CASE(a_kvm_disk_of_the_requested_size_is_not_resized_and_a_bigger_one_is_refused) {
    Host h;
    h.rcc.answer("qemu-img info", says("{\"virtual-size\": 64424509440}"));
    auto same = h.call("storage_kvm", "update", {{"host", "2a02:db8:9::10:0:12"}, {"storage", "812_1_SSD_7.img"}, {"gb", 60}});
    BOOST_TEST(same.message.rfind("1301: ", 0) == 0, same.message);
    auto smaller = h.call("storage_kvm", "update", {{"host", "2a02:db8:9::10:0:12"}, {"storage", "812_1_SSD_7.img"}, {"gb", 50}});
    BOOST_TEST(!smaller.ok);
    BOOST_TEST(smaller.message.rfind("3323: ", 0) == 0, smaller.message);
    BOOST_TEST(!h.ran("qemu-img resize"));
}

BOOST_AUTO_TEST_CASE(a_disk_already_attached_is_not_attached_again) {
    Host h;
    h.rcc.answer("domblklist", says(" file disk vdb /var/lib/libvirt/images/812_1_SSD_8.img\n"));
    auto r = h.call("storage_kvm", "attach", {{"host", "2a02:db8:9::10:0:12"}, {"domain", "812_1"}, {"storage", "812_1_SSD_8.img"}, {"target", "vdb"}});
    BOOST_TEST(r.message.rfind("1301: ", 0) == 0, r.message);
    BOOST_TEST(!h.ran("attach-disk"));
}

BOOST_AUTO_TEST_CASE(a_domain_that_already_has_the_cpu_and_ram_is_left_alone) {
    Host h;
    h.rcc.answer("dominfo", says("State:          shut off\nCPU(s):         4\nMax memory:     8388608 KiB\n"));
    auto r = h.call("cloudinit_kvm", "update", {{"host", "2a02:db8:9::10:0:12"}, {"domain", "812_1"}, {"cpu", 4}, {"ram", 8192}});
    BOOST_TEST(r.message.rfind("1301: ", 0) == 0, r.message);
    BOOST_TEST(!h.ran("setvcpus"));
    BOOST_TEST(!h.ran("setmaxmem"));
    auto more = h.call("cloudinit_kvm", "update", {{"host", "2a02:db8:9::10:0:12"}, {"domain", "812_1"}, {"cpu", 6}});
    BOOST_TEST(more.message.rfind("1300: ", 0) == 0, more.message);
    BOOST_TEST(h.ran("sudo virsh setvcpus 812_1 --count 6 --maximum --config"));
    BOOST_TEST(!h.ran("setmaxmem"));
}

BOOST_AUTO_TEST_CASE(a_hyperv_vm_already_off_or_running_or_gone_needs_nothing) {
    Host h;
    h.rcc.answer(").State", says("Off\r\n"));
    BOOST_TEST(h.call("hyperv", "quiesce", {{"host", "hv13"}, {"vm", "812_1"}}).message.rfind("1401: ", 0) == 0);
    BOOST_TEST(!h.ran("Stop-VM"));
    Host r;
    r.rcc.answer(").State", says("Running\r\n"));
    BOOST_TEST(r.call("hyperv", "restart", {{"host", "hv13"}, {"vm", "812_1"}}).message.rfind("1501: ", 0) == 0);
    BOOST_TEST(!r.ran("Start-VM"));
    Host s;
    s.rcc.answer("[bool](Get-VM", says("False\r\n"));
    BOOST_TEST(s.call("hyperv", "scrub", {{"host", "hv13"}, {"vm", "812_1"}, {"storage", "812_1_SSD_1"}}).message.rfind("1101: ", 0) == 0);
    BOOST_TEST(!s.ran("Remove-VM"));
}

BOOST_AUTO_TEST_CASE(hyperv_cpu_and_ram_changes_need_the_vm_off) {
    Host h;
    h.rcc.answer(").State", says("Running\r\n"));
    auto r = h.call("cpu_hyperv", "update", {{"host", "hv13"}, {"vm", "812_1"}, {"cpu", 4}});
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.message.rfind("3322: ", 0) == 0, r.message);
    BOOST_TEST(!h.ran("Set-VMProcessor"));
    BOOST_TEST(h.rcc.entries().front().command.user == "administrator");
}

BOOST_AUTO_TEST_CASE(a_vhdx_of_the_requested_size_is_not_resized_and_a_bigger_one_is_refused) {
    Host h;
    h.rcc.answer(").Size", says("107374182400\r\n"));
    auto same = h.call("storage_hyperv", "update", {{"host", "hv13"}, {"vm", "812_1"}, {"storage", "812_1_SSD_7"}, {"gb", 100}});
    BOOST_TEST(same.message.rfind("1202: ", 0) == 0, same.message);
    auto smaller = h.call("storage_hyperv", "update", {{"host", "hv13"}, {"vm", "812_1"}, {"storage", "812_1_SSD_7"}, {"gb", 80}});
    BOOST_TEST(smaller.message.rfind("3223: ", 0) == 0, smaller.message);
    BOOST_TEST(!h.ran("Resize-VHD"));
}

BOOST_AUTO_TEST_CASE(an_existing_hyperv_vm_or_vhdx_is_success_without_work) {
    Host h;
    h.rcc.answer("[bool](Get-V", says("True\r\n"));
    json::object gw{{"vlan", 1002}, {"ips", json::array{json::object{{"ip", "10.0.0.3"}, {"netmask", 24}}}}, {"gateway", "10.0.0.1"}};
    auto vm = h.call("hyperv", "build", {{"host", "hv13"}, {"vm", "812_1"}, {"storage", "812_1_SSD_1"}, {"image", "w.vhdx"},
                                         {"administrator_password", "Secret123abc"}, {"cpu", 2}, {"ram", 4}, {"gb", 40},
                                         {"gateway_network", gw}, {"secondary_networks", json::array{}}});
    BOOST_TEST(vm.message.rfind("1001: ", 0) == 0, vm.message);
    auto disk = h.call("storage_hyperv", "build", {{"host", "hv13"}, {"vm", "812_1"}, {"storage", "812_1_SSD_2"}, {"gb", 10}});
    BOOST_TEST(disk.message.rfind("1001: ", 0) == 0, disk.message);
    BOOST_TEST(h.rcc.commands().size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_vpn_interface_that_exists_is_kept_but_its_config_is_rewritten) {
    Host h;
    h.rcc.answer("ip link show dev xfrm6001", says("7: xfrm6001@eth0: <NOARP,UP>\n"));
    auto r = h.call("vpns2s_ns", "build", {{"podnet", podnet()}, {"namespace", "P812"}, {"stif", 6001}, {"interface", "eth0"},
                                           {"local_addrs", "185.49.60.2"}, {"remote_addrs", "203.0.113.10"}, {"version", 2},
                                           {"ike_proposals", "aes256-sha256-ecp256"}, {"esp_proposals", "aes256gcm64-ecp256"},
                                           {"ike_lifetime", 28800}, {"ipsec_lifetime", 3600}, {"local_ts", json::array{"10.0.0.0/24"}},
                                           {"remote_ts", json::array{"192.168.10.0/24"}}, {"routes", json::array{"192.168.10.0/24"}},
                                           {"start_action", "start"}, {"psk", "a\"quote}and\nnewline"}});
    BOOST_TEST(r.ok, r.message);
    BOOST_TEST(!h.ran("type xfrm"));
    BOOST_TEST(h.ran("/etc/swanctl/conf.d/P812_6001.conf"));
    // The PSK is written base64-encoded: none of its characters can end the secret early.
    BOOST_TEST(!h.ran("a\"quote}"));
    BOOST_TEST(h.ran("secret = 0sYSJxdW90ZX1hbmQKbmV3bGluZQ=="));
}

BOOST_AUTO_TEST_SUITE_END()
