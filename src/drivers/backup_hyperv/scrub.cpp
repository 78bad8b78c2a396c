// backup_hyperv.scrub: SCRUB → SCRUBBING → CLOSED (spec §4.9).
#include "drivers/common/storage.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void backup_hyperv_scrub(VerbSpec& spec) { storage::declare_backup_scrub(spec, storage::Hypervisor::hyperv); }

}  // namespace cloudcix::drivers::verbs
