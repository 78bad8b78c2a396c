// Shared declarations of the three VM drivers (vm_kvm, vm_hyperv, vm_phantom): what every VM verb
// declares alike (prerequisites, lock keys, e-mails) and the data update verbs need.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/json/array.hpp>

#include "drivers/common/family.hpp"

namespace cloudcix::drivers::family {

enum class Hypervisor { kvm, hyperv, phantom };

// Prerequisites (VM build: router RUNNING, UNRESOURCED fails; every verb: snapshots stable),
// lock keys (spec §3.6) and notifications (spec §5.1) of a VM verb. The verb adds its plan.
void declare_vm_verb(VerbSpec& spec, Hypervisor hypervisor);

// The NOC mail's task name: build, quiesce (also scrubprep), restart, update, scrub.
std::string vm_task(std::string_view verb);

// The user's change for an update verb (spec §4.1 update): the newest history row in the
// trigger state. The robot's own rows carry the in-progress state, so this reads the same
// before and after the in-progress mark.
struct DiskChange {
    long long storage_id = 0;
    long long gb = 0;
    bool fresh = false;  // a new disk (no earlier size), else grown to gb
};
struct VmChanges {
    std::optional<long long> cpu;     // new vCPU count
    std::optional<long long> ram_gb;  // new RAM in GB
    std::vector<DiskChange> disks;
    bool gpu = false;  // the row names a GPU quantity: reconcile the VM's devices (spec §4.11)
    bool any() const { return cpu || ram_gb || !disks.empty() || gpu; }
};
VmChanges requested_changes(const Fields& vm, State trigger);
// The same, preferring the row the prerequisites stashed in ctx.facts["change_row"].
VmChanges requested_changes(VerbContext& ctx);
VmChanges changes_from(const Fields& vm, const boost::json::object& row);
const boost::json::object* change_row(const Fields& vm, State trigger);

// KVM disk target of a storage: vda for the primary, then vdb, vdc ... by storage id.
std::string kvm_disk_target(const Fields& vm, long long storage_id);
// Hyper-V storage identifier "{vm_identifier}_{storage_type}_{id}" (the .vhdx name, no extension).
std::string hyperv_storage(const Fields& vm, long long storage_id);

// "Monday September 30, 2013": now + project.grace_period hours (default 168).
std::string deletion_date(const Fields& vm, std::chrono::system_clock::time_point now);
// 12 characters [A-Za-z0-9] from a CSPRNG; registered as a secret.
std::string generate_password();

boost::json::array podnet_list(const Config& config);

}  // namespace cloudcix::drivers::family
