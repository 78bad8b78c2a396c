// snapshot_hyperv.scrub: SCRUB → SCRUBBING → CLOSED (spec §4.7; from SCRUB, not SCRUB_QUEUE).
// With remove_subtree the host drops the children in the same command; the API closes them.
#include "drivers/common/storage.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {
using namespace storage;

void snapshot_hyperv_scrub(VerbSpec& spec) {
    spec.prerequisites = [](VerbContext& ctx) { return vm_running(ctx, true); };
    spec.lock_keys = snapshot_lock_keys;
    spec.plan = [](VerbContext& ctx) {
        Fields vm = ctx.resource.sub("vm");
        auto h = vm_host(ctx, vm, Hypervisor::hyperv);
        bool subtree = ctx.resource.has("remove_subtree") && ctx.resource.boolean("remove_subtree");
        Plan p;
        p.calls.push_back({"snapshot_hyperv", "scrub", {{"host", h.address}, {"vm", family::vm_identifier(vm)}, {"snapshot", snapshot_name(ctx.resource)},
                                                       {"remove_subtree", subtree}}});
        return p;
    };
    spec.notifications = [](VerbContext& ctx, const Outcome& o) { return snapshot_mails(ctx, o, "scrub"); };
}

}  // namespace cloudcix::drivers::verbs
