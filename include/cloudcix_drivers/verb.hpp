// What differs per verb, declared as data (ARCHITECTURE.md "Verbs are declarations").
#pragma once

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "cloudcix_drivers/config.hpp"
#include "cloudcix_drivers/errors.hpp"
#include "cloudcix_drivers/iaas/client.hpp"
#include "cloudcix_drivers/ports/notifier.hpp"
#include "cloudcix_drivers/ports/primitives.hpp"
#include "cloudcix_drivers/resource.hpp"
#include "cloudcix_drivers/state.hpp"

namespace cloudcix::drivers {

struct Outcome;

// Thrown by verb code when a related API read fails; the engine maps `number` into the code.
class ApiFailure : public std::runtime_error {
public:
    ApiFailure(ErrorNumber n, const std::string& message) : std::runtime_error(message), number(n) {}
    ErrorNumber number;
};

// Thrown by plan builders for a condition that makes the verb fail (no primary storage, no host
// address, a driver/server-type mismatch ...).
class VerbFailure : public std::runtime_error {
public:
    VerbFailure(ErrorNumber n, const std::string& message) : std::runtime_error(message), number(n) {}
    ErrorNumber number;
};

// What prerequisites decided.
struct Dependency {
    enum class Kind { proceed, postpone, fail } kind = Kind::proceed;
    std::chrono::milliseconds retry_after{0};
    std::string reason;

    static Dependency ready() { return {}; }
    static Dependency wait(std::chrono::milliseconds after, std::string why) {
        return {Kind::postpone, after, std::move(why)};
    }
    static Dependency broken(std::string why) { return {Kind::fail, {}, std::move(why)}; }
};

// An ordered list of primitive calls, built before anything runs.
struct Plan {
    std::vector<PrimitiveCall> calls;
    boost::json::object success_fields;  // written with the success state (e.g. time_valid)
};

struct VerbSpec;

// What verb code sees: the resource, reads of related objects, configuration.
class VerbContext {
public:
    VerbContext(const VerbSpec& spec, const boost::json::object& resource, IaasClient& api,
                const Config& config, std::chrono::system_clock::time_point now);

    const VerbSpec& spec;
    Fields resource;
    const Config& config;
    std::chrono::system_clock::time_point now;
    // Scratch space a plan builder shares with notifications (e.g. a generated password:
    // it is also registered as a secret).
    boost::json::object facts;

    // Related reads; an API failure throws ApiFailure (message names the object).
    boost::json::object read(std::string_view service, long long id);
    boost::json::array list(std::string_view service, const Query& query);
    IaasClient& api() { return api_; }

private:
    IaasClient& api_;
};

struct VerbSpec {
    std::string driver;
    std::string verb;
    std::string service;  // API service whose state moves: "vm", "virtual_router", "snapshot", ...
    State trigger = State::REQUESTED;
    State in_progress = State::BUILDING;
    State success = State::RUNNING;

    // Before the in-progress mark, under the locks. Empty: always ready.
    std::function<Dependency(VerbContext&)> prerequisites;
    // Infrastructure lock keys besides the resource's own ("host:12", "podnet", "project:812").
    std::function<std::vector<std::string>(const Fields&)> lock_keys;
    // The host work. Empty: the verb has no plan yet and run() rejects it with 1003.
    std::function<Plan(VerbContext&)> plan;
    // E-mails after settling; `outcome.status` tells success from failure.
    std::function<std::vector<Notification>(VerbContext&, const Outcome&)> notifications;
    // Follow-up API writes after a success (e.g. PATCH vpn send_email=false); failures only logged.
    std::function<void(VerbContext&)> after_success;

    std::string name() const { return driver + "." + verb; }
};

}  // namespace cloudcix::drivers
