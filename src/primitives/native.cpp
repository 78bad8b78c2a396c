#include "cloudcix_drivers/native_primitives.hpp"

#include <boost/json/serialize.hpp>

#include "cloudcix_drivers/log.hpp"
#include "primitives/remote.hpp"

namespace cloudcix::drivers {
namespace prim {

namespace {
std::string clip(std::string_view s, std::size_t max = 400) {
    std::string t = trim(s);
    if (t.size() > max) t = t.substr(0, max) + "... (" + std::to_string(t.size() - max) + " more bytes)";
    return t;
}
}  // namespace

std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
}

PrimitiveResult success(int code, std::string_view text) {
    return PrimitiveResult{true, std::to_string(code) + ": " + std::string(text), nullptr, PrimitiveFailure::none};
}

std::string Env::str(std::string_view key) const {
    const auto* v = call.args.if_contains(key);
    if (v == nullptr || !v->is_string()) throw BadArgument("argument '" + std::string(key) + "' must be a string");
    return std::string(v->get_string());
}
long long Env::num(std::string_view key) const {
    const auto* v = call.args.if_contains(key);
    if (v == nullptr || !v->is_int64()) throw BadArgument("argument '" + std::string(key) + "' must be an integer");
    return v->get_int64();
}
bool Env::flag(std::string_view key, bool fallback) const {
    const auto* v = call.args.if_contains(key);
    return v && v->is_bool() ? v->get_bool() : fallback;
}
const boost::json::array& Env::list(std::string_view key) const {
    const auto* v = call.args.if_contains(key);
    if (v == nullptr || !v->is_array()) throw BadArgument("argument '" + std::string(key) + "' must be a list");
    return v->get_array();
}
std::vector<std::string> Env::strings(std::string_view key) const {
    std::vector<std::string> out;
    for (const auto& v : list(key)) {
        if (!v.is_string()) throw BadArgument("argument '" + std::string(key) + "' must be a list of strings");
        out.emplace_back(v.get_string());
    }
    return out;
}

Remote::Remote(Env& env, std::string host, std::string user, Shell shell, int prefix)
    : env_(env), host_(std::move(host)), user_(std::move(user)), shell_(shell), prefix_(prefix) {
    if (host_.empty()) throw BadArgument("argument 'host' is empty");
}

void Remote::fail(int step, const std::string& cmd, const RccResult& r, bool channel) {
    int code = prefix_ + 2 * step - (channel ? 1 : 0);
    std::string msg = std::to_string(code) + ": " + env_.call.name() + " step " + std::to_string(step) + " ";
    if (channel) {
        msg += "could not reach " + user_ + "@" + host_ + ": " + clip(r.channel_error);
    } else {
        msg += (r.timed_out ? "timed out on " + host_ + ": `" + clip(cmd, 200) + "` was killed at its deadline"
                            : "failed on " + host_ + ": `" + clip(cmd, 200) + "` exited " + std::to_string(r.exit_code));
        if (!trim(r.out).empty()) msg += "; stdout: " + clip(r.out);
        if (!trim(r.err).empty()) msg += "; stderr: " + clip(r.err);
    }
    if (!done_.empty()) msg += "; done before: " + std::to_string(done_.size()) + " command(s)";
    throw Stop{PrimitiveResult{false, secrets::redact(msg), nullptr,
                               channel     ? PrimitiveFailure::channel
                               : r.timed_out ? PrimitiveFailure::timeout
                                             : PrimitiveFailure::command}};
}

// One host command, as a client span of the thread's active span (the engine's primitive step).
// The command text stays out of the span: only where it ran and how it ended.
RccResult Remote::exec(int step, const HostCommand& hc, bool must_succeed) {
    auto span = ActiveSpan::start_child("host " + env_.call.name() + " step " + std::to_string(step), SpanKind::client);
    if (!span) return env_.rcc.run(hc);
    span->set_attribute("host", host_);
    span->set_attribute("user", user_);
    span->set_number("step", step);
    RccResult r = env_.rcc.run(hc);
    if (!r.channel_ok) span->set_error("channel: " + r.channel_error);
    else span->set_number("exit_code", r.exit_code);
    if (r.channel_ok && must_succeed && r.exit_code != 0) span->set_error("exit code " + std::to_string(r.exit_code));
    return r;
}

RccResult Remote::probe(int step, const std::string& cmd, std::string assumed_out, int assumed_exit) {
    HostCommand hc{host_, user_, shell_, cmd, std::chrono::milliseconds(120000), std::move(assumed_out), assumed_exit};
    RccResult r = exec(step, hc, false);  // a check: any exit code is an answer
    if (!r.channel_ok) fail(step, cmd, r, true);
    if (r.timed_out) fail(step, cmd, r, false);
    return r;
}

RccResult Remote::run(int step, const std::string& cmd) {
    HostCommand hc{host_, user_, shell_, cmd, std::chrono::milliseconds(600000), {}, 0};
    RccResult r = exec(step, hc, true);
    if (!r.channel_ok) fail(step, cmd, r, true);
    if (r.timed_out || r.exit_code != 0) fail(step, cmd, r, false);
    done_.push_back(cmd);
    return r;
}

bool Remote::poll(int step, const std::string& cmd, std::string_view want) {
    auto deadline = env_.clock.now() + env_.config.poll_timeout;
    while (true) {
        RccResult r = probe(step, cmd, std::string(want), 0);
        if (r.exit_code == 0 && trim(r.out) == want) return true;
        if (env_.clock.now() >= deadline) return false;
        env_.clock.sleep_for(env_.config.poll_interval);
    }
}

const Catalogue& catalogue() {
    static const Catalogue c = [] {
        Catalogue m;
        add_kvm(m);
        add_podnet(m);
        add_snapshot_kvm(m);
        add_snapshot_hyperv(m);
        add_backup_kvm(m);
        add_backup_hyperv(m);
        add_rbd(m);
        add_gpu_kvm(m);
        add_hyperv(m);
        return m;
    }();
    return c;
}

}  // namespace prim

NativePrimitives::NativePrimitives(Rcc& rcc, Clock& clock, Config config)
    : rcc_(rcc), clock_(clock), config_(std::move(config)) {}

std::vector<std::string> NativePrimitives::catalogue() {
    std::vector<std::string> names;
    for (const auto& [name, fn] : prim::catalogue()) names.push_back(name);
    return names;
}

PrimitiveResult NativePrimitives::call(const PrimitiveCall& call) {
    const auto& cat = prim::catalogue();
    auto it = cat.find(call.name());
    if (it == cat.end())
        return PrimitiveResult{false, "4000: no primitive " + call.name(), nullptr, PrimitiveFailure::unknown};
    prim::Env env(rcc_, clock_, config_, call);
    try {
        return it->second(env);
    } catch (const prim::Stop& stop) {
        return stop.result;
    } catch (const BadArgument& e) {
        return PrimitiveResult{false, "4001: " + call.name() + ": " + e.what(), nullptr, PrimitiveFailure::bad_argument};
    }
}

}  // namespace cloudcix::drivers
