// virtual_router.updatequiesced: QUIESCED_UPDATE → QUIESCED_UPDATING → QUIESCED (spec §4.4).
#include "drivers/common/router_family.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void virtual_router_updatequiesced(VerbSpec& spec) {
    // A QUIESCED router must have no live networking (spec §6.10): make sure it is down.
    family::declare_router_verb(spec, false);
    spec.plan = [](VerbContext& ctx) { return family::router_plan(ctx, family::RouterWork::down); };
}

}  // namespace cloudcix::drivers::verbs
