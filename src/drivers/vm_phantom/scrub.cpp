// vm_phantom.scrub: SCRUB_QUEUE → SCRUBBING → CLOSED (spec §4.3).
#include "drivers/common/hypervisors.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void vm_phantom_scrub(VerbSpec& spec) {
    family::declare_vm_verb(spec, family::Hypervisor::phantom);
    spec.plan = family::phantom_plan;
}

}  // namespace cloudcix::drivers::verbs
