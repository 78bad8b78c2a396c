// vm_kvm.build: REQUESTED → BUILDING → RUNNING (spec §4.1).
#include <boost/json/serialize.hpp>

#include "drivers/common/vm_family.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {
namespace json = boost::json;
using namespace family;

namespace {

// netplan v2 for cloud-init: one ethernet per NIC matched by MAC, default route on the gateway NIC.
json::object metadata(const Fields& vm, const std::vector<Nic>& nics) {
    json::array dns;
    std::string list = vm.optional_string("dns").value_or("");
    for (std::size_t start = 0; start < list.size();) {
        auto comma = list.find(',', start);
        std::string item = list.substr(start, comma - start);
        if (!item.empty()) dns.push_back(json::string(item));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    json::object ethernets;
    for (std::size_t i = 0; i < nics.size(); ++i) {
        json::array addresses;
        for (const auto& [ip, prefix] : nics[i].addresses) addresses.push_back(json::string(ip + "/" + std::to_string(prefix)));
        json::object eth{{"match", json::object{{"macaddress", nics[i].mac}}},
                         {"set-name", "eth" + std::to_string(i)},
                         {"addresses", std::move(addresses)},
                         {"nameservers", json::object{{"addresses", dns}}}};
        if (nics[i].is_gateway) eth["routes"] = json::array{json::object{{"to", "default"}, {"via", nics[i].gateway}}};
        ethernets["eth" + std::to_string(i)] = std::move(eth);
    }
    json::object md{{"instance-id", vm_identifier(vm)},
                    {"local-hostname", vm.string("name")},
                    {"network", json::object{{"version", 2}, {"ethernets", std::move(ethernets)}}}};
    if (auto key = vm.optional_string("public_key"); key && !key->empty()) md["public-keys"] = json::array{json::string(*key)};
    return md;
}

Plan plan(VerbContext& ctx) {
    const Fields& vm = ctx.resource;
    Host host = resolve_host(ctx, vm.integer("server_id"));
    Storage primary = primary_storage(vm);
    auto nics = network(vm);
    std::string domain = vm_identifier(vm);

    Plan p;
    for (long long vlan : vlans(vm))
        p.calls.push_back({"bridge_kvm", "build", {{"host", host.address}, {"vlan", vlan}, {"ifname", ctx.config.kvm.bridge_interface}}});
    json::array secondary;
    for (const auto& s : storages(vm)) {
        if (s.primary) continue;
        p.calls.push_back({"storage_kvm", "build", {{"host", host.address}, {"storage", storage_file(vm, s.id)}, {"gb", s.gb}}});
        secondary.push_back(json::string(storage_file(vm, s.id)));
    }
    json::array podnet;
    for (const auto& n : podnet_nodes(ctx.config)) podnet.push_back(json::string(n));
    std::string domain_path = "/etc/netns/" + namespace_name(ctx.config, vm.integer("project.id")) + "/cloudcix-metadata/" +
                              nics.front().addresses.front().first;
    p.calls.push_back({"cidata", "build", {{"podnet", podnet}, {"domain_path", domain_path},
                                           {"metadata", json::serialize(metadata(vm, nics))},
                                           {"userdata", vm.optional_string("userdata").value_or("")}}});
    json::array interfaces;
    for (const auto& nic : nics) interfaces.push_back(json::object{{"vlan", nic.vlan}, {"mac_address", nic.mac}});
    p.calls.push_back({"cloudinit_kvm", "build", {{"host", host.address}, {"domain", domain},
                                                  {"cloudimage", vm.string("image.filename")},
                                                  {"primary_storage", storage_file(vm, primary.id)},
                                                  {"size", primary.gb}, {"cpu", vm.integer("cpu")},
                                                  {"ram", vm.integer("ram") * 1024},
                                                  {"interfaces", std::move(interfaces)},
                                                  {"secondary_storages", std::move(secondary)},
                                                  {"osvariant", vm.optional_string("image.os_variant").value_or("generic")}}});
    return p;
}

}  // namespace

void vm_kvm_build(VerbSpec& spec) {
    declare_vm_verb(spec, Hypervisor::kvm);
    spec.plan = plan;
}

}  // namespace cloudcix::drivers::verbs
