// The HTTP(S) transport wired for one IaaS region: shared by the example programs and the C API.
#include <stdexcept>

#include "cloudcix_drivers/config.hpp"
#include "cloudcix_drivers/transport/http.hpp"

namespace cloudcix::drivers {

std::unique_ptr<HttpTransport> make_iaas_transport(const IaasSettings& iaas, HttpOptions options) {
    if (iaas.iaas_url.empty()) throw std::invalid_argument("an IaaS URL is required for the HTTP(S) transport");
    if (iaas.membership_url.empty())
        throw std::invalid_argument("a Membership URL is required with the IaaS URL '" + iaas.iaas_url + "'");
    for (const auto* url : {&iaas.iaas_url, &iaas.membership_url})
        if (!parse_url(*url)) throw std::invalid_argument("'" + *url + "' is not an http:// or https:// URL");
    options.request_timeout = iaas.request_timeout;
    return std::make_unique<HttpTransport>(std::move(options));
}

}  // namespace cloudcix::drivers
