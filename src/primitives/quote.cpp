// The one quoting function and its validators. Nothing else in the project builds remote
// command text from values.
#include "cloudcix_drivers/quote.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>

namespace cloudcix::drivers {
namespace {

bool bare_safe(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("_./:=,@%+-").find(c) != std::string_view::npos;
}

bool all_bare(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), bare_safe); }

// PowerShell gives `@` (splatting), `,` (arrays), `%`, `=` and a leading `-` meaning: only plain
// words stay bare there.
bool ps_bare(std::string_view s) {
    return !s.empty() && s.front() != '-' && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    });
}

std::string describe(std::string_view s) {
    // Never echo a rejected value raw: it may be hostile or a secret. Its length and a hint do.
    return "a value of " + std::to_string(s.size()) + " bytes";
}

}  // namespace

std::string quote(Shell shell, std::string_view word) {
    // A NUL cannot travel in a command line: the channel would cut the text there.
    if (word.find('\0') != std::string_view::npos) throw BadArgument("a value contains a NUL byte: " + describe(word));
    std::string out = "'";
    for (std::size_t i = 0; i < word.size(); ++i) {
        char c = word[i];
        if (c == '\'') {
            out += shell == Shell::posix ? "'\\''" : "''";
        } else if (shell == Shell::powershell && c == '\xe2' && i + 2 < word.size() && word[i + 1] == '\x80' &&
                   word[i + 2] >= '\x98' && word[i + 2] <= '\x9b') {
            // PowerShell also ends a single-quoted string at U+2018..U+201B: double them too.
            out.append(word.substr(i, 3)).append(word.substr(i, 3));
            i += 2;
        } else {
            out += c;
        }
    }
    out += "'";
    return out;
}

Arg lit(std::string_view text) {
    if (text.empty() || text.find_first_of("\n\r\0'\"`;&|<>$\\ ", 0, 15) != std::string_view::npos)
        throw BadArgument("literal program text contains a shell metacharacter");
    Arg a{std::string(text)};
    a.literal = true;
    return a;
}

Arg ps_lit(std::string_view text) {
    if (text.empty() || text.find_first_of("\n\r\0'\"`;&<>\\ ", 0, 12) != std::string_view::npos)
        throw BadArgument("literal PowerShell text contains a metacharacter");
    Arg a{std::string(text)};
    a.literal = true;
    return a;
}

std::string command(Shell shell, const std::vector<Arg>& argv) {
    std::string out;
    for (const auto& a : argv) {
        if (!out.empty()) out += ' ';
        if (a.literal || (shell == Shell::posix ? all_bare(a.text) : ps_bare(a.text)))
            out += a.text;
        else
            out += quote(shell, a.text);
    }
    return out;
}

std::string command(Shell shell, std::initializer_list<Arg> argv) { return command(shell, std::vector<Arg>(argv)); }

std::string join(Shell shell, std::string_view op, std::initializer_list<std::string> parts) {
    bool allowed = shell == Shell::posix ? (op == "&&" || op == "||" || op == ";" || op == "|") : (op == ";" || op == "|");
    if (!allowed) throw BadArgument("unsupported command operator");
    std::string out;
    for (const auto& p : parts) {
        if (p.empty()) continue;
        if (!out.empty()) out.append(" ").append(op).append(" ");
        out += p;
    }
    return out;
}

std::string_view valid_name(std::string_view s) {
    if (s.empty() || s.size() > 128 ||
        !std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'; }) ||
        s == "." || s == "..")
        throw BadArgument("invalid name: " + describe(s) + " (allowed: letters, digits, _ . -)");
    return s;
}

long long valid_vlan(long long vlan) {
    if (vlan < 1 || vlan > 4094) throw BadArgument("invalid VLAN id " + std::to_string(vlan) + " (allowed: 1..4094)");
    return vlan;
}

std::string_view valid_path(std::string_view s) {
    if (s.empty() || s.front() != '/' || s.find('\0') != std::string_view::npos || s.find('\n') != std::string_view::npos ||
        s.find("/../") != std::string_view::npos || (s.size() >= 3 && s.substr(s.size() - 3) == "/.."))
        throw BadArgument("invalid path: " + describe(s) + " (must be absolute, without '..' or newlines)");
    return s;
}

std::string_view valid_address(std::string_view s) {
    std::string z(s);
    unsigned char buf[16];
    if (inet_pton(AF_INET, z.c_str(), buf) != 1 && inet_pton(AF_INET6, z.c_str(), buf) != 1)
        throw BadArgument("invalid IP address: " + describe(s));
    return s;
}

std::string_view valid_cidr(std::string_view s) {
    auto slash = s.find('/');
    if (slash == std::string_view::npos) throw BadArgument("invalid CIDR: " + describe(s) + " (no prefix length)");
    valid_address(s.substr(0, slash));
    int prefix = -1;
    auto digits = s.substr(slash + 1);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    bool v6 = s.substr(0, slash).find(':') != std::string_view::npos;
    if (ec != std::errc() || p != digits.data() + digits.size() || prefix < 0 || prefix > (v6 ? 128 : 32))
        throw BadArgument("invalid CIDR prefix length in " + describe(s));
    return s;
}

std::string_view valid_mac(std::string_view s) {
    bool ok = s.size() == 17;
    for (std::size_t i = 0; ok && i < s.size(); ++i)
        ok = (i % 3 == 2) ? s[i] == ':' : std::isxdigit(static_cast<unsigned char>(s[i])) != 0;
    if (!ok) throw BadArgument("invalid MAC address: " + describe(s));
    return s;
}

}  // namespace cloudcix::drivers
