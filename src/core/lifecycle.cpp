// The lifecycle engine: the only implementation of a verb's run, for all 51 verbs.
// read → lock → re-read → check → prerequisites → mark in-progress → plan → execute → settle →
// notify → unlock (ARCHITECTURE.md). Verbs only declare what differs (VerbSpec).
#include <boost/json/serialize.hpp>

#include "cloudcix_drivers/log.hpp"
#include "cloudcix_drivers/metrics.hpp"
#include "cloudcix_drivers/quote.hpp"
#include "cloudcix_drivers/run.hpp"
#include "cloudcix_drivers/testing.hpp"

namespace cloudcix::drivers {
namespace {

namespace json = boost::json;
using std::chrono::duration_cast;
using std::chrono::microseconds;

struct Rejected {};  // ends a run early; the outcome is already filled in

// A step's span, active on this thread while it lives: API requests and host commands made
// during the step become its children.
struct Step {
    Step(std::unique_ptr<Span> s, Tracer* tracer) : span(std::move(s)), active(tracer, span->context()) {}
    Span* operator->() const { return span.get(); }
    std::unique_ptr<Span> span;
    ActiveSpan active;
};

class Run {
public:
    Run(Context& ctx, std::string_view driver, std::string_view verb, long long id, const RunOptions& options)
        : ctx_(ctx),
          registry_(ctx.registry ? *ctx.registry : builtin_registry()),
          clock_(ctx.clock ? *ctx.clock : system_clock()),
          options_(options) {
        o_.driver = driver;
        o_.verb = verb;
        o_.resource_id = id;
        spec_ = registry_.find(driver, verb);
        logger_ = std::string(driver) + "." + std::string(verb) + ".task";
    }

    Outcome go() {
        auto start = std::chrono::steady_clock::now();
        SpanContext parent = SpanContext::from_traceparent(options_.traceparent);
        root_ = start_span(o_.driver + "." + o_.verb, parent.valid() ? &parent : nullptr);
        o_.trace_id = root_->context().trace_id;
        // A task continued from a caller's context was consumed from a queue or a request.
        root_->set_kind(parent.valid() ? SpanKind::consumer : SpanKind::internal);
        root_->set_attribute("driver", o_.driver);
        root_->set_attribute("verb", o_.verb);
        root_->set_number("resource", o_.resource_id);
        IaasClient::set_thread_traceparent(root_->context().traceparent());
        const std::string m_driver = spec_ ? o_.driver : "unknown", m_verb = spec_ ? o_.verb : "unknown";
        if (ctx_.metrics) ctx_.metrics->task_started(m_driver, m_verb);
        try {
            ActiveSpan active(ctx_.tracer, root_->context());
            body();
        } catch (const Rejected&) {
        } catch (const std::exception& e) {
            unexpected(e.what());
        } catch (...) {
            unexpected("unknown exception");
        }
        hold_.reset();
        IaasClient::set_thread_traceparent({});
        o_.timings.total = duration_cast<microseconds>(std::chrono::steady_clock::now() - start);
        root_->set_attribute("outcome", to_string(o_.status));
        if (o_.state_before) root_->set_attribute("state_before", to_string(*o_.state_before));
        if (o_.state_after) root_->set_attribute("state_after", to_string(*o_.state_after));
        if (!o_.errors.empty()) root_->set_attribute("error.code", o_.errors.front().code);
        if (o_.status == Status::postponed) root_->set_number("retry_after_ms", o_.retry_after.count());
        // Skipped and postponed runs are normal traffic, not errors.
        if (o_.status == Status::failed || o_.status == Status::rejected)
            root_->set_error(o_.errors.empty() ? std::string(to_string(o_.status)) : o_.errors.front().code);
        if (ctx_.metrics) ctx_.metrics->task_finished(m_driver, m_verb, o_);
        log(o_.status == Status::failed ? LogLevel::error : LogLevel::info,
            std::string("outcome ") + std::string(to_string(o_.status)) + describe_errors());
        root_->end();
        return o_;
    }

    PlanReport plan_only() {
        PlanReport report;
        root_ = start_span(o_.driver + "." + o_.verb + ".plan", nullptr);
        o_.trace_id = root_->context().trace_id;
        try {
            check_request();
            resource_ = read_resource();
            report.in_trigger_state = *o_.state_before == spec_->trigger;
            VerbContext vctx(*spec_, resource_, *ctx_.iaas, ctx_.config, clock_.wall());
            try {
                report.calls = spec_->plan(vctx).calls;
                o_.status = Status::succeeded;
            } catch (const FieldError& e) {
                reject(ErrorNumber::bad_field, e.what());
            } catch (const ApiFailure& e) {
                reject(e.number, e.what());
            } catch (const VerbFailure& e) {
                reject(e.number, e.what());
            } catch (const BadArgument& e) {
                reject(ErrorNumber::primitive_bad_argument, e.what());
            }
        } catch (const Rejected&) {
        } catch (const std::exception& e) {
            o_.status = Status::failed;
            add(ErrorNumber::unexpected, std::string("An unexpected error occurred while planning: ") + e.what());
        }
        report.outcome = o_;
        return report;
    }

private:
    std::unique_ptr<Span> start_span(const std::string& name, const SpanContext* parent) {
        if (ctx_.tracer) return ctx_.tracer->start_span(name, parent);
        return noop_.start_span(name, parent);
    }

    Step step(const std::string& name, const SpanContext& parent) { return Step(start_span(name, &parent), ctx_.tracer); }

    void log(LogLevel level, std::string message) {
        if (ctx_.log == nullptr) return;
        LogRecord r;
        r.time = clock_.wall();
        r.level = level;
        r.logger = logger_;
        r.message = secrets::redact(message);
        r.trace_id = o_.trace_id;
        r.span_id = root_ ? root_->context().span_id : "";
        r.driver = o_.driver;
        r.verb = o_.verb;
        r.resource_id = o_.resource_id;
        ctx_.log->write(r);
    }

    std::string describe_errors() const {
        std::string s;
        for (const auto& e : o_.errors) s += "; " + e.code + ": " + e.message;
        return s;
    }

    std::string what() const {
        return (spec_ ? spec_->service : std::string("resource")) + " #" + std::to_string(o_.resource_id);
    }

    void add(ErrorNumber n, const std::string& message) {
        o_.errors.push_back(Error{error_code(o_.driver, o_.verb, n), secrets::redact(message)});
        log(LogLevel::warning, o_.errors.back().code + ": " + o_.errors.back().message);
    }

    [[noreturn]] void reject(ErrorNumber n, const std::string& message) {
        o_.status = Status::rejected;
        add(n, message);
        throw Rejected{};
    }

    void check_request() {
        if (spec_ == nullptr) reject(ErrorNumber::bad_request, registry_.unknown_message(o_.driver + "." + o_.verb));
        if (o_.resource_id <= 0)
            reject(ErrorNumber::bad_request, "resource id must be a positive integer, got " + std::to_string(o_.resource_id));
        if (!spec_->plan)
            reject(ErrorNumber::no_plan, spec_->name() + " has no plan of host work in this build; nothing was done");
        if (ctx_.iaas == nullptr || ctx_.lock == nullptr || ctx_.primitives == nullptr)
            reject(ErrorNumber::bad_configuration, "the context lacks an IaaS client, a lock or primitives");
    }

    // GET the resource and validate what the engine itself needs (an integer state it knows).
    json::object read_resource() {
        auto span = step("read", root_->context());
        ApiReply r = ctx_.iaas->read(spec_->service, o_.resource_id);
        if (!r.ok()) {
            span->set_error(r.message);
            if (r.failure == ErrorNumber::not_found) reject(ErrorNumber::not_found, what() + " does not exist: " + r.message);
            reject(r.failure, "could not read " + what() + ": " + r.message);
        }
        json::object obj = std::move(r.content.get_object());
        Fields f(what(), obj);
        try {
            auto state = state_from_int(f.integer("state"));
            if (!state) reject(ErrorNumber::bad_field, what() + ": field 'state' holds an unknown state number");
            o_.state_before = *state;
            o_.state_after = *state;
        } catch (const FieldError& e) {
            reject(ErrorNumber::bad_field, e.what());
        }
        return obj;
    }

    void skip_unless_trigger() {
        if (*o_.state_before == spec_->trigger) return;
        if (options_.resume && *o_.state_before == spec_->in_progress) return;  // a run that died mid-way
        o_.status = Status::skipped;
        add(ErrorNumber::wrong_state, what() + " is " + std::string(to_string(*o_.state_before)) + ", not " +
                                          std::string(to_string(spec_->trigger)) + "; nothing to do");
        throw Rejected{};
    }

    bool patch_state(State s, const json::object& extra, std::string& error) {
        auto span = step("update " + std::string(to_string(s)), root_->context());
        json::object body = extra;
        body["state"] = static_cast<int>(s);
        ApiReply r = ctx_.iaas->update(spec_->service, o_.resource_id, body);
        if (!r.ok()) {
            error = r.message;
            span->set_error(r.message);
            return false;
        }
        o_.state_after = s;
        log(LogLevel::info, what() + " is now " + std::string(to_string(s)));
        return true;
    }

    // Records the failure: UNRESOURCED (through the in-progress state when the map demands it).
    void fail(ErrorNumber n, const std::string& message) {
        o_.status = Status::failed;
        add(n, message);
        add(ErrorNumber::verb_failed, "Failed to " + o_.verb + " " + what() + ".");
        std::string error;
        if (!marked_ && !robot_may_set(spec_->trigger, State::UNRESOURCED)) {
            if (!patch_state(spec_->in_progress, {}, error)) {
                add(ErrorNumber::api_error, "could not record the failure of " + what() + ": " + error);
                return;
            }
            marked_ = true;
        }
        if (!patch_state(State::UNRESOURCED, {}, error))
            add(ErrorNumber::api_error, "could not record UNRESOURCED for " + what() + ": " + error);
        settled_ = true;
    }

    void unexpected(const std::string& message) {
        o_.status = Status::failed;
        add(ErrorNumber::unexpected, "An unexpected error occurred when attempting to " + o_.verb + " " + what() +
                                         ". Error: " + message);
        if (marked_ && !settled_) {
            std::string error;
            if (!patch_state(State::UNRESOURCED, {}, error))
                add(ErrorNumber::api_error, "could not record UNRESOURCED for " + what() + ": " + error);
            settled_ = true;
            notify();
        }
    }

    std::vector<std::string> lock_keys() {
        std::vector<std::string> keys{(spec_->service == "vm" ? "vm:" : spec_->service + ":") + std::to_string(o_.resource_id)};
        if (spec_->lock_keys) {
            try {
                for (auto& k : spec_->lock_keys(Fields(what(), resource_))) keys.push_back(std::move(k));
            } catch (const FieldError& e) {
                reject(ErrorNumber::bad_field, e.what());
            }
        }
        return lock_order(std::move(keys));
    }

    void body() {
        check_request();
        resource_ = read_resource();
        skip_unless_trigger();

        // Lock the resource and its infrastructure, then read again: the check that follows is
        // only meaningful while we hold the lock (a task dispatched twice runs once).
        auto keys = lock_keys();
        {
            auto span = start_span("lock", &root_->context());
            std::string joined;
            for (const auto& k : keys) joined += (joined.empty() ? "" : ",") + k;
            span->set_attribute("keys", joined);
            auto t0 = std::chrono::steady_clock::now();
            hold_ = ctx_.lock->acquire(keys, std::chrono::steady_clock::now() + ctx_.config.lock_timeout);
            o_.timings.lock_wait = duration_cast<microseconds>(std::chrono::steady_clock::now() - t0);
            span->set_number("wait_us", o_.timings.lock_wait.count());
            if (ctx_.metrics) ctx_.metrics->lock_waited(o_.driver, o_.verb, o_.timings.lock_wait, hold_ != nullptr);
            if (!hold_) {
                o_.status = Status::postponed;
                o_.retry_after = ctx_.config.lock_retry;
                add(ErrorNumber::lock_busy, "locks " + joined + " stayed busy for " +
                                                std::to_string(ctx_.config.lock_timeout.count()) + " ms");
                span->set_error("lock busy");
                return;
            }
        }
        resource_ = read_resource();
        skip_unless_trigger();

        // A member, not a local: notifications after an exception still need it.
        vctx_.emplace(*spec_, resource_, *ctx_.iaas, ctx_.config, clock_.wall());
        VerbContext& vctx = *vctx_;
        Dependency dep;
        {
            auto span = step("prerequisites", root_->context());
            try {
                if (spec_->prerequisites) dep = spec_->prerequisites(vctx);
            } catch (const ApiFailure& e) {
                dep = Dependency::wait(std::chrono::seconds(10), e.what());
                dep.kind = Dependency::Kind::postpone;
                span->set_error(e.what());
                o_.status = Status::postponed;
                o_.retry_after = dep.retry_after;
                add(ErrorNumber::related_unreadable, e.what());
                return;
            } catch (const FieldError& e) {
                reject(ErrorNumber::bad_field, e.what());
            }
        }
        if (dep.kind == Dependency::Kind::postpone) {
            o_.status = Status::postponed;
            o_.retry_after = dep.retry_after;
            add(ErrorNumber::dependency_not_ready, dep.reason);
            return;
        }
        if (dep.kind == Dependency::Kind::fail) {
            fail(ErrorNumber::dependency_failed, dep.reason);
            notify();
            return;
        }

        std::string error;
        if (*o_.state_before == spec_->in_progress) {
            // Resuming (RunOptions::resume): the in-progress mark is already there.
            log(LogLevel::warning, what() + " was left " + std::string(to_string(spec_->in_progress)) +
                                       " by a run that did not finish: running its plan again");
        } else if (!patch_state(spec_->in_progress, {}, error)) {
            o_.status = Status::failed;
            add(ErrorNumber::in_progress_refused, "could not mark " + what() + " " +
                                                      std::string(to_string(spec_->in_progress)) + ": " + error);
            return;
        }
        marked_ = true;

        Plan plan;
        try {
            auto span = step("plan", root_->context());
            plan = spec_->plan(vctx);
        } catch (const FieldError& e) {
            fail(ErrorNumber::bad_field, e.what());
        } catch (const ApiFailure& e) {
            fail(e.number, e.what());
        } catch (const VerbFailure& e) {
            fail(e.number, e.what());
        } catch (const BadArgument& e) {
            fail(ErrorNumber::primitive_bad_argument, e.what());
        }
        if (settled_) {
            notify();
            return;
        }

        if (!execute(plan)) {
            notify();
            return;
        }

        if (!patch_state(spec_->success, plan.success_fields, error)) {
            fail(ErrorNumber::settle_refused, "the host work for " + what() + " is done but the success state was not recorded: " + error);
            notify();
            return;
        }
        settled_ = true;
        o_.status = Status::succeeded;
        if (spec_->after_success) {
            try {
                spec_->after_success(vctx);
            } catch (const std::exception& e) {
                log(LogLevel::warning, std::string("follow-up after success failed: ") + e.what());
            }
        }
        notify();
    }

    bool execute(const Plan& plan) {
        auto t0 = std::chrono::steady_clock::now();
        auto span = start_span("execute", &root_->context());
        bool ok = true;
        for (std::size_t i = 0; i < plan.calls.size() && ok; ++i) {
            const auto& call = plan.calls[i];
            auto step_span = step(call.name(), span->context());
            log(LogLevel::info, "step " + std::to_string(i + 1) + "/" + std::to_string(plan.calls.size()) + " " + call.name() + " started");
            auto s0 = std::chrono::steady_clock::now();
            PrimitiveResult r = ctx_.primitives->call(call);
            auto ms = duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - s0).count();
            bool error_text = !r.message.empty() && (r.message[0] == '3' || r.message[0] == '4');
            if (r.ok && !error_text) {
                log(LogLevel::info, "step " + std::to_string(i + 1) + " " + call.name() + " done in " + std::to_string(ms) + " ms: " + r.message);
                continue;
            }
            ok = false;
            ErrorNumber n = ErrorNumber::primitive_failed;
            if (r.ok) n = ErrorNumber::primitive_inconsistent;
            else if (r.failure == PrimitiveFailure::unknown) n = ErrorNumber::primitive_unknown;
            else if (r.failure == PrimitiveFailure::channel) n = ErrorNumber::host_unreachable;
            else if (r.failure == PrimitiveFailure::timeout) n = ErrorNumber::primitive_timeout;
            else if (r.failure == PrimitiveFailure::bad_argument) n = ErrorNumber::primitive_bad_argument;
            step_span->set_error(r.message);
            fail(n, call.name() + " (step " + std::to_string(i + 1) + " of " + std::to_string(plan.calls.size()) + "): " + r.message);
        }
        o_.timings.execute = duration_cast<microseconds>(std::chrono::steady_clock::now() - t0);
        return ok;
    }

    void notify() {
        if (!spec_->notifications || !vctx_) return;
        auto span = step("notify", root_->context());
        try {
            for (const auto& n : spec_->notifications(*vctx_, o_)) {
                if (n.to.empty()) continue;
                bool sent = ctx_.notifier ? ctx_.notifier->send(n) : false;
                log(sent ? LogLevel::info : LogLevel::warning,
                    std::string(sent ? "sent" : "could not send") + " e-mail '" + n.template_name + "' to " +
                        std::to_string(n.to.size()) + " recipient(s)");
            }
        } catch (const std::exception& e) {
            log(LogLevel::warning, std::string("notifications failed: ") + e.what());
        }
    }

    Context& ctx_;
    const Registry& registry_;
    Clock& clock_;
    const RunOptions& options_;
    const VerbSpec* spec_ = nullptr;
    std::string logger_;
    Outcome o_;
    NoopTracer noop_;
    std::unique_ptr<Span> root_;
    std::unique_ptr<LockHold> hold_;
    json::object resource_;
    std::optional<VerbContext> vctx_;
    bool marked_ = false;
    bool settled_ = false;
};

}  // namespace

Outcome run(Context& ctx, std::string_view driver, std::string_view verb, long long resource_id, const RunOptions& options) {
    return Run(ctx, driver, verb, resource_id, options).go();
}

PlanReport plan(Context& ctx, std::string_view driver, std::string_view verb, long long resource_id) {
    RunOptions none;
    return Run(ctx, driver, verb, resource_id, none).plan_only();
}

// ---- VerbContext ------------------------------------------------------------------------------

VerbContext::VerbContext(const VerbSpec& spec, const boost::json::object& resource, IaasClient& api,
                         const Config& config, std::chrono::system_clock::time_point now)
    : spec(spec),
      resource(spec.service + " #" + std::to_string(resource.contains("id") && resource.at("id").is_int64() ? resource.at("id").get_int64() : 0),
               resource),
      config(config),
      now(now),
      api_(api) {}

boost::json::object VerbContext::read(std::string_view service, long long id) {
    ApiReply r = api_.read(service, id);
    if (!r.ok()) throw ApiFailure(r.failure == ErrorNumber::not_found ? ErrorNumber::related_unreadable : r.failure,
                                  "could not read " + std::string(service) + " #" + std::to_string(id) + ": " + r.message);
    return r.content.get_object();
}

boost::json::array VerbContext::list(std::string_view service, const Query& query) {
    ApiList r = api_.list(service, query);
    if (!r.ok()) throw ApiFailure(r.failure, "could not list " + std::string(service) + ": " + r.message);
    return std::move(r.items);
}

}  // namespace cloudcix::drivers
