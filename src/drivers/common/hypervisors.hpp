// Plan builders the KVM, Hyper-V and phantom VM verbs share (one per kind of host work).
#pragma once

#include "drivers/common/vm_family.hpp"

namespace cloudcix::drivers::family {

// KVM: one cloudinit_kvm call (quiesce / restart) on the VM's host.
Plan kvm_power(VerbContext& ctx, std::string_view action);
// KVM update: [quiesce], setmaxmem/setmem/setvcpus --config, grow or create+attach disks, [restart].
Plan kvm_update(VerbContext& ctx, bool running);

// Hyper-V: one hyperv call (quiesce / restart) on the VM's host (interface host name).
Plan hyperv_power(VerbContext& ctx, std::string_view action);
// Hyper-V update: [quiesce], cpu, ram, grow or create disks, [restart].
Plan hyperv_update(VerbContext& ctx, bool running);

// Phantom: no host work; the server must be a Phantom server (type 3), else driver_mismatch.
Plan phantom_plan(VerbContext& ctx);

}  // namespace cloudcix::drivers::family
