// vm_kvm.updatequiesced: QUIESCED_UPDATE → QUIESCED_UPDATING → QUIESCED (spec §4.1).
#include "drivers/common/hypervisors.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void vm_kvm_updatequiesced(VerbSpec& spec) {
    // The domain is already shut off: apply the change to its config and leave it off.
    family::declare_kvm_update(spec, false);
}

}  // namespace cloudcix::drivers::verbs
