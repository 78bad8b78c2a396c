// The simulator's HTTP(S) server (Boost.Beast, asynchronous, N threads, one strand per
// connection). Routing: <iaas prefix>... and <membership prefix>... go to IaasRegion::handle,
// /_sim/stats answers the counters. This is one of the few translation units with Beast/Asio.
#include "server.hpp"

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace cloudcix::drivers::sim {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace {

// True for the n-th request (1-based) when `ratio` of all requests should be hit, spread evenly.
bool hit(std::uint64_t n, double ratio) {
    if (ratio <= 0) return false;
    if (ratio >= 1) return true;
    return std::floor(static_cast<double>(n) * ratio) > std::floor(static_cast<double>(n - 1) * ratio);
}

std::string now_text() {
    auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::ostringstream s;
    s << std::put_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
    return s.str();
}

}  // namespace

std::string format_region(const json::object& region) {
    std::string out = "{\n";
    bool first_key = true;
    for (const auto& [key, value] : region) {
        if (!first_key) out += ",\n";
        first_key = false;
        out += "  " + json::serialize(json::string(key)) + ": ";
        if (value.is_array()) {
            out += "[\n";
            const auto& items = value.get_array();
            for (std::size_t i = 0; i < items.size(); ++i)
                out += "    " + json::serialize(items[i]) + (i + 1 < items.size() ? ",\n" : "\n");
            out += "  ]";
        } else {
            out += json::serialize(value);
        }
    }
    return out + "\n}\n";
}

struct Server::Impl {
    ServerOptions options;
    std::shared_ptr<IaasRegion> region;
    std::optional<ssl::context> tls;
    std::uint16_t port = 0;

    std::atomic<std::uint64_t> connections{0}, active{0}, handshakes{0}, requests{0}, failed_503{0}, resets{0},
        truncated{0}, idle_closed{0}, saves{0};

    std::mutex fault_mutex;
    Faults faults;
    std::uint64_t n_503 = 0, n_reset = 0, n_truncate = 0;

    std::mutex log_mutex;
    std::mutex save_mutex;
    std::size_t saved_at_requests = static_cast<std::size_t>(-1);

    std::optional<asio::io_context> ioc;
    std::optional<tcp::acceptor> acceptor;
    std::vector<std::thread> threads;
    std::thread saver;
    std::mutex stop_mutex;
    std::condition_variable stop_cv;
    bool stopped = false;

    struct Decision {
        bool fail_503 = false, reset = false, truncate = false;
        std::chrono::milliseconds latency{0};
    };
    Decision decide() {
        std::lock_guard lock(fault_mutex);
        Decision d;
        d.latency = faults.latency;
        if (faults.reset > 0 && hit(++n_reset, faults.reset)) {
            d.reset = true;
            return d;
        }
        if (faults.fail_503 > 0 && hit(++n_503, faults.fail_503)) {
            d.fail_503 = true;
            return d;
        }
        if (faults.truncate > 0 && hit(++n_truncate, faults.truncate)) d.truncate = true;
        return d;
    }

    void log_line(const std::string& line) {
        if (options.log == nullptr) return;
        std::lock_guard lock(log_mutex);
        *options.log << line << std::endl;
    }

    std::string stats_json() const {
        return json::serialize(json::object{{"connections", connections.load()},
                                            {"active", active.load()},
                                            {"tls_handshakes", handshakes.load()},
                                            {"requests", requests.load()},
                                            {"failed_503", failed_503.load()},
                                            {"resets", resets.load()},
                                            {"truncated", truncated.load()},
                                            {"idle_closed", idle_closed.load()},
                                            {"region_requests", region->requests()}});
    }

    // The answer to one request, as IaasRegion gives it (or the stats / a 404).
    HttpResponse route(const http::request<http::string_body>& req) {
        std::string_view target(req.target().data(), req.target().size());
        std::string_view path = target.substr(0, target.find('?'));
        if (path == "/_sim/stats" || path == "/_sim/stats/") {
            HttpResponse r;
            r.status = 200;
            r.headers = {{"Content-Type", "application/json"}};
            r.body = stats_json();
            return r;
        }
        // The longer prefix first, so "/" can be one application's root.
        const std::string* prefixes[] = {&options.iaas_prefix, &options.membership_prefix};
        if (options.membership_prefix.size() > options.iaas_prefix.size()) std::swap(prefixes[0], prefixes[1]);
        for (const std::string* prefix : prefixes) {
            if (target.rfind(*prefix, 0) != 0) continue;
            std::string_view app = prefix == &options.iaas_prefix ? "iaas" : "membership";
            auto token_it = req.find("X-Auth-Token");
            std::string_view token = token_it == req.end() ? std::string_view()
                                                           : std::string_view(token_it->value().data(), token_it->value().size());
            std::string_view method(req.method_string().data(), req.method_string().size());
            return region->handle(app, method, target.substr(prefix->size()), token, req.body());
        }
        HttpResponse r;
        r.status = 404;
        r.headers = {{"Content-Type", "application/json"}};
        r.body = R"({"detail": "Not found: the simulator serves )" + options.iaas_prefix + " and " +
                 options.membership_prefix + R"("})";
        return r;
    }
};

namespace {

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
public:
    Session(Server::Impl& server, Stream stream) : server_(server), stream_(std::move(stream)), timer_(stream_.get_executor()) {
        ++server_.active;
    }
    ~Session() { --server_.active; }

    void start() {
        boost::system::error_code ec;
        auto ep = lowest().socket().remote_endpoint(ec);
        peer_ = ec ? "?" : (ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string()) + ":" +
                                std::to_string(ep.port());
        asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->begin(); });
    }

private:
    static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

    beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

    void begin() {
        if constexpr (kTls) {
            lowest().expires_after(std::chrono::seconds(10));
            stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
                if (ec) {
                    self->server_.log_line(now_text() + " " + self->peer_ + " TLS handshake failed: " + ec.message());
                    return self->close();
                }
                ++self->server_.handshakes;
                self->read();
            });
        } else {
            read();
        }
    }

    void read() {
        parser_.emplace();
        parser_->body_limit(4u << 20);
        lowest().expires_after(server_.options.idle_timeout);
        http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            self->on_read(ec);
        });
    }

    void on_read(beast::error_code ec) {
        if (ec == beast::error::timeout) {
            ++server_.idle_closed;
            return close();
        }
        if (ec) return close();
        request_ = parser_->release();
        started_ = std::chrono::steady_clock::now();
        std::string_view target(request_.target().data(), request_.target().size());
        const bool stats = target.rfind("/_sim/stats", 0) == 0;
        if (!stats) ++server_.requests;
        decision_ = stats ? Server::Impl::Decision{} : server_.decide();
        if (decision_.reset) {
            ++server_.resets;
            log(0, "connection reset (fault injection)");
            boost::system::error_code ignored;
            lowest().socket().set_option(asio::socket_base::linger(true, 0), ignored);
            lowest().socket().close(ignored);
            return;
        }
        if (decision_.latency.count() > 0) {
            timer_.expires_after(decision_.latency);
            timer_.async_wait([self = this->shared_from_this()](beast::error_code) { self->answer(); });
            return;
        }
        answer();
    }

    void answer() {
        HttpResponse r;
        if (decision_.fail_503) {
            ++server_.failed_503;
            r.status = 503;
            r.headers = {{"Content-Type", "application/json"}};
            r.body = R"({"detail": "Service unavailable (fault injection)."})";
        } else {
            r = server_.route(request_);
        }
        response_ = {};
        response_.version(11);
        response_.result(static_cast<unsigned>(r.status));
        response_.set(http::field::server, "cloudcix-iaas-sim");
        for (const auto& [k, v] : r.headers) response_.set(k, v);
        response_.body() = std::move(r.body);
        response_.keep_alive(request_.keep_alive());
        if (server_.options.chunked && !response_.body().empty())
            response_.chunked(true);
        else
            response_.prepare_payload();
        lowest().expires_after(std::chrono::seconds(30));

        if (decision_.truncate) {
            ++server_.truncated;
            // The header promises the whole body; half of it arrives, then the connection closes.
            std::ostringstream head;
            head << "HTTP/1.1 " << r.status << " " << response_.reason() << "\r\nContent-Type: application/json\r\n"
                 << "Content-Length: " << response_.body().size() + 10 << "\r\n\r\n";
            raw_ = head.str() + response_.body().substr(0, response_.body().size() / 2);
            log(r.status, "truncated (fault injection)");
            asio::async_write(stream_, asio::buffer(raw_), [self = this->shared_from_this()](beast::error_code, std::size_t) {
                self->close();
            });
            return;
        }
        log(r.status, "");
        http::async_write(stream_, response_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec || !self->response_.keep_alive()) return self->close();
            self->read();
        });
    }

    void log(int status, const std::string& note) {
        if (server_.options.log == nullptr) return;
        auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
        std::ostringstream line;
        line << now_text() << " " << peer_ << " " << request_.method_string() << " " << request_.target() << " -> ";
        if (status) line << status << " (" << response_.body().size() << " bytes, " << std::fixed << std::setprecision(1) << ms << " ms)";
        if (!note.empty()) line << " " << note;
        server_.log_line(line.str());
    }

    void close() {
        boost::system::error_code ignored;
        lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
        lowest().socket().close(ignored);
    }

    Server::Impl& server_;
    Stream stream_;
    asio::steady_timer timer_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::request<http::string_body> request_;
    http::response<http::string_body> response_;
    Server::Impl::Decision decision_;
    std::string raw_;
    std::string peer_;
    std::chrono::steady_clock::time_point started_;
};

void accept(Server::Impl& server) {
    server.acceptor->async_accept(asio::make_strand(*server.ioc), [&server](beast::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !server.acceptor->is_open()) return;
        if (!ec) {
            ++server.connections;
            if (server.tls)
                std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
                    server, beast::ssl_stream<beast::tcp_stream>(std::move(socket), *server.tls))
                    ->start();
            else
                std::make_shared<Session<beast::tcp_stream>>(server, beast::tcp_stream(std::move(socket)))->start();
        }
        accept(server);
    });
}

std::string with_slashes(std::string prefix) {
    if (prefix.empty() || prefix.front() != '/') prefix.insert(prefix.begin(), '/');
    if (prefix.back() != '/') prefix.push_back('/');
    return prefix;
}

}  // namespace

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>()) {
    auto& m = *impl_;
    options.iaas_prefix = with_slashes(options.iaas_prefix);
    options.membership_prefix = with_slashes(options.membership_prefix);
    if (options.iaas_prefix == options.membership_prefix)
        throw std::runtime_error("the IaaS and Membership prefixes must differ");
    if (options.threads < 1) options.threads = 1;
    m.options = options;
    m.faults = options.faults;

    if (options.region_file.empty()) {
        m.region = IaasRegion::demo();
    } else {
        std::ifstream in(options.region_file);
        if (!in) throw std::runtime_error("cannot read the region file " + options.region_file);
        std::stringstream text;
        text << in.rdbuf();
        boost::system::error_code ec;
        auto value = json::parse(text.str(), ec);
        if (ec || !value.is_object())
            throw std::runtime_error("the region file " + options.region_file + " is not a JSON object" +
                                     (ec ? ": " + ec.message() : std::string()));
        m.region = std::make_shared<IaasRegion>(value.get_object());
        m.saved_at_requests = m.region->requests();
    }
    if (options.token_lifetime.count() > 0) m.region->set_token_lifetime(options.token_lifetime);

    if (!options.cert_file.empty() || !options.key_file.empty()) {
        if (options.cert_file.empty() || options.key_file.empty())
            throw std::runtime_error("HTTPS needs both a certificate (--cert) and a key (--key)");
        m.tls.emplace(ssl::context::tls_server);
        boost::system::error_code ec;
        m.tls->use_certificate_chain_file(options.cert_file, ec);
        if (ec) throw std::runtime_error("cannot load the certificate " + options.cert_file + ": " + ec.message());
        m.tls->use_private_key_file(options.key_file, ssl::context::pem, ec);
        if (ec) throw std::runtime_error("cannot load the key " + options.key_file + ": " + ec.message());
    }

    m.ioc.emplace(options.threads);
    boost::system::error_code ec;
    auto address = asio::ip::make_address(options.bind, ec);
    if (ec) throw std::runtime_error("--bind " + options.bind + " is not an IP address");
    tcp::endpoint endpoint(address, options.port);
    m.acceptor.emplace(*m.ioc);
    m.acceptor->open(endpoint.protocol(), ec);
    if (!ec) m.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) m.acceptor->bind(endpoint, ec);
    if (!ec) m.acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        throw std::runtime_error("cannot listen on " + options.bind + ":" + std::to_string(options.port) + ": " + ec.message());
    m.port = m.acceptor->local_endpoint().port();

    accept(m);
    for (int i = 0; i < options.threads; ++i) m.threads.emplace_back([&m] { m.ioc->run(); });
    if (options.save_every.count() > 0 && !options.region_file.empty())
        m.saver = std::thread([this] {
            std::unique_lock lock(impl_->stop_mutex);
            while (!impl_->stop_cv.wait_for(lock, impl_->options.save_every, [this] { return impl_->stopped; })) {
                lock.unlock();
                std::string error;
                if (!save(&error)) impl_->log_line(now_text() + " saving the region failed: " + error);
                lock.lock();
            }
        });
}

Server::~Server() { stop(); }

std::uint16_t Server::port() const { return impl_->port; }

std::string Server::base_url() const {
    auto address = asio::ip::make_address(impl_->options.bind);
    std::string host = address.is_v6() ? "[" + impl_->options.bind + "]" : impl_->options.bind;
    return std::string(impl_->tls ? "https" : "http") + "://" + host + ":" + std::to_string(impl_->port);
}

std::string Server::iaas_url() const { return base_url() + impl_->options.iaas_prefix; }
std::string Server::membership_url() const { return base_url() + impl_->options.membership_prefix; }
IaasRegion& Server::region() { return *impl_->region; }

ServerStats Server::stats() const {
    const auto& m = *impl_;
    return {m.connections, m.active, m.handshakes, m.requests, m.failed_503, m.resets, m.truncated, m.idle_closed, m.saves};
}

void Server::set_faults(const Faults& faults) {
    std::lock_guard lock(impl_->fault_mutex);
    impl_->faults = faults;
    impl_->n_503 = impl_->n_reset = impl_->n_truncate = 0;
}

bool Server::save(std::string* error) {
    auto& m = *impl_;
    if (m.options.region_file.empty()) {
        if (error) *error = "no region file (the embedded demo region is not saved)";
        return false;
    }
    std::lock_guard lock(m.save_mutex);
    const std::size_t seen = m.region->requests();
    if (seen == m.saved_at_requests) return true;  // nothing asked since the last write
    const std::string tmp = m.options.region_file + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << format_region(m.region->snapshot());
        out.flush();
        if (!out) {
            if (error) *error = "cannot write " + tmp;
            return false;
        }
    }
    if (std::rename(tmp.c_str(), m.options.region_file.c_str()) != 0) {
        if (error) *error = "cannot replace " + m.options.region_file;
        return false;
    }
    m.saved_at_requests = seen;
    ++m.saves;
    return true;
}

void Server::stop() {
    auto& m = *impl_;
    {
        std::lock_guard lock(m.stop_mutex);
        if (m.stopped) return;
        m.stopped = true;
    }
    m.stop_cv.notify_all();
    if (m.saver.joinable()) m.saver.join();
    m.ioc->stop();
    for (auto& t : m.threads) t.join();
    m.threads.clear();
    m.acceptor.reset();
    m.ioc.reset();  // destroys the pending handlers, hence every session and its socket
    if (!m.options.region_file.empty()) {
        std::string error;
        if (!save(&error)) m.log_line(now_text() + " saving the region failed: " + error);
    }
}

}  // namespace cloudcix::drivers::sim
