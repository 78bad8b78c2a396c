// gpu.updatequiesced: the VM's QUIESCED_UPDATE → QUIESCED_UPDATING → QUIESCED (spec §4.11 [design]).
#include "drivers/common/gpu.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {

void gpu_updatequiesced(VerbSpec& spec) { storage::declare_gpu_update(spec, false); }

}  // namespace cloudcix::drivers::verbs
