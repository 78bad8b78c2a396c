// HttpTransport: Boost.Beast + OpenSSL behind the Transport port. Synchronous for the caller;
// inside, every network step is an asynchronous operation on the connection's own io_context with
// a deadline on the stream (tcp_stream::expires_at), so no step can block past its deadline.
// This is one of the few translation units allowed to include Beast/Asio.
#include "cloudcix_drivers/transport/http.hpp"

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <variant>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "cloudcix_drivers/log.hpp"

namespace cloudcix::drivers {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

std::string millis(SteadyClock::duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

bool idempotent(std::string_view method) { return method == "GET" || method == "HEAD"; }

bool retryable_status(int status) { return status == 502 || status == 503 || status == 504; }

// One connection: its own io_context (so a thread can drive it alone), its stream, its buffer.
struct Connection {
    asio::io_context ioc{1};
    std::variant<std::monostate, beast::tcp_stream, beast::ssl_stream<beast::tcp_stream>> stream;
    beast::flat_buffer buffer;
    SteadyClock::time_point idle_since{};
    SteadyClock::time_point reuse_until = SteadyClock::time_point::max();  // server's Keep-Alive timeout

    beast::tcp_stream& layer() {
        if (auto* t = std::get_if<beast::ssl_stream<beast::tcp_stream>>(&stream)) return beast::get_lowest_layer(*t);
        return std::get<beast::tcp_stream>(stream);
    }

    // Runs the operations started on this connection until they complete (each has a deadline).
    void drive() {
        ioc.restart();
        ioc.run();
    }

    // A pooled connection is fit for reuse only when the server has said nothing since: any
    // readable byte or hang-up on an idle HTTP/1.1 connection means the server closed it.
    bool still_open() {
        auto& socket = layer().socket();
        if (!socket.is_open() || buffer.size() != 0) return false;
        pollfd p{socket.native_handle(), static_cast<short>(POLLIN | POLLRDHUP), 0};
        return ::poll(&p, 1, 0) == 0;
    }
};

std::string describe_error(const beast::error_code& ec) {
    if (ec == beast::error::timeout) return "timed out";
    if (ec == http::error::body_limit) return "response body exceeds the size limit";
    if (ec == http::error::header_limit) return "response headers exceed the size limit";
    if (ec == http::error::partial_message || ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == ssl::error::stream_truncated)
        return "connection closed before a complete response (truncated)";
    if (ec == asio::error::connection_reset) return "connection reset by the server";
    if (ec == asio::error::connection_refused) return "connection refused";
    return ec.message();
}

// Parses "timeout=5, max=100" from a Keep-Alive header.
std::optional<std::chrono::seconds> keep_alive_timeout(std::string_view value) {
    auto at = value.find("timeout=");
    if (at == std::string_view::npos) return std::nullopt;
    long long n = 0;
    bool any = false;
    for (std::size_t i = at + 8; i < value.size() && std::isdigit(static_cast<unsigned char>(value[i])); ++i) {
        n = n * 10 + (value[i] - '0');
        any = true;
    }
    if (!any) return std::nullopt;
    return std::chrono::seconds(n);
}

}  // namespace

struct HttpTransport::Impl {
    HttpOptions options;
    ssl::context tls{ssl::context::tls_client};

    std::mutex pool_mutex;
    std::map<std::string, std::deque<std::unique_ptr<Connection>>> idle;

    std::atomic<std::uint64_t> requests{0}, connections{0}, handshakes{0}, reused{0}, stale{0}, retries{0};

    explicit Impl(HttpOptions o) : options(std::move(o)) {
        if (options.ca_file.empty())
            if (const char* env = std::getenv("CLOUDCIX_CA_FILE"); env != nullptr) options.ca_file = env;
        SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
        if (options.insecure) {
            tls.set_verify_mode(ssl::verify_none);
            return;
        }
        tls.set_verify_mode(ssl::verify_peer);
        beast::error_code ec;
        if (!options.ca_file.empty()) {
            tls.load_verify_file(options.ca_file, ec);
            if (ec)
                throw std::runtime_error("HTTP transport: cannot load the CA file " + options.ca_file + ": " + ec.message());
        } else {
            tls.set_default_verify_paths(ec);
            if (ec) throw std::runtime_error("HTTP transport: cannot load the system CA store: " + ec.message());
        }
    }

    void warn(const std::string& message) {
        if (options.log != nullptr) {
            LogRecord r;
            r.time = std::chrono::system_clock::now();
            r.level = LogLevel::warning;
            r.logger = "transport.http";
            r.message = message;
            options.log->write(r);
        } else {
            std::cerr << "WARNING transport.http: " << message << "\n";
        }
    }

    static std::string pool_key(const ParsedUrl& u) { return u.scheme + "://" + u.host_header(); }

    std::unique_ptr<Connection> take(const std::string& key) {
        std::vector<std::unique_ptr<Connection>> discard;  // closed outside the lock
        std::unique_ptr<Connection> found;
        {
            std::lock_guard lock(pool_mutex);
            auto it = idle.find(key);
            if (it == idle.end()) return nullptr;
            auto& list = it->second;
            const auto now = SteadyClock::now();
            while (!list.empty() && !found) {
                auto c = std::move(list.back());
                list.pop_back();
                if (now - c->idle_since > options.idle_timeout || now >= c->reuse_until || !c->still_open()) {
                    ++stale;
                    discard.push_back(std::move(c));
                } else {
                    found = std::move(c);
                }
            }
        }
        return found;
    }

    void give(const std::string& key, std::unique_ptr<Connection> c) {
        c->idle_since = SteadyClock::now();
        std::unique_ptr<Connection> dropped;
        std::lock_guard lock(pool_mutex);
        auto& list = idle[key];
        list.push_back(std::move(c));
        if (list.size() > options.max_idle_per_endpoint) {
            dropped = std::move(list.front());
            list.pop_front();
        }
    }

    // TCP connect (and TLS handshake) before `deadline`. Empty string on success; `permanent`
    // when trying again cannot help (the certificate was refused).
    std::string open(Connection& c, const ParsedUrl& u, SteadyClock::time_point deadline, bool& permanent) {
        std::vector<tcp::endpoint> endpoints;
        beast::error_code ec;
        auto address = asio::ip::make_address(u.host, ec);
        const bool is_ip = !ec;
        if (is_ip) {
            endpoints.emplace_back(address, u.port);
        } else {
            tcp::resolver resolver(c.ioc);
            bool done = false;
            beast::error_code rec;
            resolver.async_resolve(u.host, std::to_string(u.port),
                                   [&](beast::error_code e, const tcp::resolver::results_type& results) {
                                       rec = e;
                                       for (const auto& r : results) endpoints.push_back(r.endpoint());
                                       done = true;
                                   });
            c.ioc.restart();
            c.ioc.run_until(deadline);
            if (!done) {
                resolver.cancel();
                c.ioc.restart();
                c.ioc.run();
                return "name resolution timed out";
            }
            if (rec) return "cannot resolve " + u.host + ": " + rec.message();
            if (endpoints.empty()) return "cannot resolve " + u.host;
        }

        const bool secure = u.scheme == "https";
        if (secure)
            c.stream.emplace<beast::ssl_stream<beast::tcp_stream>>(c.ioc, tls);
        else
            c.stream.emplace<beast::tcp_stream>(c.ioc);
        auto& layer = c.layer();
        layer.expires_at(deadline);
        beast::error_code cec;
        layer.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { cec = e; });
        c.drive();
        if (cec) return "connect failed: " + (cec == beast::error::timeout ? "timed out" : describe_error(cec));
        ++connections;
        layer.socket().set_option(tcp::no_delay(true), ec);
        if (!secure) return {};

        auto& stream = std::get<beast::ssl_stream<beast::tcp_stream>>(c.stream);
        SSL* handle = stream.native_handle();
        if (!is_ip) SSL_set_tlsext_host_name(handle, u.host.c_str());  // SNI: names only
        if (options.insecure) {
            warn("TLS certificate verification is OFF (insecure) for " + u.host_header());
        } else {
            X509_VERIFY_PARAM* param = SSL_get0_param(handle);
            int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, u.host.c_str())
                                                         : X509_VERIFY_PARAM_set1_host(param, u.host.c_str(), 0);
            if (ok != 1) return "cannot set the expected certificate name " + u.host;
        }
        layer.expires_at(deadline);
        beast::error_code hec;
        stream.async_handshake(ssl::stream_base::client, [&](beast::error_code e) { hec = e; });
        c.drive();
        if (hec) {
            long verify = SSL_get_verify_result(handle);
            if (verify != X509_V_OK) {
                permanent = true;
                return std::string("TLS certificate verification failed: ") + X509_verify_cert_error_string(verify);
            }
            return "TLS handshake failed: " + (hec == beast::error::timeout ? "timed out" : describe_error(hec));
        }
        ++handshakes;
        return {};
    }

    // One attempt on one connection (pooled or new).
    HttpResponse attempt(const HttpRequest& request, const ParsedUrl& u, const std::string& what,
                         SteadyClock::time_point total_deadline, bool& permanent) {
        HttpResponse out;
        const auto start = SteadyClock::now();
        const auto deadline = std::min(total_deadline, start + options.request_timeout);
        const auto key = pool_key(u);

        std::unique_ptr<Connection> c = options.keep_alive ? take(key) : nullptr;
        const bool was_pooled = c != nullptr;
        if (!c) {
            c = std::make_unique<Connection>();
            if (auto err = open(*c, u, std::min(deadline, start + options.connect_timeout), permanent); !err.empty()) {
                out.sent = false;
                out.error = what + ": " + err;
                return out;
            }
        } else {
            ++reused;
        }

        http::request<http::string_body> req;
        auto verb = http::string_to_verb(request.method);
        if (verb == http::verb::unknown) {
            out.sent = false;
            out.error = what + ": unknown HTTP method";
            permanent = true;
            return out;
        }
        req.method(verb);
        req.target(u.target);
        req.version(11);
        req.set(http::field::host, u.host_header());
        req.set(http::field::user_agent, options.user_agent);
        for (const auto& [name, value] : request.headers) {
            auto field = http::string_to_field(name);
            if (field == http::field::host || field == http::field::content_length ||
                field == http::field::transfer_encoding || field == http::field::connection)
                continue;
            req.insert(name, value);
        }
        req.body() = request.body;
        req.keep_alive(options.keep_alive);
        req.prepare_payload();

        auto& layer = c->layer();
        beast::error_code ec;
        std::size_t written = 0;
        layer.expires_at(deadline);
        auto on_write = [&](beast::error_code e, std::size_t n) {
            ec = e;
            written = n;
        };
        if (auto* s = std::get_if<beast::ssl_stream<beast::tcp_stream>>(&c->stream))
            http::async_write(*s, req, on_write);
        else
            http::async_write(std::get<beast::tcp_stream>(c->stream), req, on_write);
        c->drive();
        ++requests;
        if (ec) {
            out.sent = written > 0;
            out.error = what + ": sending the request failed: " + describe_error(ec) +
                        (was_pooled ? " (on a reused connection)" : "");
            return out;
        }

        http::response_parser<http::string_body> parser;
        parser.body_limit(options.max_body_bytes);
        parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
        layer.expires_at(deadline);
        auto on_read = [&](beast::error_code e, std::size_t) { ec = e; };
        if (auto* s = std::get_if<beast::ssl_stream<beast::tcp_stream>>(&c->stream))
            http::async_read(*s, c->buffer, parser, on_read);
        else
            http::async_read(std::get<beast::tcp_stream>(c->stream), c->buffer, parser, on_read);
        c->drive();
        if (ec) {
            out.sent = true;
            std::string why = describe_error(ec);
            if (ec == beast::error::timeout) why = "no complete response within " + millis(deadline - start);
            out.error = what + ": " + why + (was_pooled ? " (on a reused connection)" : "");
            return out;
        }

        auto& res = parser.get();
        out.status = static_cast<int>(res.result_int());
        for (const auto& f : res) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        out.body = std::move(res.body());

        if (options.keep_alive && res.keep_alive() && !parser.need_eof()) {
            if (auto ka = res.find(http::field::keep_alive); ka != res.end())
                if (auto t = keep_alive_timeout(ka->value()))
                    c->reuse_until = SteadyClock::now() + *t - std::min<SteadyClock::duration>(*t / 2, std::chrono::seconds(1));
            give(key, std::move(c));
        }
        return out;
    }

    std::chrono::milliseconds backoff(int attempt) {
        static thread_local std::mt19937_64 rng{std::random_device{}()};
        auto base = options.backoff_base.count() << std::min(attempt - 1, 20);
        auto cap = std::min<long long>(base, options.backoff_max.count());
        std::uniform_int_distribution<long long> jitter(cap / 2, std::max(cap / 2, cap));
        return std::chrono::milliseconds(jitter(rng));
    }
};

HttpTransport::HttpTransport(HttpOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpTransport::~HttpTransport() = default;

const HttpOptions& HttpTransport::options() const { return impl_->options; }

HttpStats HttpTransport::stats() const {
    HttpStats s;
    s.requests = impl_->requests;
    s.connections_opened = impl_->connections;
    s.tls_handshakes = impl_->handshakes;
    s.reused = impl_->reused;
    s.stale_discarded = impl_->stale;
    s.retries = impl_->retries;
    return s;
}

void HttpTransport::close_idle() {
    std::map<std::string, std::deque<std::unique_ptr<Connection>>> dropped;
    std::lock_guard lock(impl_->pool_mutex);
    dropped.swap(impl_->idle);
}

HttpResponse HttpTransport::send(const HttpRequest& request) {
    auto& m = *impl_;
    const auto start = SteadyClock::now();
    auto total = m.options.total_timeout;
    if (request.timeout.count() > 0) total = std::min(total, request.timeout);
    const auto deadline = start + total;

    auto url = parse_url(request.url);
    std::string shown = request.url.substr(0, request.url.find_first_of("?#"));
    if (!url) {
        HttpResponse r;
        r.sent = false;
        r.error = request.method + " " + shown + ": not an http:// or https:// URL";
        return r;
    }
    const std::string what =
        request.method + " " + url->scheme + "://" + url->host_header() + url->target.substr(0, url->target.find('?'));

    HttpResponse r;
    for (int attempt = 1;; ++attempt) {
        bool permanent = false;
        r = m.attempt(request, *url, what, deadline, permanent);
        const bool may_retry =
            !permanent && (!r.sent || (idempotent(request.method) && (r.status == 0 || retryable_status(r.status))));
        if (!may_retry || attempt >= m.options.max_attempts) break;
        auto wait = m.backoff(attempt);
        if (SteadyClock::now() + wait >= deadline) break;
        std::this_thread::sleep_for(wait);
        ++m.retries;
    }
    if (r.status == 0 && SteadyClock::now() >= deadline && r.error.find("within") == std::string::npos)
        r.error += " (deadline of " + millis(total) + " reached)";
    return r;
}

}  // namespace cloudcix::drivers
