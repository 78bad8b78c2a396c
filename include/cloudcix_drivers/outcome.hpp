// The result of one run(): never an exception for anything the outside world can cause.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cloudcix_drivers/errors.hpp"
#include "cloudcix_drivers/state.hpp"

namespace cloudcix::drivers {

enum class Status {
    succeeded,  // plan ran, success state written
    failed,     // something broke after the in-progress mark (or a dependency failed): UNRESOURCED
    skipped,    // resource no longer in the trigger state
    postponed,  // dependency not ready or lock busy; retry_after is set
    rejected,   // bad request, unknown resource, malformed API data, verb without a plan
};

std::string_view to_string(Status s) noexcept;
std::optional<Status> parse_status(std::string_view text) noexcept;

struct Timings {
    std::chrono::microseconds total{0};
    std::chrono::microseconds lock_wait{0};
    std::chrono::microseconds execute{0};
};

struct Outcome {
    std::string driver;
    std::string verb;
    long long resource_id = 0;
    Status status = Status::rejected;
    std::optional<State> state_before;
    std::optional<State> state_after;
    std::vector<Error> errors;  // in the order they happened
    std::chrono::milliseconds retry_after{0};
    Timings timings;
    std::string trace_id;  // 32 lowercase hex digits
};

// {"status","state_before","state_after","errors":[{"code","message"}],"retry_after_ms", ...}
std::string to_json(const Outcome& o);

// CLI exit code: 0 succeeded, 1 failed, 2 rejected, 3 skipped, 4 postponed.
int exit_code(Status s) noexcept;

}  // namespace cloudcix::drivers
