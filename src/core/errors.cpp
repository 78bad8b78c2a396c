#include "cloudcix_drivers/errors.hpp"

#include <array>
#include <charconv>
#include <cstdio>

namespace cloudcix::drivers {
namespace {

using N = ErrorNumber;
// The one catalogue. Numbers never change meaning once released.
constexpr std::array<ErrorInfo, 26> kCatalogue{{
    {N::api_unavailable, "api_unavailable",
     "The IaaS API endpoint was not available: the request could not be sent, timed out, or the server answered 5xx."},
    {N::wrong_state, "wrong_state",
     "The resource is not in the verb's trigger state any more (another worker handled it, or the user changed it), so nothing was done."},
    {N::not_found, "not_found", "The IaaS API has no resource with this id (404)."},
    {N::malformed_response, "malformed_response",
     "The IaaS API answered with a body that is not the expected JSON envelope."},
    {N::bad_field, "bad_field",
     "A field the verb needs is missing from the resource or has the wrong type; the message names the field."},
    {N::in_progress_refused, "in_progress_refused",
     "The IaaS API refused to move the resource into the verb's in-progress state, so no host work was done."},
    {N::settle_refused, "settle_refused",
     "The host work finished but the IaaS API refused or failed to record the success state."},
    {N::dependency_failed, "dependency_failed",
     "A resource this verb depends on is in a failed state (e.g. the project's virtual router is UNRESOURCED), so the verb failed."},
    {N::login_failed, "login_failed",
     "Logging in to the Membership API failed: check CLOUDCIX_API_USERNAME, CLOUDCIX_API_PASSWORD and CLOUDCIX_API_KEY."},
    {N::api_error, "api_error", "The IaaS API refused a request (4xx); the message gives its error code and detail."},
    {N::related_unreadable, "related_unreadable",
     "A related object the verb needs (server, router, snapshot list ...) could not be read from the IaaS API."},
    {N::dependency_not_ready, "dependency_not_ready",
     "A resource this verb depends on is not ready yet; the task was postponed and should be retried later."},
    {N::unexpected, "unexpected", "An unexpected error occurred; the engine caught it and recorded the failure."},
    {N::verb_failed, "verb_failed", "The verb failed for the resource; the errors before this one say why."},
    {N::lock_busy, "lock_busy",
     "The resource or its physical infrastructure stayed locked by another driver until the deadline; the task was postponed."},
    {N::no_plan, "no_plan",
     "This verb is registered but has no plan of host work in this build, so it is rejected instead of reporting a success it did not earn."},
    {N::bad_request, "bad_request",
     "The request itself is invalid: unknown driver or verb, or a resource id that is not a positive integer."},
    {N::driver_mismatch, "driver_mismatch",
     "The resource belongs to another driver (e.g. a VM whose server type is not this driver's hypervisor)."},
    {N::host_not_found, "host_not_found",
     "No usable host address was found for the server (no enabled interface with an IPv6 address)."},
    {N::bad_configuration, "bad_configuration", "A configuration value the verb needs is missing or invalid."},
    {N::primitive_unknown, "primitive_unknown", "The plan named a primitive that does not exist."},
    {N::primitive_inconsistent, "primitive_inconsistent",
     "A primitive returned an error message while reporting success."},
    {N::primitive_failed, "primitive_failed",
     "A primitive's host command failed (non-zero exit); the message names the primitive, the step and the output."},
    {N::host_unreachable, "host_unreachable",
     "The host channel failed: the host could not be reached, refused authentication or its key did not match."},
    {N::primitive_timeout, "primitive_timeout", "A host command or a wait for a host state ran past its deadline."},
    {N::primitive_bad_argument, "primitive_bad_argument",
     "An argument of a primitive failed validation (name, path, VLAN, address), so nothing was sent to the host."},
}};

}  // namespace

std::span<const ErrorInfo> error_catalogue() noexcept { return kCatalogue; }

std::optional<ErrorInfo> find_error(ErrorNumber n) noexcept {
    for (const auto& e : kCatalogue)
        if (e.number == n) return e;
    return std::nullopt;
}

std::string error_code(std::string_view driver, std::string_view verb, ErrorNumber n) {
    char digits[8];
    std::snprintf(digits, sizeof digits, "%04d", static_cast<int>(n));
    std::string code;
    code.reserve(driver.size() + verb.size() + 6);
    code.append(driver).append("_").append(verb).append("_").append(digits);
    return code;
}

std::optional<ErrorInfo> explain(std::string_view code) noexcept {
    if (code.size() < 4) return std::nullopt;
    std::string_view digits = code.substr(code.size() - 4);
    if (code.size() > 4 && code[code.size() - 5] != '_') return std::nullopt;
    int n = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + 4, n);
    if (ec != std::errc() || ptr != digits.data() + 4) return std::nullopt;
    return find_error(static_cast<ErrorNumber>(n));
}

}  // namespace cloudcix::drivers
