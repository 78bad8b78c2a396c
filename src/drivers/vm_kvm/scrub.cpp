// vm_kvm.scrub: SCRUB_QUEUE → SCRUBBING → CLOSED (spec §4.1).
#include <set>

#include "drivers/common/vm_family.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {
namespace json = boost::json;
using namespace family;

namespace {

Plan plan(VerbContext& ctx) {
    const Fields& vm = ctx.resource;
    long long id = vm.integer("id");
    Host host = resolve_host(ctx, vm.integer("server_id"));

    // [design] a VM with attached Ceph drives is not scrubbed: the drives would be orphaned.
    auto drives = ctx.list("ceph", Query().where("parent_id", std::to_string(id)).except("state", "99"));
    if (!drives.empty())
        throw VerbFailure(ErrorNumber::verb_failed, "vm #" + std::to_string(id) + " still has " + std::to_string(drives.size()) +
                                                        " Ceph drive(s) attached");

    Plan p;
    Storage primary = primary_storage(vm);
    p.calls.push_back({"cloudinit_kvm", "scrub", {{"host", host.address}, {"domain", vm_identifier(vm)},
                                                  {"primary_storage", storage_file(vm, primary.id)}}});
    for (const auto& s : storages(vm))
        if (!s.primary) p.calls.push_back({"storage_kvm", "scrub", {{"host", host.address}, {"storage", storage_file(vm, s.id)}}});

    // A VLAN bridge goes only when no other live VM on the same server uses the VLAN.
    std::set<long long> in_use;
    auto others = ctx.list("vm", Query().where("server_id", std::to_string(vm.integer("server_id"))).except("state", "99"));
    for (const auto& other : others) {
        Fields o = fields_of(other, "vm");
        if (o.integer("id") == id || !o.has("ip_addresses")) continue;
        for (const auto& ip : o.array("ip_addresses")) {
            Fields f = fields_of(ip, o.name() + " ip_address");
            if (f.has("subnet.vlan")) in_use.insert(f.integer("subnet.vlan"));
        }
    }
    for (long long vlan : vlans(vm))
        if (!in_use.count(vlan)) p.calls.push_back({"bridge_kvm", "scrub", {{"host", host.address}, {"vlan", vlan}}});

    json::array podnet;
    for (const auto& n : podnet_nodes(ctx.config)) podnet.push_back(json::string(n));
    p.calls.push_back({"cidata", "scrub", {{"podnet", podnet},
                                           {"domain_path", "/etc/netns/" + namespace_name(ctx.config, vm.integer("project.id")) +
                                                               "/cloudcix-metadata/" + network(vm).front().addresses.front().first}}});
    return p;
}

}  // namespace

void vm_kvm_scrub(VerbSpec& spec) {
    declare_vm_verb(spec, Hypervisor::kvm);
    spec.plan = plan;
}

}  // namespace cloudcix::drivers::verbs
