/* The C header compiles on its own as C99 (nothing included before it) and its _INIT macros
 * initialise every struct. */
#include "cloudcix_drivers.h"

int ccx_test_header_alone(void);

int ccx_test_header_alone(void) {
    ccx_config config = CCX_CONFIG_INIT;
    ccx_transport_vtable transport = CCX_TRANSPORT_VTABLE_INIT;
    ccx_lock_vtable lock = CCX_LOCK_VTABLE_INIT;
    ccx_tracer_vtable tracer = CCX_TRACER_VTABLE_INIT;
    ccx_primitives_vtable primitives = CCX_PRIMITIVES_VTABLE_INIT;
    ccx_rcc_vtable rcc = CCX_RCC_VTABLE_INIT;
    ccx_notifier_vtable notifier = CCX_NOTIFIER_VTABLE_INIT;
    ccx_clock_vtable clock = CCX_CLOCK_VTABLE_INIT;
    return config.version == CCX_CONFIG_VERSION && transport.version == CCX_TRANSPORT_VERSION &&
           lock.version == CCX_LOCK_VERSION && tracer.version == CCX_TRACER_VERSION &&
           primitives.version == CCX_PRIMITIVES_VERSION && rcc.version == CCX_RCC_VERSION &&
           notifier.version == CCX_NOTIFIER_VERSION && clock.version == CCX_CLOCK_VERSION &&
           config.transport_vtable == NULL && config.clock_vtable == NULL && config.log_level == 1 &&
           config.ca_file == NULL && config.ssh_config == NULL && config.insecure == 0 && config.lock_slots == 0 &&
           config.lock_lease_ms == 0;
}
