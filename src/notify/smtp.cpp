// SmtpNotifier over libcurl's SMTP: STARTTLS, AUTH, deadlines, one message per recipient.
// A failed send is logged and reported as false; it never throws into the engine.
#include "cloudcix_drivers/notify/smtp.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>

#include "cloudcix_drivers/log.hpp"

#ifndef CCX_EMAIL_TEMPLATES_DIR
#define CCX_EMAIL_TEMPLATES_DIR "/usr/local/share/cloudcix_drivers/templates/emails"
#endif

namespace cloudcix::drivers {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read e-mail template " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

// An address usable in a header and in the envelope: one line, no angle brackets, one '@'.
bool plain_address(std::string_view a) {
    return !a.empty() && !has_line_break(a) && a.find_first_of("<>,; \t\"") == std::string_view::npos &&
           std::count(a.begin(), a.end(), '@') == 1;
}

std::string base64(std::string_view in, bool wrap) {
    static constexpr char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t line = 0;
    for (std::size_t i = 0; i < in.size(); i += 3) {
        unsigned n = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
        if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
        out += k[(n >> 18) & 63];
        out += k[(n >> 12) & 63];
        out += i + 1 < in.size() ? k[(n >> 6) & 63] : '=';
        out += i + 2 < in.size() ? k[n & 63] : '=';
        if (wrap && (line += 4) >= 76) {
            out += "\r\n";
            line = 0;
        }
    }
    if (wrap && line > 0) out += "\r\n";
    return out;
}

// RFC 2047 encoded words for a non-ASCII header value, split on UTF-8 character boundaries.
std::string header_text(std::string_view s) {
    bool ascii = std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
    if (ascii) return std::string(s);
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t n = std::min<std::size_t>(45, s.size() - i);
        while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) --n;
        if (!out.empty()) out += "\r\n ";
        out += "=?UTF-8?B?" + base64(s.substr(i, n), false) + "?=";
        i += n;
    }
    return out;
}

// A readable plain-text alternative of the HTML body: tags dropped, block ends as line breaks.
std::string html_to_text(std::string_view html) {
    std::string out;
    for (std::size_t i = 0; i < html.size(); ++i) {
        if (html[i] == '<') {
            std::size_t end = html.find('>', i);
            if (end == std::string_view::npos) break;
            std::string_view tag = html.substr(i + 1, end - i - 1);
            if (tag.rfind("br", 0) == 0 || tag.rfind("/p", 0) == 0 || tag.rfind("/h", 0) == 0 || tag.rfind("/li", 0) == 0 ||
                tag.rfind("/tr", 0) == 0 || tag.rfind("/pre", 0) == 0 || tag.rfind("/div", 0) == 0)
                out += '\n';
            if (tag.rfind("li", 0) == 0) out += "- ";
            i = end;
        } else if (html[i] == '&') {
            static const std::pair<std::string_view, char> entities[] = {
                {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}, {"&nbsp;", ' '}};
            bool done = false;
            for (const auto& [name, c] : entities)
                if (html.substr(i, name.size()) == name) {
                    out += c;
                    i += name.size() - 1;
                    done = true;
                    break;
                }
            if (!done) out += '&';
        } else {
            out += html[i];
        }
    }
    // Collapse runs of blank lines and leading spaces left by the markup's indentation.
    std::istringstream lines(out);
    std::string result, line;
    bool blank = true;
    while (std::getline(lines, line)) {
        std::size_t a = line.find_first_not_of(" \t\r");
        if (a == std::string::npos) {
            if (!blank) result += "\r\n";
            blank = true;
            continue;
        }
        result += line.substr(a) + "\r\n";
        blank = false;
    }
    return result;
}

std::string rfc5322_date() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return buf;
}

std::string random_token() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    std::ostringstream s;
    s << std::hex << rng() << rng();
    return s.str();
}

struct Upload {
    std::string_view data;
    std::size_t at = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto* u = static_cast<Upload*>(user);
    std::size_t n = std::min(size * count, u->data.size() - u->at);
    std::copy_n(u->data.data() + u->at, n, buffer);
    u->at += n;
    return n;
}

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

struct SmtpNotifier::Impl {
    SmtpOptions o;

    void log(LogLevel level, const std::string& message) const {
        if (o.log == nullptr) return;
        LogRecord r;
        r.time = std::chrono::system_clock::now();
        r.level = level;
        r.logger = "notify.smtp";
        r.message = secrets::redact(message);
        o.log->write(r);
    }

    std::string templates() const {
        if (!o.templates_dir.empty()) return o.templates_dir;
        if (const char* env = std::getenv("CLOUDCIX_EMAIL_TEMPLATES"); env && *env) return env;
        return CCX_EMAIL_TEMPLATES_DIR;
    }

    std::string url() const {
        std::string host = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
        return std::string(o.implicit_tls ? "smtps://" : "smtp://") + host + ":" + std::to_string(o.port);
    }

    // Delivers one composed message; the error text when it failed.
    std::optional<std::string> deliver(const std::string& recipient, const std::string& message) const {
        CURL* curl = curl_easy_init();
        if (curl == nullptr) return "cannot create a libcurl handle";
        char error[CURL_ERROR_SIZE] = {0};
        std::string from = "<" + (o.from.empty() ? o.username : o.from) + ">";
        curl_slist* rcpt = curl_slist_append(nullptr, ("<" + recipient + ">").c_str());
        Upload upload{message, 0};
        std::string u = url();
        curl_easy_setopt(curl, CURLOPT_URL, u.c_str());
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout.count()));
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout.count()));
        if (!o.implicit_tls) curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(o.starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
        if (!o.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, o.ca_file.c_str());
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, o.verify_peer ? 1L : 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, o.verify_peer ? 2L : 0L);
        if (!o.username.empty()) {
            curl_easy_setopt(curl, CURLOPT_USERNAME, o.username.c_str());
            curl_easy_setopt(curl, CURLOPT_PASSWORD, o.password.c_str());
        }
        curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
        curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_upload);
        curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
        curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        CURLcode rc = curl_easy_perform(curl);
        curl_slist_free_all(rcpt);
        curl_easy_cleanup(curl);
        if (rc == CURLE_OK) return std::nullopt;
        return std::string(curl_easy_strerror(rc)) + (error[0] ? std::string(": ") + error : std::string());
    }
};

SmtpNotifier::SmtpNotifier(SmtpOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->o = std::move(options);
    secrets::remember(impl_->o.password);
    global_init();
    if (!impl_->o.starttls && !impl_->o.implicit_tls)
        impl_->log(LogLevel::warning, "SMTP without TLS: messages and credentials to " + impl_->url() + " travel in clear text");
}

SmtpNotifier::~SmtpNotifier() = default;

std::string SmtpNotifier::compose(const Notification& n, const std::string& recipient) const {
    const SmtpOptions& o = impl_->o;
    if (n.template_name.empty() ||
        !std::all_of(n.template_name.begin(), n.template_name.end(), [](char c) { return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_'; }))
        throw std::runtime_error("invalid e-mail template name");
    if (!plain_address(recipient)) throw std::runtime_error("invalid recipient address");
    std::string from = o.from.empty() ? o.username : o.from;
    if (!plain_address(from)) throw std::runtime_error("invalid sender address (SmtpOptions::from)");
    if (has_line_break(n.subject)) throw std::runtime_error("the subject contains a line break");

    std::string subject = "[" + o.organization_url + "] " + n.subject;
    boost::json::object data = n.data;
    data["subject"] = subject;
    data["organization_url"] = o.organization_url;
    std::string dir = impl_->templates();
    std::string body = email::render(read_file(dir + "/" + n.template_name + ".html"), data);
    std::string page = email::render(read_file(dir + "/base.html"), data);
    constexpr std::string_view marker = "<!--CONTENT-->";
    auto at = page.find(marker);
    if (at == std::string::npos) throw std::runtime_error("base.html has no <!--CONTENT--> marker");
    page.replace(at, marker.size(), body);

    std::string boundary = "=_ccx_" + random_token();
    std::string domain = from.substr(from.find('@') + 1);
    std::string m;
    m += "From: " + from + "\r\n";
    m += "To: " + recipient + "\r\n";
    if (plain_address(o.reply_to)) m += "Reply-To: \"" + header_text(o.organization_url) + "\" <" + o.reply_to + ">\r\n";
    m += "Subject: " + header_text(subject) + "\r\n";
    m += "Date: " + rfc5322_date() + "\r\n";
    m += "Message-ID: <" + random_token() + "@" + domain + ">\r\n";
    m += "MIME-Version: 1.0\r\n";
    m += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
    m += "--" + boundary + "\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    m += base64(html_to_text(body), true);
    m += "--" + boundary + "\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    m += base64(page, true);
    m += "--" + boundary + "--\r\n";
    return m;
}

bool SmtpNotifier::send(const Notification& n) {
    bool all = !n.to.empty();
    for (const auto& recipient : n.to) {
        try {
            std::string message = compose(n, recipient);
            if (auto error = impl_->deliver(recipient, message)) {
                impl_->log(LogLevel::warning, "could not send e-mail '" + n.template_name + "' to " + recipient + " via " +
                                                  impl_->url() + ": " + *error);
                all = false;
            } else {
                impl_->log(LogLevel::info, "sent e-mail '" + n.template_name + "' to " + recipient);
            }
        } catch (const std::exception& e) {
            impl_->log(LogLevel::warning, "could not compose e-mail '" + n.template_name + "': " + e.what());
            all = false;
        }
    }
    return all;
}

}  // namespace cloudcix::drivers

namespace cloudcix::drivers {

SmtpOptions smtp_options_from_environment() {
    auto env = [](const char* name) {
        const char* v = std::getenv(name);
        return std::string(v != nullptr ? v : "");
    };
    SmtpOptions o;
    o.host = env("CLOUDCIX_EMAIL_HOST");
    if (std::string port = env("CLOUDCIX_EMAIL_PORT"); !port.empty()) {
        unsigned long n = 0;
        std::size_t used = 0;
        try {
            n = std::stoul(port, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != port.size() || n < 1 || n > 65535)
            throw std::invalid_argument("CLOUDCIX_EMAIL_PORT must be a port number (1 to 65535), got '" + port + "'");
        o.port = static_cast<unsigned>(n);
    }
    o.username = env("CLOUDCIX_EMAIL_USER");
    o.password = env("CLOUDCIX_EMAIL_PASSWORD");
    secrets::remember(o.password);
    o.reply_to = env("CLOUDCIX_EMAIL_REPLY_TO");
    o.templates_dir = env("CLOUDCIX_EMAIL_TEMPLATES");
    return o;
}

}  // namespace cloudcix::drivers
