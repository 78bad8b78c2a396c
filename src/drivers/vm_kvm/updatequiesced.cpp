// vm_kvm.updatequiesced: QUIESCED_UPDATE → QUIESCED_UPDATING → QUIESCED (spec §4.1).
#include "drivers/common/hypervisors.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void vm_kvm_updatequiesced(VerbSpec& spec) {
    // The domain is already shut off: apply the change to its config and leave it off.
    family::declare_vm_verb(spec, family::Hypervisor::kvm);
    spec.plan = [](VerbContext& ctx) { return family::kvm_update(ctx, false); };
}

}  // namespace cloudcix::drivers::verbs
