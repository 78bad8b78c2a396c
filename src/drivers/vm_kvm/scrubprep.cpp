// vm_kvm.scrubprep: SCRUB → SCRUB_PREP → SCRUB_QUEUE (spec §4.1).
#include "drivers/common/hypervisors.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void vm_kvm_scrubprep(VerbSpec& spec) {
    // Same host work as quiesce; success mails the scheduled deletion date.
    family::declare_vm_verb(spec, family::Hypervisor::kvm);
    spec.plan = [](VerbContext& ctx) { return family::kvm_power(ctx, "quiesce"); };
}

}  // namespace cloudcix::drivers::verbs
