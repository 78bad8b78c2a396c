// Notifier port: user and NOC e-mails (spec §5.1). A failed send never changes an outcome.
#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace cloudcix::drivers {

struct Notification {
    std::string template_name;        // "vm_build_success", "failure_noc", ...
    std::vector<std::string> to;      // one message per recipient
    std::string subject;              // without the "[org] " prefix
    boost::json::object data;         // template data; secrets already removed unless the user must get them
};

class Notifier {
public:
    virtual ~Notifier() = default;
    // Returns false (and logs) when the message could not be sent.
    virtual bool send(const Notification& n) = 0;
};

}  // namespace cloudcix::drivers
