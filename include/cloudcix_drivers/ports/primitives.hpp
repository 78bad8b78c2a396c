// Primitives port: call(primitive, action, args) → {ok, message, data} (spec §3.3).
#pragma once

#include <string>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace cloudcix::drivers {

struct PrimitiveCall {
    std::string primitive;     // "cloudinit_kvm", "bridge_kvm", "ns", ...
    std::string action;        // "build", "scrub", "quiesce", ...
    boost::json::object args;  // host, names, sizes: everything the primitive needs

    std::string name() const { return primitive + "." + action; }
};

enum class PrimitiveFailure {
    none,
    command,       // a host command failed (non-zero exit)
    channel,       // the host could not be reached or refused us
    unknown,       // no such primitive / action
    timeout,       // a wait ran out
    bad_argument,  // an argument failed validation (nothing ran)
};

struct PrimitiveResult {
    bool ok = false;
    std::string message;  // "NNNN: text"; 1xxx on success, 3xxx/4xxx on failure
    boost::json::value data;
    PrimitiveFailure failure = PrimitiveFailure::none;
};

class Primitives {
public:
    virtual ~Primitives() = default;
    virtual PrimitiveResult call(const PrimitiveCall& call) = 0;
};

}  // namespace cloudcix::drivers
