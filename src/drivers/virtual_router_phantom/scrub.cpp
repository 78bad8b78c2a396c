// virtual_router_phantom.scrub: SCRUB_QUEUE → SCRUBBING → CLOSED (spec §4.5).
#include "drivers/common/router_family.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void virtual_router_phantom_scrub(VerbSpec& spec) {
    // Scrub keeps the CLOSED-VMs dependency: the API enforces it.
    family::declare_router_verb(spec, true);
    spec.plan = family::phantom_router_plan;
}

}  // namespace cloudcix::drivers::verbs
