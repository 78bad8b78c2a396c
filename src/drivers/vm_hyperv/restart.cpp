// vm_hyperv.restart: RESTART → RESTARTING → RUNNING (spec §4.2).
#include "drivers/common/hypervisors.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void vm_hyperv_restart(VerbSpec& spec) {
    family::declare_vm_verb(spec, family::Hypervisor::hyperv);
    spec.plan = [](VerbContext& ctx) { return family::hyperv_power(ctx, "restart"); };
}

}  // namespace cloudcix::drivers::verbs
