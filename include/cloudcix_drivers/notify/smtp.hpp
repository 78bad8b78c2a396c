// SmtpNotifier: the production Notifier (spec §5.1) — one multipart/alternative message per
// recipient over SMTP (libcurl), bodies rendered from HTML templates kept in files.
// No libcurl type appears here: the implementation lives in src/notify/smtp.cpp.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "cloudcix_drivers/ports/notifier.hpp"

namespace cloudcix::drivers {

class LogSink;

struct SmtpOptions {
    std::string host;   // EMAIL_HOST (IPv6 literals allowed)
    unsigned port = 25;  // EMAIL_PORT
    // STARTTLS is required unless switched off (then the session stays plain text: loopback
    // relays only). Implicit TLS (smtps, port 465) when `implicit_tls` is set.
    bool starttls = true;
    bool implicit_tls = false;
    std::string username;  // EMAIL_USER; empty: no AUTH
    std::string password;  // EMAIL_PASSWORD (secret: never logged)
    std::string from;      // From: and the envelope sender; default: username
    std::string reply_to;  // EMAIL_REPLY_TO; the header reads "{organization_url} <reply_to>"
    std::string organization_url = "example.com";  // subjects start with "[{organization_url}] "
    // Folder of the templates (<template_name>.html and base.html). Empty: $CLOUDCIX_EMAIL_TEMPLATES,
    // else the installed share/cloudcix_drivers/templates/emails.
    std::string templates_dir;
    std::string ca_file;       // extra CA bundle for the server certificate (self-signed relays)
    bool verify_peer = true;   // verify the server certificate and name
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds timeout{30000};  // per message, the whole SMTP exchange
    LogSink* log = nullptr;    // send failures (warning) and deliveries (info)
};

class SmtpNotifier : public Notifier {
public:
    explicit SmtpNotifier(SmtpOptions options);
    ~SmtpNotifier() override;
    SmtpNotifier(const SmtpNotifier&) = delete;
    SmtpNotifier& operator=(const SmtpNotifier&) = delete;

    // One message per recipient; true when every one was accepted by the server. Never throws.
    bool send(const Notification& n) override;

    // The complete message (headers and MIME body) for one recipient, as it would be sent.
    // Throws std::runtime_error when the template cannot be read.
    std::string compose(const Notification& n, const std::string& recipient) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// SmtpOptions from the variables the CLI, the worker and the C API read alike:
// CLOUDCIX_EMAIL_HOST, _PORT (default 25), _USER, _PASSWORD (remembered as a secret), _REPLY_TO
// and _TEMPLATES. A host left empty is for the caller to refuse or fill in; a port that is not a
// number from 1 to 65535 throws std::invalid_argument.
SmtpOptions smtp_options_from_environment();

namespace email {
// The template language: {{name}} (a value, HTML-escaped; dotted names reach into objects;
// objects and arrays print as indented JSON), {{#name}}...{{/name}} (repeated for each element
// of a list, shown once for a non-empty value, skipped otherwise; inside, {{.}} is the element
// and an object element's fields are names), {{^name}}...{{/name}} (shown when empty or absent).
// Nothing is ever inserted unescaped. Throws std::runtime_error on an unclosed section.
std::string render(std::string_view text, const boost::json::object& data);
std::string html_escape(std::string_view text);
}  // namespace email

}  // namespace cloudcix::drivers
