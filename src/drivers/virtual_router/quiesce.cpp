// virtual_router.quiesce: QUIESCE → QUIESCING → QUIESCED (spec §4.4).
#include "drivers/common/router_family.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void virtual_router_quiesce(VerbSpec& spec) {
    // A QUIESCED router has no namespace (spec §4.4).
    family::declare_router_verb(spec, false);
    spec.plan = [](VerbContext& ctx) { return family::router_plan(ctx, family::RouterWork::down); };
}

}  // namespace cloudcix::drivers::verbs
