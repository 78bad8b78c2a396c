// virtual_router.scrub: SCRUB_QUEUE → SCRUBBING → CLOSED (spec §4.4).
#include "drivers/common/router_family.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void virtual_router_scrub(VerbSpec& spec) {
    // Waits (60 s) until the project's VMs are CLOSED; removes the namespace and its data.
    family::declare_router_verb(spec, false);
    spec.plan = [](VerbContext& ctx) { return family::router_plan(ctx, family::RouterWork::scrub); };
}

}  // namespace cloudcix::drivers::verbs
