// vm_kvm.quiesce: QUIESCE → QUIESCING → QUIESCED (spec §4.1).
#include "drivers/common/hypervisors.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void vm_kvm_quiesce(VerbSpec& spec) {
    // Shut down, wait for "shut off", destroy as a last resort (cloudinit_kvm.quiesce).
    family::declare_vm_verb(spec, family::Hypervisor::kvm);
    spec.plan = [](VerbContext& ctx) { return family::kvm_power(ctx, "quiesce"); };
}

}  // namespace cloudcix::drivers::verbs
