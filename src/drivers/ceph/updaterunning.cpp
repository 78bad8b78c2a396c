// ceph.updaterunning: RUNNING_UPDATE → RUNNING_UPDATING → RUNNING (spec §4.10 [design]): grow the
// image; when it is attached to a VM on a KVM host, tell the running domain (virsh blockresize).
#include "cloudcix_drivers/registry.hpp"
#include "drivers/common/storage.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {
using namespace storage;

void ceph_updaterunning(VerbSpec& spec) {
    spec.lock_keys = ceph_lock_keys;  // includes vm:{parent_id} while attached
    spec.plan = [](VerbContext& ctx) {
        Plan p;
        p.calls.push_back(rbd_call(ctx, "update", true));
        auto parent = ctx.resource.optional_integer("parent_id");
        if (!parent) return p;
        auto object = ctx.read("vm", *parent);
        Fields vm("vm #" + std::to_string(*parent), object);
        family::Host host = family::resolve_host(ctx, vm.integer("server_id"));
        auto driver = driver_for_snapshot(host.type_id);
        // [design] RBD drives attach to KVM domains only; other VMs see the size at their next attach.
        if (!driver || *driver != "snapshot_kvm") return p;
        p.calls.push_back({"rbd_kvm", "resize", {{"host", host.address}, {"domain", family::vm_identifier(vm)},
                                                 {"pool", ctx.config.ceph.pool}, {"image", ceph_image(ctx.resource)},
                                                 {"gb", ceph_gb(ctx.resource)}}});
        return p;
    };
    spec.notifications = [](VerbContext& ctx, const Outcome& o) { return ceph_mails(ctx, o, "update"); };
}

}  // namespace cloudcix::drivers::verbs
