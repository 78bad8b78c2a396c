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

// The demo region's robot credentials, for an IaaS at these URLs (default: the in-memory one).
inline IaasSettings demo_settings(std::string iaas_url = std::string(MemoryIaas::iaas_url),
                                  std::string membership_url = std::string(MemoryIaas::membership_url)) {
    auto creds = boost::json::parse(demo_region_json()).at("credentials").as_object();
    IaasSettings s;
    s.iaas_url = std::move(iaas_url);
    s.membership_url = std::move(membership_url);
    s.username = std::string(creds.at("email").as_string());
    s.password = std::string(creds.at("password").as_string());
    s.api_key = std::string(creds.at("api_key").as_string());
    return s;
}

inline Config demo_config() {
    Config c;
    c.iaas = demo_settings();
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
