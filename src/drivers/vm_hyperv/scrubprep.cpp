// vm_hyperv.scrubprep: SCRUB → SCRUB_PREP → SCRUB_QUEUE (spec §4.2).
#include "drivers/common/hypervisors.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void vm_hyperv_scrubprep(VerbSpec& spec) {
    // Same host work as quiesce; success mails the scheduled deletion date.
    family::declare_vm_verb(spec, family::Hypervisor::hyperv);
    spec.plan = [](VerbContext& ctx) { return family::hyperv_power(ctx, "quiesce"); };
}

}  // namespace cloudcix::drivers::verbs
