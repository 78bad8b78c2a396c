// IaaS resource states (spec §1.1) and the robot transition map the API enforces (spec §1.2).
#pragma once

#include <optional>
#include <string_view>

namespace cloudcix::drivers {

enum class State : int {
    IN_API = -1,
    IGNORE = 0,
    REQUESTED = 1,
    BUILDING = 2,
    UNRESOURCED = 3,
    RUNNING = 4,
    QUIESCE = 5,
    QUIESCED = 6,
    RESTART = 7,
    SCRUB = 8,
    SCRUB_QUEUE = 9,
    RUNNING_UPDATE = 10,
    RUNNING_UPDATING = 11,
    QUIESCING = 12,
    RESTARTING = 13,
    SCRUB_PREP = 14,
    QUIESCED_UPDATE = 15,
    QUIESCED_UPDATING = 16,
    SCRUBBING = 17,
    CLOSED = 99,
};

// "RUNNING" for State::RUNNING; "UNKNOWN" for a number outside the table.
std::string_view to_string(State s) noexcept;
// By name ("SCRUB_PREP") or by number ("14").
std::optional<State> parse_state(std::string_view text) noexcept;
// The state with this number, if the API defines one.
std::optional<State> state_from_int(long long n) noexcept;

// ROBOT_STATE_MAP: may a robot user move a resource from `from` to `to`?
// Sending the current state again is accepted by the API, so from == to is allowed.
bool robot_may_set(State from, State to) noexcept;

// STABLE_STATES of the API: RUNNING, QUIESCED, SCRUB_QUEUE, CLOSED.
bool is_stable(State s) noexcept;

}  // namespace cloudcix::drivers
