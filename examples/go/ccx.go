// Go bindings for the cloudcix_drivers C API (cgo): a Context that runs verbs, with the
// library's built-in transport or a transport written in Go.
package main

/*
#cgo LDFLAGS: -lcloudcix_drivers_c
#include <stdint.h>
#include <stdlib.h>
#include "cloudcix_drivers.h"

void ccx_go_transport(ccx_transport_vtable *vt, void *user);
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"runtime/cgo"
	"unsafe"
)

// Transport answers one HTTP request. A non-nil error means "no response" (its text reaches
// the Outcome's message).
type Transport func(method, url string, headers map[string]string, body []byte) (status int, respHeaders map[string]string, respBody []byte, err error)

// Options are the ccx_config fields this example uses; empty strings keep the defaults.
type Options struct {
	IaasURL, MembershipURL, Username, Password, APIKey string
	Hosts                                              string // "recording", "dry-run", ...
	CAFile                                             string // CA certificates for the https transport
	Lock                                               string // "in-process", "memory", "shm:PATH", ...
	FromEnvironment                                    bool   // start from the CLOUDCIX_* variables
	Transport                                          Transport
}

// Outcome is the library's Outcome JSON.
type Outcome struct {
	Driver      string `json:"driver"`
	Verb        string `json:"verb"`
	ResourceID  int64  `json:"resource_id"`
	Status      string `json:"status"`
	StateBefore *int   `json:"state_before"`
	StateAfter  *int   `json:"state_after"`
	Errors      []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
	RetryAfterMs int64  `json:"retry_after_ms"`
	TraceID      string `json:"trace_id"`
}

// Error is a failed C call: its ccx code and ccx_last_error().
type Error struct {
	Code    int
	Name    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s (%d): %s", e.Name, e.Code, e.Message) }

func check(rc C.int) error {
	if rc == 0 {
		return nil
	}
	return &Error{int(rc), C.GoString(C.ccx_error_name(rc)), C.GoString(C.ccx_last_error())}
}

// Context owns a ccx_context and what C holds pointers to.
type Context struct {
	ctx     *C.ccx_context
	strings []*C.char
	handle  cgo.Handle
	user    unsafe.Pointer // C memory holding the handle: C never sees a Go pointer
}

func (c *Context) cstr(s string) *C.char {
	if s == "" {
		return nil
	}
	p := C.CString(s)
	c.strings = append(c.strings, p)
	return p
}

// NewContext wires a context; with Options.Transport set, the library's HTTP requests go to it.
func NewContext(o Options) (*Context, error) {
	c := &Context{}
	var cfg C.ccx_config
	if err := check(C.ccx_config_init(&cfg, C.CCX_CONFIG_VERSION)); err != nil {
		return nil, err
	}
	cfg.iaas_url = c.cstr(o.IaasURL)
	cfg.membership_url = c.cstr(o.MembershipURL)
	cfg.username = c.cstr(o.Username)
	cfg.password = c.cstr(o.Password)
	cfg.api_key = c.cstr(o.APIKey)
	cfg.hosts = c.cstr(o.Hosts)
	cfg.ca_file = c.cstr(o.CAFile)
	cfg.lock = c.cstr(o.Lock)
	if o.FromEnvironment {
		cfg.from_environment = 1
	}
	if o.Transport != nil {
		c.handle = cgo.NewHandle(o.Transport)
		c.user = C.malloc(C.size_t(unsafe.Sizeof(C.uintptr_t(0))))
		*(*C.uintptr_t)(c.user) = C.uintptr_t(c.handle)
		// In C memory: cgo forbids passing Go memory that holds a Go pointer (&cfg would).
		vt := (*C.ccx_transport_vtable)(C.malloc(C.sizeof_ccx_transport_vtable))
		defer C.free(unsafe.Pointer(vt)) // ccx_context_new copies the vtable
		C.ccx_go_transport(vt, c.user)
		cfg.transport_vtable = vt
	}
	if err := check(C.ccx_context_new(&c.ctx, &cfg)); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Close frees the context, then what it borrowed.
func (c *Context) Close() {
	if c.ctx != nil {
		C.ccx_context_free(c.ctx)
		c.ctx = nil
	}
	for _, p := range c.strings {
		C.free(unsafe.Pointer(p))
	}
	c.strings = nil
	if c.user != nil {
		C.free(c.user)
		c.user = nil
		c.handle.Delete()
	}
}

// Run runs one verb on one resource.
func (c *Context) Run(driver, verb string, id int64) (Outcome, error) {
	d, v := C.CString(driver), C.CString(verb)
	defer C.free(unsafe.Pointer(d))
	defer C.free(unsafe.Pointer(v))
	var out *C.ccx_outcome
	if err := check(C.ccx_run(&out, c.ctx, d, v, C.int64_t(id))); err != nil {
		return Outcome{}, err
	}
	defer C.ccx_outcome_free(out)
	var text *C.char
	if err := check(C.ccx_outcome_json(&text, out)); err != nil {
		return Outcome{}, err
	}
	var o Outcome
	err := json.Unmarshal([]byte(C.GoString(text)), &o)
	return o, err
}

// RegionState is the state of an object in the built-in in-memory region.
func (c *Context) RegionState(service string, id int64) (int, error) {
	s := C.CString(service)
	defer C.free(unsafe.Pointer(s))
	var state C.int
	err := check(C.ccx_context_region_state(&state, c.ctx, s, C.int64_t(id)))
	return int(state), err
}

// MetricsText is the context's metrics in the Prometheus text format.
func (c *Context) MetricsText() (string, error) {
	var text *C.char
	if err := check(C.ccx_metrics_text(&text, c.ctx)); err != nil {
		return "", err
	}
	defer C.ccx_string_free(text)
	return C.GoString(text), nil
}

// VerbCount is the size of the library's registry.
func VerbCount() int {
	var n C.size_t
	if check(C.ccx_registry_count(&n)) != nil {
		return 0
	}
	return int(n)
}

//export goTransportSend
func goTransportSend(user unsafe.Pointer, req *C.ccx_http_request, resp *C.ccx_http_response) (rc C.int) {
	// A panic must not unwind into C: it becomes "no response" with its text.
	defer func() {
		if r := recover(); r != nil {
			msg := C.CString(fmt.Sprintf("go transport panicked: %v", r))
			C.ccx_http_response_set_error(resp, msg, 1)
			C.free(unsafe.Pointer(msg))
			rc = -1
		}
	}()
	transport := cgo.Handle(*(*C.uintptr_t)(user)).Value().(Transport)
	var method, url, body *C.char
	var n, bodyLen C.size_t
	C.ccx_http_request_method(&method, req)
	C.ccx_http_request_url(&url, req)
	C.ccx_http_request_body(&body, &bodyLen, req)
	C.ccx_http_request_header_count(&n, req)
	headers := map[string]string{}
	for i := C.size_t(0); i < n; i++ {
		var k, v *C.char
		C.ccx_http_request_header(&k, &v, req, i)
		headers[C.GoString(k)] = C.GoString(v)
	}
	status, outHeaders, outBody, err := transport(C.GoString(method), C.GoString(url), headers, C.GoBytes(unsafe.Pointer(body), C.int(bodyLen)))
	if err != nil {
		msg := C.CString(err.Error())
		defer C.free(unsafe.Pointer(msg))
		C.ccx_http_response_set_error(resp, msg, 1)
		return -1
	}
	if C.ccx_http_response_set_status(resp, C.int(status)) != 0 {
		return -1
	}
	for k, v := range outHeaders {
		ck, cv := C.CString(k), C.CString(v)
		C.ccx_http_response_add_header(resp, ck, cv)
		C.free(unsafe.Pointer(ck))
		C.free(unsafe.Pointer(cv))
	}
	if len(outBody) > 0 {
		cb := C.CBytes(outBody)
		defer C.free(cb)
		C.ccx_http_response_set_body(resp, (*C.char)(cb), C.size_t(len(outBody)))
	}
	return 0
}
