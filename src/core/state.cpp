#include "cloudcix_drivers/state.hpp"

#include <array>
#include <charconv>
#include <utility>

namespace cloudcix::drivers {
namespace {

constexpr std::array<std::pair<State, std::string_view>, 20> kNames{{
    {State::IN_API, "IN_API"},
    {State::IGNORE, "IGNORE"},
    {State::REQUESTED, "REQUESTED"},
    {State::BUILDING, "BUILDING"},
    {State::UNRESOURCED, "UNRESOURCED"},
    {State::RUNNING, "RUNNING"},
    {State::QUIESCE, "QUIESCE"},
    {State::QUIESCED, "QUIESCED"},
    {State::RESTART, "RESTART"},
    {State::SCRUB, "SCRUB"},
    {State::SCRUB_QUEUE, "SCRUB_QUEUE"},
    {State::RUNNING_UPDATE, "RUNNING_UPDATE"},
    {State::RUNNING_UPDATING, "RUNNING_UPDATING"},
    {State::QUIESCING, "QUIESCING"},
    {State::RESTARTING, "RESTARTING"},
    {State::SCRUB_PREP, "SCRUB_PREP"},
    {State::QUIESCED_UPDATE, "QUIESCED_UPDATE"},
    {State::QUIESCED_UPDATING, "QUIESCED_UPDATING"},
    {State::SCRUBBING, "SCRUBBING"},
    {State::CLOSED, "CLOSED"},
}};

using S = State;
// ROBOT_STATE_MAP of the IaaS API (spec §1.2).
struct Move {
    State from;
    std::initializer_list<State> to;
};
const Move kRobotMap[] = {
    {S::REQUESTED, {S::BUILDING, S::UNRESOURCED}},
    {S::BUILDING, {S::UNRESOURCED, S::RUNNING}},
    {S::UNRESOURCED, {S::REQUESTED, S::QUIESCE, S::RESTART, S::SCRUB, S::RUNNING_UPDATE, S::QUIESCED_UPDATE}},
    {S::QUIESCE, {S::QUIESCING}},
    {S::RESTART, {S::RESTARTING}},
    {S::SCRUB, {S::SCRUB_PREP, S::SCRUBBING}},
    {S::RUNNING_UPDATE, {S::RUNNING_UPDATING}},
    {S::RUNNING_UPDATING, {S::UNRESOURCED, S::RUNNING}},
    {S::QUIESCED_UPDATE, {S::QUIESCED_UPDATING}},
    {S::QUIESCED_UPDATING, {S::UNRESOURCED, S::QUIESCED}},
    {S::QUIESCING, {S::UNRESOURCED, S::QUIESCED}},
    {S::RESTARTING, {S::UNRESOURCED, S::RUNNING}},
    {S::SCRUB_PREP, {S::UNRESOURCED, S::SCRUB_QUEUE}},
    {S::SCRUB_QUEUE, {S::SCRUBBING}},
    {S::SCRUBBING, {S::UNRESOURCED, S::CLOSED}},
};

}  // namespace

std::string_view to_string(State s) noexcept {
    for (const auto& [state, name] : kNames)
        if (state == s) return name;
    return "UNKNOWN";
}

std::optional<State> state_from_int(long long n) noexcept {
    for (const auto& entry : kNames)
        if (static_cast<long long>(entry.first) == n) return entry.first;
    return std::nullopt;
}

std::optional<State> parse_state(std::string_view text) noexcept {
    for (const auto& [state, name] : kNames)
        if (name == text) return state;
    long long n = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && ptr == text.data() + text.size()) return state_from_int(n);
    return std::nullopt;
}

bool robot_may_set(State from, State to) noexcept {
    if (from == to) return true;
    for (const auto& move : kRobotMap)
        if (move.from == from)
            for (State t : move.to)
                if (t == to) return true;
    return false;
}

bool is_stable(State s) noexcept {
    return s == State::RUNNING || s == State::QUIESCED || s == State::SCRUB_QUEUE || s == State::CLOSED;
}

}  // namespace cloudcix::drivers
