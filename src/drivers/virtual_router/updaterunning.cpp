// virtual_router.updaterunning: RUNNING_UPDATE → RUNNING_UPDATING → RUNNING (spec §4.4).
#include "drivers/common/router_family.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void virtual_router_updaterunning(VerbSpec& spec) {
    // Tear down and rebuild from the current API data, so removed subnets, NAT IPs and VPNs go too.
    family::declare_router_verb(spec, false);
    spec.plan = [](VerbContext& ctx) { return family::router_plan(ctx, family::RouterWork::update); };
}

}  // namespace cloudcix::drivers::verbs
