// Error codes `<driver>_<verb>_<NNNN>`: 0xxx API, 1xxx internal, 2xxx primitive (seed).
// The catalogue is one table (src/core/errors.cpp); `explain` gives its sentence.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cloudcix::drivers {

// Every number the library emits. The seed fixes 0000, 0001, 1000, 1001, 2000, 2001.
enum class ErrorNumber : int {
    api_unavailable = 0,         // 0000
    wrong_state = 1,             // 0001
    not_found = 2,               // 0002
    malformed_response = 3,      // 0003
    bad_field = 4,               // 0004
    in_progress_refused = 5,     // 0005
    settle_refused = 6,          // 0006
    dependency_failed = 7,       // 0007
    login_failed = 8,            // 0008
    api_error = 9,               // 0009
    related_unreadable = 10,     // 0010
    dependency_not_ready = 11,   // 0011
    unexpected = 1000,           // 1000
    verb_failed = 1001,          // 1001
    lock_busy = 1002,            // 1002
    no_plan = 1003,              // 1003
    bad_request = 1004,          // 1004
    driver_mismatch = 1005,      // 1005
    host_not_found = 1006,       // 1006
    bad_configuration = 1007,    // 1007
    primitive_unknown = 2000,    // 2000
    primitive_inconsistent = 2001,  // 2001
    primitive_failed = 2002,     // 2002
    host_unreachable = 2003,     // 2003
    primitive_timeout = 2004,    // 2004
    primitive_bad_argument = 2005,  // 2005
};

struct ErrorInfo {
    ErrorNumber number;
    std::string_view title;     // short name, e.g. "wrong_state"
    std::string_view sentence;  // one human sentence
};

struct Error {
    std::string code;     // e.g. "vm_kvm_build_0007"
    std::string message;  // never contains a secret
};

// The whole catalogue, ordered by number.
std::span<const ErrorInfo> error_catalogue() noexcept;
std::optional<ErrorInfo> find_error(ErrorNumber n) noexcept;

// "vm_kvm_build_0007" from ("vm_kvm", "build", dependency_failed).
std::string error_code(std::string_view driver, std::string_view verb, ErrorNumber n);

// Parses "vm_kvm_build_0007" (or just "0007"); the catalogue entry if the number is known.
std::optional<ErrorInfo> explain(std::string_view code) noexcept;

}  // namespace cloudcix::drivers
