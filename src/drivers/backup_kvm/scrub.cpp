// backup_kvm.scrub: SCRUB → SCRUBBING → CLOSED (spec §4.8; from SCRUB, not SCRUB_QUEUE).
#include "drivers/common/storage.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {
using namespace storage;

void backup_kvm_scrub(VerbSpec& spec) {
    spec.prerequisites = [](VerbContext& ctx) { return vm_running(ctx, false); };
    spec.lock_keys = backup_lock_keys;
    spec.plan = [](VerbContext& ctx) {
        Fields vm = ctx.resource.sub("vm");
        auto h = vm_host(ctx, vm, Hypervisor::kvm);
        Plan p;
        p.calls.push_back({"backup_kvm", "scrub", {{"host", h.address},
                                                   {"repository", backup_repository(ctx.config, Hypervisor::kvm, ctx.resource.integer("repository"))},
                                                   {"backup", backup_name(ctx.resource)}}});
        return p;
    };
    spec.notifications = [](VerbContext& ctx, const Outcome& o) { return backup_mails(ctx, o, "scrub"); };
}

}  // namespace cloudcix::drivers::verbs
