// The gpu driver's one update declaration (spec §4.11 [design]), shared by updaterunning and
// updatequiesced: they differ only in whether the VM is running around the device changes.
#pragma once

#include "cloudcix_drivers/verb.hpp"

namespace cloudcix::drivers::storage {

// Devices the API assigned to the VM beyond vm.gpu are detached and then freed in the API
// (PATCH device {"vm_id": null}, after_success); the first vm.gpu devices are attached.
// `running`: shut the domain down first and start it again last.
void declare_gpu_update(VerbSpec& spec, bool running);

}  // namespace cloudcix::drivers::storage
