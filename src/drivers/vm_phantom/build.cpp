// vm_phantom.build: REQUESTED → BUILDING → RUNNING (spec §4.3).
#include "drivers/common/hypervisors.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void vm_phantom_build(VerbSpec& spec) {
    // Still waits for the project's router (spec §4.3); no host work, no customer mails.
    family::declare_vm_verb(spec, family::Hypervisor::phantom);
    spec.plan = family::phantom_plan;
}

}  // namespace cloudcix::drivers::verbs
