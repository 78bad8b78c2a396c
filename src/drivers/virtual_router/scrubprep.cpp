// virtual_router.scrubprep: SCRUB → SCRUB_PREP → SCRUB_QUEUE (spec §4.4).
#include "drivers/common/router_family.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void virtual_router_scrubprep(VerbSpec& spec) {
    // Same host work as quiesce; the router waits in SCRUB_QUEUE for its grace period.
    family::declare_router_verb(spec, false);
    spec.plan = [](VerbContext& ctx) { return family::router_plan(ctx, family::RouterWork::down); };
}

}  // namespace cloudcix::drivers::verbs
