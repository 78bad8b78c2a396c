#include "drivers/common/family.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include <arpa/inet.h>

#include "cloudcix_drivers/log.hpp"
#include "cloudcix_drivers/registry.hpp"

namespace cloudcix::drivers::family {
namespace json = boost::json;

std::string vm_identifier(const Fields& vm) {
    return std::to_string(vm.integer("project.id")) + "_" + std::to_string(vm.integer("id"));
}

std::string storage_file(const Fields& vm, long long storage_id) {
    return vm_identifier(vm) + "_" + vm.string("storage_type") + "_" + std::to_string(storage_id) + ".img";
}

std::string namespace_name(const Config& config, long long project_id) {
    std::string ns = config.podnet.namespace_pattern;
    if (auto p = ns.find("{project_id}"); p != std::string::npos) ns.replace(p, 12, std::to_string(project_id));
    return ns;
}

std::vector<std::string> podnet_nodes(const Config& config) {
    const std::string& subnet = config.podnet.ipv6_subnet;
    auto gap = subnet.find("::");
    if (gap == std::string::npos)
        throw VerbFailure(ErrorNumber::bad_configuration, "PodNet ipv6_subnet '" + subnet + "' has no '::' prefix");
    std::string prefix = subnet.substr(0, gap + 2);
    std::string a = prefix + "10:0:2", b = prefix + "10:0:3";
    return config.podnet.a_enabled ? std::vector<std::string>{a, b} : std::vector<std::string>{b, a};
}

Host resolve_host(VerbContext& ctx, long long server_id) {
    json::object server = ctx.read("server", server_id);
    Fields s("server #" + std::to_string(server_id), server);
    Host h;
    h.server_id = server_id;
    h.type_id = s.integer("type.id");
    auto expected = driver_for_vm(h.type_id);
    const std::string& driver = ctx.spec.driver;
    bool vm_driver = driver.rfind("vm_", 0) == 0;
    if (vm_driver && (!expected || *expected != driver))
        throw VerbFailure(ErrorNumber::driver_mismatch, "server #" + std::to_string(server_id) + " has type " +
                                                            std::to_string(h.type_id) + ", which " + driver + " does not handle");
    for (const auto& i : s.array("interfaces")) {
        Fields f = fields_of(i, "server #" + std::to_string(server_id) + " interface");
        if (!f.has("ip_address") || (f.has("enabled") && !f.boolean("enabled"))) continue;
        std::string ip = f.string("ip_address");
        unsigned char buf[16];
        if (inet_pton(AF_INET6, ip.c_str(), buf) != 1) continue;
        h.address = ip;
        h.hostname = f.optional_string("hostname").value_or(ip);
        return h;
    }
    throw VerbFailure(ErrorNumber::host_not_found, "host address not found for server " + std::to_string(server_id));
}

std::vector<Storage> storages(const Fields& vm) {
    std::vector<Storage> out;
    for (const auto& v : vm.array("storages")) {
        Fields f = fields_of(v, vm.name() + " storage");
        out.push_back({f.integer("id"), f.integer("gb"), f.has("primary") && f.boolean("primary")});
    }
    return out;
}

Storage primary_storage(const Fields& vm) {
    auto all = storages(vm);
    auto n = std::count_if(all.begin(), all.end(), [](const Storage& s) { return s.primary; });
    if (n != 1)
        throw VerbFailure(ErrorNumber::bad_field, vm.name() + " has " + std::to_string(n) +
                                                      " primary storage drives; exactly one is required");
    return *std::find_if(all.begin(), all.end(), [](const Storage& s) { return s.primary; });
}

namespace {
bool is_private(const std::string& ip) {
    unsigned char b[16];
    if (inet_pton(AF_INET, ip.c_str(), b) == 1)
        return b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168);
    if (inet_pton(AF_INET6, ip.c_str(), b) == 1) return (b[0] & 0xFE) == 0xFC;  // ULA fc00::/7
    return false;
}
int prefix_of(const std::string& range) {
    auto slash = range.find('/');
    return slash == std::string::npos ? 32 : std::stoi(range.substr(slash + 1));
}
}  // namespace

std::vector<Nic> network(const Fields& vm) {
    std::map<long long, Nic> by_subnet;
    std::vector<long long> order;
    for (const auto& v : vm.array("ip_addresses")) {
        Fields ip = fields_of(v, vm.name() + " ip_address");
        std::string address = ip.string("address");
        if (!is_private(address)) continue;
        long long subnet = ip.integer("subnet.id");
        auto [it, fresh] = by_subnet.try_emplace(subnet);
        Nic& nic = it->second;
        if (fresh) {
            order.push_back(subnet);
            nic.subnet_id = subnet;
            nic.vlan = ip.integer("subnet.vlan");
            nic.mac = ip.string("mac_address");
            std::string range = ip.string("subnet.address_range");
            nic.gateway = ip.optional_string("subnet.gateway").value_or(range.substr(0, range.find('/')));
        }
        nic.addresses.emplace_back(address, prefix_of(ip.string("subnet.address_range")));
    }
    if (order.empty()) throw VerbFailure(ErrorNumber::bad_field, vm.name() + " has no private IP address");
    long long gateway = vm.has("gateway_subnet") ? vm.integer("gateway_subnet.id") : order.front();
    if (!by_subnet.count(gateway)) gateway = order.front();
    by_subnet[gateway].is_gateway = true;
    std::vector<Nic> out{by_subnet[gateway]};
    std::sort(order.begin(), order.end());
    for (long long s : order)
        if (s != gateway) out.push_back(by_subnet[s]);
    return out;
}

std::vector<long long> vlans(const Fields& vm) {
    std::vector<long long> out;
    for (const auto& nic : network(vm))
        if (std::find(out.begin(), out.end(), nic.vlan) == out.end()) out.push_back(nic.vlan);
    return out;
}

std::vector<std::string> vm_lock_keys(const Fields& vm, bool project, bool host, bool podnet) {
    std::vector<std::string> keys{"vm:" + std::to_string(vm.integer("id"))};
    if (project) keys.push_back("project:" + std::to_string(vm.integer("project.id")));
    if (host) keys.push_back("host:" + std::to_string(vm.integer("server_id")));
    if (podnet) keys.push_back("podnet");
    return keys;
}

Dependency snapshots_stable(VerbContext& ctx, long long vm_id) {
    for (const auto& s : ctx.list("snapshot", Query().where("vm_id", std::to_string(vm_id)))) {
        Fields f = fields_of(s, "snapshot");
        auto state = state_from_int(f.integer("state"));
        if (state && !is_stable(*state) && *state != State::UNRESOURCED && *state != State::REQUESTED)
            return Dependency::wait(std::chrono::seconds(30), "snapshot #" + std::to_string(f.integer("id")) + " of vm #" +
                                                                   std::to_string(vm_id) + " is " + std::string(to_string(*state)));
    }
    return Dependency::ready();
}

Dependency router_running(VerbContext& ctx) {
    long long vr_id = ctx.resource.integer("project.virtual_router_id");
    json::object vr = ctx.read("virtual_router", vr_id);
    auto state = state_from_int(Fields("virtual_router #" + std::to_string(vr_id), vr).integer("state"));
    if (state == State::UNRESOURCED)
        return Dependency::broken("the project's virtual router #" + std::to_string(vr_id) + " is UNRESOURCED");
    if (state != State::RUNNING)
        return Dependency::wait(std::chrono::seconds(10), "the project's virtual router #" + std::to_string(vr_id) + " is " +
                                                              std::string(state ? to_string(*state) : "in an unknown state") +
                                                              ", not RUNNING");
    return Dependency::ready();
}

json::object public_copy(const json::object& obj) {
    static const char* kSecret[] = {"password", "token", "pre_shared_key", "api_key", "secret", "credentials"};
    json::object out;
    for (const auto& [k, v] : obj) {
        std::string key(k);
        bool secret = std::any_of(std::begin(kSecret), std::end(kSecret), [&](const char* s) { return key.find(s) != std::string::npos; });
        if (secret) continue;
        if (v.is_object()) {
            out[k] = public_copy(v.get_object());
        } else if (v.is_array()) {
            json::array a;
            for (const auto& item : v.get_array()) a.push_back(item.is_object() ? json::value(public_copy(item.get_object())) : item);
            out[k] = std::move(a);
        } else if (v.is_string()) {
            out[k] = secrets::redact(v.get_string());  // a secret quoted inside another field
        } else {
            out[k] = v;
        }
    }
    return out;
}

std::vector<std::string> recipients(const Fields& resource, const Config& config) {
    std::vector<std::string> out;
    if (resource.has("emails"))
        for (const auto& e : resource.array("emails"))
            if (e.is_string() && !e.get_string().empty()) out.emplace_back(e.get_string());
    return out.empty() ? config.send_to_fail : out;
}

Notification noc_failure(VerbContext& ctx, const Outcome& o, std::string_view kind, std::string_view task) {
    json::array errors;
    for (const auto& e : o.errors) errors.push_back(json::string(e.code + ": " + e.message));
    Notification n;
    // One template for every kind: the title and the noun are data ("Virtual Router", "virtual router").
    struct Kind {
        std::string_view kind, title, noun;
    };
    static constexpr Kind kKinds[] = {{"vm", "VM", "VM"},
                                      {"virtual_router", "Virtual Router", "virtual router"},
                                      {"snapshot", "Snapshot", "snapshot"},
                                      {"backup", "Backup", "backup"},
                                      {"ceph", "Ceph", "Ceph drive"}};
    const Kind* k = std::find_if(std::begin(kKinds), std::end(kKinds), [&](const Kind& x) { return x.kind == kind; });
    if (k == std::end(kKinds)) throw std::logic_error("noc_failure: unknown kind " + std::string(kind));
    n.template_name = "failure_noc";
    n.to = ctx.config.send_to_fail;
    n.subject = std::string(k->title) + " Failure Occurred!";
    n.data = json::object{{"kind", kind},          {"title", k->title},          {"noun", k->noun},
                          {"id", o.resource_id},   {"task", task},               {"errors", std::move(errors)},
                          {"data", public_copy(ctx.resource.json())}};
    return n;
}

}  // namespace cloudcix::drivers::family
