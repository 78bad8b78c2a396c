// backup_kvm.scrub: SCRUB → SCRUBBING → CLOSED (spec §4.8; from SCRUB, not SCRUB_QUEUE).
#include "drivers/common/storage.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void backup_kvm_scrub(VerbSpec& spec) { storage::declare_backup_scrub(spec, storage::Hypervisor::kvm); }

}  // namespace cloudcix::drivers::verbs
