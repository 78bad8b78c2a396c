// vm_phantom.scrubprep: SCRUB → SCRUB_PREP → SCRUB_QUEUE (spec §4.3).
#include "drivers/common/hypervisors.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void vm_phantom_scrubprep(VerbSpec& spec) {
    // No scheduled-deletion mail for phantom VMs (spec §4.3).
    family::declare_vm_verb(spec, family::Hypervisor::phantom);
    spec.plan = family::phantom_plan;
}

}  // namespace cloudcix::drivers::verbs
