// snapshot_hyperv.build: REQUESTED → BUILDING → RUNNING (spec §4.7).
#include "drivers/common/storage.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {
using namespace storage;

void snapshot_hyperv_build(VerbSpec& spec) {
    spec.prerequisites = [](VerbContext& ctx) { return vm_running(ctx, true); };
    spec.lock_keys = snapshot_lock_keys;
    spec.plan = [](VerbContext& ctx) {
        Fields vm = ctx.resource.sub("vm");
        auto h = vm_host(ctx, vm, Hypervisor::hyperv);
        Plan p;
        p.calls.push_back({"snapshot_hyperv", "build", {{"host", h.address}, {"vm", family::vm_identifier(vm)}, {"snapshot", snapshot_name(ctx.resource)}}});
        return p;
    };
    spec.notifications = [](VerbContext& ctx, const Outcome& o) { return snapshot_mails(ctx, o, "build"); };
}

}  // namespace cloudcix::drivers::verbs
