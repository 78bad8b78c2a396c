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
