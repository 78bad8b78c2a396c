// gpu.updatequiesced: the VM's QUIESCED_UPDATE → QUIESCED_UPDATING → QUIESCED (spec §4.11 [design]).
// Devices the API assigned to the VM beyond vm.gpu are detached and then freed in the API
// (PATCH device {"vm_id": null}, after_success); the first vm.gpu devices are attached.
#include "drivers/common/storage.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {
using namespace storage;

void gpu_updatequiesced(VerbSpec& spec) {
    spec.prerequisites = [](VerbContext& ctx) {
        Dependency snapshots = family::snapshots_stable(ctx, ctx.resource.integer("id"));
        if (snapshots.kind != Dependency::Kind::proceed) return snapshots;
        return gpu_devices_ready(ctx);
    };
    spec.lock_keys = [](const Fields& vm) { return family::vm_lock_keys(vm, false, true, false); };
    spec.plan = [](VerbContext& ctx) {
        auto h = vm_host(ctx, ctx.resource, Hypervisor::kvm);
        Plan p;
        p.calls = gpu_calls(ctx, ctx.resource, h.address, false);
        return p;
    };
    spec.after_success = free_devices;
    spec.notifications = [](VerbContext& ctx, const Outcome& o) -> std::vector<Notification> {
        if (o.status != Status::failed) return {};
        return {family::noc_failure(ctx, o, "vm", "update")};
    };
}

}  // namespace cloudcix::drivers::verbs
