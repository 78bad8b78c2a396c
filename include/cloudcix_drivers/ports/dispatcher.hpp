// Dispatcher port: enqueue a task now or after a delay.
#pragma once

#include <chrono>
#include <string>

namespace cloudcix::drivers {

struct Task {
    std::string driver;
    std::string verb;
    long long resource_id = 0;
    std::string traceparent;  // optional W3C context to continue
};

class Dispatcher {
public:
    virtual ~Dispatcher() = default;
    // Returns false when the task could not be queued.
    virtual bool dispatch(const Task& task, std::chrono::milliseconds delay) = 0;
};

}  // namespace cloudcix::drivers
