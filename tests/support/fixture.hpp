// A context wired to the in-memory ports over the embedded demo region.
#pragma once

#include <memory>

#include <boost/json/parse.hpp>

#include "cloudcix_drivers/native_primitives.hpp"
#include "cloudcix_drivers/run.hpp"
#include "cloudcix_drivers/testing.hpp"
#include "support/printing.hpp"

namespace ccx_test {
using namespace cloudcix::drivers;

inline Config demo_config() {
    Config c;
    auto creds = boost::json::parse(demo_region_json()).at("credentials").as_object();
    c.iaas.iaas_url = std::string(MemoryIaas::iaas_url);
    c.iaas.membership_url = std::string(MemoryIaas::membership_url);
    c.iaas.username = std::string(creds.at("email").as_string());
    c.iaas.password = std::string(creds.at("password").as_string());
    c.iaas.api_key = std::string(creds.at("api_key").as_string());
    c.send_to_fail = {"noc@example.com"};
    c.lock_timeout = std::chrono::milliseconds(200);
    return c;
}

struct Demo {
    std::shared_ptr<IaasRegion> region = IaasRegion::demo();
    MemoryIaas transport{region};
    ManualClock clock;
    Config config = demo_config();
    IaasClient iaas{transport, clock, config.iaas};
    InProcessLock lock;
    RecordingPrimitives primitives;
    MemoryNotifier mail;
    MemoryLogSink log;
    MemoryTracer tracer;
    Context ctx;

    Demo() {
        ctx.iaas = &iaas;
        ctx.lock = &lock;
        ctx.primitives = &primitives;
        ctx.notifier = &mail;
        ctx.log = &log;
        ctx.tracer = &tracer;
        ctx.clock = &clock;
        ctx.config = config;
    }
    Outcome run(std::string_view driver, std::string_view verb, long long id, const RunOptions& o = {}) {
        return cloudcix::drivers::run(ctx, driver, verb, id, o);
    }
    State state(std::string_view service, long long id) const { return region->state(service, id).value(); }
};

}  // namespace ccx_test
