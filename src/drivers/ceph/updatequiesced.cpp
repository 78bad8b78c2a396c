// ceph.updatequiesced: QUIESCED_UPDATE → QUIESCED_UPDATING → QUIESCED (spec §4.10 [design]): grow
// the image to the new CEPH_001 size. Attach/detach belong to the VM's update verbs, not here.
#include "drivers/common/storage.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {
using namespace storage;

void ceph_updatequiesced(VerbSpec& spec) {
    spec.lock_keys = ceph_lock_keys;
    spec.plan = [](VerbContext& ctx) {
        Plan p;
        p.calls.push_back(rbd_call(ctx, "update", true));
        return p;
    };
    spec.notifications = [](VerbContext& ctx, const Outcome& o) { return ceph_mails(ctx, o, "update"); };
}

}  // namespace cloudcix::drivers::verbs
