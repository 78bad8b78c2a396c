// ccx_context_new: reads a versioned ccx_config and wires every port, either from the caller's
// vtable or from a built-in chosen by name. The built-ins are one table per port below: a name
// whose factory is null is known but not compiled into this build (CCX_EUNSUPPORTED), so a new
// built-in is one line here and no change to the C ABI. The production built-ins (HTTPS, Jerry
// locks, SSH, OTLP, SMTP) are made by the same library factories the example programs use.
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <stdexcept>

#include "cloudcix_drivers/lock/peterson.hpp"
#include "cloudcix_drivers/native_primitives.hpp"
#include "cloudcix_drivers/notify/smtp.hpp"
#include "cloudcix_drivers/rcc/ssh.hpp"
#include "cloudcix_drivers/tracer/otlp.hpp"
#include "cloudcix_drivers/transport/http.hpp"
#include "internal.hpp"

namespace cloudcix::drivers::capi {
namespace {

namespace json = boost::json;

// What the built-in factories see while a context is being wired.
struct Wiring {
    ccx_context& c;
    const ccx_config& cfg;
};

// A built-in: `name` matches exactly, or, ending in ':' or "://", as a prefix whose rest is
// the argument (a path, an address).
template <class T>
struct Builtin {
    std::string_view name;
    int (*make)(Wiring&, std::string_view arg, std::unique_ptr<T>& out);
};

bool has_prefix(std::string_view s, std::string_view p) {
    return s.substr(0, p.size()) == p;
}

template <class T, std::size_t N>
int choose(const char* port, std::string_view name, const Builtin<T> (&table)[N], Wiring& w, std::unique_ptr<T>& out) {
    std::string known;
    for (const auto& b : table) {
        known += (known.empty() ? "" : ", ") + std::string(b.name) + (b.make ? "" : " (not in this build)");
        bool prefix = b.name.back() == ':' || b.name.ends_with("://");
        if (prefix ? !has_prefix(name, b.name) : name != b.name) continue;
        if (b.make == nullptr)
            return fail(CCX_EUNSUPPORTED,
                        std::string(port) + " '" + std::string(name) +
                            "' is not compiled into this build of cloudcix_drivers " CCX_VERSION_STRING);
        return b.make(w, prefix ? name.substr(b.name.size()) : std::string_view{}, out);
    }
    return fail(CCX_ENOTFOUND, "unknown " + std::string(port) + " '" + std::string(name) + "' (known: " + known + ")");
}

// Credentials of an in-memory region, used when the caller gave none.
void region_credentials(Wiring& w, const json::object& region) {
    auto& iaas = w.c.config.iaas;
    if (w.cfg.username != nullptr) return;
    const auto* creds = region.if_contains("credentials");
    if (creds == nullptr || !creds->is_object()) return;
    auto field = [&](const char* k) {
        const auto* v = creds->get_object().if_contains(k);
        return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    iaas.username = field("email");
    iaas.password = field("password");
    iaas.api_key = field("api_key");
    secrets::remember(iaas.password);
    secrets::remember(iaas.api_key);
}

int in_memory(Wiring& w, json::object region, std::unique_ptr<Transport>& out) {
    region_credentials(w, region);
    w.c.region = std::make_shared<IaasRegion>(std::move(region));
    if (w.cfg.iaas_url == nullptr) w.c.config.iaas.iaas_url = std::string(MemoryIaas::iaas_url);
    if (w.cfg.membership_url == nullptr) w.c.config.iaas.membership_url = std::string(MemoryIaas::membership_url);
    out = std::make_unique<MemoryIaas>(w.c.region);
    return CCX_OK;
}

int memory_demo(Wiring& w, std::string_view, std::unique_ptr<Transport>& out) {
    return in_memory(w, json::parse(demo_region_json()).as_object(), out);
}

int memory_region(Wiring& w, std::string_view, std::unique_ptr<Transport>& out) {
    if (w.cfg.region_json == nullptr) return fail(CCX_EINVALID, "transport 'memory' needs region_json");
    boost::system::error_code ec;
    auto v = json::parse(w.cfg.region_json, ec);
    if (ec || !v.is_object())
        return fail(CCX_EINVALID,
                    "region_json is not a JSON object" + (ec ? " (" + ec.message() + ")" : std::string()));
    return in_memory(w, std::move(v.as_object()), out);
}

// TLS settings shared by the https transport and the OTLP tracer's exporter.
HttpOptions http_options(const Wiring& w) {
    HttpOptions http;
    if (w.cfg.ca_file != nullptr) http.ca_file = w.cfg.ca_file;
    http.insecure = w.cfg.insecure != 0;
    http.log = w.c.log.get();
    return http;
}

int https(Wiring& w, std::string_view, std::unique_ptr<Transport>& out) {
    try {
        out = make_iaas_transport(w.c.config.iaas, http_options(w));
    } catch (const std::invalid_argument& e) {
        return fail(CCX_EINVALID, std::string("transport 'https': ") + e.what());
    } catch (const std::runtime_error& e) {  // trust anchors that cannot be loaded
        return fail(CCX_EINVALID, std::string("transport 'https': ") + e.what());
    }
    return CCX_OK;
}

constexpr Builtin<Transport> kTransports[] = {
    {"memory-demo", memory_demo}, {"memory", memory_region}, {"https", https},
};

int in_process_lock(Wiring&, std::string_view, std::unique_ptr<Lock>& out) {
    out = std::make_unique<InProcessLock>();
    return CCX_OK;
}

// A Jerry lock over the store the name gives (make_lock parses it, as for the CLI's --lock-store).
int jerry_lock(Wiring& w, std::string store, std::unique_ptr<Lock>& out) {
    LockConfig config;
    config.store = std::move(store);
    if (w.cfg.lock_slots != 0) config.participants = static_cast<std::size_t>(w.cfg.lock_slots);
    if (w.cfg.lock_lease_ms != 0) config.lease = std::chrono::milliseconds(w.cfg.lock_lease_ms);
    try {
        out = make_lock(config);
    } catch (const std::invalid_argument& e) {
        return fail(CCX_EINVALID, e.what());  // "lock store 'shm:PATH' needs a path", ...
    } catch (const std::runtime_error& e) {  // a store that cannot be reached or opened
        return fail(CCX_ERROR, "lock '" + config.store + "': " + secrets::redact(e.what()));
    }
    return CCX_OK;
}

int jerry_memory(Wiring& w, std::string_view, std::unique_ptr<Lock>& out) {
    return jerry_lock(w, "memory", out);
}

int jerry_shm(Wiring& w, std::string_view path, std::unique_ptr<Lock>& out) {
    return jerry_lock(w, "shm:" + std::string(path), out);
}

int jerry_redis(Wiring& w, std::string_view address, std::unique_ptr<Lock>& out) {
    return jerry_lock(w, "redis://" + std::string(address), out);
}

constexpr Builtin<Lock> kLocks[] = {
    {"in-process", in_process_lock},
    {"memory", jerry_memory},
    {"shm:", jerry_shm},
    {"redis://", jerry_redis},
};

// Built-in hosts keep every command in the context (ccx_context_host_command).
class KeptRcc final : public Rcc {
public:
    KeptRcc(std::unique_ptr<Rcc> inner, HostLog& log) : inner_(std::move(inner)), log_(log) {}
    RccResult run(const HostCommand& command) override {
        log_.add(command);
        return inner_->run(command);
    }

private:
    std::unique_ptr<Rcc> inner_;
    HostLog& log_;
};

int dry_run(Wiring& w, std::string_view path, std::unique_ptr<Rcc>& out) {
    std::ostream* stream = &std::cerr;
    if (!path.empty()) {
        w.c.hosts_file = std::make_unique<std::ofstream>(std::string(path), std::ios::app);
        if (!*w.c.hosts_file)
            return fail(CCX_EINVALID, "hosts 'dry-run:" + std::string(path) + "': cannot open the file for appending");
        stream = w.c.hosts_file.get();
    }
    w.c.keeps_hosts = true;
    out = std::make_unique<KeptRcc>(std::make_unique<DryRunRcc>(*stream), w.c.host_log);
    return CCX_OK;
}

int recording(Wiring& w, std::string_view, std::unique_ptr<Rcc>& out) {
    w.c.keeps_hosts = true;
    out = std::make_unique<KeptRcc>(std::make_unique<RecordingRcc>(), w.c.host_log);
    return CCX_OK;
}

int ssh(Wiring& w, std::string_view, std::unique_ptr<Rcc>& out) {
    SshOptions o;
    if (w.cfg.ssh_config != nullptr) {
        o.config_file = w.cfg.ssh_config;
        // Refused now rather than as a channel failure of every command.
        if (::access(o.config_file.c_str(), R_OK) != 0)
            return fail(CCX_EINVALID, "hosts 'ssh': cannot read the SSH configuration file '" + o.config_file +
                                          "': " + std::strerror(errno));
    }
    o.log = w.c.log.get();
    out = std::make_unique<SshRcc>(std::move(o));
    return CCX_OK;
}

constexpr Builtin<Rcc> kHosts[] = {
    {"dry-run", dry_run}, {"dry-run:", dry_run}, {"recording", recording}, {"ssh", ssh},
};

int no_tracer(Wiring&, std::string_view, std::unique_ptr<Tracer>& out) {
    out.reset();  // the engine's own no-op spans
    return CCX_OK;
}

int log_tracer(Wiring& w, std::string_view, std::unique_ptr<Tracer>& out) {
    LogSink* sink = w.c.log.get();
    if (sink == nullptr) {
        w.c.trace_log = std::make_unique<StreamLogSink>(std::cerr, LogLevel::debug);
        sink = w.c.trace_log.get();
    }
    out = std::make_unique<LogTracer>(*sink);
    return CCX_OK;
}

// OTLP/HTTP JSON through an HttpTransport of the tracer's own (the context's transport may be an
// in-memory region or a callback).
int otlp_tracer(Wiring& w, std::string_view url, std::unique_ptr<Tracer>& out) {
    if (!parse_url(url))
        return fail(CCX_EINVALID, "tracer 'otlp:" + std::string(url) +
                                      "': the collector must be an http:// or https:// URL, e.g. "
                                      "otlp:http://127.0.0.1:4318");
    try {
        w.c.tracer_transport = std::make_unique<HttpTransport>(http_options(w));
    } catch (const std::runtime_error& e) {
        return fail(CCX_EINVALID, "tracer 'otlp:" + std::string(url) + "': " + e.what());
    }
    OtlpOptions o;
    o.endpoint = std::string(url);
    o.resource_attributes.emplace_back("cloudcix.region", w.c.config.region_name);
    out = std::make_unique<OtlpTracer>(*w.c.tracer_transport, std::move(o));
    return CCX_OK;
}

constexpr Builtin<Tracer> kTracers[] = {
    {"none", no_tracer}, {"log", log_tracer}, {"otlp:", otlp_tracer},
};

int no_notifier(Wiring&, std::string_view, std::unique_ptr<Notifier>& out) {
    out.reset();  // e-mails are only logged
    return CCX_OK;
}

int outbox(Wiring& w, std::string_view path, std::unique_ptr<Notifier>& out) {
    std::ostream* stream = &std::cerr;
    if (!path.empty()) {
        w.c.outbox_file = std::make_unique<std::ofstream>(std::string(path), std::ios::app);
        if (!*w.c.outbox_file)
            return fail(CCX_EINVALID,
                        "notifier 'outbox:" + std::string(path) + "': cannot open the file for appending");
        stream = w.c.outbox_file.get();
    }
    out = std::make_unique<OutboxNotifier>(*stream);
    return CCX_OK;
}

// "smtp": everything from CLOUDCIX_EMAIL_*; "smtp://HOST[:PORT]": that server (port 25 when
// none is given), the rest from the environment.
int smtp_notifier(Wiring& w, const std::string& name, const std::optional<ParsedUrl>& server,
                  std::unique_ptr<Notifier>& out) {
    SmtpOptions o;
    try {
        o = smtp_options_from_environment();
    } catch (const std::invalid_argument& e) {
        return fail(CCX_EINVALID, "notifier '" + name + "': " + e.what());
    }
    if (server) {
        o.host = server->host;
        o.port = server->port;
    }
    if (o.host.empty())
        return fail(CCX_EINVALID, "notifier 'smtp' needs CLOUDCIX_EMAIL_HOST (or names the server: smtp://HOST:PORT)");
    if (w.cfg.ca_file != nullptr) o.ca_file = w.cfg.ca_file;  // a relay with a private CA
    o.verify_peer = w.cfg.insecure == 0;
    o.organization_url = w.c.config.organization_url;
    o.log = w.c.log.get();
    out = std::make_unique<SmtpNotifier>(std::move(o));
    return CCX_OK;
}

int smtp_from_environment(Wiring& w, std::string_view, std::unique_ptr<Notifier>& out) {
    return smtp_notifier(w, "smtp", std::nullopt, out);
}

int smtp_server(Wiring& w, std::string_view address, std::unique_ptr<Notifier>& out) {
    const std::string name = "smtp://" + std::string(address);
    // An SMTP address is a URL authority: the URL parser knows bracketed IPv6 and ports.
    std::string_view after_host = address;
    if (!address.empty() && address.front() == '[') after_host = address.substr(std::min(address.find(']'), address.size()));
    const bool has_port = after_host.find(':') != std::string_view::npos;
    auto url = parse_url("http://" + std::string(address) + (has_port ? "" : ":25"));
    if (address.empty() || !url || url->host.empty() || url->target != "/")
        return fail(CCX_EINVALID, "notifier '" + name + "': expected smtp://HOST or smtp://HOST:PORT");
    return smtp_notifier(w, name, url, out);
}

constexpr Builtin<Notifier> kNotifiers[] = {
    {"none", no_notifier}, {"outbox", outbox}, {"outbox:", outbox}, {"smtp", smtp_from_environment}, {"smtp://", smtp_server},
};

int system_clock_builtin(Wiring&, std::string_view, std::unique_ptr<Clock>& out) {
    out.reset();  // the process's clocks
    return CCX_OK;
}

int manual_clock(Wiring&, std::string_view, std::unique_ptr<Clock>& out) {
    out = std::make_unique<ManualClock>();
    return CCX_OK;
}

constexpr Builtin<Clock> kClocks[] = {
    {"system", system_clock_builtin},
    {"manual", manual_clock},
};

std::string_view name_or(const char* name, std::string_view fallback) {
    return name != nullptr && *name != '\0' ? std::string_view(name) : fallback;
}

std::chrono::milliseconds ms_or(std::int64_t ms, std::chrono::milliseconds fallback) {
    return ms > 0 ? std::chrono::milliseconds(ms) : fallback;
}

int check_config(const ccx_config& cfg) {
    if (cfg.version <= 0)
        return fail(CCX_EVERSION, "ccx_config has version " + std::to_string(cfg.version) +
                                      ": initialise it with CCX_CONFIG_INIT or ccx_config_init()");
    if (cfg.version > CCX_CONFIG_VERSION)
        return fail(CCX_EVERSION, "ccx_config has version " + std::to_string(cfg.version) +
                                      ", newer than this library's " + std::to_string(CCX_CONFIG_VERSION));
    if (cfg.log_level < 0 || cfg.log_level > 3)
        return fail(CCX_EINVALID, "log_level must be 0..3, got " + std::to_string(cfg.log_level));
    if (cfg.lock_timeout_ms < 0 || cfg.lock_retry_ms < 0 || cfg.request_timeout_ms < 0 || cfg.lock_lease_ms < 0)
        return fail(CCX_EINVALID, "timeouts must not be negative");
    if (cfg.lock_slots != 0 && (cfg.lock_slots < 2 || cfg.lock_slots > 256))
        return fail(CCX_EINVALID, "lock_slots must be 2..256 (or 0: 16), got " + std::to_string(cfg.lock_slots));
    if (cfg.lock_lease_ms != 0 && cfg.lock_lease_ms < 20)
        return fail(CCX_EINVALID, "lock_lease_ms must be at least 20 (or 0: 10000), got " + std::to_string(cfg.lock_lease_ms));
    int rc = CCX_OK;
    if (cfg.transport_vtable && (rc = check_vtable("transport", cfg.transport_vtable->version, CCX_TRANSPORT_VERSION,
                                                   cfg.transport_vtable->send != nullptr)))
        return rc;
    if (cfg.lock_vtable &&
        (rc = check_vtable("lock", cfg.lock_vtable->version, CCX_LOCK_VERSION, cfg.lock_vtable->acquire != nullptr)))
        return rc;
    if (cfg.tracer_vtable && (rc = check_vtable("tracer", cfg.tracer_vtable->version, CCX_TRACER_VERSION, true)))
        return rc;
    if (cfg.primitives_vtable && (rc = check_vtable("primitives", cfg.primitives_vtable->version,
                                                    CCX_PRIMITIVES_VERSION, cfg.primitives_vtable->call != nullptr)))
        return rc;
    if (cfg.rcc_vtable &&
        (rc = check_vtable("rcc", cfg.rcc_vtable->version, CCX_RCC_VERSION, cfg.rcc_vtable->run != nullptr)))
        return rc;
    if (cfg.notifier_vtable && (rc = check_vtable("notifier", cfg.notifier_vtable->version, CCX_NOTIFIER_VERSION,
                                                  cfg.notifier_vtable->send != nullptr)))
        return rc;
    if (cfg.clock_vtable &&
        (rc = check_vtable("clock", cfg.clock_vtable->version, CCX_CLOCK_VERSION,
                           cfg.clock_vtable->now_ns && cfg.clock_vtable->wall_ns && cfg.clock_vtable->sleep_ns)))
        return rc;
    return CCX_OK;
}

int wire(ccx_context& c, const ccx_config& cfg) {
    Wiring w{c, cfg};
    Config& conf = c.config;
    if (cfg.from_environment) conf = Config::from_environment();
    if (cfg.iaas_url) conf.iaas.iaas_url = cfg.iaas_url;
    if (cfg.membership_url) conf.iaas.membership_url = cfg.membership_url;
    if (cfg.username) conf.iaas.username = cfg.username;
    if (cfg.password) conf.iaas.password = cfg.password;
    if (cfg.api_key) conf.iaas.api_key = cfg.api_key;
    secrets::remember(conf.iaas.password);
    secrets::remember(conf.iaas.api_key);
    conf.iaas.request_timeout = ms_or(cfg.request_timeout_ms, conf.iaas.request_timeout);
    conf.lock_timeout = ms_or(cfg.lock_timeout_ms, conf.lock_timeout);
    conf.lock_retry = ms_or(cfg.lock_retry_ms, conf.lock_retry);
    if (cfg.compute_ui_url) conf.compute_ui_url = cfg.compute_ui_url;
    if (cfg.organization_url) conf.organization_url = cfg.organization_url;
    if (cfg.region_name) conf.region_name = cfg.region_name;
    if (cfg.send_to_fail) {
        conf.send_to_fail.clear();
        std::string_view s = cfg.send_to_fail;
        while (!s.empty()) {
            auto comma = s.find(',');
            auto part = s.substr(0, comma);
            while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
            while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
            if (!part.empty()) conf.send_to_fail.emplace_back(part);
            if (comma == std::string_view::npos) break;
            s.remove_prefix(comma + 1);
        }
    }

    int rc = CCX_OK;
    // Log first: the log tracer writes to it.
    std::string_view log = name_or(cfg.log, "none");
    if (log == "stderr")
        c.log = std::make_unique<StreamLogSink>(std::cerr, static_cast<LogLevel>(cfg.log_level));
    else if (log != "none")
        return fail(CCX_ENOTFOUND, "unknown log '" + std::string(log) + "' (known: none, stderr)");

    // Clock.
    if (cfg.clock_vtable)
        c.clock_owned = make_clock(*cfg.clock_vtable);
    else if ((rc = choose("clock", name_or(cfg.clock, "system"), kClocks, w, c.clock_owned)))
        return rc;
    c.clock = c.clock_owned ? c.clock_owned.get() : &system_clock();

    // Transport: a callback, or a built-in chosen by name or by the URL's scheme.
    if (cfg.transport_vtable) {
        c.transport = make_transport(*cfg.transport_vtable);
        if (conf.iaas.iaas_url.empty()) conf.iaas.iaas_url = std::string(MemoryIaas::iaas_url);
        if (conf.iaas.membership_url.empty()) conf.iaas.membership_url = std::string(MemoryIaas::membership_url);
    } else {
        std::string_view url = conf.iaas.iaas_url;
        std::string_view fallback = url.empty() || has_prefix(url, "memory://") ? "memory-demo" : "https";
        if ((rc = choose("transport", name_or(cfg.transport, fallback), kTransports, w, c.transport))) return rc;
    }
    c.iaas = std::make_unique<IaasClient>(*c.transport, *c.clock, conf.iaas);

    // Lock.
    if (cfg.lock_vtable)
        c.lock = make_lock(*cfg.lock_vtable);
    else if ((rc = choose("lock", name_or(cfg.lock, "in-process"), kLocks, w, c.lock)))
        return rc;

    // Primitives: a callback replaces the catalogue; otherwise the native catalogue over hosts.
    if (cfg.primitives_vtable) {
        c.primitives = make_primitives(*cfg.primitives_vtable);
        c.native_primitives = false;
    } else {
        if (cfg.rcc_vtable)
            c.rcc = make_rcc(*cfg.rcc_vtable);
        else if ((rc = choose("hosts", name_or(cfg.hosts, "dry-run"), kHosts, w, c.rcc)))
            return rc;
        c.primitives = std::make_unique<NativePrimitives>(*c.rcc, *c.clock, conf);
    }

    // Tracer and notifier.
    if (cfg.tracer_vtable)
        c.tracer = make_tracer(*cfg.tracer_vtable);
    else if ((rc = choose("tracer", name_or(cfg.tracer, "none"), kTracers, w, c.tracer)))
        return rc;
    if (cfg.notifier_vtable)
        c.notifier = make_notifier(*cfg.notifier_vtable);
    else if ((rc = choose("notifier", name_or(cfg.notifier, "none"), kNotifiers, w, c.notifier)))
        return rc;

    c.ctx.iaas = c.iaas.get();
    c.ctx.lock = c.lock.get();
    c.ctx.primitives = c.primitives.get();
    c.ctx.tracer = c.tracer.get();
    c.ctx.notifier = c.notifier.get();
    c.ctx.clock = c.clock;
    c.ctx.log = c.log.get();
    c.metrics = std::make_unique<Metrics>(conf.region_name);
    c.ctx.metrics = c.metrics.get();
    c.ctx.config = conf;
    return CCX_OK;
}

}  // namespace

// The size of each version's ccx_config: a version's fields end where the next version's begin.
std::size_t config_size(int version) {
    switch (version) {
        case 1: return offsetof(ccx_config, ca_file);
        case CCX_CONFIG_VERSION: return sizeof(ccx_config);
        default: return 0;
    }
}
static_assert(CCX_CONFIG_VERSION == 2, "add the new version's size to config_size()");

}  // namespace cloudcix::drivers::capi

using cloudcix::drivers::capi::fail;
using cloudcix::drivers::capi::guard;

extern "C" {

int ccx_config_init(ccx_config* config, int version) noexcept {
    CCX_REQUIRE(config);
    const std::size_t size = cloudcix::drivers::capi::config_size(version);
    if (size == 0)
        return fail(CCX_EVERSION, "ccx_config_init: this library knows config versions 1 to " +
                                      std::to_string(CCX_CONFIG_VERSION) + ", not " + std::to_string(version));
    ccx_config init = CCX_CONFIG_INIT;
    init.version = version;
    std::memcpy(config, &init, size);  // an older caller's struct is only that long
    return CCX_OK;
}

size_t ccx_config_size(int version) noexcept {
    return cloudcix::drivers::capi::config_size(version);
}

int ccx_context_new(ccx_context** out, const ccx_config* config) noexcept {
    CCX_REQUIRE(out);
    *out = nullptr;
    return guard([&]() -> int {
        // An older caller's struct is shorter: read its version's fields over the defaults.
        ccx_config cfg = CCX_CONFIG_INIT;
        if (config != nullptr) {
            const std::size_t size = cloudcix::drivers::capi::config_size(config->version);
            if (size == 0) {
                cfg.version = config->version;  // check_config names the problem
            } else {
                std::memcpy(&cfg, config, size);
            }
        }
        if (int rc = cloudcix::drivers::capi::check_config(cfg)) return rc;
        auto c = std::make_unique<ccx_context>();
        if (int rc = cloudcix::drivers::capi::wire(*c, cfg)) return rc;
        *out = c.release();
        return CCX_OK;
    });
}

void ccx_context_free(ccx_context* ctx) noexcept {
    // Destruction only releases memory and closes files: nothing in it throws.
    delete ctx;
}

int ccx_context_host_command_count(size_t* out, ccx_context* ctx) noexcept {
    CCX_REQUIRE(out);
    *out = 0;
    CCX_REQUIRE(ctx);
    if (!ctx->keeps_hosts)
        return fail(CCX_EUNSUPPORTED, "this context's hosts are not the built-in dry-run or recording hosts");
    std::lock_guard lock(ctx->host_log.mutex);
    *out = ctx->host_log.entries.size();
    return CCX_OK;
}

int ccx_context_host_command(const char** out_host, const char** out_command, ccx_context* ctx, size_t index) noexcept {
    if (out_host) *out_host = nullptr;
    if (out_command) *out_command = nullptr;
    CCX_REQUIRE(ctx);
    if (!ctx->keeps_hosts)
        return fail(CCX_EUNSUPPORTED, "this context's hosts are not the built-in dry-run or recording hosts");
    std::lock_guard lock(ctx->host_log.mutex);
    if (index >= ctx->host_log.entries.size())
        return fail(CCX_ENOTFOUND, "host command index " + std::to_string(index) + " is out of range (" +
                                       std::to_string(ctx->host_log.entries.size()) + ")");
    const auto& e = ctx->host_log.entries[index];
    if (out_host) *out_host = e.host.c_str();
    if (out_command) *out_command = e.command.c_str();
    return CCX_OK;
}

int ccx_metrics_text(char** out, ccx_context* ctx) noexcept {
    CCX_REQUIRE(out);
    *out = nullptr;
    CCX_REQUIRE(ctx);
    return guard([&]() -> int {
        const std::string text = ctx->metrics->render();
        char* copy = static_cast<char*>(std::malloc(text.size() + 1));
        if (copy == nullptr) return fail(CCX_ENOMEM, "out of memory");
        std::memcpy(copy, text.c_str(), text.size() + 1);
        *out = copy;
        return CCX_OK;
    });
}

void ccx_string_free(char* s) noexcept {
    std::free(s);
}

int ccx_context_region_state(int* out, ccx_context* ctx, const char* service, int64_t id) noexcept {
    CCX_REQUIRE(out);
    *out = 0;
    CCX_REQUIRE(ctx);
    CCX_REQUIRE(service);
    return guard([&]() -> int {
        if (!ctx->region) return fail(CCX_EUNSUPPORTED, "this context's transport holds no in-memory region");
        auto s = ctx->region->state(service, id);
        if (!s) return fail(CCX_ENOTFOUND, std::string(service) + " #" + std::to_string(id) + " is not in the region");
        *out = static_cast<int>(*s);
        return CCX_OK;
    });
}

}  // extern "C"
