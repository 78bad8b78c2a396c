// The C entry points that do not wire ports: errors, version, registry, states, run, plan and
// the outcome accessors.
#include <boost/json/serialize.hpp>
#include <map>
#include <sstream>

#include "cloudcix_drivers/native_primitives.hpp"
#include "internal.hpp"

#ifndef CCX_PROJECT_VERSION
#error "CCX_PROJECT_VERSION must be defined by the build"
#endif

namespace cloudcix::drivers::capi {
namespace {

thread_local std::string t_error;
thread_local int t_code = CCX_OK;

// Strings handed to C for the life of the process: copies, so they are NUL-terminated whatever
// the C++ side keeps.
struct Names {
    std::vector<std::string> names, drivers, verbs;
    std::map<int, std::string> states;
    std::map<int, std::pair<std::string, std::string>> errors;  // number → title, sentence
    Names() {
        const auto& r = builtin_registry();
        for (const auto& d : r.drivers())
            for (const auto& v : r.verbs(d)) {
                names.push_back(d + "." + v);
                drivers.push_back(d);
                verbs.push_back(v);
            }
        for (int n = -1; n <= 99; ++n)
            if (auto s = state_from_int(n)) states[n] = std::string(to_string(*s));
        for (const auto& e : error_catalogue())
            errors[static_cast<int>(e.number)] = {std::string(e.title), std::string(e.sentence)};
    }
};

const Names& names() {
    static const Names n;
    return n;
}

ccx_outcome* wrap(Outcome o) {
    auto* w = new ccx_outcome{std::move(o), {}};
    w->json = to_json(w->outcome);
    return w;
}

// Unknown names and bad ids are the caller's mistakes: codes, not Outcomes.
int check_request(ccx_context* ctx, const char* driver, const char* verb, int64_t id) {
    CCX_REQUIRE(ctx);
    CCX_REQUIRE(driver);
    CCX_REQUIRE(verb);
    if (id <= 0) return fail(CCX_EINVALID, "resource id must be a positive integer, got " + std::to_string(id));
    const Registry& r = ctx->ctx.registry ? *ctx->ctx.registry : builtin_registry();
    if (r.find(driver, verb) == nullptr)
        return fail(CCX_ENOTFOUND, r.unknown_message(std::string(driver) + "." + verb));
    return CCX_OK;
}

}  // namespace

int fail(int code, std::string message) noexcept {
    t_error.swap(message);
    t_code = code;
    return code;
}

int fail_null(const char* function, const char* argument) noexcept {
    try {
        return fail(CCX_EINVALID, std::string(function) + ": " + argument + " is NULL");
    } catch (...) {
        return fail(CCX_EINVALID, std::string());
    }
}

}  // namespace cloudcix::drivers::capi

using namespace cloudcix::drivers;
using capi::fail;
using capi::guard;

extern "C" {

// ---- Version and errors ---------------------------------------------------------------------

int ccx_version(int* major, int* minor, int* patch) noexcept {
    if (major) *major = CCX_VERSION_MAJOR;
    if (minor) *minor = CCX_VERSION_MINOR;
    if (patch) *patch = CCX_VERSION_PATCH;
    return CCX_OK;
}

const char* ccx_version_string(void) noexcept {
    return CCX_VERSION_STRING;
}

const char* ccx_last_error(void) noexcept {
    return capi::t_error.c_str();
}
int ccx_last_error_code(void) noexcept {
    return capi::t_code;
}
void ccx_error_clear(void) noexcept {
    capi::t_error.clear();
    capi::t_code = CCX_OK;
}

const char* ccx_error_name(int code) noexcept {
    switch (code) {
        case CCX_OK:
            return "CCX_OK";
        case CCX_ERROR:
            return "CCX_ERROR";
        case CCX_EINVALID:
            return "CCX_EINVALID";
        case CCX_ENOTFOUND:
            return "CCX_ENOTFOUND";
        case CCX_EUNSUPPORTED:
            return "CCX_EUNSUPPORTED";
        case CCX_EVERSION:
            return "CCX_EVERSION";
        case CCX_ENOMEM:
            return "CCX_ENOMEM";
        case CCX_EINTERNAL:
            return "CCX_EINTERNAL";
        default:
            return "CCX_UNKNOWN";
    }
}

int ccx_explain(const char** out_title, const char** out_sentence, const char* code) noexcept {
    if (out_title) *out_title = nullptr;
    if (out_sentence) *out_sentence = nullptr;
    CCX_REQUIRE(code);
    return guard([&]() -> int {
        auto info = explain(code);
        if (!info) return fail(CCX_ENOTFOUND, "no error code '" + std::string(code) + "' in the catalogue");
        const auto& e = capi::names().errors.at(static_cast<int>(info->number));
        if (out_title) *out_title = e.first.c_str();
        if (out_sentence) *out_sentence = e.second.c_str();
        return CCX_OK;
    });
}

// ---- Registry ---------------------------------------------------------------------------------

int ccx_registry_count(size_t* out) noexcept {
    CCX_REQUIRE(out);
    *out = 0;
    return guard([&]() -> int {
        *out = capi::names().names.size();
        return CCX_OK;
    });
}

int ccx_registry_name(const char** out, size_t index) noexcept {
    CCX_REQUIRE(out);
    *out = nullptr;
    return guard([&]() -> int {
        const auto& n = capi::names();
        if (index >= n.names.size())
            return fail(CCX_ENOTFOUND, "registry index " + std::to_string(index) + " is out of range (" +
                                           std::to_string(n.names.size()) + ")");
        *out = n.names[index].c_str();
        return CCX_OK;
    });
}

int ccx_registry_entry(const char** out_driver, const char** out_verb, size_t index) noexcept {
    if (out_driver) *out_driver = nullptr;
    if (out_verb) *out_verb = nullptr;
    return guard([&]() -> int {
        const auto& n = capi::names();
        if (index >= n.names.size())
            return fail(CCX_ENOTFOUND, "registry index " + std::to_string(index) + " is out of range (" +
                                           std::to_string(n.names.size()) + ")");
        if (out_driver) *out_driver = n.drivers[index].c_str();
        if (out_verb) *out_verb = n.verbs[index].c_str();
        return CCX_OK;
    });
}

int ccx_registry_find(const char* driver, const char* verb) noexcept {
    CCX_REQUIRE(driver);
    CCX_REQUIRE(verb);
    return guard([&]() -> int {
        const auto& r = builtin_registry();
        if (r.find(driver, verb) == nullptr)
            return fail(CCX_ENOTFOUND, r.unknown_message(std::string(driver) + "." + verb));
        return CCX_OK;
    });
}

// ---- States and statuses ----------------------------------------------------------------------

int ccx_status_name(const char** out, int status) noexcept {
    CCX_REQUIRE(out);
    *out = nullptr;
    switch (status) {
        case CCX_STATUS_SUCCEEDED:
            *out = "succeeded";
            return CCX_OK;
        case CCX_STATUS_FAILED:
            *out = "failed";
            return CCX_OK;
        case CCX_STATUS_REJECTED:
            *out = "rejected";
            return CCX_OK;
        case CCX_STATUS_SKIPPED:
            *out = "skipped";
            return CCX_OK;
        case CCX_STATUS_POSTPONED:
            *out = "postponed";
            return CCX_OK;
        default:
            return fail(CCX_ENOTFOUND, "no status " + std::to_string(status));
    }
}

int ccx_state_name(const char** out, int state) noexcept {
    CCX_REQUIRE(out);
    *out = nullptr;
    return guard([&]() -> int {
        const auto& s = capi::names().states;
        auto it = s.find(state);
        if (it == s.end()) return fail(CCX_ENOTFOUND, "the IaaS API defines no state " + std::to_string(state));
        *out = it->second.c_str();
        return CCX_OK;
    });
}

// ---- Run ----------------------------------------------------------------------------------------

int ccx_run(ccx_outcome** out, ccx_context* ctx, const char* driver, const char* verb, int64_t resource_id) noexcept {
    return ccx_run_traced(out, ctx, driver, verb, resource_id, nullptr);
}

int ccx_run_traced(ccx_outcome** out, ccx_context* ctx, const char* driver, const char* verb, int64_t resource_id,
                   const char* traceparent) noexcept {
    CCX_REQUIRE(out);
    *out = nullptr;
    return guard([&]() -> int {
        if (int rc = capi::check_request(ctx, driver, verb, resource_id)) return rc;
        RunOptions options;
        if (traceparent) options.traceparent = traceparent;
        *out = capi::wrap(run(ctx->ctx, driver, verb, resource_id, options));
        return CCX_OK;
    });
}

void ccx_outcome_free(ccx_outcome* outcome) noexcept {
    delete outcome;
}

int ccx_outcome_status(int* out, const ccx_outcome* o) noexcept {
    CCX_REQUIRE(out);
    *out = CCX_STATUS_REJECTED;
    CCX_REQUIRE(o);
    *out = exit_code(o->outcome.status);  // the exit codes are the ccx_status numbers
    return CCX_OK;
}

int ccx_outcome_state_before(int* out, const ccx_outcome* o) noexcept {
    CCX_REQUIRE(out);
    *out = 0;
    CCX_REQUIRE(o);
    if (!o->outcome.state_before) return fail(CCX_ENOTFOUND, "the run never read the resource's state");
    *out = static_cast<int>(*o->outcome.state_before);
    return CCX_OK;
}

int ccx_outcome_state_after(int* out, const ccx_outcome* o) noexcept {
    CCX_REQUIRE(out);
    *out = 0;
    CCX_REQUIRE(o);
    if (!o->outcome.state_after) return fail(CCX_ENOTFOUND, "the run never read the resource's state");
    *out = static_cast<int>(*o->outcome.state_after);
    return CCX_OK;
}

int ccx_outcome_error_count(size_t* out, const ccx_outcome* o) noexcept {
    CCX_REQUIRE(out);
    *out = 0;
    CCX_REQUIRE(o);
    *out = o->outcome.errors.size();
    return CCX_OK;
}

int ccx_outcome_error(const char** out_code, const char** out_message, const ccx_outcome* o, size_t index) noexcept {
    if (out_code) *out_code = nullptr;
    if (out_message) *out_message = nullptr;
    CCX_REQUIRE(o);
    const auto& errors = o->outcome.errors;
    if (index >= errors.size())
        return fail(CCX_ENOTFOUND, "error index " + std::to_string(index) + " is out of range (" +
                                       std::to_string(errors.size()) + ")");
    if (out_code) *out_code = errors[index].code.c_str();
    if (out_message) *out_message = errors[index].message.c_str();
    return CCX_OK;
}

int ccx_outcome_retry_after_ms(int64_t* out, const ccx_outcome* o) noexcept {
    CCX_REQUIRE(out);
    *out = 0;
    CCX_REQUIRE(o);
    *out = o->outcome.retry_after.count();
    return CCX_OK;
}

int ccx_outcome_trace_id(const char** out, const ccx_outcome* o) noexcept {
    CCX_REQUIRE(out);
    *out = nullptr;
    CCX_REQUIRE(o);
    *out = o->outcome.trace_id.c_str();
    return CCX_OK;
}

int ccx_outcome_json(const char** out, const ccx_outcome* o) noexcept {
    CCX_REQUIRE(out);
    *out = nullptr;
    CCX_REQUIRE(o);
    *out = o->json.c_str();
    return CCX_OK;
}

// ---- Plan ---------------------------------------------------------------------------------------

int ccx_plan(ccx_plan_report** out, ccx_context* ctx, const char* driver, const char* verb,
             int64_t resource_id) noexcept {
    CCX_REQUIRE(out);
    *out = nullptr;
    return guard([&]() -> int {
        if (int rc = capi::check_request(ctx, driver, verb, resource_id)) return rc;
        PlanReport report = plan(ctx->ctx, driver, verb, resource_id);
        auto r = std::make_unique<ccx_plan_report>();
        r->outcome.outcome = std::move(report.outcome);
        r->outcome.json = to_json(r->outcome.outcome);
        r->in_trigger_state = report.in_trigger_state;
        for (const auto& call : report.calls) {
            ccx_plan_report::Call c{call.primitive, call.action, boost::json::serialize(call.args), {}};
            if (ctx->native_primitives) {
                // What the native catalogue would send, captured by a dry run that runs nothing.
                DryRunRcc capture([&](const HostCommand& hc) { c.commands.push_back({hc.host, hc.command}); });
                NativePrimitives native(capture, *ctx->clock, ctx->config);
                native.call(call);
            }
            r->calls.push_back(std::move(c));
        }
        *out = r.release();
        return CCX_OK;
    });
}

void ccx_plan_report_free(ccx_plan_report* report) noexcept {
    delete report;
}

int ccx_plan_report_outcome(const ccx_outcome** out, const ccx_plan_report* report) noexcept {
    CCX_REQUIRE(out);
    *out = nullptr;
    CCX_REQUIRE(report);
    *out = &report->outcome;
    return CCX_OK;
}

int ccx_plan_report_in_trigger_state(int* out, const ccx_plan_report* report) noexcept {
    CCX_REQUIRE(out);
    *out = 0;
    CCX_REQUIRE(report);
    *out = report->in_trigger_state ? 1 : 0;
    return CCX_OK;
}

int ccx_plan_report_call_count(size_t* out, const ccx_plan_report* report) noexcept {
    CCX_REQUIRE(out);
    *out = 0;
    CCX_REQUIRE(report);
    *out = report->calls.size();
    return CCX_OK;
}

int ccx_plan_report_call(const char** out_primitive, const char** out_action, const char** out_args_json,
                         const ccx_plan_report* report, size_t index) noexcept {
    if (out_primitive) *out_primitive = nullptr;
    if (out_action) *out_action = nullptr;
    if (out_args_json) *out_args_json = nullptr;
    CCX_REQUIRE(report);
    if (index >= report->calls.size())
        return fail(CCX_ENOTFOUND, "call index " + std::to_string(index) + " is out of range (" +
                                       std::to_string(report->calls.size()) + ")");
    const auto& c = report->calls[index];
    if (out_primitive) *out_primitive = c.primitive.c_str();
    if (out_action) *out_action = c.action.c_str();
    if (out_args_json) *out_args_json = c.args_json.c_str();
    return CCX_OK;
}

int ccx_plan_report_command_count(size_t* out, const ccx_plan_report* report, size_t call_index) noexcept {
    CCX_REQUIRE(out);
    *out = 0;
    CCX_REQUIRE(report);
    if (call_index >= report->calls.size())
        return fail(CCX_ENOTFOUND, "call index " + std::to_string(call_index) + " is out of range (" +
                                       std::to_string(report->calls.size()) + ")");
    *out = report->calls[call_index].commands.size();
    return CCX_OK;
}

int ccx_plan_report_command(const char** out_host, const char** out_command, const ccx_plan_report* report,
                            size_t call_index, size_t index) noexcept {
    if (out_host) *out_host = nullptr;
    if (out_command) *out_command = nullptr;
    CCX_REQUIRE(report);
    if (call_index >= report->calls.size())
        return fail(CCX_ENOTFOUND, "call index " + std::to_string(call_index) + " is out of range (" +
                                       std::to_string(report->calls.size()) + ")");
    const auto& cmds = report->calls[call_index].commands;
    if (index >= cmds.size())
        return fail(CCX_ENOTFOUND, "command index " + std::to_string(index) + " is out of range (" +
                                       std::to_string(cmds.size()) + ")");
    if (out_host) *out_host = cmds[index].host.c_str();
    if (out_command) *out_command = cmds[index].command.c_str();
    return CCX_OK;
}

}  // extern "C"

// The header's version macros and the project's version are one number.
static_assert(std::string_view(CCX_VERSION_STRING) == std::string_view(CCX_PROJECT_VERSION),
              "bindings/c/include/cloudcix_drivers.h: CCX_VERSION_* must match project(VERSION) in CMakeLists.txt");
