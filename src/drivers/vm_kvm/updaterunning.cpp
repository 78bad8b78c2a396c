// vm_kvm.updaterunning: RUNNING_UPDATE → RUNNING_UPDATING → RUNNING (spec §4.1).
#include "drivers/common/hypervisors.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void vm_kvm_updaterunning(VerbSpec& spec) {
    // Shut down, apply the user's change row (cpu, ram, disks, GPUs) to the domain's config, start
    // again; attach or detach its Ceph drives.
    family::declare_kvm_update(spec, true);
}

}  // namespace cloudcix::drivers::verbs
