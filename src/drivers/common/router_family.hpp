// Shared declarations and PodNet plan builders of virtual_router and virtual_router_phantom.
#pragma once

#include "drivers/common/vm_family.hpp"

namespace cloudcix::drivers::family {

// Prerequisites (scrub: the project's VMs must be CLOSED, else postpone 60 s), lock keys
// (project, and podnet for real routers), NOC failure mails, VPN mails and the send_email reset.
void declare_router_verb(VerbSpec& spec, bool phantom);

enum class RouterWork {
    up,      // build / restart: namespace, bridges, addresses, VLANs, firewall + NAT, VPNs
    update,  // down, then up: removed subnets, NAT addresses and VPNs disappear too
    down,    // quiesce / scrubprep / updatequiesced: VPNs and namespace removed
    scrub,   // down, plus the namespace's data under /etc/netns
};
Plan router_plan(VerbContext& ctx, RouterWork work);
// Phantom router: no host work; its router must have no capacity (spec §1.4), else driver_mismatch.
Plan phantom_router_plan(VerbContext& ctx);

// API algorithm names → strongSwan (spec §4.4 mapping table); unknown names throw VerbFailure.
std::string ike_proposal(const Fields& vpn);
std::string esp_proposal(const Fields& vpn);
// "10.0.0.1/24" → "10.0.0.0/24"
std::string network_of(const std::string& cidr);

}  // namespace cloudcix::drivers::family
