// vm_kvm.restart: RESTART → RESTARTING → RUNNING (spec §4.1).
#include "drivers/common/hypervisors.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void vm_kvm_restart(VerbSpec& spec) {
    // Also the restore path out of SCRUB_QUEUE (user map SCRUB_QUEUE → RESTART).
    family::declare_vm_verb(spec, family::Hypervisor::kvm);
    spec.plan = [](VerbContext& ctx) { return family::kvm_power(ctx, "restart"); };
}

}  // namespace cloudcix::drivers::verbs
