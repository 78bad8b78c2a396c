// vm_hyperv.quiesce: QUIESCE → QUIESCING → QUIESCED (spec §4.2).
#include "drivers/common/hypervisors.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void vm_hyperv_quiesce(VerbSpec& spec) {
    family::declare_vm_verb(spec, family::Hypervisor::hyperv);
    spec.plan = [](VerbContext& ctx) { return family::hyperv_power(ctx, "quiesce"); };
}

}  // namespace cloudcix::drivers::verbs
