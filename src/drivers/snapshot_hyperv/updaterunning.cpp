// snapshot_hyperv.updaterunning: RUNNING_UPDATE → RUNNING_UPDATING → RUNNING (spec §4.7): revert the
// VM to this snapshot (the API already made it the VM's active one) and leave the VM running.
#include "drivers/common/storage.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {
using namespace storage;

void snapshot_hyperv_updaterunning(VerbSpec& spec) {
    spec.prerequisites = [](VerbContext& ctx) { return vm_running(ctx, true); };
    spec.lock_keys = snapshot_lock_keys;
    spec.plan = [](VerbContext& ctx) {
        Fields vm = ctx.resource.sub("vm");
        auto h = vm_host(ctx, vm, Hypervisor::hyperv);
        Plan p;
        p.calls.push_back({"snapshot_hyperv", "update", {{"host", h.address}, {"vm", family::vm_identifier(vm)}, {"snapshot", snapshot_name(ctx.resource)}}});
        return p;
    };
    spec.notifications = [](VerbContext& ctx, const Outcome& o) { return snapshot_mails(ctx, o, "update"); };
}

}  // namespace cloudcix::drivers::verbs
