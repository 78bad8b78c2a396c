// gpu.updaterunning: the VM's RUNNING_UPDATE → RUNNING_UPDATING → RUNNING (spec §4.11 [design]).
#include "drivers/common/gpu.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void gpu_updaterunning(VerbSpec& spec) { storage::declare_gpu_update(spec, true); }

}  // namespace cloudcix::drivers::verbs
