// virtual_router_phantom.quiesce: QUIESCE → QUIESCING → QUIESCED (spec §4.5).
#include "drivers/common/router_family.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void virtual_router_phantom_quiesce(VerbSpec& spec) {
    family::declare_router_verb(spec, true);
    spec.plan = family::phantom_router_plan;
}

}  // namespace cloudcix::drivers::verbs
