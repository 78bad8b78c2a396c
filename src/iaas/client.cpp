#include "cloudcix_drivers/iaas/client.hpp"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "cloudcix_drivers/log.hpp"
#include "cloudcix_drivers/ports/tracer.hpp"

namespace cloudcix::drivers {
namespace {

thread_local std::string t_traceparent;

std::string encode(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xF]);
        }
    }
    return out;
}

std::string with_slash(std::string base) {
    if (!base.empty() && base.back() != '/') base.push_back('/');
    return base;
}

// "GET https://host/iaas/vm/1/" without the query's filters beyond the path, never a token.
std::string describe(std::string_view method, std::string_view url) {
    return std::string(method) + " " + std::string(url.substr(0, url.find('?')));
}

// "<what>: <transport error>", unless the transport's message already names the request.
std::string failure_text(std::string_view method, std::string_view url, const std::string& error) {
    if (error.rfind(std::string(method) + " ", 0) == 0) return secrets::redact(error);
    return describe(method, url) + ": " + secrets::redact(error.empty() ? "no response" : error);
}

// The CloudCIX error body: {"error_code","detail"} or {"errors":{field:{error_code,detail}}}.
std::string error_text(const boost::json::value& body, std::string_view raw) {
    if (const auto* o = body.if_object()) {
        std::string text;
        if (const auto* errors = o->if_contains("errors"); errors && errors->is_object()) {
            for (const auto& [field, e] : errors->get_object()) {
                if (!text.empty()) text += "; ";
                text += std::string(field) + ": ";
                if (const auto* eo = e.if_object()) {
                    if (const auto* c = eo->if_contains("error_code"); c && c->is_string())
                        text += std::string(c->get_string()) + " ";
                    if (const auto* d = eo->if_contains("detail"); d && d->is_string()) text += d->get_string();
                } else {
                    text += boost::json::serialize(e);
                }
            }
            return text;
        }
        if (const auto* c = o->if_contains("error_code"); c && c->is_string()) text += std::string(c->get_string()) + " ";
        if (const auto* d = o->if_contains("detail"); d && d->is_string()) text += d->get_string();
        if (!text.empty()) return text;
    }
    return std::string(raw.substr(0, 200));
}

// One request through the transport, as a client span of the thread's active span (when a
// tracer is active) whose context travels as `traceparent`; otherwise the thread's traceparent.
HttpResponse traced_send(Transport& transport, HttpRequest& req) {
    // Named "METHOD /path/" (no scheme, host or query); url.full keeps the host, not the query.
    std::string_view url = std::string_view(req.url).substr(0, req.url.find('?'));
    std::string_view path = url;
    if (auto scheme = path.find("://"); scheme != std::string_view::npos) {
        path.remove_prefix(scheme + 3);
        path.remove_prefix(std::min(path.size(), path.find('/')));
    }
    auto span = ActiveSpan::start_child(req.method + " " + std::string(path), SpanKind::client);
    if (span) {
        span->set_attribute("http.request.method", req.method);
        span->set_attribute("url.full", url);
        req.headers.emplace_back("traceparent", span->context().traceparent());
    } else if (ActiveSpan::current().valid()) {
        req.headers.emplace_back("traceparent", ActiveSpan::current().traceparent());
    } else if (!t_traceparent.empty()) {
        req.headers.emplace_back("traceparent", t_traceparent);
    }
    HttpResponse resp = transport.send(req);
    if (span) {
        if (resp.status != 0) span->set_number("http.response.status_code", resp.status);
        if (resp.status == 0) span->set_error(resp.error.empty() ? "no response" : resp.error);
        else if (resp.status >= 400) span->set_error("HTTP " + std::to_string(resp.status));
    }
    return resp;
}

}  // namespace

std::string in_list(const std::vector<long long>& ids) {
    std::string s = "[";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i) s += ",";
        s += std::to_string(ids[i]);
    }
    return s + "]";
}

IaasClient::IaasClient(Transport& transport, Clock& clock, IaasSettings settings)
    : transport_(transport), clock_(clock), settings_(std::move(settings)) {
    settings_.iaas_url = with_slash(settings_.iaas_url);
    settings_.membership_url = with_slash(settings_.membership_url);
    secrets::remember(settings_.password);
    secrets::remember(settings_.api_key);
}

void IaasClient::set_thread_traceparent(std::string traceparent) { t_traceparent = std::move(traceparent); }

void IaasClient::invalidate_token() {
    std::lock_guard lock(mutex_);
    token_.clear();
}

int IaasClient::logins() const {
    std::lock_guard lock(mutex_);
    return logins_;
}

bool IaasClient::ensure_token(std::string& token, std::string& error, bool force) {
    std::lock_guard lock(mutex_);
    auto now = clock_.now();
    if (!force && !token_.empty() && now - token_time_ < settings_.token_max_age) {
        token = token_;
        return true;
    }
    if (force && !token_.empty() && token_ != token) {  // another thread renewed meanwhile
        token = token_;
        return true;
    }
    if (settings_.membership_url == "/") {
        error = "no Membership URL configured (CLOUDCIX_MEMBERSHIP_URL)";
        return false;
    }
    const std::string url = settings_.membership_url + "auth/login/";
    HttpRequest req{"POST", url, {{"Content-Type", "application/json"}, {"Accept", "application/json"}},
                    boost::json::serialize(boost::json::object{{"email", settings_.username},
                                                               {"password", settings_.password},
                                                               {"api_key", settings_.api_key}}),
                    settings_.request_timeout};
    HttpResponse resp = traced_send(transport_, req);
    ++logins_;
    if (resp.status == 0) {
        error = failure_text("POST", url, resp.error);
        return false;
    }
    boost::system::error_code ec;
    auto body = boost::json::parse(resp.body, ec);
    if (resp.status != 201 && resp.status != 200) {
        error = describe("POST", url) + " answered " + std::to_string(resp.status) + ": " +
                secrets::redact(error_text(ec ? boost::json::value() : body, resp.body));
        return false;
    }
    const boost::json::value* t = (!ec && body.is_object()) ? body.get_object().if_contains("token") : nullptr;
    if (t == nullptr || !t->is_string() || t->get_string().empty()) {
        error = describe("POST", url) + " answered without a token";
        return false;
    }
    token_ = std::string(t->get_string());
    token_time_ = now;
    secrets::remember(token_);
    token = token_;
    return true;
}

ApiReply IaasClient::send_once(std::string_view method, const std::string& url, const std::string& body,
                               const std::string& token) {
    HttpRequest req;
    req.method = std::string(method);
    req.url = url;
    req.headers = {{"X-Auth-Token", token}, {"Content-Type", "application/json"}, {"Accept", "application/json"}};
    req.body = body;
    req.timeout = settings_.request_timeout;
    HttpResponse resp = traced_send(transport_, req);

    ApiReply r;
    r.status = resp.status;
    const std::string what = describe(method, url);
    if (resp.status == 0) {
        r.failure = ErrorNumber::api_unavailable;
        r.message = failure_text(method, url, resp.error);
        return r;
    }
    boost::system::error_code ec;
    if (!resp.body.empty()) r.body = boost::json::parse(resp.body, ec);
    if (resp.status >= 500) {
        r.failure = ErrorNumber::api_unavailable;
        r.message = what + " answered " + std::to_string(resp.status);
        return r;
    }
    if (resp.status == 404) {
        r.failure = ErrorNumber::not_found;
        r.message = what + " answered 404 (not found)";
        return r;
    }
    if (resp.status == 401) {
        r.failure = ErrorNumber::login_failed;
        r.message = what + " answered 401: " + secrets::redact(error_text(ec ? boost::json::value() : r.body, resp.body));
        return r;
    }
    if (resp.status >= 300) {
        r.failure = ErrorNumber::api_error;
        r.message = what + " answered " + std::to_string(resp.status) + ": " +
                    secrets::redact(error_text(ec ? boost::json::value() : r.body, resp.body));
        return r;
    }
    if (ec) {
        r.failure = ErrorNumber::malformed_response;
        r.message = what + " answered " + std::to_string(resp.status) + " with a body that is not JSON";
        r.body = nullptr;
        return r;
    }
    if (const auto* o = r.body.if_object())
        if (const auto* c = o->if_contains("content")) r.content = *c;
    return r;
}

ApiReply IaasClient::request(std::string_view method, const std::string& url, const boost::json::value* body) {
    const std::string payload = body ? boost::json::serialize(*body) : std::string();
    std::string token, error;
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!ensure_token(token, error, attempt > 0)) {
            ApiReply r;
            r.failure = ErrorNumber::login_failed;
            r.message = "login failed: " + error;
            return r;
        }
        ApiReply r = send_once(method, url, payload, token);
        // A 401 means the token is expired or revoked: renew once, then give up (no loop).
        if (r.status == 401 && attempt == 0) continue;
        return r;
    }
    return {};  // unreachable
}

ApiReply IaasClient::read(std::string_view service, long long id) {
    ApiReply r = request("GET", settings_.iaas_url + std::string(service) + "/" + std::to_string(id) + "/", nullptr);
    if (r.ok() && !r.content.is_object()) {
        r.failure = ErrorNumber::malformed_response;
        r.message = "GET " + std::string(service) + "/" + std::to_string(id) + "/ answered without a content object";
    }
    return r;
}

ApiReply IaasClient::update(std::string_view service, long long id, const boost::json::object& changes) {
    boost::json::value body = changes;
    return request("PATCH", settings_.iaas_url + std::string(service) + "/" + std::to_string(id) + "/", &body);
}

ApiReply IaasClient::call(std::string_view method, std::string_view path, const boost::json::value* body) {
    return request(method, settings_.iaas_url + std::string(path), body);
}

ApiList IaasClient::list(std::string_view service, const Query& q) {
    std::string base = settings_.iaas_url + std::string(service) + "/?";
    for (const auto& [k, v] : q.search) base += encode("search[" + k + "]") + "=" + encode(v) + "&";
    for (const auto& [k, v] : q.exclude) base += encode("exclude[" + k + "]") + "=" + encode(v) + "&";
    if (!q.order.empty()) base += "order=" + encode(q.order) + "&";
    base += "limit=" + std::to_string(q.limit);

    ApiList out;
    for (int page = 0; page < 100000; ++page) {
        ApiReply r = request("GET", base + "&page=" + std::to_string(page), nullptr);
        if (!r.ok()) {
            out.failure = r.failure;
            out.message = r.message;
            return out;
        }
        if (!r.content.is_array()) {
            out.failure = ErrorNumber::malformed_response;
            out.message = "GET " + std::string(service) + "/ answered without a content list";
            return out;
        }
        const auto& items = r.content.get_array();
        for (const auto& item : items) out.items.push_back(item);
        long long total = -1;
        if (const auto* meta = r.body.get_object().if_contains("_metadata"); meta && meta->is_object())
            if (const auto* t = meta->get_object().if_contains("total_records"); t && t->is_int64()) total = t->get_int64();
        if (items.empty() || total < 0 || static_cast<long long>(out.items.size()) >= total) break;
    }
    return out;
}

}  // namespace cloudcix::drivers
