/* C side of the Go caller: trampolines from the library's vtable signatures to the functions
 * main.go exports (cgo cannot spell `const` in an exported Go function's parameters). */
#include "cloudcix_drivers.h"
#include "_cgo_export.h"

static int send_trampoline(void *user, const ccx_http_request *request, ccx_http_response *response) {
    return goTransportSend(user, (ccx_http_request *)request, response);
}

void ccx_go_transport(ccx_transport_vtable *vt, void *user) {
    vt->version = CCX_TRANSPORT_VERSION;
    vt->user = user;
    vt->send = send_trampoline;
}
