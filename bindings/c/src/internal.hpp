// What the C adapter's translation units share: the opaque structs behind the C handles, the
// error plumbing that keeps exceptions from crossing the boundary, and the port adapters.
#pragma once

#include <deque>
#include <fstream>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "cloudcix_drivers.h"
#include "cloudcix_drivers/log.hpp"
#include "cloudcix_drivers/metrics.hpp"
#include "cloudcix_drivers/run.hpp"
#include "cloudcix_drivers/testing.hpp"

namespace cloudcix::drivers::capi {

// Records the failure for ccx_last_error() and returns its code.
int fail(int code, std::string message) noexcept;

// Runs `f` (returning a ccx code); any exception becomes a code and a message.
template <class F>
int guard(F&& f) noexcept {
    try {
        return f();
    } catch (const std::bad_alloc&) {
        return fail(CCX_ENOMEM, "out of memory");
    } catch (const std::exception& e) {
        return fail(CCX_EINTERNAL, std::string("internal error: ") + secrets::redact(e.what()));
    } catch (...) {
        return fail(CCX_EINTERNAL, "internal error: unknown exception");
    }
}

// Records "FUNCTION: ARG is NULL" (never throws) and returns CCX_EINVALID.
int fail_null(const char* function, const char* argument) noexcept;

// NULL check with a message naming the function and the argument.
#define CCX_REQUIRE(arg)                                                                   \
    do {                                                                                   \
        if ((arg) == nullptr) return ::cloudcix::drivers::capi::fail_null(__func__, #arg); \
    } while (0)

// Host commands kept by the built-in dry-run and recording hosts. A deque: appending never moves
// the strings whose c_str() callers hold.
struct HostLog {
    struct Entry {
        std::string host;
        std::string command;
    };
    mutable std::mutex mutex;
    std::deque<Entry> entries;
    void add(const HostCommand& c) {
        std::lock_guard lock(mutex);
        entries.push_back({c.host, c.command});
    }
};

// Port adapters over the C vtables (ports.cpp). Each copies its vtable.
std::unique_ptr<Transport> make_transport(const ccx_transport_vtable& vt);
std::unique_ptr<Lock> make_lock(const ccx_lock_vtable& vt);
std::unique_ptr<Tracer> make_tracer(const ccx_tracer_vtable& vt);
std::unique_ptr<Primitives> make_primitives(const ccx_primitives_vtable& vt);
std::unique_ptr<Rcc> make_rcc(const ccx_rcc_vtable& vt);
std::unique_ptr<Notifier> make_notifier(const ccx_notifier_vtable& vt);
std::unique_ptr<Clock> make_clock(const ccx_clock_vtable& vt);

// Checks a vtable's version and required functions (ccx code; message recorded).
int check_vtable(const char* port, int version, int known, bool complete);

}  // namespace cloudcix::drivers::capi

// ---- The opaque handles ----------------------------------------------------------------------

struct ccx_context {
    cloudcix::drivers::Config config;
    // First, so destroyed last: the transports, hosts and notifiers below may log while closing.
    std::unique_ptr<cloudcix::drivers::LogSink> log;
    std::unique_ptr<cloudcix::drivers::LogSink> trace_log;  // for tracer "log" without a log
    std::shared_ptr<cloudcix::drivers::IaasRegion> region;  // with the in-memory transports
    std::unique_ptr<cloudcix::drivers::Transport> transport;
    std::unique_ptr<cloudcix::drivers::Clock> clock_owned;
    cloudcix::drivers::Clock* clock = nullptr;
    std::unique_ptr<cloudcix::drivers::IaasClient> iaas;
    std::unique_ptr<cloudcix::drivers::Lock> lock;
    std::unique_ptr<std::ofstream> hosts_file;
    std::unique_ptr<cloudcix::drivers::Rcc> rcc;
    std::unique_ptr<cloudcix::drivers::Primitives> primitives;
    bool native_primitives = true;  // false when a primitives vtable replaces the catalogue
    bool keeps_hosts = false;       // the built-in hosts record into host_log
    cloudcix::drivers::capi::HostLog host_log;
    std::unique_ptr<cloudcix::drivers::Transport> tracer_transport;  // tracer "otlp:": outlives the tracer
    std::unique_ptr<cloudcix::drivers::Tracer> tracer;
    std::unique_ptr<std::ofstream> outbox_file;
    std::unique_ptr<cloudcix::drivers::Notifier> notifier;
    std::unique_ptr<cloudcix::drivers::Metrics> metrics;  // every run on this context records here
    cloudcix::drivers::Context ctx;
};

struct ccx_outcome {
    cloudcix::drivers::Outcome outcome;
    std::string json;
};

struct ccx_plan_report {
    ccx_outcome outcome;
    bool in_trigger_state = false;
    struct Call {
        std::string primitive;
        std::string action;
        std::string args_json;
        std::vector<cloudcix::drivers::capi::HostLog::Entry> commands;
    };
    std::vector<Call> calls;
};

struct ccx_http_request {
    const cloudcix::drivers::HttpRequest* request;
};

struct ccx_http_response {
    cloudcix::drivers::HttpResponse response;
    bool status_set = false;
    int invalid_status = 0;  // a status the callback tried to set outside 100..599
    bool error_set = false;
};

struct ccx_primitive_call {
    const cloudcix::drivers::PrimitiveCall* call;
    std::string args_json;
};

struct ccx_primitive_result {
    cloudcix::drivers::PrimitiveResult result;
    bool set = false;
    bool failure_set = false;
    std::string garbage;  // what was wrong with what the callback tried to set
};

struct ccx_host_command {
    const cloudcix::drivers::HostCommand* command;
};

struct ccx_host_result {
    cloudcix::drivers::RccResult result;
    bool exit_set = false;
    bool channel_error_set = false;
};
