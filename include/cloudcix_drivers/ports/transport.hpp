// Transport port: one HTTP request in, one response out. Thread-safe by contract.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace cloudcix::drivers {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
    std::string method;  // "GET", "PATCH", "POST", "PUT"
    std::string url;     // absolute: scheme://host[:port]/path?query
    Headers headers;
    std::string body;
    std::chrono::milliseconds timeout{30000};  // whole request, connect included
};

struct HttpResponse {
    int status = 0;  // 0: no HTTP response at all, see `error`
    Headers headers;
    std::string body;
    std::string error;  // set when the request never produced a response
    bool sent = true;   // false when provably nothing reached the server (safe to retry any method)

    bool ok() const noexcept { return status >= 200 && status < 300; }
    // Case-insensitive header lookup; empty when absent.
    std::string header(std::string_view name) const;
};

class Transport {
public:
    virtual ~Transport() = default;
    // Must not throw for network failures: report them in HttpResponse::error.
    virtual HttpResponse send(const HttpRequest& request) = 0;
};

}  // namespace cloudcix::drivers
