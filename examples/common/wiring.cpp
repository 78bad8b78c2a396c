#include "wiring.hpp"

#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include <unistd.h>

#include <boost/json/parse.hpp>

#include "cloudcix_drivers/transport/http.hpp"

namespace cloudcix::examples {

namespace ccx = cloudcix::drivers;
namespace json = boost::json;

const char* const iaas_options_usage =
    R"(  --hosts dry-run              host channel: print each host command instead of running it
                               (the default against the embedded demo region; required to be
                               explicit against a real IaaS URL)
  --hosts ssh                  host channel: run each host command over SSH (libssh) on the
                               address the API gives for the server (IPv6 included)
  --ssh-config FILE            OpenSSH client config (Host, HostName, Port, User, IdentityFile,
                               UserKnownHostsFile, StrictHostKeyChecking); default ~/.ssh/config
  --ssh-user USER              log in as USER (default: the config's User, else the primitive's
                               user: robot / administrator)
  --ssh-key FILE               private key to authenticate with (repeatable; default: the
                               config's IdentityFile, ssh-agent, ~/.ssh/id_*)
  --ssh-port PORT              SSH port (default: the config's Port, else 22)
  --known-hosts FILE           known hosts file (default: the config's UserKnownHostsFile,
                               else ~/.ssh/known_hosts); unknown host keys are refused
  --ssh-accept-unknown-hosts   accept host keys that are not in the known hosts file (warned;
                               a changed key is still refused). Not for production.
  --iaas-url URL               IaaS API root (default: $CLOUDCIX_IAAS_URL; none: the embedded demo)
  --membership-url URL         Membership API root (default: $CLOUDCIX_MEMBERSHIP_URL)
  --ca-file FILE               trust these CA certificates for https (default: $CLOUDCIX_CA_FILE,
                               else the system store)
  --insecure                   do not verify the server's certificate (warned on every connection)
  --lock-store STORE           Jerry lock store shared by workers: memory, shm:PATH or
                               redis://HOST:PORT/N (default: an in-process lock)
  --lock-slots N               Jerry lock participants over all workers, default 16
  --lock-lease-ms MS           Jerry lock lease, default 10000
  --mail outbox|smtp           e-mails: one JSON line each on stderr (default), or sent over SMTP
                               (STARTTLS required) with $CLOUDCIX_EMAIL_HOST, _PORT (25), _USER,
                               _PASSWORD, _REPLY_TO and templates from $CLOUDCIX_EMAIL_TEMPLATES
  --quiet                      only warnings and errors on stderr
)";

bool take_iaas_option(IaasOptions& o, int argc, char** argv, int& i, const std::function<void(const std::string&)>& usage_error) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
        if (i + 1 >= argc) {
            usage_error(a + " needs a value");
            return {};
        }
        return argv[++i];
    };
    auto number = [&](long lo, long hi) -> long {
        std::string v = value();
        try {
            std::size_t used = 0;
            long n = std::stol(v, &used);
            if (used == v.size() && n >= lo && n <= hi) return n;
        } catch (...) {
        }
        usage_error(a + " needs a number from " + std::to_string(lo) + " to " + std::to_string(hi));
        return lo;
    };
    if (a == "--hosts") {
        o.hosts = value();
    } else if (a == "--iaas-url") {
        o.iaas_url = value();
    } else if (a == "--membership-url") {
        o.membership_url = value();
    } else if (a == "--ca-file") {
        o.ca_file = value();
    } else if (a == "--insecure") {
        o.insecure = true;
    } else if (a == "--quiet") {
        o.quiet = true;
    } else if (a == "--ssh-config") {
        o.ssh.config_file = value();
        o.ssh_options_given = true;
    } else if (a == "--ssh-user") {
        o.ssh.user = value();
        o.ssh_options_given = true;
    } else if (a == "--ssh-key") {
        o.ssh.identity_files.push_back(value());
        o.ssh_options_given = true;
    } else if (a == "--known-hosts") {
        o.ssh.known_hosts_file = value();
        o.ssh_options_given = true;
    } else if (a == "--ssh-accept-unknown-hosts") {
        o.ssh.strict_host_key_checking = false;
        o.ssh_options_given = true;
    } else if (a == "--ssh-port") {
        o.ssh.port = static_cast<unsigned>(number(1, 65535));
        o.ssh_options_given = true;
    } else if (a == "--mail") {
        o.mail = value();
        if (o.mail != "outbox" && o.mail != "smtp") usage_error("unknown --mail '" + o.mail + "' (outbox, smtp)");
    } else if (a == "--lock-store") {
        o.lock_store = value();
    } else if (a == "--lock-slots") {
        o.lock_slots = static_cast<int>(number(2, 256));
    } else if (a == "--lock-lease-ms") {
        o.lock_lease_ms = static_cast<int>(number(1, 86400000));
    } else {
        return false;
    }
    return true;
}

const char* const obs_options_usage =
    R"(  --log-format text|json       library log lines as text (default) or as JSON lines with time,
                               level, logger, message, trace_id, span_id, driver, verb,
                               resource_id, application, region, service
  --log-file PATH              append the log lines to PATH instead of stderr
  --logstash HOST:PORT         also stream JSON log lines to Logstash (tcp input, json_lines codec)
  --otlp-endpoint URL          export spans as OTLP/HTTP JSON to URL/v1/traces (e.g.
                               http://127.0.0.1:4318); https honours --ca-file and --insecure
)";

const char* const metrics_options_usage =
    R"(  --metrics-port N             serve Prometheus metrics at http://ADDR:N/metrics (0: any free
                               port, announced on stderr)
  --metrics-bind ADDR          address for --metrics-port, default 127.0.0.1 (loopback)
)";

namespace {

// "host:port" or "[v6]:port" with a port from 1 to 65535.
bool split_host_port(const std::string& text, std::string& host, std::uint16_t& port) {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
    host = text.substr(0, colon);
    if (host.front() == '[') {
        if (host.size() < 3 || host.back() != ']') return false;
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string::npos) {
        return false;  // an IPv6 address needs brackets
    }
    std::string digits = text.substr(colon + 1);
    if (digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) return false;
    long n = std::stol(digits);
    if (n < 1 || n > 65535) return false;
    port = static_cast<std::uint16_t>(n);
    return host.find_first_of(" /\t") == std::string::npos;
}

}  // namespace

bool take_obs_option(ObsOptions& o, int argc, char** argv, int& i, const std::function<void(const std::string&)>& usage_error) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
        if (i + 1 >= argc) {
            usage_error(a + " needs a value");
            return {};
        }
        return argv[++i];
    };
    if (a == "--log-format") {
        o.log_format = value();
        if (o.log_format != "text" && o.log_format != "json") usage_error("unknown --log-format '" + o.log_format + "' (text, json)");
    } else if (a == "--log-file") {
        o.log_file = value();
        if (o.log_file.empty()) usage_error("--log-file needs a path");
    } else if (a == "--logstash") {
        std::string v = value();
        if (!split_host_port(v, o.logstash_host, o.logstash_port))
            usage_error("--logstash needs HOST:PORT with a port from 1 to 65535, got '" + v + "'");
    } else if (a == "--otlp-endpoint") {
        o.otlp_endpoint = value();
        if (!ccx::parse_url(o.otlp_endpoint))
            usage_error("--otlp-endpoint needs an http:// or https:// URL, got '" + o.otlp_endpoint + "'");
    } else if (a == "--metrics-port") {
        std::string v = value();
        long n = -1;
        if (!v.empty() && v.size() <= 5 && v.find_first_not_of("0123456789") == std::string::npos) n = std::stol(v);
        if (n < 0 || n > 65535) usage_error("--metrics-port needs a port number from 0 to 65535, got '" + v + "'");
        o.metrics_port = static_cast<int>(n);
    } else if (a == "--metrics-bind") {
        o.metrics_bind = value();
        if (o.metrics_bind.empty()) usage_error("--metrics-bind needs an address");
    } else {
        return false;
    }
    return true;
}

Observability::Observability(const ObsOptions& o, std::string service, std::string region, bool quiet,
                             const std::string& ca_file, bool insecure)
    : options_(o), service_(std::move(service)), metrics_(region) {
    auto min = quiet ? ccx::LogLevel::warning : ccx::LogLevel::info;
    ccx::LogFields fields{{"application", "robot"}, {"region", region}, {"service", service_}};
    std::ostream* out = &std::cerr;
    if (!o.log_file.empty()) {
        file_ = std::make_unique<std::ofstream>(o.log_file, std::ios::app);
        if (!*file_) throw std::invalid_argument("cannot open --log-file '" + o.log_file + "' for appending");
        out = file_.get();
    }
    if (o.log_format == "json") main_ = std::make_unique<ccx::JsonLogSink>(*out, min, fields);
    else main_ = std::make_unique<ccx::StreamLogSink>(*out, min);
    tee_.add(*main_);
    if (!o.logstash_host.empty()) {
        ccx::LogstashOptions lo;
        lo.min = min;
        lo.fields = fields;
        logstash_ = std::make_unique<ccx::LogstashSink>(o.logstash_host, o.logstash_port, lo);
        tee_.add(*logstash_);
    }
    if (!o.otlp_endpoint.empty()) {
        ccx::HttpOptions http;
        http.ca_file = ca_file;
        http.insecure = insecure;
        http.log = main_.get();
        http.max_attempts = 2;  // the exporter retries nothing else; a batch is small
        try {
            otlp_transport_ = std::make_unique<ccx::HttpTransport>(http);
        } catch (const std::runtime_error& e) {
            throw std::invalid_argument(std::string("--otlp-endpoint: ") + e.what());
        }
        ccx::OtlpOptions to;
        to.endpoint = o.otlp_endpoint;
        to.service_name = service_;
        char host[256] = {};
        if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
        to.resource_attributes = {{"cloudcix.region", region},
                                  {"service.instance.id", std::string(host) + ":" + std::to_string(::getpid())}};
        tracer_ = std::make_unique<ccx::OtlpTracer>(*otlp_transport_, to);
    }
}

Observability::~Observability() {
    server_.reset();
    if (tracer_) {
        tracer_->shutdown();  // flushes what is queued, bounded by the request timeout
        auto st = tracer_->stats();
        if (st.dropped > 0)
            std::cerr << service_ << ": " << st.dropped << " of " << st.ended << " span(s) did not reach " << options_.otlp_endpoint
                      << (st.last_error.empty() ? "" : ": " + ccx::secrets::redact(st.last_error)) << "\n";
    }
    if (logstash_ && !logstash_->flush(std::chrono::seconds(5))) {
        auto st = logstash_->stats();
        std::cerr << service_ << ": log records still queued for Logstash " << options_.logstash_host << ":"
                  << options_.logstash_port << (st.last_error.empty() ? "" : ": " + st.last_error) << "\n";
    }
}

std::uint16_t Observability::serve_metrics() {
    if (options_.metrics_port < 0) return 0;
    if (!server_)
        server_ = std::make_unique<ccx::MetricsServer>(metrics_, options_.metrics_bind,
                                                       static_cast<std::uint16_t>(options_.metrics_port));
    std::string host = options_.metrics_bind.find(':') != std::string::npos ? "[" + options_.metrics_bind + "]" : options_.metrics_bind;
    std::cerr << service_ << ": metrics on http://" << host << ":" << server_->port() << "/metrics\n";
    return server_->port();
}

bool Observability::flush(std::chrono::milliseconds timeout) {
    bool ok = true;
    if (tracer_) ok = tracer_->flush(timeout) && ok;
    if (logstash_) ok = logstash_->flush(timeout) && ok;
    return ok;
}

Wiring::Wiring(const IaasOptions& o, std::ostream& commands, std::string_view program, const ObsOptions& obs_options)
    : obs(obs_options, std::string(program), config.region_name, o.quiet, o.ca_file, o.insecure), log(obs.log()), outbox(std::cerr) {
    if (!o.iaas_url.empty()) config.iaas.iaas_url = o.iaas_url;
    if (!o.membership_url.empty()) config.iaas.membership_url = o.membership_url;
    bool demo = config.iaas.iaas_url.empty();
    // A dry run against a real IaaS would report RUNNING for a VM that was never built: there
    // the host channel must be chosen explicitly.
    std::string hosts = o.hosts.empty() && demo ? "dry-run" : o.hosts;
    if (hosts.empty()) throw std::invalid_argument("--hosts is required against a real IaaS (dry-run or ssh)");
    if (hosts != "dry-run" && hosts != "ssh") throw std::invalid_argument("unknown --hosts '" + hosts + "' (dry-run, ssh)");
    if (hosts != "ssh" && o.ssh_options_given)
        throw std::invalid_argument("the --ssh-* and --known-hosts options need --hosts ssh");
    if (demo) {
        std::cerr << program << ": no IaaS URL configured: using the embedded demo region (in memory) with "
                  << (hosts == "ssh" ? "hosts over SSH" : "dry-run hosts") << "\n";
        region = ccx::IaasRegion::demo();
        transport = std::make_unique<ccx::MemoryIaas>(region);
        auto creds = json::parse(ccx::demo_region_json()).at("credentials").as_object();
        config.iaas.iaas_url = std::string(ccx::MemoryIaas::iaas_url);
        config.iaas.membership_url = std::string(ccx::MemoryIaas::membership_url);
        config.iaas.username = std::string(creds.at("email").as_string());
        config.iaas.password = std::string(creds.at("password").as_string());
        config.iaas.api_key = std::string(creds.at("api_key").as_string());
        config.send_to_fail = {"noc@demo.cloudcix.local"};
        config.compute_ui_url = "https://portal.demo.cloudcix.local/compute/";
        if (config.podnet.cpe.empty()) config.podnet.cpe = "185.49.60.2";  // the demo PodNet's public IPsec address
        ccx::secrets::remember(config.iaas.password);
        ccx::secrets::remember(config.iaas.api_key);
    } else {
        if (config.iaas.membership_url.empty())
            throw std::invalid_argument("--membership-url (or $CLOUDCIX_MEMBERSHIP_URL) is required with --iaas-url");
        ccx::secrets::remember(config.iaas.password);
        ccx::secrets::remember(config.iaas.api_key);
        ccx::HttpOptions http;
        http.ca_file = o.ca_file;
        http.insecure = o.insecure;
        http.log = &log;
        transport = ccx::make_iaas_transport(config.iaas, http);  // invalid_argument on a bad URL
    }
    if (hosts == "ssh") {
        ccx::SshOptions ssh = o.ssh;
        ssh.log = &log;
        rcc = std::make_unique<ccx::SshRcc>(std::move(ssh));
    } else {
        rcc = std::make_unique<ccx::DryRunRcc>(commands);
    }
    iaas = std::make_unique<ccx::IaasClient>(*transport, ccx::system_clock(), config.iaas);
    primitives = std::make_unique<ccx::NativePrimitives>(*rcc, ccx::system_clock(), config);
    ctx.iaas = iaas.get();
    ctx.lock = &lock;
    if (!o.lock_store.empty()) {
        jerry = ccx::make_lock({o.lock_store, static_cast<std::size_t>(o.lock_slots),
                                std::chrono::milliseconds(o.lock_lease_ms)});  // invalid_argument on a bad store
        ctx.lock = jerry.get();
    }
    ctx.primitives = primitives.get();
    ctx.notifier = &outbox;
    if (o.mail == "smtp") {
        ccx::SmtpOptions mail = ccx::smtp_options_from_environment();
        if (mail.host.empty()) throw std::invalid_argument("--mail smtp needs CLOUDCIX_EMAIL_HOST");
        mail.organization_url = config.organization_url;
        mail.log = &log;
        smtp = std::make_unique<ccx::SmtpNotifier>(std::move(mail));
        ctx.notifier = smtp.get();
    }
    ctx.log = &log;
    ctx.tracer = obs.tracer();
    ctx.metrics = &obs.metrics();
    ctx.config = config;
}

}  // namespace cloudcix::examples
