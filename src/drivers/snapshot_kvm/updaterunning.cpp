// snapshot_kvm.updaterunning: RUNNING_UPDATE → RUNNING_UPDATING → RUNNING (spec §4.6): revert the
// VM to this snapshot (the API already made it the VM's active one) and leave the VM running.
#include "drivers/common/storage.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {
using namespace storage;

void snapshot_kvm_updaterunning(VerbSpec& spec) {
    spec.prerequisites = [](VerbContext& ctx) { return vm_running(ctx, true); };
    spec.lock_keys = snapshot_lock_keys;
    spec.plan = [](VerbContext& ctx) {
        Fields vm = ctx.resource.sub("vm");
        auto h = vm_host(ctx, vm, Hypervisor::kvm);
        Plan p;
        p.calls.push_back({"snapshot_kvm", "update", {{"host", h.address}, {"domain", family::vm_identifier(vm)}, {"snapshot", snapshot_name(ctx.resource)}}});
        return p;
    };
    spec.notifications = [](VerbContext& ctx, const Outcome& o) { return snapshot_mails(ctx, o, "update"); };
}

}  // namespace cloudcix::drivers::verbs
