// The CloudCIX IaaS API client (spec §2) on top of the Transport port: paths, envelope, list
// filters and pagination, token login and renewal, error shapes. Thread-safe; never throws for
// anything the API or the network does.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "cloudcix_drivers/config.hpp"
#include "cloudcix_drivers/errors.hpp"
#include "cloudcix_drivers/ports/clock.hpp"
#include "cloudcix_drivers/ports/transport.hpp"

namespace cloudcix::drivers {

class Tracer;
struct SpanContext;

struct ApiReply {
    int status = 0;                 // HTTP status; 0 when no response came back
    boost::json::value content;     // the envelope's "content" (null for 204 / empty bodies)
    boost::json::value body;        // the whole parsed body (errors live here)
    ErrorNumber failure = ErrorNumber::api_unavailable;  // meaningful when !ok()
    std::string message;            // names method, host and path; never the token

    bool ok() const noexcept { return status >= 200 && status < 300 && message.empty(); }
};

struct ApiList {
    boost::json::array items;
    ErrorNumber failure = ErrorNumber::api_unavailable;
    std::string message;  // empty on success
    bool ok() const noexcept { return message.empty(); }
};

// `search[field]=value` / `exclude[field]=value` filters, `order`, page size.
struct Query {
    std::vector<std::pair<std::string, std::string>> search;
    std::vector<std::pair<std::string, std::string>> exclude;
    std::string order;
    int limit = 100;

    Query& where(std::string field, std::string value) {
        search.emplace_back(std::move(field), std::move(value));
        return *this;
    }
    Query& except(std::string field, std::string value) {
        exclude.emplace_back(std::move(field), std::move(value));
        return *this;
    }
};

// "[1,2,3]" as the SDK sends `__in` values.
std::string in_list(const std::vector<long long>& ids);

class IaasClient {
public:
    IaasClient(Transport& transport, Clock& clock, IaasSettings settings);

    ApiReply read(std::string_view service, long long id);
    ApiReply update(std::string_view service, long long id, const boost::json::object& changes);  // PATCH
    ApiList list(std::string_view service, const Query& query);  // every page
    // Raw calls relative to the IaaS root ("run_robot/", "detach/9001/").
    ApiReply call(std::string_view method, std::string_view path, const boost::json::value* body);

    // Trace context added to every request as `traceparent` (per thread).
    static void set_thread_traceparent(std::string traceparent);

    // Forces a new login on the next call.
    void invalidate_token();
    int logins() const;  // how many logins happened (tests, benchmarks)

private:
    ApiReply request(std::string_view method, const std::string& url, const boost::json::value* body);
    ApiReply send_once(std::string_view method, const std::string& url, const std::string& body,
                       const std::string& token);
    bool ensure_token(std::string& token, std::string& error, bool force);

    Transport& transport_;
    Clock& clock_;
    IaasSettings settings_;
    mutable std::mutex mutex_;
    std::string token_;
    std::chrono::steady_clock::time_point token_time_{};
    int logins_ = 0;
};

}  // namespace cloudcix::drivers
