/* The C API from C99: every function with good, NULL, unknown and ill-formed arguments; every
 * port as a C callback, including callbacks that fail and callbacks that answer garbage; the
 * built-in https transport and Jerry locks against the IaaS simulator.
 * argv[1]: data/demo-region.json; argv[2]: the cloudcix-iaas-sim program. */
#define _POSIX_C_SOURCE 200809L /* pthreads: one context shared by concurrent runs; fork, exec */
#include <pthread.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloudcix_drivers.h"

int ccx_test_header_alone(void);

static int g_failures = 0;
static int g_checks = 0;
static const char *g_test = "";
static const char *g_region_path = NULL;
static const char *g_sim_path = NULL;
static char g_tmp[256];

#define CHECK(cond)                                                                                   \
    do {                                                                                              \
        ++g_checks;                                                                                   \
        if (!(cond)) {                                                                                \
            ++g_failures;                                                                             \
            fprintf(stderr, "FAIL %s (%s:%d): %s [last error: %s]\n", g_test, __FILE__, __LINE__, #cond, \
                    ccx_last_error());                                                                \
        }                                                                                             \
    } while (0)

#define CHECK_RC(expr, want) CHECK((expr) == (want))

#define TEST(name) static void name(void)
#define RUN(name)                      \
    do {                               \
        int before = g_failures;       \
        g_test = #name;                \
        name();                        \
        fprintf(stderr, "%s %s\n", g_failures == before ? "ok  " : "FAIL", #name); \
    } while (0)

/* ---- helpers -------------------------------------------------------------------------------- */

static int contains(const char *haystack, const char *needle) {
    return haystack != NULL && needle != NULL && strstr(haystack, needle) != NULL;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    long n;
    char *buf;
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = (char *)malloc((size_t)n + 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf != NULL) buf[n] = '\0';
    fclose(f);
    return buf;
}

/* A context on the embedded demo region whose hosts are recorded silently. */
static ccx_context *demo_context(ccx_config *config) {
    ccx_context *ctx = NULL;
    ccx_config local = CCX_CONFIG_INIT;
    if (config == NULL) config = &local;
    if (config->hosts == NULL && config->rcc_vtable == NULL) config->hosts = "recording";
    if (ccx_context_new(&ctx, config) != CCX_OK) return NULL;
    return ctx;
}

static int outcome_status(const ccx_outcome *o) {
    int status = -1;
    ccx_outcome_status(&status, o);
    return status;
}

static int outcome_has_error(const ccx_outcome *o, const char *code, const char *message_part) {
    size_t n = 0, i;
    ccx_outcome_error_count(&n, o);
    for (i = 0; i < n; ++i) {
        const char *c = NULL, *m = NULL;
        ccx_outcome_error(&c, &m, o, i);
        if (c != NULL && strcmp(c, code) == 0 && (message_part == NULL || contains(m, message_part))) return 1;
    }
    return 0;
}

static void print_outcome(const ccx_outcome *o) {
    const char *json = NULL;
    ccx_outcome_json(&json, o);
    fprintf(stderr, "    outcome: %s\n", json ? json : "(none)");
}

/* Runs vm_kvm build 1501 on a context made from `config`; NULL when the context failed. */
static ccx_outcome *build_1501(ccx_config *config, ccx_context **out_ctx) {
    ccx_outcome *o = NULL;
    ccx_context *ctx = demo_context(config);
    if (ctx == NULL) return NULL;
    if (ccx_run(&o, ctx, "vm_kvm", "build", 1501) != CCX_OK) o = NULL;
    if (out_ctx != NULL)
        *out_ctx = ctx;
    else
        ccx_context_free(ctx);
    return o;
}

/* ---- version, errors, registry, names ------------------------------------------------------- */

TEST(the_header_compiles_alone_and_its_init_macros_initialise_every_struct) { CHECK(ccx_test_header_alone()); }

TEST(the_library_reports_the_headers_version) {
    int major = -1, minor = -1, patch = -1;
    CHECK_RC(ccx_version(&major, &minor, &patch), CCX_OK);
    CHECK(major == CCX_VERSION_MAJOR && minor == CCX_VERSION_MINOR && patch == CCX_VERSION_PATCH);
    CHECK(strcmp(ccx_version_string(), CCX_VERSION_STRING) == 0);
    CHECK_RC(ccx_version(NULL, NULL, NULL), CCX_OK);
}

TEST(error_codes_have_names_and_the_last_error_is_per_call) {
    size_t n = 0;
    CHECK(strcmp(ccx_error_name(CCX_EINVALID), "CCX_EINVALID") == 0);
    CHECK(strcmp(ccx_error_name(CCX_EUNSUPPORTED), "CCX_EUNSUPPORTED") == 0);
    CHECK(strcmp(ccx_error_name(12345), "CCX_UNKNOWN") == 0);
    ccx_error_clear();
    CHECK(strcmp(ccx_last_error(), "") == 0 && ccx_last_error_code() == CCX_OK);
    CHECK_RC(ccx_registry_count(NULL), CCX_EINVALID);
    CHECK(ccx_last_error_code() == CCX_EINVALID && contains(ccx_last_error(), "out is NULL"));
    CHECK_RC(ccx_registry_count(&n), CCX_OK); /* success leaves the last error as it was */
    CHECK(ccx_last_error_code() == CCX_EINVALID);
}

TEST(the_registry_lists_51_verbs_and_suggests_near_names) {
    size_t n = 0, i;
    int found = 0;
    const char *name = NULL, *driver = NULL, *verb = NULL;
    CHECK_RC(ccx_registry_count(&n), CCX_OK);
    CHECK(n == 51);
    for (i = 0; i < n; ++i) {
        CHECK_RC(ccx_registry_name(&name, i), CCX_OK);
        CHECK_RC(ccx_registry_entry(&driver, &verb, i), CCX_OK);
        if (name && strcmp(name, "vm_kvm.build") == 0) found = driver && verb && !strcmp(driver, "vm_kvm") && !strcmp(verb, "build");
    }
    CHECK(found);
    CHECK_RC(ccx_registry_name(&name, n), CCX_ENOTFOUND);
    CHECK(name == NULL);
    CHECK_RC(ccx_registry_entry(&driver, &verb, n + 7), CCX_ENOTFOUND);
    CHECK(driver == NULL && verb == NULL);
    CHECK_RC(ccx_registry_name(NULL, 0), CCX_EINVALID);
    CHECK_RC(ccx_registry_entry(NULL, NULL, 0), CCX_OK);
    CHECK_RC(ccx_registry_find("vm_kvm", "build"), CCX_OK);
    CHECK_RC(ccx_registry_find("vm_kvm", "bild"), CCX_ENOTFOUND);
    CHECK(contains(ccx_last_error(), "vm_kvm.build"));
    CHECK_RC(ccx_registry_find(NULL, "build"), CCX_EINVALID);
    CHECK_RC(ccx_registry_find("vm_kvm", NULL), CCX_EINVALID);
}

TEST(states_statuses_and_error_codes_have_names) {
    const char *s = NULL, *title = NULL, *sentence = NULL;
    CHECK_RC(ccx_state_name(&s, 4), CCX_OK);
    CHECK(s && strcmp(s, "RUNNING") == 0);
    CHECK_RC(ccx_state_name(&s, 14), CCX_OK);
    CHECK(s && strcmp(s, "SCRUB_PREP") == 0);
    CHECK_RC(ccx_state_name(&s, 42), CCX_ENOTFOUND);
    CHECK(s == NULL);
    CHECK_RC(ccx_state_name(NULL, 4), CCX_EINVALID);
    CHECK_RC(ccx_status_name(&s, CCX_STATUS_POSTPONED), CCX_OK);
    CHECK(s && strcmp(s, "postponed") == 0);
    CHECK_RC(ccx_status_name(&s, 5), CCX_ENOTFOUND);
    CHECK_RC(ccx_status_name(NULL, 0), CCX_EINVALID);
    CHECK_RC(ccx_explain(&title, &sentence, "vm_kvm_build_0007"), CCX_OK);
    CHECK(title && strcmp(title, "dependency_failed") == 0 && sentence && strlen(sentence) > 20);
    CHECK_RC(ccx_explain(&title, NULL, "2001"), CCX_OK);
    CHECK(title && strcmp(title, "primitive_inconsistent") == 0);
    CHECK_RC(ccx_explain(&title, &sentence, "9999"), CCX_ENOTFOUND);
    CHECK(title == NULL && sentence == NULL);
    CHECK_RC(ccx_explain(&title, &sentence, "not a code"), CCX_ENOTFOUND);
    CHECK_RC(ccx_explain(&title, &sentence, NULL), CCX_EINVALID);
}

/* ---- configuration -------------------------------------------------------------------------- */

static int new_context_rc(ccx_config *config) {
    ccx_context *ctx = (ccx_context *)&g_tmp; /* must be reset to NULL on failure */
    int rc = ccx_context_new(&ctx, config);
    if (rc != CCX_OK && ctx != NULL) return 999;
    ccx_context_free(ctx);
    return rc;
}

TEST(a_config_is_checked_before_anything_is_wired) {
    ccx_config c = CCX_CONFIG_INIT;
    ccx_transport_vtable tv = CCX_TRANSPORT_VTABLE_INIT;
    ccx_clock_vtable cv = CCX_CLOCK_VTABLE_INIT;
    ccx_lock_vtable lv = CCX_LOCK_VTABLE_INIT;

    CHECK_RC(ccx_context_new(NULL, &c), CCX_EINVALID);
    c.hosts = "recording";
    CHECK_RC(new_context_rc(&c), CCX_OK);
    CHECK_RC(new_context_rc(NULL), CCX_OK); /* every default */

    c.version = 0;
    CHECK_RC(new_context_rc(&c), CCX_EVERSION);
    CHECK(contains(ccx_last_error(), "CCX_CONFIG_INIT"));
    c.version = CCX_CONFIG_VERSION + 1;
    CHECK_RC(new_context_rc(&c), CCX_EVERSION);
    c.version = CCX_CONFIG_VERSION;

    c.log_level = 9;
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    c.log_level = 1;
    c.lock_timeout_ms = -1;
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    c.lock_timeout_ms = 0;

    c.transport = "carrier-pigeon";
    CHECK_RC(new_context_rc(&c), CCX_ENOTFOUND);
    CHECK(contains(ccx_last_error(), "memory-demo"));
    c.transport = "memory";
    CHECK_RC(new_context_rc(&c), CCX_EINVALID); /* no region_json */
    c.region_json = "{not json";
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    c.region_json = "[1,2]";
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    c.region_json = NULL;
    c.transport = NULL;

    c.log = "syslog";
    CHECK_RC(new_context_rc(&c), CCX_ENOTFOUND);
    c.log = NULL;
    c.tracer = "zipkin";
    CHECK_RC(new_context_rc(&c), CCX_ENOTFOUND);
    c.tracer = NULL;
    c.notifier = "pager";
    CHECK_RC(new_context_rc(&c), CCX_ENOTFOUND);
    c.notifier = NULL;
    c.clock = "sundial";
    CHECK_RC(new_context_rc(&c), CCX_ENOTFOUND);
    c.clock = NULL;
    c.hosts = "telnet";
    CHECK_RC(new_context_rc(&c), CCX_ENOTFOUND);
    c.hosts = "dry-run:/nonexistent-dir/commands.txt";
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    c.hosts = "recording";

    /* Vtables: uninitialised, newer than the library, or missing a function. */
    tv.version = 0;
    c.transport_vtable = &tv;
    CHECK_RC(new_context_rc(&c), CCX_EVERSION);
    tv.version = CCX_TRANSPORT_VERSION + 1;
    CHECK_RC(new_context_rc(&c), CCX_EVERSION);
    tv.version = CCX_TRANSPORT_VERSION;
    CHECK_RC(new_context_rc(&c), CCX_EINVALID); /* no send */
    c.transport_vtable = NULL;
    c.clock_vtable = &cv;
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    c.clock_vtable = NULL;
    c.lock_vtable = &lv;
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    c.lock_vtable = NULL;

    CHECK_RC(ccx_config_init(&c, CCX_CONFIG_VERSION), CCX_OK);
    CHECK(c.version == CCX_CONFIG_VERSION && c.hosts == NULL && c.log_level == 1);
    CHECK_RC(ccx_config_init(&c, 7), CCX_EVERSION);
    CHECK_RC(ccx_config_init(NULL, CCX_CONFIG_VERSION), CCX_EINVALID);
    CHECK(ccx_config_size(CCX_CONFIG_VERSION) == sizeof(ccx_config));
    CHECK(ccx_config_size(0) == 0);
}

TEST(a_config_can_start_from_the_cloudcix_environment) {
    ccx_config c = CCX_CONFIG_INIT;
    c.hosts = "recording";
    CHECK(setenv("CLOUDCIX_IAAS_URL", "https://iaas.from-the-environment.example/", 1) == 0);
    CHECK_RC(new_context_rc(&c), CCX_OK); /* ignored unless asked for */
    c.from_environment = 1;
    CHECK_RC(new_context_rc(&c), CCX_EINVALID); /* an https URL: the https transport, which needs */
    CHECK(contains(ccx_last_error(), "Membership URL")); /* the Membership URL as well        */
    CHECK(setenv("CLOUDCIX_MEMBERSHIP_URL", "https://membership.from-the-environment.example/", 1) == 0);
    CHECK_RC(new_context_rc(&c), CCX_OK); /* wired; nothing is sent before a run */
    CHECK(setenv("CLOUDCIX_CA_FILE", "/nonexistent/ca.pem", 1) == 0);
    CHECK_RC(new_context_rc(&c), CCX_EINVALID); /* the transport's own fallback for ca_file */
    CHECK(contains(ccx_last_error(), "/nonexistent/ca.pem"));
    unsetenv("CLOUDCIX_CA_FILE");
    c.iaas_url = "memory://iaas/"; /* a field overrides the environment */
    CHECK_RC(new_context_rc(&c), CCX_OK);
    unsetenv("CLOUDCIX_IAAS_URL");
    unsetenv("CLOUDCIX_MEMBERSHIP_URL");
}

TEST(production_built_ins_are_wired_and_ill_formed_arguments_are_invalid) {
    ccx_config c = CCX_CONFIG_INIT;
    c.hosts = "recording";

    /* transport "https": both URLs, http(s) only, a loadable CA file */
    c.transport = "https";
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    CHECK(contains(ccx_last_error(), "IaaS URL is required"));
    c.transport = NULL;
    c.iaas_url = "https://iaas.example.com/";
    CHECK_RC(new_context_rc(&c), CCX_EINVALID); /* an https URL selects "https": no Membership URL */
    CHECK(contains(ccx_last_error(), "Membership URL"));
    c.membership_url = "https://membership.example.com/";
    CHECK_RC(new_context_rc(&c), CCX_OK);
    c.iaas_url = "ftp://iaas.example.com/";
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    CHECK(contains(ccx_last_error(), "'ftp://iaas.example.com/' is not an http:// or https:// URL"));
    c.iaas_url = "http://127.0.0.1:1/iaas/";
    c.ca_file = "/nonexistent/ca.pem";
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    CHECK(contains(ccx_last_error(), "/nonexistent/ca.pem"));
    c.ca_file = NULL;
    c.iaas_url = c.membership_url = NULL;

    /* Jerry locks: the store string, slots and lease */
    c.lock = "memory";
    CHECK_RC(new_context_rc(&c), CCX_OK);
    c.lock = "shm:";
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    CHECK(contains(ccx_last_error(), "needs a path"));
    c.lock = "redis://";
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    CHECK(contains(ccx_last_error(), "names no host"));
    c.lock = "redis://127.0.0.1:http/0";
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    CHECK(contains(ccx_last_error(), "the port must be a number"));
    c.lock = "redis://127.0.0.1:1/0"; /* well-formed, but nothing listens there */
    CHECK_RC(new_context_rc(&c), CCX_ERROR);
    CHECK(contains(ccx_last_error(), "redis://127.0.0.1:1/0"));
    c.lock = "etcd://127.0.0.1:2379";
    CHECK_RC(new_context_rc(&c), CCX_ENOTFOUND);
    CHECK(contains(ccx_last_error(), "shm:"));
    c.lock = "memory";
    c.lock_slots = 1;
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    c.lock_slots = 257;
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    c.lock_slots = 2;
    c.lock_lease_ms = 5;
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    c.lock_lease_ms = -1;
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    c.lock_lease_ms = 1000;
    CHECK_RC(new_context_rc(&c), CCX_OK);
    c.lock = NULL;
    c.lock_slots = 0;
    c.lock_lease_ms = 0;

    /* hosts "ssh": its configuration file must be readable */
    c.hosts = "ssh";
    CHECK_RC(new_context_rc(&c), CCX_OK);
    c.ssh_config = "/nonexistent/ssh_config";
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    CHECK(contains(ccx_last_error(), "/nonexistent/ssh_config"));
    c.ssh_config = NULL;
    c.hosts = "recording";

    /* notifier "smtp" / "smtp://HOST:PORT" */
    unsetenv("CLOUDCIX_EMAIL_HOST");
    c.notifier = "smtp";
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    CHECK(contains(ccx_last_error(), "CLOUDCIX_EMAIL_HOST"));
    CHECK(setenv("CLOUDCIX_EMAIL_HOST", "127.0.0.1", 1) == 0);
    CHECK_RC(new_context_rc(&c), CCX_OK);
    CHECK(setenv("CLOUDCIX_EMAIL_PORT", "twenty-five", 1) == 0);
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    CHECK(contains(ccx_last_error(), "CLOUDCIX_EMAIL_PORT"));
    unsetenv("CLOUDCIX_EMAIL_PORT");
    unsetenv("CLOUDCIX_EMAIL_HOST");
    c.notifier = "smtp://";
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    CHECK(contains(ccx_last_error(), "smtp://HOST:PORT"));
    c.notifier = "smtp://127.0.0.1:99999";
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    c.notifier = "smtp://127.0.0.1:2525";
    CHECK_RC(new_context_rc(&c), CCX_OK);
    c.notifier = "smtp://[::1]";
    CHECK_RC(new_context_rc(&c), CCX_OK);
    c.notifier = NULL;

    /* tracer "otlp:URL" */
    c.tracer = "otlp:";
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    CHECK(contains(ccx_last_error(), "otlp:http://127.0.0.1:4318"));
    c.tracer = "otlp:udp://127.0.0.1:4318";
    CHECK_RC(new_context_rc(&c), CCX_EINVALID);
    c.tracer = "otlp:http://127.0.0.1:4318";
    CHECK_RC(new_context_rc(&c), CCX_OK); /* nothing to export, nothing sent */
}

TEST(a_version_1_config_is_read_without_the_fields_version_2_appended) {
    ccx_config c;
    memset(&c, 0x5a, sizeof c);
    CHECK(ccx_config_size(1) == offsetof(ccx_config, ca_file));
    CHECK(ccx_config_size(1) < ccx_config_size(CCX_CONFIG_VERSION));
    CHECK_RC(ccx_config_init(&c, 1), CCX_OK);
    CHECK(c.version == 1 && c.hosts == NULL && c.clock_vtable == NULL);
    CHECK(c.lock_slots == 0x5a5a5a5a); /* past a version-1 struct: not written */
    c.hosts = "recording";
    c.lock = "memory";
    CHECK_RC(new_context_rc(&c), CCX_OK); /* and not read: the garbage slots and lease are ignored */
    c.version = CCX_CONFIG_VERSION;
    CHECK_RC(new_context_rc(&c), CCX_EINVALID); /* read as version 2, they are refused */
}

/* ---- runs on the built-ins ------------------------------------------------------------------ */

TEST(a_demo_vm_build_succeeds_and_a_second_run_skips) {
    ccx_context *ctx = NULL;
    ccx_outcome *o = build_1501(NULL, &ctx);
    int before = -1, after = -1, state = -1;
    size_t n = 0, commands = 0;
    const char *trace = NULL, *json = NULL, *host = NULL, *command = NULL;
    int64_t retry = -1;
    CHECK(o != NULL && ctx != NULL);
    if (o == NULL || ctx == NULL) {
        ccx_context_free(ctx);
        return;
    }
    CHECK(outcome_status(o) == CCX_STATUS_SUCCEEDED);
    CHECK_RC(ccx_outcome_state_before(&before, o), CCX_OK);
    CHECK_RC(ccx_outcome_state_after(&after, o), CCX_OK);
    CHECK(before == 1 && after == 4);
    CHECK_RC(ccx_outcome_error_count(&n, o), CCX_OK);
    CHECK(n == 0);
    CHECK_RC(ccx_outcome_retry_after_ms(&retry, o), CCX_OK);
    CHECK(retry == 0);
    CHECK_RC(ccx_outcome_trace_id(&trace, o), CCX_OK);
    CHECK(trace && strlen(trace) == 32);
    CHECK_RC(ccx_outcome_json(&json, o), CCX_OK);
    CHECK(contains(json, "\"status\":\"succeeded\"") && contains(json, "\"resource_id\":1501"));
    CHECK_RC(ccx_context_region_state(&state, ctx, "vm", 1501), CCX_OK);
    CHECK(state == 4);
    CHECK_RC(ccx_context_host_command_count(&commands, ctx), CCX_OK);
    CHECK(commands > 3);
    CHECK_RC(ccx_context_host_command(&host, &command, ctx, 0), CCX_OK);
    CHECK(host && strlen(host) > 0 && command && contains(command, "systemctl"));
    CHECK_RC(ccx_context_host_command(&host, &command, ctx, commands), CCX_ENOTFOUND);
    CHECK(host == NULL && command == NULL);
    ccx_outcome_free(o);

    o = NULL;
    CHECK_RC(ccx_run(&o, ctx, "vm_kvm", "build", 1501), CCX_OK);
    CHECK(o && outcome_status(o) == CCX_STATUS_SKIPPED && outcome_has_error(o, "vm_kvm_build_0001", "RUNNING"));
    ccx_outcome_free(o);
    CHECK_RC(ccx_context_region_state(&state, ctx, "vm", 999999), CCX_ENOTFOUND);
    CHECK_RC(ccx_context_region_state(&state, ctx, NULL, 1501), CCX_EINVALID);
    ccx_context_free(ctx);
}

TEST(unknown_names_and_bad_ids_are_codes_and_a_missing_resource_is_a_rejected_outcome) {
    ccx_context *ctx = demo_context(NULL);
    ccx_outcome *o = (ccx_outcome *)&g_tmp;
    int state = -1;
    CHECK(ctx != NULL);
    CHECK_RC(ccx_run(&o, ctx, "vm_kvm", "bild", 1501), CCX_ENOTFOUND);
    CHECK(o == NULL && contains(ccx_last_error(), "did you mean") && contains(ccx_last_error(), "vm_kvm.build"));
    CHECK_RC(ccx_run(&o, ctx, "vm_kmv", "build", 1501), CCX_ENOTFOUND);
    CHECK_RC(ccx_run(&o, ctx, "vm_kvm", "build", 0), CCX_EINVALID);
    CHECK_RC(ccx_run(&o, ctx, "vm_kvm", "build", -5), CCX_EINVALID);
    CHECK_RC(ccx_run(&o, NULL, "vm_kvm", "build", 1501), CCX_EINVALID);
    CHECK_RC(ccx_run(&o, ctx, NULL, "build", 1501), CCX_EINVALID);
    CHECK_RC(ccx_run(&o, ctx, "vm_kvm", NULL, 1501), CCX_EINVALID);
    CHECK_RC(ccx_run(NULL, ctx, "vm_kvm", "build", 1501), CCX_EINVALID);
    CHECK(o == NULL);
    CHECK_RC(ccx_run(&o, ctx, "vm_kvm", "build", 999999), CCX_OK);
    CHECK(o && outcome_status(o) == CCX_STATUS_REJECTED && outcome_has_error(o, "vm_kvm_build_0002", NULL));
    CHECK_RC(ccx_outcome_state_before(&state, o), CCX_ENOTFOUND);
    ccx_outcome_free(o);
    CHECK_RC(ccx_run_traced(&o, ctx, "vm_kvm", "build", 1501, "garbage-traceparent"), CCX_OK);
    CHECK(o && outcome_status(o) == CCX_STATUS_SUCCEEDED);
    ccx_outcome_free(o);
    ccx_context_free(ctx);
}

TEST(outcome_and_plan_accessors_refuse_null_and_out_of_range) {
    int i = 0;
    size_t n = 0;
    int64_t l = 0;
    const char *s = "x", *t = "y", *u = "z";
    const ccx_outcome *co = (const ccx_outcome *)&g_tmp;
    CHECK_RC(ccx_outcome_status(&i, NULL), CCX_EINVALID);
    CHECK_RC(ccx_outcome_status(NULL, NULL), CCX_EINVALID);
    CHECK_RC(ccx_outcome_state_before(&i, NULL), CCX_EINVALID);
    CHECK_RC(ccx_outcome_state_after(&i, NULL), CCX_EINVALID);
    CHECK_RC(ccx_outcome_error_count(&n, NULL), CCX_EINVALID);
    CHECK_RC(ccx_outcome_error(&s, &t, NULL, 0), CCX_EINVALID);
    CHECK(s == NULL && t == NULL);
    CHECK_RC(ccx_outcome_retry_after_ms(&l, NULL), CCX_EINVALID);
    CHECK_RC(ccx_outcome_trace_id(&s, NULL), CCX_EINVALID);
    CHECK_RC(ccx_outcome_json(&s, NULL), CCX_EINVALID);
    CHECK_RC(ccx_outcome_json(NULL, NULL), CCX_EINVALID);
    CHECK_RC(ccx_plan_report_outcome(&co, NULL), CCX_EINVALID);
    CHECK(co == NULL);
    CHECK_RC(ccx_plan_report_in_trigger_state(&i, NULL), CCX_EINVALID);
    CHECK_RC(ccx_plan_report_call_count(&n, NULL), CCX_EINVALID);
    s = "x";
    CHECK_RC(ccx_plan_report_call(&s, &t, &u, NULL, 0), CCX_EINVALID);
    CHECK(s == NULL && t == NULL && u == NULL);
    CHECK_RC(ccx_plan_report_command_count(&n, NULL, 0), CCX_EINVALID);
    CHECK_RC(ccx_plan_report_command(&s, &t, NULL, 0, 0), CCX_EINVALID);
    CHECK_RC(ccx_context_host_command_count(&n, NULL), CCX_EINVALID);
    CHECK_RC(ccx_context_host_command_count(NULL, NULL), CCX_EINVALID);
    CHECK_RC(ccx_context_host_command(&s, &t, NULL, 0), CCX_EINVALID);
    CHECK_RC(ccx_context_region_state(&i, NULL, "vm", 1), CCX_EINVALID);
    CHECK_RC(ccx_plan(NULL, NULL, "vm_kvm", "build", 1501), CCX_EINVALID);
    /* Callback-side objects refuse NULL too. */
    CHECK_RC(ccx_http_request_method(&s, NULL), CCX_EINVALID);
    CHECK_RC(ccx_http_request_url(&s, NULL), CCX_EINVALID);
    CHECK_RC(ccx_http_request_header_count(&n, NULL), CCX_EINVALID);
    CHECK_RC(ccx_http_request_header(&s, &t, NULL, 0), CCX_EINVALID);
    CHECK_RC(ccx_http_request_body(&s, &n, NULL), CCX_EINVALID);
    CHECK_RC(ccx_http_request_body(NULL, &n, NULL), CCX_EINVALID);
    CHECK_RC(ccx_http_request_timeout_ms(&l, NULL), CCX_EINVALID);
    CHECK_RC(ccx_http_response_set_status(NULL, 200), CCX_EINVALID);
    CHECK_RC(ccx_http_response_add_header(NULL, "a", "b"), CCX_EINVALID);
    CHECK_RC(ccx_http_response_set_body(NULL, "x", 1), CCX_EINVALID);
    CHECK_RC(ccx_http_response_set_error(NULL, "x", 0), CCX_EINVALID);
    CHECK_RC(ccx_primitive_call_primitive(&s, NULL), CCX_EINVALID);
    CHECK_RC(ccx_primitive_call_action(&s, NULL), CCX_EINVALID);
    CHECK_RC(ccx_primitive_call_args_json(&s, NULL), CCX_EINVALID);
    CHECK_RC(ccx_primitive_result_set(NULL, 1, "1000: ok"), CCX_EINVALID);
    CHECK_RC(ccx_primitive_result_set_failure(NULL, 1), CCX_EINVALID);
    CHECK_RC(ccx_primitive_result_set_data_json(NULL, "{}"), CCX_EINVALID);
    CHECK_RC(ccx_host_command_host(&s, NULL), CCX_EINVALID);
    CHECK_RC(ccx_host_command_user(&s, NULL), CCX_EINVALID);
    CHECK_RC(ccx_host_command_shell(&i, NULL), CCX_EINVALID);
    CHECK_RC(ccx_host_command_text(&s, NULL), CCX_EINVALID);
    CHECK_RC(ccx_host_command_timeout_ms(&l, NULL), CCX_EINVALID);
    CHECK_RC(ccx_host_command_assumed(&s, &i, NULL), CCX_EINVALID);
    CHECK_RC(ccx_host_result_set_exit(NULL, 0), CCX_EINVALID);
    CHECK_RC(ccx_host_result_set_output(NULL, "", ""), CCX_EINVALID);
    CHECK_RC(ccx_host_result_set_channel_error(NULL, "x"), CCX_EINVALID);
    /* Freeing NULL does nothing. */
    ccx_outcome_free(NULL);
    ccx_plan_report_free(NULL);
    ccx_context_free(NULL);
}

TEST(a_plan_lists_the_primitive_calls_and_host_commands_without_changing_anything) {
    ccx_context *ctx = demo_context(NULL);
    ccx_plan_report *plan = NULL;
    const ccx_outcome *o = NULL;
    size_t calls = 0, commands = 0, kept = 99;
    int in_trigger = -1, state = -1;
    const char *primitive = NULL, *action = NULL, *args = NULL, *host = NULL, *command = NULL;
    CHECK(ctx != NULL);
    CHECK_RC(ccx_plan(&plan, ctx, "vm_kvm", "build", 1501), CCX_OK);
    CHECK(plan != NULL);
    if (plan == NULL) {
        ccx_context_free(ctx);
        return;
    }
    CHECK_RC(ccx_plan_report_outcome(&o, plan), CCX_OK);
    CHECK(o && outcome_status(o) == CCX_STATUS_SUCCEEDED);
    CHECK_RC(ccx_plan_report_in_trigger_state(&in_trigger, plan), CCX_OK);
    CHECK(in_trigger == 1);
    CHECK_RC(ccx_plan_report_call_count(&calls, plan), CCX_OK);
    CHECK(calls >= 3);
    CHECK_RC(ccx_plan_report_call(&primitive, &action, &args, plan, 0), CCX_OK);
    CHECK(primitive && strcmp(primitive, "bridge_kvm") == 0 && action && strcmp(action, "build") == 0);
    CHECK(contains(args, "\"vlan\":1002"));
    CHECK_RC(ccx_plan_report_call(&primitive, &action, &args, plan, calls), CCX_ENOTFOUND);
    CHECK_RC(ccx_plan_report_command_count(&commands, plan, 0), CCX_OK);
    CHECK(commands > 1);
    CHECK_RC(ccx_plan_report_command(&host, &command, plan, 0, 0), CCX_OK);
    CHECK(host && command && contains(command, "bridge_kvm_br1002"));
    CHECK_RC(ccx_plan_report_command(&host, &command, plan, 0, commands), CCX_ENOTFOUND);
    CHECK_RC(ccx_plan_report_command_count(&commands, plan, calls), CCX_ENOTFOUND);
    /* Nothing happened: the VM is still REQUESTED and no host saw a command. */
    CHECK_RC(ccx_context_region_state(&state, ctx, "vm", 1501), CCX_OK);
    CHECK(state == 1);
    CHECK_RC(ccx_context_host_command_count(&kept, ctx), CCX_OK);
    CHECK(kept == 0);
    ccx_plan_report_free(plan);
    plan = (ccx_plan_report *)&g_tmp;
    CHECK_RC(ccx_plan(&plan, ctx, "vm_kvm", "bild", 1501), CCX_ENOTFOUND);
    CHECK(plan == NULL);
    CHECK_RC(ccx_plan(&plan, ctx, "vm_kvm", "build", 0), CCX_EINVALID);
    CHECK_RC(ccx_plan(&plan, NULL, "vm_kvm", "build", 1501), CCX_EINVALID);
    CHECK_RC(ccx_plan(&plan, ctx, "vm_kvm", "build", 999999), CCX_OK);
    CHECK_RC(ccx_plan_report_outcome(&o, plan), CCX_OK);
    CHECK(o && outcome_status(o) == CCX_STATUS_REJECTED && outcome_has_error(o, "vm_kvm_build_0002", NULL));
    ccx_plan_report_free(plan);
    ccx_context_free(ctx);
}

TEST(a_region_from_json_and_file_outputs_work_as_built_ins) {
    char *region = g_region_path ? read_file(g_region_path) : NULL;
    ccx_config c = CCX_CONFIG_INIT;
    ccx_context *ctx = NULL;
    ccx_outcome *o = NULL;
    char hosts[64], outbox[64], hosts_name[80], outbox_name[80];
    char *text;
    CHECK(region != NULL);
    if (region == NULL) return;
    sprintf(hosts, "/tmp/ccx-c-test-hosts-%ld.txt", (long)rand());
    sprintf(outbox, "/tmp/ccx-c-test-outbox-%ld.jsonl", (long)rand());
    sprintf(hosts_name, "dry-run:%s", hosts);
    sprintf(outbox_name, "outbox:%s", outbox);
    c.transport = "memory";
    c.region_json = region;
    c.hosts = hosts_name;
    c.notifier = outbox_name;
    c.tracer = "none";
    c.clock = "manual";
    c.send_to_fail = "noc@example.com, ops@example.com";
    CHECK_RC(ccx_context_new(&ctx, &c), CCX_OK);
    free(region); /* the context keeps its own copy */
    if (ctx == NULL) return;
    CHECK_RC(ccx_run(&o, ctx, "vm_kvm", "build", 1501), CCX_OK);
    CHECK(o && outcome_status(o) == CCX_STATUS_SUCCEEDED);
    ccx_outcome_free(o);
    ccx_context_free(ctx); /* flushes and closes the files */
    text = read_file(hosts);
    CHECK(contains(text, "[robot@") && contains(text, "bridge_kvm_br1002"));
    free(text);
    text = read_file(outbox);
    CHECK(contains(text, "\"template\":\"vm_build_success\"") && contains(text, "owner@demo.cloudcix.local"));
    free(text);
    remove(hosts);
    remove(outbox);
}

/* ---- transport callbacks -------------------------------------------------------------------- */

enum transport_mode {
    T_NO_RESPONSE,      /* returns -1 after set_error */
    T_FAILS_SILENTLY,   /* returns -3, sets nothing */
    T_BAD_STATUS,       /* status 999 */
    T_NO_STATUS,        /* returns 0 having set nothing */
    T_HTML_BODY,        /* GET answers 200 with HTML */
    T_SERVER_ERROR,     /* GET answers 503 */
    T_NOT_OBJECT        /* GET answers 200 {"content": [1,2]} */
};

struct transport_user {
    enum transport_mode mode;
    int calls;
    int saw_token;
};

static int scripted_send(void *user, const ccx_http_request *request, ccx_http_response *response) {
    struct transport_user *u = (struct transport_user *)user;
    const char *method = NULL, *url = NULL, *name = NULL, *value = NULL, *body = NULL;
    size_t headers = 0, i, len = 0;
    int64_t timeout = 0;
    ++u->calls;
    ccx_http_request_method(&method, request);
    ccx_http_request_url(&url, request);
    ccx_http_request_body(&body, &len, request);
    ccx_http_request_timeout_ms(&timeout, request);
    ccx_http_request_header_count(&headers, request);
    for (i = 0; i < headers; ++i) {
        ccx_http_request_header(&name, &value, request, i);
        if (strcmp(name, "X-Auth-Token") == 0 && strcmp(value, "tok-123") == 0) u->saw_token = 1;
    }
    if (ccx_http_request_header(&name, &value, request, headers) != CCX_ENOTFOUND) return -99;
    if (timeout <= 0) return -98;
    switch (u->mode) {
        case T_NO_RESPONSE: ccx_http_response_set_error(response, "connection refused by the test", 0); return -1;
        case T_FAILS_SILENTLY: return -3;
        case T_BAD_STATUS: ccx_http_response_set_status(response, 999); return 0;
        case T_NO_STATUS: return 0;
        default: break;
    }
    if (contains(url, "auth/login/")) {
        static const char token[] = "{\"token\":\"tok-123\"}";
        if (strcmp(method, "POST") != 0 || !contains(body, "\"email\"")) return -97;
        /* Ill-formed answers are refused by the setters themselves. */
        if (ccx_http_response_set_body(response, NULL, 3) != CCX_EINVALID) return -96;
        if (ccx_http_response_add_header(response, NULL, "x") != CCX_EINVALID) return -95;
        if (ccx_http_response_add_header(response, "x", NULL) != CCX_EINVALID) return -94;
        if (ccx_http_request_url(NULL, request) != CCX_EINVALID) return -93;
        if (ccx_http_response_set_status(response, 99) != CCX_EINVALID) return -92;
        ccx_http_response_set_status(response, 201);
        ccx_http_response_add_header(response, "Content-Type", "application/json");
        ccx_http_response_set_body(response, token, sizeof token - 1);
        return 0;
    }
    if (u->mode == T_HTML_BODY) {
        static const char html[] = "<html><body>Bad gateway, but with a 200</body></html>";
        ccx_http_response_set_status(response, 200);
        ccx_http_response_set_body(response, html, sizeof html - 1);
    } else if (u->mode == T_SERVER_ERROR) {
        ccx_http_response_set_status(response, 503);
        ccx_http_response_set_body(response, NULL, 0);
    } else {
        static const char list[] = "{\"content\":[1,2]}";
        ccx_http_response_set_status(response, 200);
        ccx_http_response_set_body(response, list, sizeof list - 1);
    }
    return 0;
}

static ccx_outcome *run_with_transport(struct transport_user *u) {
    ccx_config c = CCX_CONFIG_INIT;
    ccx_transport_vtable tv = CCX_TRANSPORT_VTABLE_INIT;
    tv.user = u;
    tv.send = scripted_send;
    c.transport_vtable = &tv; /* copied by ccx_context_new */
    c.iaas_url = "http://callback.test/iaas/";
    c.membership_url = "http://callback.test/membership/";
    c.username = "robot@example.com";
    c.password = "a-secret-password";
    c.api_key = "a-secret-api-key";
    return build_1501(&c, NULL);
}

TEST(a_context_with_a_transport_callback_has_no_in_memory_region) {
    struct transport_user u = {T_NO_RESPONSE, 0, 0};
    ccx_config c = CCX_CONFIG_INIT;
    ccx_transport_vtable tv = CCX_TRANSPORT_VTABLE_INIT;
    ccx_context *ctx = NULL;
    int state = 7;
    tv.user = &u;
    tv.send = scripted_send;
    c.transport_vtable = &tv;
    c.hosts = "recording";
    CHECK_RC(ccx_context_new(&ctx, &c), CCX_OK);
    CHECK_RC(ccx_context_region_state(&state, ctx, "vm", 1501), CCX_EUNSUPPORTED);
    CHECK(state == 0);
    ccx_context_free(ctx);
}

TEST(a_transport_callback_that_fails_gives_a_login_error_naming_its_message) {
    struct transport_user u = {T_NO_RESPONSE, 0, 0};
    ccx_outcome *o = run_with_transport(&u);
    CHECK(o && outcome_status(o) == CCX_STATUS_REJECTED);
    CHECK(o && outcome_has_error(o, "vm_kvm_build_0008", "connection refused by the test"));
    if (o) print_outcome(o);
    ccx_outcome_free(o);
    u.mode = T_FAILS_SILENTLY;
    u.calls = 0;
    o = run_with_transport(&u);
    CHECK(o && outcome_has_error(o, "vm_kvm_build_0008", "returned -3"));
    CHECK(u.calls >= 1);
    ccx_outcome_free(o);
}

TEST(a_transport_callback_that_answers_garbage_gives_a_clear_0xxx_error) {
    struct transport_user u = {T_BAD_STATUS, 0, 0};
    ccx_outcome *o = run_with_transport(&u);
    CHECK(o && outcome_status(o) == CCX_STATUS_REJECTED && outcome_has_error(o, "vm_kvm_build_0008", "invalid HTTP status 999"));
    ccx_outcome_free(o);

    u.mode = T_NO_STATUS;
    o = run_with_transport(&u);
    CHECK(o && outcome_has_error(o, "vm_kvm_build_0008", "without an HTTP status"));
    ccx_outcome_free(o);

    u.mode = T_HTML_BODY; /* login works, the resource read answers HTML */
    o = run_with_transport(&u);
    CHECK(o && outcome_status(o) == CCX_STATUS_REJECTED && outcome_has_error(o, "vm_kvm_build_0003", "not JSON"));
    CHECK(u.saw_token);
    if (o) print_outcome(o);
    ccx_outcome_free(o);

    u.mode = T_SERVER_ERROR;
    o = run_with_transport(&u);
    CHECK(o && outcome_has_error(o, "vm_kvm_build_0000", "503"));
    ccx_outcome_free(o);

    u.mode = T_NOT_OBJECT;
    o = run_with_transport(&u);
    CHECK(o && outcome_has_error(o, "vm_kvm_build_0003", "content object"));
    ccx_outcome_free(o);
}

TEST(secrets_given_in_the_config_never_reach_an_outcome) {
    struct transport_user u = {T_NO_RESPONSE, 0, 0};
    ccx_outcome *o = run_with_transport(&u);
    const char *json = NULL;
    CHECK(o != NULL);
    ccx_outcome_json(&json, o);
    CHECK(json && !contains(json, "a-secret-password") && !contains(json, "a-secret-api-key"));
    ccx_outcome_free(o);
}

/* ---- primitives callbacks ------------------------------------------------------------------- */

enum primitive_mode { P_OK, P_FAIL, P_RETURNS_ERROR, P_INCONSISTENT, P_CHANNEL, P_NOTHING, P_BAD_DATA, P_BAD_FAILURE };

struct primitives_user {
    enum primitive_mode mode;
    int calls;
    int saw_bridge;
};

static int scripted_call(void *user, const ccx_primitive_call *call, ccx_primitive_result *result) {
    struct primitives_user *u = (struct primitives_user *)user;
    const char *primitive = NULL, *action = NULL, *args = NULL;
    ++u->calls;
    ccx_primitive_call_primitive(&primitive, call);
    ccx_primitive_call_action(&action, call);
    ccx_primitive_call_args_json(&args, call);
    if (ccx_primitive_result_set(result, 1, NULL) != CCX_EINVALID || ccx_primitive_result_set_data_json(result, NULL) != CCX_EINVALID)
        return -90;
    if (strcmp(primitive, "bridge_kvm") == 0 && strcmp(action, "build") == 0 && contains(args, "\"host\""))
        u->saw_bridge = 1;
    switch (u->mode) {
        case P_OK:
            ccx_primitive_result_set(result, 1, "1000: done by the C test");
            ccx_primitive_result_set_data_json(result, "{\"note\":\"fine\"}");
            return 0;
        case P_FAIL: ccx_primitive_result_set(result, 0, "3021: disk full on the test host"); return 0;
        case P_RETURNS_ERROR: ccx_primitive_result_set(result, 0, "the C callback gave up"); return -2;
        case P_INCONSISTENT: ccx_primitive_result_set(result, 1, "3000: an error message with success"); return 0;
        case P_CHANNEL:
            ccx_primitive_result_set(result, 0, "3019: no route to host");
            ccx_primitive_result_set_failure(result, CCX_PRIMITIVE_CHANNEL);
            return 0;
        case P_NOTHING: return 0;
        case P_BAD_DATA:
            ccx_primitive_result_set(result, 1, "1000: ok");
            if (ccx_primitive_result_set_data_json(result, "{oops") != CCX_EINVALID) return -50;
            return 0;
        case P_BAD_FAILURE:
            ccx_primitive_result_set(result, 0, "3000: bad");
            if (ccx_primitive_result_set_failure(result, 77) != CCX_EINVALID) return -51;
            return 0;
    }
    return -1;
}

static ccx_outcome *run_with_primitives(struct primitives_user *u, ccx_context **ctx) {
    ccx_config c = CCX_CONFIG_INIT;
    ccx_primitives_vtable pv = CCX_PRIMITIVES_VTABLE_INIT;
    pv.user = u;
    pv.call = scripted_call;
    c.primitives_vtable = &pv;
    return build_1501(&c, ctx);
}

TEST(a_primitives_callback_runs_the_whole_plan) {
    struct primitives_user u = {P_OK, 0, 0};
    ccx_context *ctx = NULL;
    ccx_outcome *o = run_with_primitives(&u, &ctx);
    ccx_plan_report *plan = NULL;
    size_t calls = 0, commands = 9;
    CHECK(o && outcome_status(o) == CCX_STATUS_SUCCEEDED);
    CHECK(u.saw_bridge);
    CHECK_RC(ccx_plan(&plan, ctx, "vm_kvm", "build", 1601), CCX_OK);
    CHECK_RC(ccx_plan_report_call_count(&calls, plan), CCX_OK);
    CHECK(calls > 0);
    CHECK_RC(ccx_plan_report_command_count(&commands, plan, 0), CCX_OK);
    CHECK(commands == 0); /* the callback replaces the native catalogue: no host commands to show */
    CHECK_RC(ccx_context_host_command_count(&commands, ctx), CCX_EUNSUPPORTED);
    ccx_plan_report_free(plan);
    ccx_outcome_free(o);
    ccx_context_free(ctx);
}

TEST(a_primitive_failure_from_a_callback_fails_the_verb_and_unresources_the_vm) {
    struct primitives_user u = {P_FAIL, 0, 0};
    ccx_context *ctx = NULL;
    ccx_outcome *o = run_with_primitives(&u, &ctx);
    int state = -1, after = -1;
    CHECK(o && outcome_status(o) == CCX_STATUS_FAILED);
    CHECK(o && outcome_has_error(o, "vm_kvm_build_2002", "3021: disk full on the test host"));
    CHECK(o && outcome_has_error(o, "vm_kvm_build_1001", NULL));
    CHECK(u.calls == 1); /* the plan stops at the first failure */
    CHECK_RC(ccx_context_region_state(&state, ctx, "vm", 1501), CCX_OK);
    CHECK(state == 3);
    CHECK_RC(ccx_outcome_state_after(&after, o), CCX_OK);
    CHECK(after == 3);
    ccx_outcome_free(o);
    ccx_context_free(ctx);
}

TEST(primitives_callbacks_that_error_or_answer_garbage_give_clear_2xxx_errors) {
    struct primitives_user u = {P_RETURNS_ERROR, 0, 0};
    ccx_outcome *o = run_with_primitives(&u, NULL);
    CHECK(o && outcome_status(o) == CCX_STATUS_FAILED && outcome_has_error(o, "vm_kvm_build_2002", "returned -2: the C callback gave up"));
    ccx_outcome_free(o);
    u.mode = P_INCONSISTENT;
    o = run_with_primitives(&u, NULL);
    CHECK(o && outcome_has_error(o, "vm_kvm_build_2001", "3000"));
    ccx_outcome_free(o);
    u.mode = P_CHANNEL;
    o = run_with_primitives(&u, NULL);
    CHECK(o && outcome_has_error(o, "vm_kvm_build_2003", "no route to host"));
    ccx_outcome_free(o);
    u.mode = P_NOTHING;
    o = run_with_primitives(&u, NULL);
    CHECK(o && outcome_has_error(o, "vm_kvm_build_2002", "answered nothing"));
    ccx_outcome_free(o);
    u.mode = P_BAD_DATA;
    o = run_with_primitives(&u, NULL);
    CHECK(o && outcome_status(o) == CCX_STATUS_FAILED && outcome_has_error(o, "vm_kvm_build_2002", "not JSON"));
    ccx_outcome_free(o);
    u.mode = P_BAD_FAILURE;
    o = run_with_primitives(&u, NULL);
    CHECK(o && outcome_has_error(o, "vm_kvm_build_2002", "not a ccx_primitive_failure"));
    ccx_outcome_free(o);
}

/* ---- rcc callbacks -------------------------------------------------------------------------- */

enum rcc_mode { R_LIKE_A_FRESH_HOST, R_EXIT_1, R_CHANNEL, R_NO_EXIT };

struct rcc_user {
    enum rcc_mode mode;
    int calls;
    int posix;
};

static int scripted_run(void *user, const ccx_host_command *command, ccx_host_result *result) {
    struct rcc_user *u = (struct rcc_user *)user;
    const char *host = NULL, *login = NULL, *text = NULL, *assumed = NULL;
    int shell = -1, assumed_exit = -1;
    int64_t timeout = 0;
    ++u->calls;
    ccx_host_command_host(&host, command);
    ccx_host_command_user(&login, command);
    ccx_host_command_text(&text, command);
    ccx_host_command_shell(&shell, command);
    ccx_host_command_timeout_ms(&timeout, command);
    ccx_host_command_assumed(&assumed, &assumed_exit, command);
    if (shell == CCX_SHELL_POSIX && strcmp(login, "robot") == 0 && timeout > 0) ++u->posix;
    if (ccx_host_command_text(NULL, command) != CCX_EINVALID || ccx_host_result_set_output(result, NULL, NULL) != CCX_OK)
        return -90;
    switch (u->mode) {
        case R_LIKE_A_FRESH_HOST:
            ccx_host_result_set_output(result, assumed, "");
            ccx_host_result_set_exit(result, assumed_exit);
            return 0;
        case R_EXIT_1:
            ccx_host_result_set_output(result, "", "sudo: a password is required");
            ccx_host_result_set_exit(result, 1);
            return 0;
        case R_CHANNEL: ccx_host_result_set_channel_error(result, "ssh: connect to host refused"); return -1;
        case R_NO_EXIT: ccx_host_result_set_output(result, "something", ""); return 0;
    }
    return -1;
}

static ccx_outcome *run_with_rcc(struct rcc_user *u) {
    ccx_config c = CCX_CONFIG_INIT;
    ccx_rcc_vtable rv = CCX_RCC_VTABLE_INIT;
    rv.user = u;
    rv.run = scripted_run;
    c.rcc_vtable = &rv;
    return build_1501(&c, NULL);
}

TEST(an_rcc_callback_runs_the_native_primitives_commands) {
    struct rcc_user u = {R_LIKE_A_FRESH_HOST, 0, 0};
    ccx_outcome *o = run_with_rcc(&u);
    CHECK(o && outcome_status(o) == CCX_STATUS_SUCCEEDED);
    CHECK(u.calls > 3 && u.posix == u.calls);
    ccx_outcome_free(o);
}

TEST(rcc_callbacks_that_fail_or_answer_garbage_give_clear_2xxx_errors) {
    struct rcc_user u = {R_EXIT_1, 0, 0};
    ccx_outcome *o = run_with_rcc(&u);
    CHECK(o && outcome_status(o) == CCX_STATUS_FAILED && outcome_has_error(o, "vm_kvm_build_2002", "a password is required"));
    ccx_outcome_free(o);
    u.mode = R_CHANNEL;
    o = run_with_rcc(&u);
    CHECK(o && outcome_has_error(o, "vm_kvm_build_2003", "connect to host refused"));
    ccx_outcome_free(o);
    u.mode = R_NO_EXIT;
    o = run_with_rcc(&u);
    CHECK(o && outcome_has_error(o, "vm_kvm_build_2003", "without an exit code"));
    ccx_outcome_free(o);
}

/* ---- lock, tracer, notifier, clock callbacks ------------------------------------------------ */

enum lock_mode { L_GRANT, L_BUSY, L_BROKEN };

struct lock_user {
    enum lock_mode mode;
    int acquired;
    int released;
    int saw_vm_key;
    int token;
};

static int scripted_acquire(void *user, const char *const *keys, size_t count, int64_t timeout_ms, void **hold) {
    struct lock_user *u = (struct lock_user *)user;
    size_t i;
    (void)timeout_ms;
    for (i = 0; i < count; ++i)
        if (strcmp(keys[i], "vm:1501") == 0) u->saw_vm_key = 1;
    if (u->mode == L_BUSY) return CCX_LOCK_BUSY;
    if (u->mode == L_BROKEN) return -5;
    ++u->acquired;
    *hold = &u->token;
    return 0;
}

static void scripted_release(void *user, void *hold) {
    struct lock_user *u = (struct lock_user *)user;
    if (hold == &u->token) ++u->released;
}

static ccx_outcome *run_with_lock(struct lock_user *u, ccx_context **ctx) {
    ccx_config c = CCX_CONFIG_INIT;
    ccx_lock_vtable lv = CCX_LOCK_VTABLE_INIT;
    lv.user = u;
    lv.acquire = scripted_acquire;
    lv.release = scripted_release;
    c.lock_vtable = &lv;
    c.lock_retry_ms = 4321;
    return build_1501(&c, ctx);
}

TEST(a_lock_callback_holds_the_vm_for_the_run_and_is_released) {
    struct lock_user u = {L_GRANT, 0, 0, 0, 0};
    ccx_outcome *o = run_with_lock(&u, NULL);
    CHECK(o && outcome_status(o) == CCX_STATUS_SUCCEEDED);
    CHECK(u.acquired == 1 && u.released == 1 && u.saw_vm_key);
    ccx_outcome_free(o);
}

TEST(a_busy_lock_callback_postpones_and_a_broken_one_fails_without_touching_the_vm) {
    struct lock_user u = {L_BUSY, 0, 0, 0, 0};
    ccx_context *ctx = NULL;
    ccx_outcome *o = run_with_lock(&u, &ctx);
    int64_t retry = 0;
    int state = -1;
    CHECK(o && outcome_status(o) == CCX_STATUS_POSTPONED && outcome_has_error(o, "vm_kvm_build_1002", NULL));
    CHECK_RC(ccx_outcome_retry_after_ms(&retry, o), CCX_OK);
    CHECK(retry == 4321);
    ccx_outcome_free(o);
    ccx_context_free(ctx);
    u.mode = L_BROKEN;
    o = run_with_lock(&u, &ctx);
    CHECK(o && outcome_status(o) == CCX_STATUS_FAILED && outcome_has_error(o, "vm_kvm_build_1000", "lock callback returned -5"));
    CHECK_RC(ccx_context_region_state(&state, ctx, "vm", 1501), CCX_OK);
    CHECK(state == 1);
    CHECK(u.released == 0);
    ccx_outcome_free(o);
    ccx_context_free(ctx);
}

struct tracer_user {
    int started;
    int ended;
    int attributes;
    int root_children;
    char root_trace[33];
    char root_span[17];
};

static void *span_start(void *user, const char *name, const char *trace_id, const char *span_id, const char *parent) {
    struct tracer_user *u = (struct tracer_user *)user;
    ++u->started;
    if (parent == NULL && strcmp(name, "vm_kvm.build") == 0) {
        memcpy(u->root_trace, trace_id, 32);
        memcpy(u->root_span, span_id, 16);
    } else if (parent != NULL && strcmp(parent, u->root_span) == 0) {
        ++u->root_children;
    }
    return u;
}
static void span_attribute(void *user, void *span, const char *key, const char *value) {
    struct tracer_user *u = (struct tracer_user *)user;
    if (span == u && key && value) ++u->attributes;
}
static void span_end(void *user, void *span) {
    struct tracer_user *u = (struct tracer_user *)user;
    if (span == u) ++u->ended;
}

TEST(a_tracer_callback_sees_every_span_start_and_end_with_the_outcomes_trace_id) {
    struct tracer_user u;
    ccx_config c = CCX_CONFIG_INIT;
    ccx_tracer_vtable tv = CCX_TRACER_VTABLE_INIT;
    ccx_outcome *o;
    const char *trace = NULL;
    memset(&u, 0, sizeof u);
    tv.user = &u;
    tv.start = span_start;
    tv.set_attribute = span_attribute;
    tv.end = span_end; /* set_error stays NULL: allowed */
    c.tracer_vtable = &tv;
    o = build_1501(&c, NULL);
    CHECK(o && outcome_status(o) == CCX_STATUS_SUCCEEDED);
    CHECK(u.started > 5 && u.started == u.ended && u.attributes >= 3 && u.root_children >= 3);
    CHECK_RC(ccx_outcome_trace_id(&trace, o), CCX_OK);
    CHECK(trace && strcmp(trace, u.root_trace) == 0);
    ccx_outcome_free(o);
}

TEST(a_run_continues_the_callers_w3c_trace) {
    ccx_context *ctx = demo_context(NULL);
    ccx_outcome *o = NULL;
    const char *trace = NULL;
    CHECK_RC(ccx_run_traced(&o, ctx, "vm_kvm", "build", 1501, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), CCX_OK);
    CHECK_RC(ccx_outcome_trace_id(&trace, o), CCX_OK);
    CHECK(trace && strcmp(trace, "4bf92f3577b34da6a3ce929d0e0e4736") == 0);
    ccx_outcome_free(o);
    ccx_context_free(ctx);
}

struct notifier_user {
    int sent;
    int success_mail;
    int answer;
};

static int scripted_notify(void *user, const char *json) {
    struct notifier_user *u = (struct notifier_user *)user;
    ++u->sent;
    if (contains(json, "\"template\":\"vm_build_success\"") && contains(json, "\"to\":[")) ++u->success_mail;
    return u->answer;
}

TEST(a_notifier_callback_gets_the_emails_and_its_failure_changes_no_outcome) {
    struct notifier_user u = {0, 0, 0};
    ccx_config c = CCX_CONFIG_INIT;
    ccx_notifier_vtable nv = CCX_NOTIFIER_VTABLE_INIT;
    ccx_outcome *o;
    nv.user = &u;
    nv.send = scripted_notify;
    c.notifier_vtable = &nv;
    o = build_1501(&c, NULL);
    CHECK(o && outcome_status(o) == CCX_STATUS_SUCCEEDED && u.success_mail == 1);
    ccx_outcome_free(o);
    u.answer = -1;
    o = build_1501(&c, NULL);
    CHECK(o && outcome_status(o) == CCX_STATUS_SUCCEEDED && u.sent == 2);
    ccx_outcome_free(o);
}

struct clock_user {
    int64_t now;
    int reads;
    int sleeps;
};

static int64_t clock_now(void *user) {
    struct clock_user *u = (struct clock_user *)user;
    ++u->reads;
    return u->now;
}
static int64_t clock_wall(void *user) {
    struct clock_user *u = (struct clock_user *)user;
    ++u->reads;
    return (int64_t)1795000000 * 1000000000 + u->now;
}
static void clock_sleep(void *user, int64_t ns) {
    struct clock_user *u = (struct clock_user *)user;
    ++u->sleeps;
    u->now += ns;
}

TEST(a_clock_callback_drives_the_runs_time) {
    struct clock_user u = {1000, 0, 0};
    ccx_config c = CCX_CONFIG_INIT;
    ccx_clock_vtable cv = CCX_CLOCK_VTABLE_INIT;
    ccx_outcome *o;
    cv.user = &u;
    cv.now_ns = clock_now;
    cv.wall_ns = clock_wall;
    cv.sleep_ns = clock_sleep;
    c.clock_vtable = &cv;
    o = build_1501(&c, NULL);
    CHECK(o && outcome_status(o) == CCX_STATUS_SUCCEEDED);
    CHECK(u.reads > 0);
    ccx_outcome_free(o);
}

TEST(callbacks_see_borrowed_objects_and_setters_refuse_ill_formed_values) {
    /* Setters on a real response object are exercised by the callbacks above; here: values
     * that are ill-formed whatever the object. */
    struct transport_user u = {T_BAD_STATUS, 0, 0};
    ccx_outcome *o = run_with_transport(&u);
    CHECK(ccx_last_error_code() == CCX_EINVALID && contains(ccx_last_error(), "999"));
    ccx_outcome_free(o);
}

/* ---- threads -------------------------------------------------------------------------------- */

struct worker {
    ccx_context *ctx;
    int64_t id;
    const char *verb;
    int rc;
    int status;
    char code[64];
    char last_error[256];
};

static void *work(void *arg) {
    struct worker *w = (struct worker *)arg;
    ccx_outcome *o = NULL;
    const char *code = NULL;
    ccx_error_clear();
    w->rc = ccx_run(&o, w->ctx, "vm_kvm", w->verb, w->id);
    strncpy(w->last_error, ccx_last_error(), sizeof w->last_error - 1);
    w->status = o ? outcome_status(o) : -1;
    if (o && ccx_outcome_error(&code, NULL, o, 0) == CCX_OK) strncpy(w->code, code, sizeof w->code - 1);
    ccx_outcome_free(o);
    return NULL;
}

TEST(one_context_serves_concurrent_runs_and_each_thread_has_its_own_last_error) {
    ccx_context *ctx = demo_context(NULL);
    struct worker w[3];
    pthread_t t[3];
    int i;
    memset(w, 0, sizeof w);
    w[0].id = 1501, w[0].verb = "build"; /* succeeds */
    w[1].id = 1601, w[1].verb = "build"; /* its project's virtual router is UNRESOURCED: 0007 */
    w[2].id = 1501, w[2].verb = "bild";  /* refused, with this thread's own last error */
    ccx_error_clear();
    CHECK_RC(ccx_registry_find("vm_kvm", "main-thread-error"), CCX_ENOTFOUND);
    for (i = 0; i < 3; ++i) {
        w[i].ctx = ctx;
        CHECK(pthread_create(&t[i], NULL, work, &w[i]) == 0);
    }
    for (i = 0; i < 3; ++i) pthread_join(t[i], NULL);
    CHECK(w[0].rc == CCX_OK && w[0].status == CCX_STATUS_SUCCEEDED && strcmp(w[0].last_error, "") == 0);
    CHECK(w[1].rc == CCX_OK && w[1].status == CCX_STATUS_FAILED && strcmp(w[1].code, "vm_kvm_build_0007") == 0);
    CHECK(w[2].rc == CCX_ENOTFOUND && contains(w[2].last_error, "vm_kvm.bild"));
    CHECK(contains(ccx_last_error(), "main-thread-error"));
    ccx_context_free(ctx);
}

/* ---- the built-in https transport and Jerry locks against the IaaS simulator ---------------- */

/* The simulator as a child process over HTTPS on a free loopback port, with a throw-away CA made
 * by openssl in `dir`. It dies with this process (PR_SET_PDEATHSIG) if the test itself dies. */
struct simulator {
    char dir[64];
    char ca[128];
    char iaas_url[96];
    char membership_url[96];
    pid_t pid;
};

static int make_certificates(const char *dir) {
    char command[1536];
    snprintf(command, sizeof command,
             "cd '%s' && (printf 'subjectAltName=IP:127.0.0.1\\n' > server.ext && "
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 -subj '/CN=ccx c test CA' && "
             "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=127.0.0.1' && "
             "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 1 "
             "-extfile server.ext) >openssl.log 2>&1",
             dir);
    return system(command) == 0;
}

static int start_simulator(struct simulator *sim) {
    char port_file[128], cert[128], key[128], log[128];
    int port = 0, i;
    memset(sim, 0, sizeof *sim);
    sim->pid = -1;
    strcpy(sim->dir, "/tmp/ccx-c-sim-XXXXXX");
    if (g_sim_path == NULL || mkdtemp(sim->dir) == NULL) return 0;
    snprintf(sim->ca, sizeof sim->ca, "%s/ca.pem", sim->dir);
    snprintf(port_file, sizeof port_file, "%s/port", sim->dir);
    snprintf(cert, sizeof cert, "%s/server.pem", sim->dir);
    snprintf(key, sizeof key, "%s/server.key", sim->dir);
    snprintf(log, sizeof log, "%s/sim.log", sim->dir);
    if (!make_certificates(sim->dir)) return 0;
    sim->pid = fork();
    if (sim->pid < 0) return 0;
    if (sim->pid == 0) {
        FILE *err = freopen(log, "w", stderr), *out = freopen("/dev/null", "w", stdout);
        (void)err;
        (void)out;
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        execl(g_sim_path, g_sim_path, "--port", "0", "--port-file", port_file, "--cert", cert, "--key", key,
              (char *)NULL);
        _exit(127);
    }
    for (i = 0; i < 500 && port == 0; ++i) { /* up to 10 s */
        struct timespec wait = {0, 20 * 1000 * 1000};
        char *text = read_file(port_file);
        if (text != NULL) port = atoi(text);
        free(text);
        if (port == 0) nanosleep(&wait, NULL);
    }
    if (port == 0) return 0;
    snprintf(sim->iaas_url, sizeof sim->iaas_url, "https://127.0.0.1:%d/iaas/", port);
    snprintf(sim->membership_url, sizeof sim->membership_url, "https://127.0.0.1:%d/membership/", port);
    return 1;
}

/* Stops the simulator (SIGTERM, then waits) and removes its folder; safe after a failed start. */
static void stop_simulator(struct simulator *sim) {
    char command[128];
    if (sim->pid > 0) {
        int status = 0;
        kill(sim->pid, SIGTERM);
        waitpid(sim->pid, &status, 0);
        sim->pid = -1;
    }
    if (strncmp(sim->dir, "/tmp/ccx-c-sim-", 15) == 0) {
        snprintf(command, sizeof command, "rm -rf '%s'", sim->dir);
        CHECK(system(command) == 0);
    }
}

/* A config for the simulator: the built-in https transport, the demo region's credentials. */
static ccx_config simulator_config(const struct simulator *sim) {
    ccx_config c = CCX_CONFIG_INIT;
    c.iaas_url = sim->iaas_url;
    c.membership_url = sim->membership_url;
    c.ca_file = sim->ca;
    c.username = "robot@demo.cloudcix.local";
    c.password = "demo-robot-password";
    c.api_key = "demo-api-key-0001"; /* the credentials of data/demo-region.json, which the simulator serves */
    c.hosts = "recording";
    return c;
}

static int metrics_contain(ccx_context *ctx, const char *line) {
    char *text = NULL;
    int found;
    if (ccx_metrics_text(&text, ctx) != CCX_OK) return 0;
    found = contains(text, line);
    if (!found) fprintf(stderr, "    metrics without %s:\n%s", line, text);
    ccx_string_free(text);
    return found;
}

/* One VM build over HTTPS under the Jerry lock `lock`, then the same run again (skipped). */
static void build_on_the_simulator(const char *lock) {
    struct simulator sim;
    ccx_config c;
    ccx_context *ctx = NULL;
    ccx_outcome *o = NULL;
    int before = -1, after = -1;
    size_t commands = 0;
    if (!start_simulator(&sim)) {
        CHECK(!"the simulator started");
        stop_simulator(&sim);
        return;
    }
    c = simulator_config(&sim);
    c.lock = lock;
    c.lock_slots = 4;
    c.lock_lease_ms = 2000;
    CHECK_RC(ccx_context_new(&ctx, &c), CCX_OK);
    if (ctx != NULL) {
        CHECK_RC(ccx_run(&o, ctx, "vm_kvm", "build", 1501), CCX_OK);
        CHECK(o != NULL && outcome_status(o) == CCX_STATUS_SUCCEEDED);
        CHECK_RC(ccx_outcome_state_before(&before, o), CCX_OK);
        CHECK_RC(ccx_outcome_state_after(&after, o), CCX_OK);
        CHECK(before == 1 && after == 4);
        if (o != NULL && outcome_status(o) != CCX_STATUS_SUCCEEDED) print_outcome(o);
        ccx_outcome_free(o);
        o = NULL;
        CHECK_RC(ccx_context_host_command_count(&commands, ctx), CCX_OK);
        CHECK(commands > 0);
        /* the simulator keeps the state the run wrote: a second run finds the VM RUNNING */
        CHECK_RC(ccx_run(&o, ctx, "vm_kvm", "build", 1501), CCX_OK);
        CHECK(o != NULL && outcome_status(o) == CCX_STATUS_SKIPPED);
        ccx_outcome_free(o);
        CHECK(metrics_contain(ctx, "ccx_tasks_total{driver=\"vm_kvm\",verb=\"build\",outcome=\"succeeded\"} 1"));
        CHECK(metrics_contain(ctx, "ccx_tasks_total{driver=\"vm_kvm\",verb=\"build\",outcome=\"skipped\"} 1"));
        CHECK(metrics_contain(ctx, "ccx_lock_wait_seconds_count{driver=\"vm_kvm\",verb=\"build\"}"));
        /* the in-memory region is not this transport's */
        CHECK_RC(ccx_context_region_state(&before, ctx, "vm", 1501), CCX_EUNSUPPORTED);
        ccx_context_free(ctx);
    }
    stop_simulator(&sim);
}

TEST(a_vm_builds_over_the_builtin_https_transport_under_a_jerry_lock_in_memory) { build_on_the_simulator("memory"); }

TEST(a_vm_builds_over_the_builtin_https_transport_under_a_jerry_lock_in_a_shm_file) {
    char dir[] = "/tmp/ccx-c-shm-XXXXXX", store[96], path[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/locks", dir);
    snprintf(store, sizeof store, "shm:%s", path);
    build_on_the_simulator(store);
    CHECK(access(path, F_OK) == 0); /* the lock's registers lived in that file */
    unlink(path);
    rmdir(dir);
}

/* A free TCP port on 127.0.0.1 (0 when none could be found), and whether something listens on one. */
static int loopback_port(int port, int listen_check) {
    struct sockaddr_in a;
    socklen_t n = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), result = 0;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    if (fd < 0) return 0;
    if (listen_check)
        result = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    else if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &n) == 0)
        result = ntohs(a.sin_port);
    close(fd);
    return result;
}

TEST(a_vm_builds_over_the_builtin_https_transport_under_a_jerry_lock_in_redis) {
    int port = loopback_port(0, 0), i, up = 0, status = 0;
    char port_text[16], store[64];
    pid_t redis;
    CHECK(port > 0);
    snprintf(port_text, sizeof port_text, "%d", port);
    redis = fork();
    if (redis == 0) {
        FILE *out = freopen("/dev/null", "w", stdout), *err = freopen("/dev/null", "w", stderr);
        (void)out;
        (void)err;
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        execlp("redis-server", "redis-server", "--port", port_text, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", (char *)NULL);
        _exit(127);
    }
    CHECK(redis > 0);
    for (i = 0; i < 250 && redis > 0 && !up; ++i) { /* up to 5 s */
        struct timespec wait = {0, 20 * 1000 * 1000};
        up = loopback_port(port, 1);
        if (!up) nanosleep(&wait, NULL);
    }
    CHECK(up);
    if (up) {
        snprintf(store, sizeof store, "redis://127.0.0.1:%d/3", port);
        build_on_the_simulator(store);
    }
    if (redis > 0) {
        kill(redis, SIGTERM);
        waitpid(redis, &status, 0);
    }
}

TEST(the_https_transport_refuses_a_server_it_cannot_verify_unless_told_to_be_insecure) {
    struct simulator sim;
    ccx_config c;
    ccx_outcome *o = NULL;
    ccx_context *ctx = NULL;
    if (!start_simulator(&sim)) {
        CHECK(!"the simulator started");
        stop_simulator(&sim);
        return;
    }
    c = simulator_config(&sim);
    c.ca_file = "/etc/ssl/certs/ca-certificates.crt"; /* the system store: not the throw-away CA */
    if (access(c.ca_file, R_OK) != 0) c.ca_file = NULL;
    CHECK_RC(ccx_context_new(&ctx, &c), CCX_OK);
    if (ctx != NULL) {
        CHECK_RC(ccx_run(&o, ctx, "vm_kvm", "build", 1501), CCX_OK);
        CHECK(o != NULL && outcome_status(o) == CCX_STATUS_REJECTED);
        CHECK(o != NULL && outcome_has_error(o, "vm_kvm_build_0008", "certificate verification failed"));
        if (o != NULL && !outcome_has_error(o, "vm_kvm_build_0008", "certificate")) print_outcome(o);
        CHECK(metrics_contain(ctx, "ccx_tasks_total{driver=\"vm_kvm\",verb=\"build\",outcome=\"rejected\"} 1"));
        CHECK(metrics_contain(ctx, "ccx_api_errors_total{driver=\"vm_kvm\",verb=\"build\",code=\"0008\"} 1"));
        ccx_outcome_free(o);
        ccx_context_free(ctx);
    }
    ctx = NULL;
    c.insecure = 1;
    CHECK_RC(ccx_context_new(&ctx, &c), CCX_OK);
    if (ctx != NULL) {
        CHECK_RC(ccx_run(&o, ctx, "vm_kvm", "build", 1501), CCX_OK);
        CHECK(o != NULL && outcome_status(o) == CCX_STATUS_SUCCEEDED);
        ccx_outcome_free(o);
        ccx_context_free(ctx);
    }
    stop_simulator(&sim);
}

/* Two contexts naming one shm: store share the Jerry lock: while a run on the first holds VM
 * #1501 (its primitives callback waits at a gate), a run on the second is postponed. */
struct gate {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    int entered, open;
};

static int gated_call(void *user, const ccx_primitive_call *call, ccx_primitive_result *result) {
    struct gate *g = (struct gate *)user;
    (void)call;
    pthread_mutex_lock(&g->mutex);
    g->entered = 1;
    pthread_cond_broadcast(&g->cond);
    while (!g->open) pthread_cond_wait(&g->cond, &g->mutex);
    pthread_mutex_unlock(&g->mutex);
    return ccx_primitive_result_set(result, 1, "1000: done behind the gate");
}

struct gated_run {
    ccx_context *ctx;
    int rc, status;
};

static void *run_gated(void *arg) {
    struct gated_run *r = (struct gated_run *)arg;
    ccx_outcome *o = NULL;
    r->rc = ccx_run(&o, r->ctx, "vm_kvm", "build", 1501);
    r->status = o != NULL ? outcome_status(o) : -1;
    ccx_outcome_free(o);
    return NULL;
}

TEST(two_contexts_on_one_shm_lock_store_exclude_each_other) {
    char dir[] = "/tmp/ccx-c-shm-XXXXXX", store[96], path[64];
    struct gate g;
    struct gated_run first = {NULL, -1, -1};
    ccx_primitives_vtable pv = CCX_PRIMITIVES_VTABLE_INIT;
    ccx_config a = CCX_CONFIG_INIT, b = CCX_CONFIG_INIT;
    ccx_context *second = NULL;
    ccx_outcome *o = NULL;
    pthread_t t;
    int64_t retry = 0;
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/locks", dir);
    snprintf(store, sizeof store, "shm:%s", path);
    pthread_mutex_init(&g.mutex, NULL);
    pthread_cond_init(&g.cond, NULL);
    g.entered = g.open = 0;
    pv.user = &g;
    pv.call = gated_call;
    a.lock = b.lock = store;
    a.primitives_vtable = &pv;
    b.hosts = "recording";
    b.lock_timeout_ms = 300;
    b.lock_retry_ms = 4321;
    CHECK_RC(ccx_context_new(&first.ctx, &a), CCX_OK);
    CHECK_RC(ccx_context_new(&second, &b), CCX_OK);
    if (first.ctx != NULL && second != NULL && pthread_create(&t, NULL, run_gated, &first) == 0) {
        pthread_mutex_lock(&g.mutex);
        while (!g.entered) pthread_cond_wait(&g.cond, &g.mutex); /* the first run holds the lock */
        pthread_mutex_unlock(&g.mutex);
        CHECK_RC(ccx_run(&o, second, "vm_kvm", "build", 1501), CCX_OK);
        CHECK(o != NULL && outcome_status(o) == CCX_STATUS_POSTPONED && outcome_has_error(o, "vm_kvm_build_1002", NULL));
        CHECK(o != NULL && ccx_outcome_retry_after_ms(&retry, o) == CCX_OK && retry == 4321);
        if (o != NULL && outcome_status(o) != CCX_STATUS_POSTPONED) print_outcome(o);
        ccx_outcome_free(o);
        o = NULL;
        pthread_mutex_lock(&g.mutex);
        g.open = 1;
        pthread_cond_broadcast(&g.cond);
        pthread_mutex_unlock(&g.mutex);
        pthread_join(t, NULL);
        CHECK(first.rc == CCX_OK && first.status == CCX_STATUS_SUCCEEDED);
        CHECK_RC(ccx_run(&o, second, "vm_kvm", "build", 1501), CCX_OK); /* released: its turn now */
        CHECK(o != NULL && outcome_status(o) == CCX_STATUS_SUCCEEDED);
        ccx_outcome_free(o);
        CHECK(metrics_contain(second, "ccx_lock_timeouts_total{driver=\"vm_kvm\",verb=\"build\"} 1"));
    }
    ccx_context_free(first.ctx);
    ccx_context_free(second);
    pthread_cond_destroy(&g.cond);
    pthread_mutex_destroy(&g.mutex);
    unlink(path);
    rmdir(dir);
}

TEST(metrics_text_refuses_null_and_is_the_callers_to_free) {
    ccx_context *ctx = demo_context(NULL);
    ccx_outcome *o = NULL;
    char *text = (char *)g_tmp;
    CHECK_RC(ccx_metrics_text(NULL, ctx), CCX_EINVALID);
    CHECK_RC(ccx_metrics_text(&text, NULL), CCX_EINVALID);
    CHECK(text == NULL);
    ccx_string_free(NULL);
    CHECK(ctx != NULL);
    if (ctx == NULL) return;
    CHECK_RC(ccx_metrics_text(&text, ctx), CCX_OK);
    CHECK(contains(text, "ccx_build_info{") && !contains(text, "ccx_tasks_total{"));
    ccx_string_free(text);
    CHECK_RC(ccx_run(&o, ctx, "vm_kvm", "build", 1601), CCX_OK); /* 0007: its router is unresourced */
    ccx_outcome_free(o);
    CHECK(metrics_contain(ctx, "ccx_tasks_total{driver=\"vm_kvm\",verb=\"build\",outcome=\"failed\"} 1"));
    CHECK(metrics_contain(ctx, "ccx_errors_total{driver=\"vm_kvm\",verb=\"build\",code=\"0007\"} 1"));
    ccx_context_free(ctx);
}

int main(int argc, char **argv) {
    g_region_path = argc > 1 ? argv[1] : NULL;
    g_sim_path = argc > 2 ? argv[2] : NULL;
    RUN(the_header_compiles_alone_and_its_init_macros_initialise_every_struct);
    RUN(the_library_reports_the_headers_version);
    RUN(error_codes_have_names_and_the_last_error_is_per_call);
    RUN(the_registry_lists_51_verbs_and_suggests_near_names);
    RUN(states_statuses_and_error_codes_have_names);
    RUN(a_config_is_checked_before_anything_is_wired);
    RUN(a_config_can_start_from_the_cloudcix_environment);
    RUN(production_built_ins_are_wired_and_ill_formed_arguments_are_invalid);
    RUN(a_version_1_config_is_read_without_the_fields_version_2_appended);
    RUN(a_demo_vm_build_succeeds_and_a_second_run_skips);
    RUN(unknown_names_and_bad_ids_are_codes_and_a_missing_resource_is_a_rejected_outcome);
    RUN(outcome_and_plan_accessors_refuse_null_and_out_of_range);
    RUN(a_plan_lists_the_primitive_calls_and_host_commands_without_changing_anything);
    RUN(a_region_from_json_and_file_outputs_work_as_built_ins);
    RUN(a_transport_callback_that_fails_gives_a_login_error_naming_its_message);
    RUN(a_transport_callback_that_answers_garbage_gives_a_clear_0xxx_error);
    RUN(a_context_with_a_transport_callback_has_no_in_memory_region);
    RUN(secrets_given_in_the_config_never_reach_an_outcome);
    RUN(a_primitives_callback_runs_the_whole_plan);
    RUN(a_primitive_failure_from_a_callback_fails_the_verb_and_unresources_the_vm);
    RUN(primitives_callbacks_that_error_or_answer_garbage_give_clear_2xxx_errors);
    RUN(an_rcc_callback_runs_the_native_primitives_commands);
    RUN(rcc_callbacks_that_fail_or_answer_garbage_give_clear_2xxx_errors);
    RUN(a_lock_callback_holds_the_vm_for_the_run_and_is_released);
    RUN(a_busy_lock_callback_postpones_and_a_broken_one_fails_without_touching_the_vm);
    RUN(a_tracer_callback_sees_every_span_start_and_end_with_the_outcomes_trace_id);
    RUN(a_run_continues_the_callers_w3c_trace);
    RUN(a_notifier_callback_gets_the_emails_and_its_failure_changes_no_outcome);
    RUN(a_clock_callback_drives_the_runs_time);
    RUN(callbacks_see_borrowed_objects_and_setters_refuse_ill_formed_values);
    RUN(one_context_serves_concurrent_runs_and_each_thread_has_its_own_last_error);
    RUN(metrics_text_refuses_null_and_is_the_callers_to_free);
    RUN(two_contexts_on_one_shm_lock_store_exclude_each_other);
    RUN(a_vm_builds_over_the_builtin_https_transport_under_a_jerry_lock_in_memory);
    RUN(a_vm_builds_over_the_builtin_https_transport_under_a_jerry_lock_in_a_shm_file);
    RUN(a_vm_builds_over_the_builtin_https_transport_under_a_jerry_lock_in_redis);
    RUN(the_https_transport_refuses_a_server_it_cannot_verify_unless_told_to_be_insecure);
    fprintf(stderr, "%d check(s), %d failure(s)\n", g_checks, g_failures);
    return g_failures == 0 ? 0 : 1;
}
