#include "wiring.hpp"

#include <iostream>
#include <stdexcept>

#include <boost/json/parse.hpp>

#include "cloudcix_drivers/transport/http.hpp"

namespace cloudcix::examples {

namespace ccx = cloudcix::drivers;
namespace json = boost::json;

const char* const iaas_options_usage =
    R"(  --hosts dry-run              host channel: print each host command instead of running it
                               (the default against the embedded demo region; required to be
                               explicit against a real IaaS URL)
  --iaas-url URL               IaaS API root (default: $CLOUDCIX_IAAS_URL; none: the embedded demo)
  --membership-url URL         Membership API root (default: $CLOUDCIX_MEMBERSHIP_URL)
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
    if (a == "--hosts") {
        o.hosts = value();
    } else if (a == "--iaas-url") {
        o.iaas_url = value();
    } else if (a == "--membership-url") {
        o.membership_url = value();
    } else if (a == "--quiet") {
        o.quiet = true;
    } else {
        return false;
    }
    return true;
}

Wiring::Wiring(const IaasOptions& o, std::ostream& commands, std::string_view program)
    : log(std::cerr, o.quiet ? ccx::LogLevel::warning : ccx::LogLevel::info), outbox(std::cerr) {
    if (!o.iaas_url.empty()) config.iaas.iaas_url = o.iaas_url;
    if (!o.membership_url.empty()) config.iaas.membership_url = o.membership_url;
    bool demo = config.iaas.iaas_url.empty();
    // A dry run against a real IaaS would report RUNNING for a VM that was never built: there
    // the host channel must be chosen explicitly.
    std::string hosts = o.hosts.empty() && demo ? "dry-run" : o.hosts;
    if (hosts.empty()) throw std::invalid_argument("--hosts is required against a real IaaS (dry-run)");
    if (hosts != "dry-run") throw std::invalid_argument("unknown --hosts '" + hosts + "' (dry-run)");
    if (demo) {
        std::cerr << program
                  << ": no IaaS URL configured: using the embedded demo region (in memory) with dry-run hosts\n";
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
        ccx::secrets::remember(config.iaas.password);
        ccx::secrets::remember(config.iaas.api_key);
    } else {
        if (config.iaas.membership_url.empty())
            throw std::invalid_argument("--membership-url (or $CLOUDCIX_MEMBERSHIP_URL) is required with --iaas-url");
        if (config.iaas.username.empty() || config.iaas.password.empty())
            throw std::invalid_argument("$CLOUDCIX_API_USERNAME and $CLOUDCIX_API_PASSWORD are required with --iaas-url");
        ccx::secrets::remember(config.iaas.password);
        ccx::secrets::remember(config.iaas.api_key);
        ccx::HttpOptions http;
        http.log = &log;
        transport = std::make_unique<ccx::HttpTransport>(http);
    }
    rcc = std::make_unique<ccx::DryRunRcc>(commands);
    iaas = std::make_unique<ccx::IaasClient>(*transport, ccx::system_clock(), config.iaas);
    primitives = std::make_unique<ccx::NativePrimitives>(*rcc, ccx::system_clock(), config);
    ctx.iaas = iaas.get();
    ctx.lock = &lock;
    ctx.primitives = primitives.get();
    ctx.notifier = &outbox;
    ctx.log = &log;
    ctx.config = config;
}

}  // namespace cloudcix::examples
