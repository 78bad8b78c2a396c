// run(driver, verb, id): one task through the lifecycle engine (src/core/lifecycle.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cloudcix_drivers/config.hpp"
#include "cloudcix_drivers/iaas/client.hpp"
#include "cloudcix_drivers/log.hpp"
#include "cloudcix_drivers/outcome.hpp"
#include "cloudcix_drivers/ports/clock.hpp"
#include "cloudcix_drivers/ports/lock.hpp"
#include "cloudcix_drivers/ports/notifier.hpp"
#include "cloudcix_drivers/ports/primitives.hpp"
#include "cloudcix_drivers/ports/tracer.hpp"
#include "cloudcix_drivers/registry.hpp"

namespace cloudcix::drivers {

class Metrics;

// The ports one run uses. Non-owning: the embedder keeps them alive and thread-safe.
struct Context {
    const Registry* registry = nullptr;  // null: builtin_registry()
    IaasClient* iaas = nullptr;          // required
    Lock* lock = nullptr;                // required
    Primitives* primitives = nullptr;    // required
    Tracer* tracer = nullptr;            // null: no tracing (trace ids are still generated)
    Notifier* notifier = nullptr;        // null: notifications are logged, not sent
    Clock* clock = nullptr;              // null: system_clock()
    LogSink* log = nullptr;              // null: nothing is logged
    Metrics* metrics = nullptr;          // null: no metrics (include/cloudcix_drivers/metrics.hpp)
    Config config;
};

struct RunOptions {
    std::string traceparent;  // continue a caller's W3C trace
    // The task is a redelivery (its previous run's worker died): a resource found in this verb's
    // in-progress state was left there by that run and, once the lock is held, the plan runs
    // again from it (to success or failure) instead of skipping. Only safe when the lock is
    // shared by every process that may run the verb, or when the previous run is known dead.
    bool resume = false;
};

// Never throws for anything the outside world can cause.
Outcome run(Context& ctx, std::string_view driver, std::string_view verb, long long resource_id,
            const RunOptions& options = {});

// The plan a run would execute now, without locking, writing or touching a host.
struct PlanReport {
    Outcome outcome;  // rejected/skipped-style problems; status succeeded when a plan was built
    bool in_trigger_state = false;
    std::vector<PrimitiveCall> calls;
};
PlanReport plan(Context& ctx, std::string_view driver, std::string_view verb, long long resource_id);

}  // namespace cloudcix::drivers
