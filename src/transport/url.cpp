// URL parsing for the HTTP transport, kept apart from the Beast translation unit so it compiles
// fast and can be tested on its own.
#include <charconv>

#include "cloudcix_drivers/transport/http.hpp"

namespace cloudcix::drivers {

std::string ParsedUrl::host_header() const {
    std::string h = ipv6_literal ? "[" + host + "]" : host;
    const bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
    if (!default_port) h += ":" + std::to_string(port);
    return h;
}

std::optional<ParsedUrl> parse_url(std::string_view url) {
    ParsedUrl u;
    auto sep = url.find("://");
    if (sep == std::string_view::npos) return std::nullopt;
    u.scheme = std::string(url.substr(0, sep));
    for (auto& c : u.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (u.scheme != "http" && u.scheme != "https") return std::nullopt;
    url.remove_prefix(sep + 3);

    auto path_at = url.find_first_of("/?#");
    std::string_view authority = url.substr(0, path_at);
    std::string_view rest = path_at == std::string_view::npos ? std::string_view() : url.substr(path_at);
    if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no credentials in URLs

    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos || close == 1) return std::nullopt;
        u.host = std::string(authority.substr(1, close - 1));
        u.ipv6_literal = true;
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return std::nullopt;
            port_text = after.substr(1);
        }
        for (char c : u.host)
            if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) return std::nullopt;
    } else {
        auto colon = authority.rfind(':');
        if (colon != std::string_view::npos) {
            if (authority.find(':') != colon) return std::nullopt;  // bare IPv6 needs brackets
            port_text = authority.substr(colon + 1);
            authority = authority.substr(0, colon);
        }
        u.host = std::string(authority);
        for (char c : u.host)
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) return std::nullopt;
    }
    if (u.host.empty()) return std::nullopt;
    for (auto& c : u.host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));

    if (port_text.empty()) {
        u.port = u.scheme == "https" ? 443 : 80;
    } else {
        unsigned port = 0;
        auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc() || p != port_text.data() + port_text.size() || port == 0 || port > 65535)
            return std::nullopt;
        u.port = static_cast<std::uint16_t>(port);
    }

    rest = rest.substr(0, rest.find('#'));
    u.target = rest.empty() || rest.front() != '/' ? "/" + std::string(rest) : std::string(rest);
    return u;
}

}  // namespace cloudcix::drivers
