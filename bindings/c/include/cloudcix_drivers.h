/*
 * cloudcix_drivers.h: the C API of cloudcix_drivers (C99; no C++ or Boost type crosses it).
 *
 * Conventions (after libgit2 and SQLite's VFS):
 * - Every function that can fail returns int: CCX_OK (0) or a negative ccx_error_code. The
 *   message of the calling thread's last failure is ccx_last_error(). No C++ exception ever
 *   crosses this boundary.
 * - Results come back through out-parameters, which come first:
 *       ccx_run(&outcome, ctx, "vm_kvm", "build", 1501);
 *   On failure the out-parameter is set to NULL / 0 where it is a pointer or count.
 * - Objects are opaque and each has one _free function; freeing NULL does nothing.
 * - Strings in are UTF-8 and only read during the call. Strings out are owned by the library and
 *   stay valid until the object they came from is freed (registry and name strings: forever).
 * - Option and vtable structs are versioned: initialise them with their _INIT macro (or the
 *   matching _init function from a language without macros), then set fields.
 * - Ports are vtables: `int version; void *user;` then functions that receive `user`. A newer
 *   library accepts an older vtable. The library copies the vtable struct; `user` must stay
 *   valid until the context is freed. Callbacks may run on any thread that calls ccx_run().
 */
#ifndef CLOUDCIX_DRIVERS_H
#define CLOUDCIX_DRIVERS_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define CCX_API __attribute__((visibility("default")))
#else
#define CCX_API
#endif

/* Seen from C++, no function of this API lets an exception escape. */
#ifdef __cplusplus
#define CCX_NOEXCEPT noexcept
#else
#define CCX_NOEXCEPT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Version ------------------------------------------------------------------------------ */

#define CCX_VERSION_MAJOR 0
#define CCX_VERSION_MINOR 1
#define CCX_VERSION_PATCH 0
#define CCX_VERSION_STRING "0.1.0"

/* The version of the library linked at run time (the macros above are the header's). */
CCX_API int ccx_version(int *major, int *minor, int *patch) CCX_NOEXCEPT;
CCX_API const char *ccx_version_string(void) CCX_NOEXCEPT;

/* ---- Errors -------------------------------------------------------------------------------- */

typedef enum ccx_error_code {
    CCX_OK = 0,
    CCX_ERROR = -1,        /* a failure without a more specific code */
    CCX_EINVALID = -2,     /* a NULL or ill-formed argument (bad id, bad JSON, bad status ...) */
    CCX_ENOTFOUND = -3,    /* unknown driver, verb, built-in name or error code; index out of range */
    CCX_EUNSUPPORTED = -4, /* a known built-in that is not compiled into this build, or an
                              operation the context's configuration does not offer */
    CCX_EVERSION = -5,     /* a struct whose version is 0 (not initialised) or newer than this library */
    CCX_ENOMEM = -6,       /* out of memory */
    CCX_EINTERNAL = -7     /* an unexpected internal error (a bug: please report it) */
} ccx_error_code;

/* The message of the calling thread's last failed call ("" when none); valid until the next
 * failing call on this thread. A successful call leaves it unchanged. */
CCX_API const char *ccx_last_error(void) CCX_NOEXCEPT;
/* The code of the calling thread's last failed call (CCX_OK when none). */
CCX_API int ccx_last_error_code(void) CCX_NOEXCEPT;
CCX_API void ccx_error_clear(void) CCX_NOEXCEPT;
/* "CCX_EINVALID" for CCX_EINVALID; "CCX_UNKNOWN" for a number that is not a code. */
CCX_API const char *ccx_error_name(int code) CCX_NOEXCEPT;

/* The catalogue sentence for an Outcome error code ("vm_kvm_build_0007" or "0007"). */
CCX_API int ccx_explain(const char **out_title, const char **out_sentence, const char *code) CCX_NOEXCEPT;

/* ---- Registry: the 11 drivers and their 51 verbs ------------------------------------------ */

CCX_API int ccx_registry_count(size_t *out) CCX_NOEXCEPT;
/* "vm_kvm.build" for an index below ccx_registry_count(). */
CCX_API int ccx_registry_name(const char **out, size_t index) CCX_NOEXCEPT;
CCX_API int ccx_registry_entry(const char **out_driver, const char **out_verb, size_t index) CCX_NOEXCEPT;
/* CCX_OK when (driver, verb) exists; CCX_ENOTFOUND with suggestions in ccx_last_error(). */
CCX_API int ccx_registry_find(const char *driver, const char *verb) CCX_NOEXCEPT;

/* ---- States and statuses ------------------------------------------------------------------- */

/* Outcome statuses; the numbers are the CLI's exit codes. */
typedef enum ccx_status {
    CCX_STATUS_SUCCEEDED = 0, /* plan ran, success state written */
    CCX_STATUS_FAILED = 1,    /* broke after the in-progress mark (or a dependency failed) */
    CCX_STATUS_REJECTED = 2,  /* resource not found, malformed API data, verb without a plan */
    CCX_STATUS_SKIPPED = 3,   /* resource no longer in the verb's trigger state */
    CCX_STATUS_POSTPONED = 4  /* dependency not ready or lock busy: retry after retry_after_ms */
} ccx_status;

CCX_API int ccx_status_name(const char **out, int status) CCX_NOEXCEPT;
/* "RUNNING" for 4; CCX_ENOTFOUND for a number the IaaS API does not define. */
CCX_API int ccx_state_name(const char **out, int state) CCX_NOEXCEPT;

/* ---- Ports: borrowed request objects and filled result objects ------------------------------ *
 * A callback reads its request through the accessors and answers through the setters (which
 * copy). Both objects live only for the duration of the callback. */

typedef struct ccx_http_request ccx_http_request;
typedef struct ccx_http_response ccx_http_response;
typedef struct ccx_primitive_call ccx_primitive_call;
typedef struct ccx_primitive_result ccx_primitive_result;
typedef struct ccx_host_command ccx_host_command;
typedef struct ccx_host_result ccx_host_result;

CCX_API int ccx_http_request_method(const char **out, const ccx_http_request *request) CCX_NOEXCEPT;
CCX_API int ccx_http_request_url(const char **out, const ccx_http_request *request) CCX_NOEXCEPT;
CCX_API int ccx_http_request_header_count(size_t *out, const ccx_http_request *request) CCX_NOEXCEPT;
CCX_API int ccx_http_request_header(const char **out_name, const char **out_value, const ccx_http_request *request,
                                    size_t index) CCX_NOEXCEPT;
/* The body is not NUL-terminated in general: use its length. */
CCX_API int ccx_http_request_body(const char **out, size_t *out_len, const ccx_http_request *request) CCX_NOEXCEPT;
CCX_API int ccx_http_request_timeout_ms(int64_t *out, const ccx_http_request *request) CCX_NOEXCEPT;

/* status: 100..599. */
CCX_API int ccx_http_response_set_status(ccx_http_response *response, int status) CCX_NOEXCEPT;
CCX_API int ccx_http_response_add_header(ccx_http_response *response, const char *name, const char *value) CCX_NOEXCEPT;
CCX_API int ccx_http_response_set_body(ccx_http_response *response, const char *body, size_t len) CCX_NOEXCEPT;
/* No HTTP response at all (connection refused, timeout ...). sent = 0 tells the library that
 * provably nothing reached the server. */
CCX_API int ccx_http_response_set_error(ccx_http_response *response, const char *message, int sent) CCX_NOEXCEPT;

CCX_API int ccx_primitive_call_primitive(const char **out, const ccx_primitive_call *call) CCX_NOEXCEPT;
CCX_API int ccx_primitive_call_action(const char **out, const ccx_primitive_call *call) CCX_NOEXCEPT;
/* The arguments as a JSON object text. */
CCX_API int ccx_primitive_call_args_json(const char **out, const ccx_primitive_call *call) CCX_NOEXCEPT;

/* How a primitive failed; the Outcome error number follows from it (2002, 2003, 2000, 2004, 2005). */
typedef enum ccx_primitive_failure {
    CCX_PRIMITIVE_OK = 0,
    CCX_PRIMITIVE_COMMAND = 1,     /* a host command failed */
    CCX_PRIMITIVE_CHANNEL = 2,     /* the host could not be reached */
    CCX_PRIMITIVE_UNKNOWN = 3,     /* no such primitive / action */
    CCX_PRIMITIVE_TIMEOUT = 4,     /* a wait ran out */
    CCX_PRIMITIVE_BAD_ARGUMENT = 5 /* an argument failed validation; nothing ran */
} ccx_primitive_failure;

/* message: "NNNN: text" as CloudCIX primitives answer (1xxx success, 3xxx/4xxx failure). */
CCX_API int ccx_primitive_result_set(ccx_primitive_result *result, int ok, const char *message) CCX_NOEXCEPT;
CCX_API int ccx_primitive_result_set_failure(ccx_primitive_result *result, int failure) CCX_NOEXCEPT;
/* Optional data: any JSON text (CCX_EINVALID when it does not parse). */
CCX_API int ccx_primitive_result_set_data_json(ccx_primitive_result *result, const char *json) CCX_NOEXCEPT;

typedef enum ccx_shell { CCX_SHELL_POSIX = 0, CCX_SHELL_POWERSHELL = 1 } ccx_shell;

CCX_API int ccx_host_command_host(const char **out, const ccx_host_command *command) CCX_NOEXCEPT;
CCX_API int ccx_host_command_user(const char **out, const ccx_host_command *command) CCX_NOEXCEPT;
CCX_API int ccx_host_command_shell(int *out, const ccx_host_command *command) CCX_NOEXCEPT;
/* The command text, already quoted for its shell. */
CCX_API int ccx_host_command_text(const char **out, const ccx_host_command *command) CCX_NOEXCEPT;
CCX_API int ccx_host_command_timeout_ms(int64_t *out, const ccx_host_command *command) CCX_NOEXCEPT;
/* What a host in the verb's starting state would answer (stdout, exit code): for callers that
 * simulate hosts, as the built-in dry run does. A real host channel ignores it. */
CCX_API int ccx_host_command_assumed(const char **out_stdout, int *out_exit, const ccx_host_command *command) CCX_NOEXCEPT;

CCX_API int ccx_host_result_set_exit(ccx_host_result *result, int exit_code) CCX_NOEXCEPT;
CCX_API int ccx_host_result_set_output(ccx_host_result *result, const char *out, const char *err) CCX_NOEXCEPT;
/* The command could not be run at all (connect, authenticate). */
CCX_API int ccx_host_result_set_channel_error(ccx_host_result *result, const char *message) CCX_NOEXCEPT;

/* ---- Port vtables ----------------------------------------------------------------------------
 * Callback return values: 0 = answered (result filled); anything else = the callback itself
 * failed. A failed or garbage answer becomes an Outcome error, never a crash. */

#define CCX_TRANSPORT_VERSION 1
/* One HTTP request → one response. Return non-zero (optionally after
 * ccx_http_response_set_error) for "no response". */
typedef struct ccx_transport_vtable {
    int version;
    void *user;
    int (*send)(void *user, const ccx_http_request *request, ccx_http_response *response);
} ccx_transport_vtable;
#define CCX_TRANSPORT_VTABLE_INIT {CCX_TRANSPORT_VERSION, NULL, NULL}

#define CCX_LOCK_VERSION 1
#define CCX_LOCK_BUSY 1 /* acquire(): the keys stayed busy until the timeout */
/* Exclusive hold on all `keys` (already in the global lock order) or none. acquire returns 0
 * and sets *out_hold (any value, passed back to release), CCX_LOCK_BUSY on timeout (the run is
 * postponed), or a negative number on failure (the run fails with 1000, the resource untouched). */
typedef struct ccx_lock_vtable {
    int version;
    void *user;
    int (*acquire)(void *user, const char *const *keys, size_t key_count, int64_t timeout_ms, void **out_hold);
    void (*release)(void *user, void *hold);
} ccx_lock_vtable;
#define CCX_LOCK_VTABLE_INIT {CCX_LOCK_VERSION, NULL, NULL, NULL}

#define CCX_TRACER_VERSION 1
/* The library makes the W3C ids; the tracer records. start returns a span token passed back to
 * the other functions (NULL is fine). Tracer failures never change an Outcome. Any function
 * may be NULL. Attribute values are never secrets. */
typedef struct ccx_tracer_vtable {
    int version;
    void *user;
    void *(*start)(void *user, const char *name, const char *trace_id, const char *span_id, const char *parent_span_id);
    void (*set_attribute)(void *user, void *span, const char *key, const char *value);
    void (*set_error)(void *user, void *span, const char *message);
    void (*end)(void *user, void *span);
} ccx_tracer_vtable;
#define CCX_TRACER_VTABLE_INIT {CCX_TRACER_VERSION, NULL, NULL, NULL, NULL, NULL}

#define CCX_PRIMITIVES_VERSION 1
/* Replaces the native primitive catalogue (and with it the host channel). */
typedef struct ccx_primitives_vtable {
    int version;
    void *user;
    int (*call)(void *user, const ccx_primitive_call *call, ccx_primitive_result *result);
} ccx_primitives_vtable;
#define CCX_PRIMITIVES_VTABLE_INIT {CCX_PRIMITIVES_VERSION, NULL, NULL}

#define CCX_RCC_VERSION 1
/* The host channel under the native primitives: run one command on one host. A non-zero
 * return is a channel failure (2003). */
typedef struct ccx_rcc_vtable {
    int version;
    void *user;
    int (*run)(void *user, const ccx_host_command *command, ccx_host_result *result);
} ccx_rcc_vtable;
#define CCX_RCC_VTABLE_INIT {CCX_RCC_VERSION, NULL, NULL}

#define CCX_NOTIFIER_VERSION 1
/* One e-mail as JSON: {"template","to":[...],"subject","data":{...}}. Return 0 when sent.
 * A failed send is logged and never changes an Outcome. */
typedef struct ccx_notifier_vtable {
    int version;
    void *user;
    int (*send)(void *user, const char *notification_json);
} ccx_notifier_vtable;
#define CCX_NOTIFIER_VTABLE_INIT {CCX_NOTIFIER_VERSION, NULL, NULL}

#define CCX_CLOCK_VERSION 1
/* now_ns: a monotonic clock; wall_ns: nanoseconds since the Unix epoch; sleep_ns: wait. */
typedef struct ccx_clock_vtable {
    int version;
    void *user;
    int64_t (*now_ns)(void *user);
    int64_t (*wall_ns)(void *user);
    void (*sleep_ns)(void *user, int64_t ns);
} ccx_clock_vtable;
#define CCX_CLOCK_VTABLE_INIT {CCX_CLOCK_VERSION, NULL, NULL, NULL, NULL}

/* ---- Configuration -------------------------------------------------------------------------
 * Every NULL string means "the default". Built-ins are chosen by name; a vtable, when set,
 * replaces the built-in of its port. A known built-in whose argument is ill-formed ("shm:"
 * without a path, "redis://" without a host, an unreadable file) is CCX_EINVALID from
 * ccx_context_new(); a service it cannot reach at once (Redis) is CCX_ERROR; an unknown name is
 * CCX_ENOTFOUND (the message lists the known ones).
 *
 *  transport  "memory-demo"  the embedded demo region, in memory (default without iaas_url)
 *             "memory"       an in-memory region from region_json
 *             "https"        HTTP/1.1 over TCP or TLS to iaas_url and membership_url (both
 *                            required, http:// or https://); default with such an iaas_url.
 *                            Trust: ca_file, else $CLOUDCIX_CA_FILE, else the system store
 *  lock       "in-process"   (default: one process); Jerry locks shared by every process that
 *                            names the same store, with lock_slots and lock_lease_ms:
 *             "memory"       registers of this context (its runs on any thread)
 *             "shm:PATH"     a file mapped by every process on this machine
 *             "redis://HOST:PORT/N"  Redis database N (port and database optional: 6379, 0)
 *  hosts      "dry-run"      print each host command to stderr, run nothing (default)
 *             "dry-run:PATH" append them to the file PATH instead
 *             "recording"    keep them silently
 *             "ssh"          run them over SSH on the address the API gives for each server,
 *                            configured by ssh_config (else ~/.ssh/config); unknown host keys
 *                            are refused unless that file says StrictHostKeyChecking no
 *  tracer     "none" (default), "log" (spans as debug log lines),
 *             "otlp:URL"     spans exported as OTLP/HTTP JSON to URL/v1/traces (e.g.
 *                            "otlp:http://127.0.0.1:4318") in the background; flushed when the
 *                            context is freed. https URLs trust as the transport does
 *  notifier   "none" (default: e-mails are only logged), "outbox" (JSON lines on stderr),
 *             "outbox:PATH" (appended to the file PATH),
 *             "smtp"         SMTP (STARTTLS required) to $CLOUDCIX_EMAIL_HOST, _PORT (25), with
 *                            _USER, _PASSWORD, _REPLY_TO and templates from _TEMPLATES
 *             "smtp://HOST:PORT"  the same with this server ([::1]:25 for IPv6)
 *  clock      "system" (default), "manual" (time moves only when the library sleeps)
 *  log        "none" (default), "stderr"; log_level 0 debug, 1 info, 2 warning, 3 error
 *
 * Host commands run by "dry-run" and "recording" are also kept by the context
 * (ccx_context_host_command_count).
 *
 * ABI: fields are only ever appended, with a new CCX_CONFIG_VERSION; the library reads only the
 * fields of the version a caller's struct declares (the later ones keep their defaults), so an
 * older caller keeps working. Version 2 added ca_file, ssh_config, insecure, lock_slots and
 * lock_lease_ms. */
#define CCX_CONFIG_VERSION 2
typedef struct ccx_config {
    int version;
    const char *iaas_url;       /* IaaS API root; NULL: the built-in region's */
    const char *membership_url; /* Membership API root (login) */
    const char *username;       /* API credentials (secrets: never logged); NULL with the */
    const char *password;       /* demo region: the demo region's own                     */
    const char *api_key;
    const char *region_json;    /* the region for transport "memory" */
    const char *transport;
    const char *lock;
    const char *hosts;
    const char *tracer;
    const char *notifier;
    const char *clock;
    const char *log;
    int log_level;
    int64_t lock_timeout_ms;    /* how long a run waits for its locks; 0: 30000 */
    int64_t lock_retry_ms;      /* retry_after when the locks stay busy; 0: 15000 */
    int64_t request_timeout_ms; /* per HTTP request; 0: 30000 */
    const char *send_to_fail;   /* NOC addresses for failure e-mails, comma separated */
    const char *compute_ui_url;
    const char *organization_url;
    const char *region_name;
    int from_environment;       /* non-zero: start from CLOUDCIX_* variables, then apply fields */
    /* Ports from the caller (NULL: the built-in named above). */
    const ccx_transport_vtable *transport_vtable;
    const ccx_lock_vtable *lock_vtable;
    const ccx_tracer_vtable *tracer_vtable;
    const ccx_primitives_vtable *primitives_vtable;
    const ccx_rcc_vtable *rcc_vtable;
    const ccx_notifier_vtable *notifier_vtable;
    const ccx_clock_vtable *clock_vtable;
    /* ---- version 2 ---- */
    const char *ca_file;        /* PEM CA certificates the https transport, the otlp tracer and
                                   the smtp notifier trust (NULL: $CLOUDCIX_CA_FILE for https
                                   and otlp, else the system store) */
    const char *ssh_config;     /* OpenSSH client config for hosts "ssh" (Host, HostName, Port,
                                   User, IdentityFile, UserKnownHostsFile, StrictHostKeyChecking);
                                   NULL: ~/.ssh/config and /etc/ssh/ssh_config */
    int insecure;               /* non-zero: no TLS certificate verification, https and smtp
                                   (warned on every connection; for tests only) */
    int lock_slots;             /* Jerry lock participants over all processes sharing the
                                   store, 2..256, the same in each; 0: 16 */
    int64_t lock_lease_ms;      /* Jerry lock lease: a holder silent this long is evicted; the
                                   same in each process; 0: 10000 */
} ccx_config;
#define CCX_CONFIG_INIT                                                                                           \
    {CCX_CONFIG_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, 0, 0, 0, \
     NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0}

/* For callers without C macros (Python, Go): the same as `*config = CCX_CONFIG_INIT` for the
 * current version; for an older version it writes only that version's fields. */
CCX_API int ccx_config_init(ccx_config *config, int version) CCX_NOEXCEPT;
/* The size of the struct this library knows for a version, 0 for an unknown one (FFI sanity
 * check: ccx_config_size(1) is what a version-1 caller allocated). */
CCX_API size_t ccx_config_size(int version) CCX_NOEXCEPT;

/* ---- Context: the wired ports one or many runs share (thread-safe) -------------------------- */

typedef struct ccx_context ccx_context;

/* config NULL: every default (the embedded demo region, dry-run hosts). Any number of threads
 * may run verbs on one context at once; free it only when none is running. */
CCX_API int ccx_context_new(ccx_context **out, const ccx_config *config) CCX_NOEXCEPT;
CCX_API void ccx_context_free(ccx_context *ctx) CCX_NOEXCEPT;

/* Host commands run by the "dry-run" / "recording" hosts, in order: host and command text.
 * CCX_EUNSUPPORTED for other hosts. Strings stay valid until the context is freed. */
CCX_API int ccx_context_host_command_count(size_t *out, ccx_context *ctx) CCX_NOEXCEPT;
CCX_API int ccx_context_host_command(const char **out_host, const char **out_command, ccx_context *ctx, size_t index) CCX_NOEXCEPT;
/* The state of one object in the context's in-memory region (transports "memory-demo" and
 * "memory"); CCX_EUNSUPPORTED for other transports, CCX_ENOTFOUND for a missing object. */
CCX_API int ccx_context_region_state(int *out, ccx_context *ctx, const char *service, int64_t id) CCX_NOEXCEPT;

/* ---- Running verbs -------------------------------------------------------------------------- */

typedef struct ccx_outcome ccx_outcome;

/* Runs one verb on one resource through the lifecycle engine. CCX_OK means the run happened
 * and *out holds its Outcome, whatever its status; an unknown driver/verb is CCX_ENOTFOUND and
 * an id <= 0 CCX_EINVALID (no Outcome). */
CCX_API int ccx_run(ccx_outcome **out, ccx_context *ctx, const char *driver, const char *verb, int64_t resource_id) CCX_NOEXCEPT;
/* The same, continuing the caller's W3C trace (traceparent may be NULL). */
CCX_API int ccx_run_traced(ccx_outcome **out, ccx_context *ctx, const char *driver, const char *verb,
                           int64_t resource_id, const char *traceparent) CCX_NOEXCEPT;
CCX_API void ccx_outcome_free(ccx_outcome *outcome) CCX_NOEXCEPT;

CCX_API int ccx_outcome_status(int *out, const ccx_outcome *outcome) CCX_NOEXCEPT;
/* CCX_ENOTFOUND when the run never read the resource. */
CCX_API int ccx_outcome_state_before(int *out, const ccx_outcome *outcome) CCX_NOEXCEPT;
CCX_API int ccx_outcome_state_after(int *out, const ccx_outcome *outcome) CCX_NOEXCEPT;
CCX_API int ccx_outcome_error_count(size_t *out, const ccx_outcome *outcome) CCX_NOEXCEPT;
/* code "vm_kvm_build_0007" and its message; either out pointer may be NULL. */
CCX_API int ccx_outcome_error(const char **out_code, const char **out_message, const ccx_outcome *outcome,
                              size_t index) CCX_NOEXCEPT;
CCX_API int ccx_outcome_retry_after_ms(int64_t *out, const ccx_outcome *outcome) CCX_NOEXCEPT;
CCX_API int ccx_outcome_trace_id(const char **out, const ccx_outcome *outcome) CCX_NOEXCEPT;
/* {"driver","verb","resource_id","status","state_before","state_after","errors":[{"code",
 *  "message"}],"retry_after_ms","timings_us":{...},"trace_id"} */
CCX_API int ccx_outcome_json(const char **out, const ccx_outcome *outcome) CCX_NOEXCEPT;

/* ---- Plans: what a run would do now, without locking, writing or touching a host ----------- */

typedef struct ccx_plan_report ccx_plan_report;

/* Builds the plan of (driver, verb, resource_id). CCX_OK means *out holds a report; its
 * Outcome says whether a plan could be built (status succeeded) or why not. Unknown names and
 * ids <= 0 fail as in ccx_run(). */
CCX_API int ccx_plan(ccx_plan_report **out, ccx_context *ctx, const char *driver, const char *verb,
                     int64_t resource_id) CCX_NOEXCEPT;
CCX_API void ccx_plan_report_free(ccx_plan_report *report) CCX_NOEXCEPT;
/* The report's Outcome, borrowed from the report (do not free it). */
CCX_API int ccx_plan_report_outcome(const ccx_outcome **out, const ccx_plan_report *report) CCX_NOEXCEPT;
/* 1 when the resource is in the verb's trigger state (a run now would act), else 0. */
CCX_API int ccx_plan_report_in_trigger_state(int *out, const ccx_plan_report *report) CCX_NOEXCEPT;
CCX_API int ccx_plan_report_call_count(size_t *out, const ccx_plan_report *report) CCX_NOEXCEPT;
/* Primitive call `index`: its primitive, action and arguments (a JSON object); any out may be NULL. */
CCX_API int ccx_plan_report_call(const char **out_primitive, const char **out_action, const char **out_args_json,
                                 const ccx_plan_report *report, size_t index) CCX_NOEXCEPT;
/* The host commands the native primitives would send for call `call_index` (a dry run); none
 * when the context uses a primitives vtable. */
CCX_API int ccx_plan_report_command_count(size_t *out, const ccx_plan_report *report, size_t call_index) CCX_NOEXCEPT;
CCX_API int ccx_plan_report_command(const char **out_host, const char **out_command,
                                    const ccx_plan_report *report, size_t call_index, size_t index) CCX_NOEXCEPT;

/* ---- Metrics ----------------------------------------------------------------------------------
 * Every context keeps the engine's metrics for the runs made on it: ccx_tasks_total{driver,verb,
 * outcome}, ccx_task_duration_seconds, ccx_tasks_in_flight, ccx_lock_wait_seconds,
 * ccx_lock_timeouts_total, ccx_api_errors_total, ccx_host_errors_total, ccx_errors_total{...,code}
 * and ccx_build_info{version,region}. */

/* The metrics as Prometheus text (exposition format 0.0.4), for a caller to serve on its own
 * /metrics. *out is the caller's: release it with ccx_string_free(). */
CCX_API int ccx_metrics_text(char **out, ccx_context *ctx) CCX_NOEXCEPT;
/* Frees a string the library handed over with ownership (ccx_metrics_text); NULL does nothing. */
CCX_API void ccx_string_free(char *s) CCX_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* CLOUDCIX_DRIVERS_H */
