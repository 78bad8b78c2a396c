// The one place where strings become remote command text. Every command a primitive sends is
// built from arguments through `command()`; `join()` only glues already-built commands with a
// fixed operator. Arguments are quoted so that any byte sequence stays one inert word.
#pragma once

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cloudcix_drivers/ports/rcc.hpp"

namespace cloudcix::drivers {

// One argument: `word` is quoted for the shell; a `literal` is trusted program text
// (operators, option names) and is checked to contain no shell metacharacter besides those
// listed by the caller. Validation failures throw BadArgument.
class BadArgument : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// Quotes one word for `shell`: POSIX single quotes ('\'' for a quote), PowerShell single quotes
// ('' for a quote). The result always stands for exactly `word`. A NUL byte cannot travel in a
// command line (the channel would cut the text there): it throws BadArgument.
std::string quote(Shell shell, std::string_view word);

struct Arg {
    std::string text;
    bool literal = false;
    Arg(const char* s) : text(s) {}  // NOLINT: ergonomic call sites
    Arg(std::string s) : text(std::move(s)) {}  // NOLINT
    Arg(std::string_view s) : text(s) {}  // NOLINT
    Arg(long long n) : text(std::to_string(n)), literal(true) {}  // NOLINT
    Arg(int n) : text(std::to_string(n)), literal(true) {}  // NOLINT
};
// Trusted program text: option names and keywords. Must match [A-Za-z0-9_./:=,@%+-]+ (POSIX)
// or also contain `$`, `(`, `)`, `|`, `{`, `}`, `-`, `'` only for PowerShell expressions that
// the primitive itself wrote.
Arg lit(std::string_view text);
// Trusted PowerShell program text written by a primitive: like lit() but may also hold
// `$`, `(`, `)`, `{`, `}`, `[`, `]` and `|` (e.g. "$false", "(Get-VM", ").State"). Never a value.
Arg ps_lit(std::string_view text);

// argv → command text. Words that need no quoting (only [A-Za-z0-9_./:=,@%+-]) stay bare so
// commands read naturally; anything else is quoted.
std::string command(Shell shell, std::initializer_list<Arg> argv);
std::string command(Shell shell, const std::vector<Arg>& argv);
// Joins built commands: op is one of "&&", "||", ";", "|" (POSIX) or ";", "|" (PowerShell).
std::string join(Shell shell, std::string_view op, std::initializer_list<std::string> parts);

// Validators (throw BadArgument with the offending value described, not echoed raw).
std::string_view valid_name(std::string_view s);   // [A-Za-z0-9_.-]{1,128}
long long valid_vlan(long long vlan);              // 1..4094
std::string_view valid_path(std::string_view s);   // absolute POSIX path, no NUL/newline, no ".."
std::string_view valid_cidr(std::string_view s);   // IPv4 or IPv6 address with /prefix
std::string_view valid_address(std::string_view s);  // IPv4 or IPv6 address
std::string_view valid_mac(std::string_view s);    // aa:bb:cc:dd:ee:ff

}  // namespace cloudcix::drivers
