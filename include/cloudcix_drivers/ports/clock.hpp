// Clock port: every wait and every timestamp goes through it, so tests control time.
#pragma once

#include <chrono>

namespace cloudcix::drivers {

class Clock {
public:
    virtual ~Clock() = default;
    virtual std::chrono::steady_clock::time_point now() = 0;
    virtual std::chrono::system_clock::time_point wall() = 0;
    virtual void sleep_for(std::chrono::nanoseconds d) = 0;
};

// The process's real clocks.
Clock& system_clock();

}  // namespace cloudcix::drivers
