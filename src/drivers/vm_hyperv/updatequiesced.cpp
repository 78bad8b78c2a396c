// vm_hyperv.updatequiesced: QUIESCED_UPDATE → QUIESCED_UPDATING → QUIESCED (spec §4.2).
#include "drivers/common/hypervisors.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void vm_hyperv_updatequiesced(VerbSpec& spec) {
    family::declare_vm_verb(spec, family::Hypervisor::hyperv);
    spec.plan = [](VerbContext& ctx) { return family::hyperv_update(ctx, false); };
}

}  // namespace cloudcix::drivers::verbs
