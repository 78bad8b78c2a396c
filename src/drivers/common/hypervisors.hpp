// Plan builders the KVM, Hyper-V and phantom VM verbs share (one per kind of host work).
#pragma once

#include "drivers/common/vm_family.hpp"

namespace cloudcix::drivers::family {

// KVM: one cloudinit_kvm call (quiesce / restart) on the VM's host.
Plan kvm_power(VerbContext& ctx, std::string_view action);
// KVM update (spec §4.1): [quiesce], setmaxmem/setmem/setvcpus --config, grow or create+attach
// disks, GPU detach/attach, [restart]; then the VM's Ceph drives attached or detached (live when the
// domain runs, so a drive alone never restarts it). Drives to release in the API afterwards are left
// in ctx.facts["detached_drives"], devices to free in ctx.facts["free_devices"].
Plan kvm_update(VerbContext& ctx, bool running);
// The two vm_kvm update verbs: the VM family's declarations, kvm_update as the plan, the GPU check
// among the prerequisites, and the API follow-up after success (free devices, `PUT detach/{id}/`).
void declare_kvm_update(VerbSpec& spec, bool running);

// Hyper-V: one hyperv call (quiesce / restart) on the VM's host (interface host name).
Plan hyperv_power(VerbContext& ctx, std::string_view action);
// Hyper-V update: [quiesce], cpu, ram, grow or create disks, [restart].
Plan hyperv_update(VerbContext& ctx, bool running);

// Phantom: no host work; the server must be a Phantom server (type 3), else driver_mismatch.
Plan phantom_plan(VerbContext& ctx);

}  // namespace cloudcix::drivers::family
