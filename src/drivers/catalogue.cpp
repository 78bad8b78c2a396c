// register_builtin_drivers: the 51 transitions of spec §1.5, each completed by its verb file.
// Explicit, not self-registering: a static library would drop self-registering objects.
#include <map>

#include "cloudcix_drivers/registry.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers {

void register_builtin_drivers(Registry& registry) {
    using Declare = void (*)(VerbSpec&);
    static const std::map<std::string_view, Declare> kDeclared{
        {"vm_kvm.build", verbs::vm_kvm_build},
        {"vm_kvm.scrub", verbs::vm_kvm_scrub},
        {"snapshot_kvm.build", verbs::snapshot_kvm_build},
        {"snapshot_kvm.scrub", verbs::snapshot_kvm_scrub},
        {"snapshot_kvm.updaterunning", verbs::snapshot_kvm_updaterunning},
        {"snapshot_hyperv.build", verbs::snapshot_hyperv_build},
        {"snapshot_hyperv.scrub", verbs::snapshot_hyperv_scrub},
        {"snapshot_hyperv.updaterunning", verbs::snapshot_hyperv_updaterunning},
        {"backup_kvm.build", verbs::backup_kvm_build},
        {"backup_kvm.scrub", verbs::backup_kvm_scrub},
        {"backup_hyperv.build", verbs::backup_hyperv_build},
        {"backup_hyperv.scrub", verbs::backup_hyperv_scrub},
        {"ceph.build", verbs::ceph_build},
        {"ceph.scrub", verbs::ceph_scrub},
        {"ceph.updaterunning", verbs::ceph_updaterunning},
        {"ceph.updatequiesced", verbs::ceph_updatequiesced},
        {"gpu.updaterunning", verbs::gpu_updaterunning},
        {"gpu.updatequiesced", verbs::gpu_updatequiesced},
        {"vm_kvm.quiesce", verbs::vm_kvm_quiesce},
        {"vm_kvm.restart", verbs::vm_kvm_restart},
        {"vm_kvm.scrubprep", verbs::vm_kvm_scrubprep},
        {"vm_kvm.updatequiesced", verbs::vm_kvm_updatequiesced},
        {"vm_kvm.updaterunning", verbs::vm_kvm_updaterunning},
        {"vm_hyperv.build", verbs::vm_hyperv_build},
        {"vm_hyperv.quiesce", verbs::vm_hyperv_quiesce},
        {"vm_hyperv.restart", verbs::vm_hyperv_restart},
        {"vm_hyperv.scrub", verbs::vm_hyperv_scrub},
        {"vm_hyperv.scrubprep", verbs::vm_hyperv_scrubprep},
        {"vm_hyperv.updatequiesced", verbs::vm_hyperv_updatequiesced},
        {"vm_hyperv.updaterunning", verbs::vm_hyperv_updaterunning},
        {"vm_phantom.build", verbs::vm_phantom_build},
        {"vm_phantom.quiesce", verbs::vm_phantom_quiesce},
        {"vm_phantom.restart", verbs::vm_phantom_restart},
        {"vm_phantom.scrub", verbs::vm_phantom_scrub},
        {"vm_phantom.scrubprep", verbs::vm_phantom_scrubprep},
        {"vm_phantom.updatequiesced", verbs::vm_phantom_updatequiesced},
        {"vm_phantom.updaterunning", verbs::vm_phantom_updaterunning},
        {"virtual_router.build", verbs::virtual_router_build},
        {"virtual_router.quiesce", verbs::virtual_router_quiesce},
        {"virtual_router.restart", verbs::virtual_router_restart},
        {"virtual_router.scrub", verbs::virtual_router_scrub},
        {"virtual_router.scrubprep", verbs::virtual_router_scrubprep},
        {"virtual_router.updatequiesced", verbs::virtual_router_updatequiesced},
        {"virtual_router.updaterunning", verbs::virtual_router_updaterunning},
        {"virtual_router_phantom.build", verbs::virtual_router_phantom_build},
        {"virtual_router_phantom.quiesce", verbs::virtual_router_phantom_quiesce},
        {"virtual_router_phantom.restart", verbs::virtual_router_phantom_restart},
        {"virtual_router_phantom.scrub", verbs::virtual_router_phantom_scrub},
        {"virtual_router_phantom.scrubprep", verbs::virtual_router_phantom_scrubprep},
        {"virtual_router_phantom.updatequiesced", verbs::virtual_router_phantom_updatequiesced},
        {"virtual_router_phantom.updaterunning", verbs::virtual_router_phantom_updaterunning},
    };
    for (const Transition& t : transitions()) {
        VerbSpec spec;
        spec.driver = t.driver;
        spec.verb = t.verb;
        spec.service = t.service;
        spec.trigger = t.trigger;
        spec.in_progress = t.in_progress;
        spec.success = t.success;
        if (auto it = kDeclared.find(spec.name()); it != kDeclared.end()) it->second(spec);
        registry.add(std::move(spec));
    }
}

}  // namespace cloudcix::drivers
