// virtual_router.build: REQUESTED → BUILDING → RUNNING (spec §4.4).
#include "drivers/common/router_family.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void virtual_router_build(VerbSpec& spec) {
    // Namespace, floating bridge, VLANs, firewall, NAT, VPNs on both PodNet nodes; VPN mails.
    family::declare_router_verb(spec, false);
    spec.plan = [](VerbContext& ctx) { return family::router_plan(ctx, family::RouterWork::up); };
}

}  // namespace cloudcix::drivers::verbs
