// Each verb file declares what differs for its verb on top of the transition table's states.
#pragma once

#include "cloudcix_drivers/verb.hpp"

namespace cloudcix::drivers::verbs {

void vm_kvm_build(VerbSpec& spec);
void vm_kvm_scrub(VerbSpec& spec);
void vm_kvm_quiesce(VerbSpec& spec);
void vm_kvm_restart(VerbSpec& spec);
void vm_kvm_scrubprep(VerbSpec& spec);
void vm_kvm_updatequiesced(VerbSpec& spec);
void vm_kvm_updaterunning(VerbSpec& spec);
void vm_hyperv_build(VerbSpec& spec);
void vm_hyperv_quiesce(VerbSpec& spec);
void vm_hyperv_restart(VerbSpec& spec);
void vm_hyperv_scrub(VerbSpec& spec);
void vm_hyperv_scrubprep(VerbSpec& spec);
void vm_hyperv_updatequiesced(VerbSpec& spec);
void vm_hyperv_updaterunning(VerbSpec& spec);
void vm_phantom_build(VerbSpec& spec);
void vm_phantom_quiesce(VerbSpec& spec);
void vm_phantom_restart(VerbSpec& spec);
void vm_phantom_scrub(VerbSpec& spec);
void vm_phantom_scrubprep(VerbSpec& spec);
void vm_phantom_updatequiesced(VerbSpec& spec);
void vm_phantom_updaterunning(VerbSpec& spec);
void virtual_router_build(VerbSpec& spec);
void virtual_router_quiesce(VerbSpec& spec);
void virtual_router_restart(VerbSpec& spec);
void virtual_router_scrub(VerbSpec& spec);
void virtual_router_scrubprep(VerbSpec& spec);
void virtual_router_updatequiesced(VerbSpec& spec);
void virtual_router_updaterunning(VerbSpec& spec);
void virtual_router_phantom_build(VerbSpec& spec);
void virtual_router_phantom_quiesce(VerbSpec& spec);
void virtual_router_phantom_restart(VerbSpec& spec);
void virtual_router_phantom_scrub(VerbSpec& spec);
void virtual_router_phantom_scrubprep(VerbSpec& spec);
void virtual_router_phantom_updatequiesced(VerbSpec& spec);
void virtual_router_phantom_updaterunning(VerbSpec& spec);

// Storage and device verbs (issue 5).
void snapshot_kvm_build(VerbSpec& spec);
void snapshot_kvm_scrub(VerbSpec& spec);
void snapshot_kvm_updaterunning(VerbSpec& spec);
void snapshot_hyperv_build(VerbSpec& spec);
void snapshot_hyperv_scrub(VerbSpec& spec);
void snapshot_hyperv_updaterunning(VerbSpec& spec);
void backup_kvm_build(VerbSpec& spec);
void backup_kvm_scrub(VerbSpec& spec);
void backup_hyperv_build(VerbSpec& spec);
void backup_hyperv_scrub(VerbSpec& spec);
void ceph_build(VerbSpec& spec);
void ceph_scrub(VerbSpec& spec);
void ceph_updaterunning(VerbSpec& spec);
void ceph_updatequiesced(VerbSpec& spec);
void gpu_updaterunning(VerbSpec& spec);
void gpu_updatequiesced(VerbSpec& spec);

}  // namespace cloudcix::drivers::verbs
