// virtual_router.restart: RESTART → RESTARTING → RUNNING (spec §4.4).
#include "drivers/common/router_family.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void virtual_router_restart(VerbSpec& spec) {
    // The build composition again: every primitive is idempotent (spec §4.4 restart).
    family::declare_router_verb(spec, false);
    spec.plan = [](VerbContext& ctx) { return family::router_plan(ctx, family::RouterWork::up); };
}

}  // namespace cloudcix::drivers::verbs
