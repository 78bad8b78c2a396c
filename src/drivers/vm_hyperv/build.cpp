// vm_hyperv.build: REQUESTED → BUILDING → RUNNING (spec §4.2).
#include "drivers/common/vm_family.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {
namespace json = boost::json;
using namespace family;

namespace {

Plan plan(VerbContext& ctx) {
    const Fields& vm = ctx.resource;
    Host host = resolve_host(ctx, vm.integer("server_id"));
    Storage primary = primary_storage(vm);
    auto nics = network(vm);
    std::string name = vm_identifier(vm);

    json::array dns;
    std::string list = vm.optional_string("dns").value_or("");
    for (std::size_t start = 0; start < list.size();) {
        auto comma = list.find(',', start);
        if (auto item = list.substr(start, comma - start); !item.empty()) dns.push_back(json::string(item));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    auto ips = [&](const Nic& nic) {
        json::array out;
        for (const auto& [ip, prefix] : nic.addresses) out.push_back(json::object{{"ip", ip}, {"netmask", prefix}});
        return out;
    };
    json::object gateway{{"vlan", nics.front().vlan}, {"ips", ips(nics.front())}, {"gateway", nics.front().gateway}, {"dns", dns}};
    json::array secondary;
    for (std::size_t i = 1; i < nics.size(); ++i) secondary.push_back(json::object{{"vlan", nics[i].vlan}, {"ips", ips(nics[i])}});

    // The generated administrator password goes to the host (unattend.xml) and to the user's
    // build mail only; it is registered as a secret so logs and outcomes never show it.
    std::string password = generate_password();
    ctx.facts["admin_password"] = password;

    Plan p;
    p.calls.push_back({"hyperv", "build", {{"host", host.hostname}, {"vm", name}, {"storage", hyperv_storage(vm, primary.id)},
                                           {"image", vm.string("image.filename")}, {"administrator_password", password},
                                           {"cpu", vm.integer("cpu")}, {"ram", vm.integer("ram")}, {"gb", primary.gb},
                                           {"gateway_network", std::move(gateway)}, {"secondary_networks", std::move(secondary)}}});
    for (const auto& s : storages(vm))
        if (!s.primary)
            p.calls.push_back({"storage_hyperv", "build", {{"host", host.hostname}, {"vm", name},
                                                           {"storage", hyperv_storage(vm, s.id)}, {"gb", s.gb}}});
    // Started only after every disk is attached (spec §6.23: [P] started it before).
    p.calls.push_back({"hyperv", "restart", {{"host", host.hostname}, {"vm", name}}});
    return p;
}

}  // namespace

void vm_hyperv_build(VerbSpec& spec) {
    declare_vm_verb(spec, Hypervisor::hyperv);
    spec.plan = plan;
}

}  // namespace cloudcix::drivers::verbs
