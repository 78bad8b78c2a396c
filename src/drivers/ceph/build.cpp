// ceph.build: REQUESTED → BUILDING → RUNNING (spec §4.10 [design]): an RBD image of CEPH_001 GB.
#include "drivers/common/storage.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {
using namespace storage;

void ceph_build(VerbSpec& spec) {
    spec.lock_keys = ceph_lock_keys;
    spec.plan = [](VerbContext& ctx) {
        Plan p;
        p.calls.push_back(rbd_call(ctx, "build", true));
        return p;
    };
    spec.notifications = [](VerbContext& ctx, const Outcome& o) { return ceph_mails(ctx, o, "build"); };
}

}  // namespace cloudcix::drivers::verbs
