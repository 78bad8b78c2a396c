#include "cloudcix_drivers/outcome.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace cloudcix::drivers {

std::string_view to_string(Status s) noexcept {
    switch (s) {
        case Status::succeeded: return "succeeded";
        case Status::failed: return "failed";
        case Status::skipped: return "skipped";
        case Status::postponed: return "postponed";
        case Status::rejected: return "rejected";
    }
    return "rejected";
}

std::optional<Status> parse_status(std::string_view text) noexcept {
    for (Status s : {Status::succeeded, Status::failed, Status::skipped, Status::postponed, Status::rejected})
        if (to_string(s) == text) return s;
    return std::nullopt;
}

int exit_code(Status s) noexcept {
    switch (s) {
        case Status::succeeded: return 0;
        case Status::failed: return 1;
        case Status::rejected: return 2;
        case Status::skipped: return 3;
        case Status::postponed: return 4;
    }
    return 2;
}

std::string to_json(const Outcome& o) {
    boost::json::object j;
    j["driver"] = o.driver;
    j["verb"] = o.verb;
    j["resource_id"] = o.resource_id;
    j["status"] = to_string(o.status);
    j["state_before"] = o.state_before ? boost::json::value(static_cast<int>(*o.state_before)) : nullptr;
    j["state_after"] = o.state_after ? boost::json::value(static_cast<int>(*o.state_after)) : nullptr;
    boost::json::array errors;
    for (const auto& e : o.errors) errors.push_back(boost::json::object{{"code", e.code}, {"message", e.message}});
    j["errors"] = std::move(errors);
    j["retry_after_ms"] = o.retry_after.count();
    j["timings_us"] = boost::json::object{{"total", o.timings.total.count()},
                                          {"lock_wait", o.timings.lock_wait.count()},
                                          {"execute", o.timings.execute.count()}};
    j["trace_id"] = o.trace_id;
    return boost::json::serialize(j);
}

}  // namespace cloudcix::drivers
