"""ctypes bindings for the cloudcix_drivers C API (bindings/c/include/cloudcix_drivers.h).

Only the standard library: load the shared library, open a Context, run or plan verbs, and plug
a transport written in Python. Every C call's return code is checked; a failure raises
CcxError with the library's ccx_last_error() message.
"""

import ctypes
import ctypes.util
import json
import os

c_char_p = ctypes.c_char_p
c_int = ctypes.c_int
c_int64 = ctypes.c_int64
c_size_t = ctypes.c_size_t
c_void_p = ctypes.c_void_p

CONFIG_VERSION = 2
TRANSPORT_VERSION = 1
STATUSES = {0: "succeeded", 1: "failed", 2: "rejected", 3: "skipped", 4: "postponed"}


class CcxError(Exception):
    def __init__(self, code, name, message):
        super().__init__(f"{name} ({code}): {message}")
        self.code = code
        self.name = name


class Config(ctypes.Structure):
    """ccx_config, version 2: the field order of the header."""

    _fields_ = [
        ("version", c_int),
        ("iaas_url", c_char_p), ("membership_url", c_char_p), ("username", c_char_p),
        ("password", c_char_p), ("api_key", c_char_p), ("region_json", c_char_p),
        ("transport", c_char_p), ("lock", c_char_p), ("hosts", c_char_p), ("tracer", c_char_p),
        ("notifier", c_char_p), ("clock", c_char_p), ("log", c_char_p),
        ("log_level", c_int),
        ("lock_timeout_ms", c_int64), ("lock_retry_ms", c_int64), ("request_timeout_ms", c_int64),
        ("send_to_fail", c_char_p), ("compute_ui_url", c_char_p), ("organization_url", c_char_p),
        ("region_name", c_char_p),
        ("from_environment", c_int),
        ("transport_vtable", c_void_p), ("lock_vtable", c_void_p), ("tracer_vtable", c_void_p),
        ("primitives_vtable", c_void_p), ("rcc_vtable", c_void_p), ("notifier_vtable", c_void_p),
        ("clock_vtable", c_void_p),
        # version 2
        ("ca_file", c_char_p), ("ssh_config", c_char_p), ("insecure", c_int), ("lock_slots", c_int),
        ("lock_lease_ms", c_int64),
    ]


SEND = ctypes.CFUNCTYPE(c_int, c_void_p, c_void_p, c_void_p)


class TransportVtable(ctypes.Structure):
    _fields_ = [("version", c_int), ("user", c_void_p), ("send", SEND)]


def _declare(lib):
    """Argument and result types of the functions used here (ctypes must not guess widths)."""
    p = ctypes.POINTER
    sigs = {
        "ccx_version_string": ([], c_char_p),
        "ccx_last_error": ([], c_char_p),
        "ccx_error_name": ([c_int], c_char_p),
        "ccx_config_init": ([p(Config), c_int], c_int),
        "ccx_config_size": ([c_int], c_size_t),
        "ccx_context_new": ([p(c_void_p), p(Config)], c_int),
        "ccx_context_free": ([c_void_p], None),
        "ccx_context_region_state": ([p(c_int), c_void_p, c_char_p, c_int64], c_int),
        "ccx_context_host_command_count": ([p(c_size_t), c_void_p], c_int),
        "ccx_registry_count": ([p(c_size_t)], c_int),
        "ccx_registry_name": ([p(c_char_p), c_size_t], c_int),
        "ccx_run": ([p(c_void_p), c_void_p, c_char_p, c_char_p, c_int64], c_int),
        "ccx_outcome_free": ([c_void_p], None),
        "ccx_outcome_status": ([p(c_int), c_void_p], c_int),
        "ccx_outcome_json": ([p(c_char_p), c_void_p], c_int),
        "ccx_http_request_method": ([p(c_char_p), c_void_p], c_int),
        "ccx_http_request_url": ([p(c_char_p), c_void_p], c_int),
        "ccx_http_request_header_count": ([p(c_size_t), c_void_p], c_int),
        "ccx_http_request_header": ([p(c_char_p), p(c_char_p), c_void_p, c_size_t], c_int),
        "ccx_http_request_body": ([p(c_void_p), p(c_size_t), c_void_p], c_int),
        "ccx_http_response_set_status": ([c_void_p, c_int], c_int),
        "ccx_http_response_add_header": ([c_void_p, c_char_p, c_char_p], c_int),
        "ccx_http_response_set_body": ([c_void_p, c_char_p, c_size_t], c_int),
        "ccx_http_response_set_error": ([c_void_p, c_char_p, c_int], c_int),
        "ccx_metrics_text": ([p(c_void_p), c_void_p], c_int),
        "ccx_string_free": ([c_void_p], None),
    }
    for name, (args, res) in sigs.items():
        f = getattr(lib, name)
        f.argtypes = args
        f.restype = res


def load(path=None):
    """The shared library: `path`, $CCX_LIBRARY, or the system's libcloudcix_drivers_c."""
    path = path or os.environ.get("CCX_LIBRARY") or ctypes.util.find_library("cloudcix_drivers_c")
    if not path:
        raise OSError("libcloudcix_drivers_c not found: pass its path or set CCX_LIBRARY")
    lib = ctypes.CDLL(path)
    _declare(lib)
    if lib.ccx_config_size(CONFIG_VERSION) != ctypes.sizeof(Config):
        raise OSError("ccx_config layout differs between this module and the library")
    return lib


def _check(lib, rc):
    if rc != 0:
        raise CcxError(rc, lib.ccx_error_name(rc).decode(), lib.ccx_last_error().decode())


def _b(s):
    return s.encode() if isinstance(s, str) else s


class Context:
    """A ccx_context. Keyword arguments are ccx_config fields (strings or numbers); `transport`
    may also be a Python callable(method, url, headers, body) -> (status, headers, body)."""

    def __init__(self, lib, transport=None, **fields):
        self._lib = lib
        self._keep = []  # objects C holds pointers to: alive as long as the context
        cfg = Config()
        _check(lib, lib.ccx_config_init(ctypes.byref(cfg), CONFIG_VERSION))
        for key, value in fields.items():
            if value is None:
                continue
            if isinstance(value, str):
                value = _b(value)
                self._keep.append(value)
            setattr(cfg, key, value)
        if callable(transport):
            vt = TransportVtable(TRANSPORT_VERSION, None, SEND(self._sender(transport)))
            self._keep.append(vt)
            cfg.transport_vtable = ctypes.cast(ctypes.byref(vt), c_void_p)
        elif transport is not None:
            cfg.transport = _b(transport)
        handle = c_void_p()
        _check(lib, lib.ccx_context_new(ctypes.byref(handle), ctypes.byref(cfg)))
        self._handle = handle

    def _sender(self, transport):
        lib = self._lib

        def send(_user, request, response):
            # An exception must not cross into C: it becomes "no response" with its message.
            try:
                method, url, size = c_char_p(), c_char_p(), c_size_t()
                lib.ccx_http_request_method(ctypes.byref(method), request)
                lib.ccx_http_request_url(ctypes.byref(url), request)
                lib.ccx_http_request_header_count(ctypes.byref(size), request)
                headers = {}
                for i in range(size.value):
                    name, value = c_char_p(), c_char_p()
                    lib.ccx_http_request_header(ctypes.byref(name), ctypes.byref(value), request, i)
                    headers[name.value.decode()] = value.value.decode()
                body_ptr, body_len = c_void_p(), c_size_t()
                lib.ccx_http_request_body(ctypes.byref(body_ptr), ctypes.byref(body_len), request)
                body = ctypes.string_at(body_ptr, body_len.value) if body_len.value else b""
                status, out_headers, out_body = transport(method.value.decode(), url.value.decode(), headers, body)
                out_body = _b(out_body or b"")
                if lib.ccx_http_response_set_status(response, status) != 0:
                    return -1
                for k, v in out_headers.items():
                    lib.ccx_http_response_add_header(response, _b(k), _b(v))
                lib.ccx_http_response_set_body(response, out_body, len(out_body))
                return 0
            except Exception as e:  # noqa: BLE001 - reported to the library, not swallowed
                lib.ccx_http_response_set_error(response, _b(f"python transport raised {e!r}"), 1)
                return -1

        return send

    def close(self):
        if self._handle:
            self._lib.ccx_context_free(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def run(self, driver, verb, resource_id):
        """Runs one verb; returns the Outcome as a dict."""
        outcome = c_void_p()
        _check(self._lib, self._lib.ccx_run(ctypes.byref(outcome), self._handle, _b(driver), _b(verb), resource_id))
        try:
            text = c_char_p()
            _check(self._lib, self._lib.ccx_outcome_json(ctypes.byref(text), outcome))
            return json.loads(text.value.decode())
        finally:
            self._lib.ccx_outcome_free(outcome)

    def metrics_text(self):
        """The context's metrics as Prometheus text (what a /metrics endpoint would serve)."""
        text = c_void_p()
        _check(self._lib, self._lib.ccx_metrics_text(ctypes.byref(text), self._handle))
        try:
            return ctypes.string_at(text).decode()
        finally:
            self._lib.ccx_string_free(text)

    def region_state(self, service, resource_id):
        state = c_int()
        _check(self._lib, self._lib.ccx_context_region_state(ctypes.byref(state), self._handle, _b(service), resource_id))
        return state.value


def registry(lib):
    n = c_size_t()
    _check(lib, lib.ccx_registry_count(ctypes.byref(n)))
    names = []
    for i in range(n.value):
        name = c_char_p()
        _check(lib, lib.ccx_registry_name(ctypes.byref(name), i))
        names.append(name.value.decode())
    return names
