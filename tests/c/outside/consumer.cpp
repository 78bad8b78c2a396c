// The C++ library from an outside project: the embedded demo region, a VM build.
#include <boost/json/parse.hpp>
#include <cloudcix_drivers/native_primitives.hpp>
#include <cloudcix_drivers/run.hpp>
#include <cloudcix_drivers/testing.hpp>
#include <iostream>

int main() {
    namespace ccx = cloudcix::drivers;
    auto region = ccx::IaasRegion::demo();
    ccx::MemoryIaas transport(region);
    auto creds = boost::json::parse(ccx::demo_region_json()).at("credentials").as_object();
    ccx::Config config;
    config.iaas.iaas_url = std::string(ccx::MemoryIaas::iaas_url);
    config.iaas.membership_url = std::string(ccx::MemoryIaas::membership_url);
    config.iaas.username = std::string(creds.at("email").as_string());
    config.iaas.password = std::string(creds.at("password").as_string());
    config.iaas.api_key = std::string(creds.at("api_key").as_string());
    ccx::IaasClient iaas(transport, ccx::system_clock(), config.iaas);
    ccx::InProcessLock lock;
    ccx::RecordingRcc hosts;
    ccx::NativePrimitives primitives(hosts, ccx::system_clock(), config);
    ccx::Context ctx;
    ctx.iaas = &iaas;
    ctx.lock = &lock;
    ctx.primitives = &primitives;
    ctx.config = config;
    auto outcome = ccx::run(ctx, "vm_kvm", "build", 1501);
    std::cout << ccx::to_json(outcome) << "\n";
    return outcome.status == ccx::Status::succeeded && region->state("vm", 1501) == ccx::State::RUNNING ? 0 : 1;
}
