#include "drivers/common/gpu.hpp"

#include "drivers/common/storage.hpp"

namespace cloudcix::drivers::storage {

void declare_gpu_update(VerbSpec& spec, bool running) {
    spec.prerequisites = [](VerbContext& ctx) {
        Dependency snapshots = family::snapshots_stable(ctx, ctx.resource.integer("id"));
        if (snapshots.kind != Dependency::Kind::proceed) return snapshots;
        return gpu_devices_ready(ctx);
    };
    spec.lock_keys = [](const Fields& vm) { return family::vm_lock_keys(vm, false, true, false); };
    spec.plan = [running](VerbContext& ctx) {
        auto h = vm_host(ctx, ctx.resource, Hypervisor::kvm);
        Plan p;
        p.calls = gpu_calls(ctx, ctx.resource, h.address, running);
        return p;
    };
    spec.after_success = free_devices;
    spec.notifications = [](VerbContext& ctx, const Outcome& o) -> std::vector<Notification> {
        if (o.status != Status::failed) return {};
        return {family::noc_failure(ctx, o, "vm", "update")};
    };
}

}  // namespace cloudcix::drivers::storage
