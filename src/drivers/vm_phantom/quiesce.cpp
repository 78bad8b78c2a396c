// vm_phantom.quiesce: QUIESCE → QUIESCING → QUIESCED (spec §4.3).
#include "drivers/common/hypervisors.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void vm_phantom_quiesce(VerbSpec& spec) {
    family::declare_vm_verb(spec, family::Hypervisor::phantom);
    spec.plan = family::phantom_plan;
}

}  // namespace cloudcix::drivers::verbs
