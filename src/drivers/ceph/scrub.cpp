// ceph.scrub: SCRUB → SCRUBBING → CLOSED (spec §4.10 [design]). Refused while the drive is
// attached: removing the image under a VM would break the VM's disk.
#include "drivers/common/storage.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {
using namespace storage;

void ceph_scrub(VerbSpec& spec) {
    spec.prerequisites = [](VerbContext& ctx) {
        if (auto parent = ctx.resource.optional_integer("parent_id"))
            return Dependency::broken(ctx.resource.name() + " is still attached to vm #" + std::to_string(*parent) +
                                      "; detach it before deleting it");
        return Dependency::ready();
    };
    spec.lock_keys = ceph_lock_keys;
    spec.plan = [](VerbContext& ctx) {
        Plan p;
        p.calls.push_back(rbd_call(ctx, "scrub", false));
        return p;
    };
    spec.notifications = [](VerbContext& ctx, const Outcome& o) { return ceph_mails(ctx, o, "scrub"); };
}

}  // namespace cloudcix::drivers::verbs
