// vm_hyperv.scrub: SCRUB_QUEUE → SCRUBBING → CLOSED (spec §4.2).
#include "drivers/common/vm_family.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {
using namespace family;

namespace {

Plan plan(VerbContext& ctx) {
    const Fields& vm = ctx.resource;
    long long id = vm.integer("id");
    Host host = resolve_host(ctx, vm.integer("server_id"));
    // [design] as on KVM: a VM with attached Ceph drives is not scrubbed (the drives would be orphaned).
    auto drives = ctx.list("ceph", Query().where("parent_id", std::to_string(id)).except("state", "99"));
    if (!drives.empty())
        throw VerbFailure(ErrorNumber::verb_failed, "vm #" + std::to_string(id) + " still has " + std::to_string(drives.size()) +
                                                        " Ceph drive(s) attached");
    Plan p;
    // Turns the VM off, removes it and its folder D:\HyperV\<vm> (secondary disks live there too).
    p.calls.push_back({"hyperv", "scrub", {{"host", host.hostname}, {"vm", vm_identifier(vm)},
                                           {"storage", hyperv_storage(vm, primary_storage(vm).id)}}});
    return p;
}

}  // namespace

void vm_hyperv_scrub(VerbSpec& spec) {
    declare_vm_verb(spec, Hypervisor::hyperv);
    spec.plan = plan;
}

}  // namespace cloudcix::drivers::verbs
