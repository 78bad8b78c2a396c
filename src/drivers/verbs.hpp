// Each verb file declares what differs for its verb on top of the transition table's states.
#pragma once

#include "cloudcix_drivers/verb.hpp"

namespace cloudcix::drivers::verbs {

void vm_kvm_build(VerbSpec& spec);
void vm_kvm_scrub(VerbSpec& spec);

}  // namespace cloudcix::drivers::verbs
