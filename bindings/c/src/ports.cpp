// The ports as C vtables: adapter classes that call the caller's functions, and the accessors
// and setters through which a callback reads its request and answers. A callback that fails or
// answers garbage produces a port-level failure (no response, channel error, failed primitive),
// which the engine reports as an Outcome error; nothing here lets an exception reach C.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "internal.hpp"

namespace cloudcix::drivers::capi {
namespace {

namespace json = boost::json;

std::string returned(const char* what, int rc) {
    return std::string(what) + " callback returned " + std::to_string(rc);
}

// ---- Transport --------------------------------------------------------------------------------
class CTransport final : public Transport {
public:
    explicit CTransport(const ccx_transport_vtable& vt) : vt_(vt) {}

    HttpResponse send(const HttpRequest& request) override {
        ccx_http_request req{&request};
        ccx_http_response resp;
        int rc = -1;
        try {
            rc = vt_.send(vt_.user, &req, &resp);
        } catch (...) {
            return no_response("the transport callback threw an exception", true);
        }
        if (rc != 0) {
            std::string why = returned("the transport", rc);
            if (resp.error_set)
                why += ": " + resp.response.error;
            else if (resp.invalid_status != 0)
                why += " after an invalid HTTP status " + std::to_string(resp.invalid_status);
            return no_response(why, resp.response.sent);
        }
        if (resp.error_set)
            return no_response("the transport callback reported: " + resp.response.error, resp.response.sent);
        if (resp.invalid_status != 0)
            return no_response(
                "the transport callback answered an invalid HTTP status " + std::to_string(resp.invalid_status), true);
        if (!resp.status_set) return no_response("the transport callback answered without an HTTP status", true);
        return std::move(resp.response);
    }

private:
    static HttpResponse no_response(std::string error, bool sent) {
        HttpResponse r;
        r.status = 0;
        r.error = std::move(error);
        r.sent = sent;
        return r;
    }
    ccx_transport_vtable vt_;
};

// ---- Lock -------------------------------------------------------------------------------------
class CLock final : public Lock {
public:
    explicit CLock(const ccx_lock_vtable& vt) : vt_(vt) {}

    std::unique_ptr<LockHold> acquire(const std::vector<std::string>& keys,
                                      std::chrono::steady_clock::time_point deadline) override {
        std::vector<const char*> ptrs;
        for (const auto& k : keys) ptrs.push_back(k.c_str());
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        void* hold = nullptr;
        int rc = vt_.acquire(vt_.user, ptrs.data(), ptrs.size(), std::max<std::int64_t>(0, left.count()), &hold);
        if (rc == 0) return std::make_unique<Hold>(vt_, hold);
        if (rc == CCX_LOCK_BUSY) return nullptr;
        // Not "busy": the lock store itself failed. The engine turns this into 1000 before
        // anything was written.
        throw std::runtime_error(returned("the lock", rc) + " while acquiring " + std::to_string(keys.size()) +
                                 " key(s)");
    }

private:
    class Hold final : public LockHold {
    public:
        Hold(const ccx_lock_vtable& vt, void* hold) : vt_(vt), hold_(hold) {}
        ~Hold() override {
            if (vt_.release) vt_.release(vt_.user, hold_);
        }

    private:
        ccx_lock_vtable vt_;
        void* hold_;
    };
    ccx_lock_vtable vt_;
};

// ---- Tracer -----------------------------------------------------------------------------------
class CTracer final : public Tracer {
public:
    explicit CTracer(const ccx_tracer_vtable& vt) : vt_(vt) {}

    std::unique_ptr<Span> start_span(std::string_view name, const SpanContext* parent) override {
        return std::make_unique<CSpan>(vt_, name, parent);
    }

private:
    class CSpan final : public Span {
    public:
        CSpan(const ccx_tracer_vtable& vt, std::string_view name, const SpanContext* parent)
            : vt_(vt), ctx_(SpanContext::generate(parent && parent->valid() ? parent->trace_id : std::string_view{})) {
            std::string n(name);
            std::string parent_span = parent && parent->valid() ? parent->span_id : std::string();
            if (vt_.start)
                token_ = vt_.start(vt_.user, n.c_str(), ctx_.trace_id.c_str(), ctx_.span_id.c_str(),
                                   parent_span.empty() ? nullptr : parent_span.c_str());
        }
        ~CSpan() override { end(); }
        const SpanContext& context() const override { return ctx_; }
        void set_attribute(std::string_view key, std::string_view value) override {
            if (ended_ || !vt_.set_attribute) return;
            std::string k(key), v = secrets::redact(value);
            vt_.set_attribute(vt_.user, token_, k.c_str(), v.c_str());
        }
        void set_error(std::string_view message) override {
            if (ended_ || !vt_.set_error) return;
            std::string m = secrets::redact(message);
            vt_.set_error(vt_.user, token_, m.c_str());
        }
        void end() override {
            if (ended_) return;
            ended_ = true;
            if (vt_.end) vt_.end(vt_.user, token_);
        }

    private:
        ccx_tracer_vtable vt_;
        SpanContext ctx_;
        void* token_ = nullptr;
        bool ended_ = false;
    };
    ccx_tracer_vtable vt_;
};

// ---- Primitives -------------------------------------------------------------------------------
class CPrimitives final : public Primitives {
public:
    explicit CPrimitives(const ccx_primitives_vtable& vt) : vt_(vt) {}

    PrimitiveResult call(const PrimitiveCall& call) override {
        ccx_primitive_call c{&call, json::serialize(call.args)};
        ccx_primitive_result r;
        int rc = -1;
        try {
            rc = vt_.call(vt_.user, &c, &r);
        } catch (...) {
            return failed(call, "the primitives callback threw an exception");
        }
        if (rc != 0) {
            if (r.set && !r.result.message.empty())
                return failed(call, returned("the primitives", rc) + ": " + r.result.message, r.result.failure);
            return failed(call, returned("the primitives", rc), r.result.failure);
        }
        if (!r.garbage.empty()) return failed(call, "the primitives callback answered garbage: " + r.garbage);
        if (!r.set) return failed(call, "the primitives callback answered nothing");
        if (!r.result.ok && !r.failure_set) r.result.failure = PrimitiveFailure::command;
        if (r.result.ok) r.result.failure = PrimitiveFailure::none;
        return std::move(r.result);
    }

private:
    static PrimitiveResult failed(const PrimitiveCall& call, const std::string& why,
                                  PrimitiveFailure f = PrimitiveFailure::command) {
        return PrimitiveResult{false, call.name() + ": " + why, nullptr,
                               f == PrimitiveFailure::none ? PrimitiveFailure::command : f};
    }
    ccx_primitives_vtable vt_;
};

// ---- Rcc --------------------------------------------------------------------------------------
class CRcc final : public Rcc {
public:
    explicit CRcc(const ccx_rcc_vtable& vt) : vt_(vt) {}

    RccResult run(const HostCommand& command) override {
        ccx_host_command c{&command};
        ccx_host_result r;
        int rc = -1;
        try {
            rc = vt_.run(vt_.user, &c, &r);
        } catch (...) {
            return channel("the rcc callback threw an exception");
        }
        if (rc != 0)
            return channel(returned("the rcc", rc) +
                           (r.channel_error_set ? ": " + r.result.channel_error : std::string()));
        if (r.channel_error_set) return channel(r.result.channel_error);
        if (!r.exit_set) return channel("the rcc callback answered without an exit code");
        return std::move(r.result);
    }

private:
    static RccResult channel(std::string why) {
        RccResult r;
        r.channel_ok = false;
        r.channel_error = std::move(why);
        r.exit_code = -1;
        return r;
    }
    ccx_rcc_vtable vt_;
};

// ---- Notifier ---------------------------------------------------------------------------------
class CNotifier final : public Notifier {
public:
    explicit CNotifier(const ccx_notifier_vtable& vt) : vt_(vt) {}

    bool send(const Notification& n) override {
        json::array to;
        for (const auto& t : n.to) to.push_back(json::string(t));
        std::string line = json::serialize(json::object{
            {"template", n.template_name}, {"to", std::move(to)}, {"subject", n.subject}, {"data", n.data}});
        try {
            return vt_.send(vt_.user, line.c_str()) == 0;
        } catch (...) {
            return false;
        }
    }

private:
    ccx_notifier_vtable vt_;
};

// ---- Clock ------------------------------------------------------------------------------------
class CClock final : public Clock {
public:
    explicit CClock(const ccx_clock_vtable& vt) : vt_(vt) {}
    std::chrono::steady_clock::time_point now() override {
        return std::chrono::steady_clock::time_point(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::nanoseconds(vt_.now_ns(vt_.user))));
    }
    std::chrono::system_clock::time_point wall() override {
        return std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds(vt_.wall_ns(vt_.user))));
    }
    void sleep_for(std::chrono::nanoseconds d) override { vt_.sleep_ns(vt_.user, d.count()); }

private:
    ccx_clock_vtable vt_;
};

}  // namespace

std::unique_ptr<Transport> make_transport(const ccx_transport_vtable& vt) {
    return std::make_unique<CTransport>(vt);
}
std::unique_ptr<Lock> make_lock(const ccx_lock_vtable& vt) {
    return std::make_unique<CLock>(vt);
}
std::unique_ptr<Tracer> make_tracer(const ccx_tracer_vtable& vt) {
    return std::make_unique<CTracer>(vt);
}
std::unique_ptr<Primitives> make_primitives(const ccx_primitives_vtable& vt) {
    return std::make_unique<CPrimitives>(vt);
}
std::unique_ptr<Rcc> make_rcc(const ccx_rcc_vtable& vt) {
    return std::make_unique<CRcc>(vt);
}
std::unique_ptr<Notifier> make_notifier(const ccx_notifier_vtable& vt) {
    return std::make_unique<CNotifier>(vt);
}
std::unique_ptr<Clock> make_clock(const ccx_clock_vtable& vt) {
    return std::make_unique<CClock>(vt);
}

int check_vtable(const char* port, int version, int known, bool complete) {
    if (version <= 0)
        return fail(CCX_EVERSION, std::string(port) + " vtable has version " + std::to_string(version) +
                                      ": initialise it with its _VTABLE_INIT macro");
    if (version > known)
        return fail(CCX_EVERSION, std::string(port) + " vtable has version " + std::to_string(version) +
                                      ", newer than this library's " + std::to_string(known));
    if (!complete) return fail(CCX_EINVALID, std::string(port) + " vtable lacks a required function");
    return CCX_OK;
}

}  // namespace cloudcix::drivers::capi

using cloudcix::drivers::capi::fail;
using cloudcix::drivers::capi::guard;

// ---- Accessors and setters for callbacks --------------------------------------------------------
extern "C" {

int ccx_http_request_method(const char** out, const ccx_http_request* request) noexcept {
    CCX_REQUIRE(out);
    *out = nullptr;
    CCX_REQUIRE(request);
    *out = request->request->method.c_str();
    return CCX_OK;
}

int ccx_http_request_url(const char** out, const ccx_http_request* request) noexcept {
    CCX_REQUIRE(out);
    *out = nullptr;
    CCX_REQUIRE(request);
    *out = request->request->url.c_str();
    return CCX_OK;
}

int ccx_http_request_header_count(size_t* out, const ccx_http_request* request) noexcept {
    CCX_REQUIRE(out);
    *out = 0;
    CCX_REQUIRE(request);
    *out = request->request->headers.size();
    return CCX_OK;
}

int ccx_http_request_header(const char** out_name, const char** out_value, const ccx_http_request* request,
                            size_t index) noexcept {
    if (out_name) *out_name = nullptr;
    if (out_value) *out_value = nullptr;
    CCX_REQUIRE(request);
    const auto& h = request->request->headers;
    if (index >= h.size())
        return fail(CCX_ENOTFOUND,
                    "header index " + std::to_string(index) + " is out of range (" + std::to_string(h.size()) + ")");
    if (out_name) *out_name = h[index].first.c_str();
    if (out_value) *out_value = h[index].second.c_str();
    return CCX_OK;
}

int ccx_http_request_body(const char** out, size_t* out_len, const ccx_http_request* request) noexcept {
    CCX_REQUIRE(out);
    *out = nullptr;
    CCX_REQUIRE(out_len);
    *out_len = 0;
    CCX_REQUIRE(request);
    *out = request->request->body.c_str();
    *out_len = request->request->body.size();
    return CCX_OK;
}

int ccx_http_request_timeout_ms(int64_t* out, const ccx_http_request* request) noexcept {
    CCX_REQUIRE(out);
    *out = 0;
    CCX_REQUIRE(request);
    *out = request->request->timeout.count();
    return CCX_OK;
}

int ccx_http_response_set_status(ccx_http_response* response, int status) noexcept {
    CCX_REQUIRE(response);
    if (status < 100 || status > 599) {
        response->invalid_status = status;
        return fail(CCX_EINVALID, "HTTP status " + std::to_string(status) + " is outside 100..599");
    }
    response->response.status = status;
    response->status_set = true;
    response->invalid_status = 0;
    return CCX_OK;
}

int ccx_http_response_add_header(ccx_http_response* response, const char* name, const char* value) noexcept {
    CCX_REQUIRE(response);
    CCX_REQUIRE(name);
    CCX_REQUIRE(value);
    return guard([&]() -> int {
        response->response.headers.emplace_back(name, value);
        return CCX_OK;
    });
}

int ccx_http_response_set_body(ccx_http_response* response, const char* body, size_t len) noexcept {
    CCX_REQUIRE(response);
    if (body == nullptr && len > 0) return fail(CCX_EINVALID, "ccx_http_response_set_body: body is NULL with a length");
    return guard([&]() -> int {
        response->response.body.assign(body ? body : "", len);
        return CCX_OK;
    });
}

int ccx_http_response_set_error(ccx_http_response* response, const char* message, int sent) noexcept {
    CCX_REQUIRE(response);
    return guard([&]() -> int {
        response->response.error = message && *message ? message : "the transport callback reported an error";
        response->response.sent = sent != 0;
        response->error_set = true;
        return CCX_OK;
    });
}

int ccx_primitive_call_primitive(const char** out, const ccx_primitive_call* call) noexcept {
    CCX_REQUIRE(out);
    *out = nullptr;
    CCX_REQUIRE(call);
    *out = call->call->primitive.c_str();
    return CCX_OK;
}

int ccx_primitive_call_action(const char** out, const ccx_primitive_call* call) noexcept {
    CCX_REQUIRE(out);
    *out = nullptr;
    CCX_REQUIRE(call);
    *out = call->call->action.c_str();
    return CCX_OK;
}

int ccx_primitive_call_args_json(const char** out, const ccx_primitive_call* call) noexcept {
    CCX_REQUIRE(out);
    *out = nullptr;
    CCX_REQUIRE(call);
    *out = call->args_json.c_str();
    return CCX_OK;
}

int ccx_primitive_result_set(ccx_primitive_result* result, int ok, const char* message) noexcept {
    CCX_REQUIRE(result);
    CCX_REQUIRE(message);
    return guard([&]() -> int {
        result->result.ok = ok != 0;
        result->result.message = message;
        result->set = true;
        return CCX_OK;
    });
}

int ccx_primitive_result_set_failure(ccx_primitive_result* result, int failure) noexcept {
    using cloudcix::drivers::PrimitiveFailure;
    CCX_REQUIRE(result);
    if (failure < CCX_PRIMITIVE_OK || failure > CCX_PRIMITIVE_BAD_ARGUMENT) {
        result->garbage = "failure kind " + std::to_string(failure) + " is not a ccx_primitive_failure";
        return fail(CCX_EINVALID, result->garbage);
    }
    result->result.failure = static_cast<PrimitiveFailure>(failure);
    result->failure_set = true;
    return CCX_OK;
}

int ccx_primitive_result_set_data_json(ccx_primitive_result* result, const char* text) noexcept {
    CCX_REQUIRE(result);
    CCX_REQUIRE(text);
    return guard([&]() -> int {
        boost::system::error_code ec;
        auto v = boost::json::parse(text, ec);
        if (ec) {
            result->garbage = "data is not JSON (" + ec.message() + ")";
            return fail(CCX_EINVALID, result->garbage);
        }
        result->result.data = std::move(v);
        return CCX_OK;
    });
}

int ccx_host_command_host(const char** out, const ccx_host_command* command) noexcept {
    CCX_REQUIRE(out);
    *out = nullptr;
    CCX_REQUIRE(command);
    *out = command->command->host.c_str();
    return CCX_OK;
}

int ccx_host_command_user(const char** out, const ccx_host_command* command) noexcept {
    CCX_REQUIRE(out);
    *out = nullptr;
    CCX_REQUIRE(command);
    *out = command->command->user.c_str();
    return CCX_OK;
}

int ccx_host_command_shell(int* out, const ccx_host_command* command) noexcept {
    CCX_REQUIRE(out);
    *out = 0;
    CCX_REQUIRE(command);
    *out = command->command->shell == cloudcix::drivers::Shell::powershell ? CCX_SHELL_POWERSHELL : CCX_SHELL_POSIX;
    return CCX_OK;
}

int ccx_host_command_text(const char** out, const ccx_host_command* command) noexcept {
    CCX_REQUIRE(out);
    *out = nullptr;
    CCX_REQUIRE(command);
    *out = command->command->command.c_str();
    return CCX_OK;
}

int ccx_host_command_timeout_ms(int64_t* out, const ccx_host_command* command) noexcept {
    CCX_REQUIRE(out);
    *out = 0;
    CCX_REQUIRE(command);
    *out = command->command->timeout.count();
    return CCX_OK;
}

int ccx_host_command_assumed(const char** out_stdout, int* out_exit, const ccx_host_command* command) noexcept {
    if (out_stdout) *out_stdout = nullptr;
    if (out_exit) *out_exit = 0;
    CCX_REQUIRE(command);
    if (out_stdout) *out_stdout = command->command->assumed_stdout.c_str();
    if (out_exit) *out_exit = command->command->assumed_exit;
    return CCX_OK;
}

int ccx_host_result_set_exit(ccx_host_result* result, int exit_code) noexcept {
    CCX_REQUIRE(result);
    result->result.exit_code = exit_code;
    result->exit_set = true;
    return CCX_OK;
}

int ccx_host_result_set_output(ccx_host_result* result, const char* out, const char* err) noexcept {
    CCX_REQUIRE(result);
    return guard([&]() -> int {
        result->result.out = out ? out : "";
        result->result.err = err ? err : "";
        return CCX_OK;
    });
}

int ccx_host_result_set_channel_error(ccx_host_result* result, const char* message) noexcept {
    CCX_REQUIRE(result);
    return guard([&]() -> int {
        result->result.channel_ok = false;
        result->result.channel_error = message && *message ? message : "the rcc callback reported a channel error";
        result->channel_error_set = true;
        return CCX_OK;
    });
}

}  // extern "C"
