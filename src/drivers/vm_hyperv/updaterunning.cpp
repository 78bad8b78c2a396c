// vm_hyperv.updaterunning: RUNNING_UPDATE → RUNNING_UPDATING → RUNNING (spec §4.2).
#include "drivers/common/hypervisors.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void vm_hyperv_updaterunning(VerbSpec& spec) {
    family::declare_vm_verb(spec, family::Hypervisor::hyperv);
    spec.plan = [](VerbContext& ctx) { return family::hyperv_update(ctx, true); };
}

}  // namespace cloudcix::drivers::verbs
