// snapshot_kvm.build: REQUESTED → BUILDING → RUNNING (spec §4.6).
#include "drivers/common/storage.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {
using namespace storage;

void snapshot_kvm_build(VerbSpec& spec) {
    spec.prerequisites = [](VerbContext& ctx) { return vm_running(ctx, true); };
    spec.lock_keys = snapshot_lock_keys;
    spec.plan = [](VerbContext& ctx) {
        Fields vm = ctx.resource.sub("vm");
        auto h = vm_host(ctx, vm, Hypervisor::kvm);
        Plan p;
        p.calls.push_back({"snapshot_kvm", "build", {{"host", h.address}, {"domain", family::vm_identifier(vm)}, {"snapshot", snapshot_name(ctx.resource)}}});
        return p;
    };
    spec.notifications = [](VerbContext& ctx, const Outcome& o) { return snapshot_mails(ctx, o, "build"); };
}

}  // namespace cloudcix::drivers::verbs
