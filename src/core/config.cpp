#include "cloudcix_drivers/config.hpp"

#include <cstdlib>
#include <string_view>

#include "cloudcix_drivers/log.hpp"

namespace cloudcix::drivers {
namespace {

void from_env(const char* name, std::string& target) {
    if (const char* v = std::getenv(name); v != nullptr && *v != '\0') target = v;
}

std::vector<std::string> split_commas(std::string_view s) {
    std::vector<std::string> out;
    while (!s.empty()) {
        auto comma = s.find(',');
        auto part = s.substr(0, comma);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
        if (!part.empty()) out.emplace_back(part);
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
    }
    return out;
}

}  // namespace

Config Config::from_environment() {
    Config c;
    from_env("CLOUDCIX_IAAS_URL", c.iaas.iaas_url);
    from_env("CLOUDCIX_MEMBERSHIP_URL", c.iaas.membership_url);
    from_env("CLOUDCIX_API_USERNAME", c.iaas.username);
    from_env("CLOUDCIX_API_PASSWORD", c.iaas.password);
    from_env("CLOUDCIX_API_KEY", c.iaas.api_key);
    from_env("CLOUDCIX_ORGANIZATION_URL", c.organization_url);
    from_env("CLOUDCIX_REGION_NAME", c.region_name);
    from_env("CLOUDCIX_COMPUTE_UI_URL", c.compute_ui_url);
    from_env("CLOUDCIX_PODNET_IPV6_SUBNET", c.podnet.ipv6_subnet);
    from_env("CLOUDCIX_PODNET_CPE", c.podnet.cpe);
    from_env("CLOUDCIX_PODNET_NAMESPACE", c.podnet.namespace_pattern);
    from_env("CLOUDCIX_CEPH_ADMIN_HOST", c.ceph.admin_host);
    from_env("CLOUDCIX_CEPH_CLUSTER", c.ceph.cluster);
    from_env("CLOUDCIX_CEPH_POOL", c.ceph.pool);
    if (const char* b = std::getenv("CLOUDCIX_PODNET_B_ENABLED"); b != nullptr && std::string_view(b) == "true")
        c.podnet.a_enabled = false;
    if (const char* s = std::getenv("CLOUDCIX_SEND_TO_FAIL"); s != nullptr) c.send_to_fail = split_commas(s);
    secrets::remember(c.iaas.password);
    secrets::remember(c.iaas.api_key);
    return c;
}

}  // namespace cloudcix::drivers
