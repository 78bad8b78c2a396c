// vm_kvm.updaterunning: RUNNING_UPDATE → RUNNING_UPDATING → RUNNING (spec §4.1).
#include "drivers/common/hypervisors.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void vm_kvm_updaterunning(VerbSpec& spec) {
    // Shut down, apply the user's change row (cpu, ram, disks) to the domain's config, start again.
    family::declare_vm_verb(spec, family::Hypervisor::kvm);
    spec.plan = [](VerbContext& ctx) { return family::kvm_update(ctx, true); };
}

}  // namespace cloudcix::drivers::verbs
