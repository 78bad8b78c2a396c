// Shared builders for the storage and device drivers (snapshot_*, backup_*, ceph, gpu): names,
// hosts, lock keys, prerequisites and e-mails they declare alike. Internal to src/drivers/.
#pragma once

#include <string>
#include <vector>

#include "cloudcix_drivers/outcome.hpp"
#include "cloudcix_drivers/verb.hpp"
#include "drivers/common/family.hpp"

namespace cloudcix::drivers::storage {

enum class Hypervisor { kvm, hyperv };

// ---- snapshots and backups: objects that belong to a VM (the API embeds it as `vm`) ----
std::string snapshot_name(const Fields& snapshot);  // "{vm_id}_{snapshot_id}" (spec §3.2)
std::string backup_name(const Fields& backup);      // "{vm_id}_{backup_id}"
// The VM's server, checked to be of this hypervisor (VerbFailure 1005 otherwise); `address` is what
// the primitives connect to: the IPv6 address for KVM, the interface host name for Hyper-V.
struct VmHost {
    family::Host host;
    std::string address;
};
VmHost vm_host(VerbContext& ctx, const Fields& vm, Hypervisor hv);
// Where backups of `repository` live on this hypervisor (VerbFailure "repository not available").
std::string backup_repository(const Config& config, Hypervisor hv, long long repository);

// `backup.time_valid` as the API parses it: "YYYY-MM-DD HH:MM:SS", UTC (spec §6 item 22).
std::string time_valid(std::chrono::system_clock::time_point t);

// Lock keys: vm:{vm.id}, host:{vm.server_id} (+ backup_repo:{repository} for backups).
std::vector<std::string> snapshot_lock_keys(const Fields& snapshot);
std::vector<std::string> backup_lock_keys(const Fields& backup);

// The API refuses every snapshot/backup state PATCH unless the VM is RUNNING (…_update_107):
// postpone until it is. Snapshots of a VM with GPUs can never be written (…_update_003): fail, so
// the NOC hears of it (the failure itself cannot be recorded either, spec §6 item 16).
Dependency vm_running(VerbContext& ctx, bool refuse_gpus);

// E-mails (spec §5.1): customer build-failure mail plus the NOC mail on every failure.
std::vector<Notification> snapshot_mails(VerbContext& ctx, const Outcome& o, std::string_view task);
std::vector<Notification> backup_mails(VerbContext& ctx, const Outcome& o, std::string_view task);
// backup_kvm.scrub / backup_hyperv.scrub: remove the copy from the repository on the VM's host.
void declare_backup_scrub(VerbSpec& spec, Hypervisor hv);

// ---- Ceph drives ----
std::string ceph_image(const Fields& drive);  // "{project_id}_{resource_id}"
long long ceph_gb(const Fields& drive);       // the CEPH_001 quantity of `specs`
// ceph:cluster, ceph:image:{id}, and vm:{parent_id} while the drive is attached.
std::vector<std::string> ceph_lock_keys(const Fields& drive);
// rbd.<action> on the admin node with the configured cluster and pool.
PrimitiveCall rbd_call(VerbContext& ctx, std::string_view action, bool with_size);
// Attach/detach of a drive to/from a KVM domain, for the VM update verbs (spec §4.10: the work
// happens there, then `PUT detach/{id}/` for a detached drive). `running`: also change the live domain.
PrimitiveCall ceph_attach_call(const Config& config, const Fields& drive, const Fields& vm, const std::string& host, bool running);
PrimitiveCall ceph_detach_call(const Config& config, const Fields& drive, const Fields& vm, const std::string& host, bool running);
std::vector<Notification> ceph_mails(VerbContext& ctx, const Outcome& o, std::string_view task);

// ---- GPUs (spec §4.11): the VM's devices reconciled with vm.gpu ----
struct GpuChange {
    std::vector<std::pair<long long, std::string>> attach;  // device id, PCI address
    std::vector<std::pair<long long, std::string>> detach;
};
// The devices the API assigned to the VM: the first vm.gpu (by id) stay attached, the rest go.
// Throws VerbFailure when the API assigned fewer devices than vm.gpu or one sits on another server.
GpuChange gpu_change(VerbContext& ctx, const Fields& vm);
// Prerequisite form of the same rules (fail before any state is touched).
Dependency gpu_devices_ready(VerbContext& ctx);
// Host steps for a KVM domain that is already off: detach surplus, attach wanted (both idempotent).
// Devices to free in the API afterwards are left in ctx.facts["free_devices"]. The vm_kvm update
// verbs call this inside their own shutdown/start.
std::vector<PrimitiveCall> gpu_device_calls(VerbContext& ctx, const Fields& vm, const std::string& host);
// The gpu verbs' steps: [quiesce], the device calls, [restart] — nothing at all without devices.
std::vector<PrimitiveCall> gpu_calls(VerbContext& ctx, const Fields& vm, const std::string& host, bool running);
// PATCH device {"vm_id": null} for every device in ctx.facts["free_devices"]; throws on a refusal.
void free_devices(VerbContext& ctx);

}  // namespace cloudcix::drivers::storage
