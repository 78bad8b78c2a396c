#include "drivers/common/router_family.hpp"

#include <algorithm>
#include <map>

#include <arpa/inet.h>

#include "cloudcix_drivers/log.hpp"

namespace cloudcix::drivers::family {
namespace json = boost::json;

namespace {

long long project_of(const Fields& vr) {
    if (auto id = vr.optional_integer("project.id")) return *id;
    return vr.integer("project_id");
}

std::vector<std::string> split(const std::string& list) {
    std::vector<std::string> out;
    for (std::size_t start = 0; start <= list.size();) {
        auto comma = list.find(',', start);
        std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        item.erase(std::remove(item.begin(), item.end(), ' '), item.end());
        if (!item.empty()) out.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

std::string mapped(const std::map<std::string, std::string>& table, const std::string& value, const std::string& what) {
    auto it = table.find(value);
    if (it == table.end()) throw VerbFailure(ErrorNumber::bad_field, "VPN " + what + " '" + value + "' has no strongSwan equivalent");
    return it->second;
}

const std::map<std::string, std::string> kIkeAuth{{"md5", "md5"}, {"sha1", "sha1"}, {"sha-256", "sha256"}, {"sha-384", "sha384"}};
const std::map<std::string, std::string> kDh{{"group1", "modp768"},   {"group2", "modp1024"}, {"group5", "modp1536"},
                                             {"group14", "modp2048"}, {"group19", "ecp256"},  {"group20", "ecp384"},
                                             {"group24", "modp2048s256"}};
const std::map<std::string, std::string> kIkeEnc{{"aes-128-cbc", "aes128"}, {"aes-192-cbc", "aes192"}, {"aes-256-cbc", "aes256"},
                                                 {"des-cbc", "des"},        {"3des-cbc", "3des"}};
const std::map<std::string, std::string> kEspEnc{{"aes-128-cbc", "aes128"},      {"aes-192-cbc", "aes192"},
                                                 {"aes-256-cbc", "aes256"},      {"des-cbc", "des"},
                                                 {"3des-cbc", "3des"},           {"aes-128-gcm", "aes128gcm64"},
                                                 {"aes-192-gcm", "aes192gcm64"}, {"aes-256-gcm", "aes256gcm64"}};
const std::map<std::string, std::string> kEspAuth{{"hmac-md5-96", "md5"}, {"hmac-sha1-96", "sha1"}, {"hmac-sha-256-128", "sha256"}};

std::string joined(const std::vector<std::string>& parts, const std::string& sep) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
    return out;
}

bool is_private(const std::string& cidr) {
    std::string ip = cidr.substr(0, cidr.find('/'));
    unsigned char b[16];
    if (inet_pton(AF_INET, ip.c_str(), b) == 1)
        return b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168);
    if (inet_pton(AF_INET6, ip.c_str(), b) == 1) return (b[0] & 0xFE) == 0xFC;
    return false;
}

int version_of(const std::string& cidr) { return cidr.find(':') != std::string::npos ? 6 : 4; }

std::string prefix_of(const std::string& cidr) {
    auto slash = cidr.find('/');
    if (slash == std::string::npos) throw VerbFailure(ErrorNumber::bad_field, "address range '" + cidr + "' has no prefix length");
    return cidr.substr(slash + 1);
}

// The VPNs' hosts: site-to-site tunnels need interfaces and swanctl connections; dynamic
// (client) VPNs are served by the PodNet CPE and only get their e-mail.
bool site_to_site(const Fields& vpn) { return vpn.optional_string("vpn_type").value_or("site_to_site") == "site_to_site"; }

json::object vpn_args(const Fields& vpn, const Config& config, const json::array& podnet, const std::string& ns) {
    std::vector<std::string> local, remote;
    json::array routes;
    for (const auto& r : vpn.array("routes")) {
        Fields rf = fields_of(r, vpn.name() + " route");
        std::string l = network_of(rf.string("local_subnet.address_range")), rem = rf.string("remote_subnet");
        if (std::find(local.begin(), local.end(), l) == local.end()) local.push_back(l);
        if (std::find(remote.begin(), remote.end(), rem) == remote.end()) remote.push_back(rem);
        routes.push_back(json::string(rem));
    }
    bool selectors = vpn.has("traffic_selector") && vpn.boolean("traffic_selector");
    auto to_array = [](const std::vector<std::string>& v) {
        json::array a;
        for (const auto& s : v) a.push_back(json::string(s));
        return a;
    };
    std::string psk = vpn.string("ike_pre_shared_key");
    secrets::remember(psk);
    return json::object{{"podnet", podnet},
                        {"namespace", ns},
                        {"stif", vpn.integer("stif_number")},
                        {"interface", config.podnet.public_interface},
                        {"local_addrs", config.podnet.cpe.empty() ? std::string("%any") : config.podnet.cpe},
                        {"remote_addrs", vpn.string("ike_gateway_value")},
                        {"version", vpn.optional_string("ike_version").value_or("v2-only") == "v1-only" ? 1 : 2},
                        {"ike_proposals", ike_proposal(vpn)},
                        {"esp_proposals", esp_proposal(vpn)},
                        {"ike_lifetime", vpn.optional_integer("ike_lifetime").value_or(28800)},
                        {"ipsec_lifetime", vpn.optional_integer("ipsec_lifetime").value_or(3600)},
                        {"local_ts", selectors ? to_array(local) : json::array{json::string("0.0.0.0/0")}},
                        {"remote_ts", selectors ? to_array(remote) : json::array{json::string("0.0.0.0/0")}},
                        {"routes", std::move(routes)},
                        {"start_action", vpn.optional_string("ipsec_establish_time").value_or("immediately") == "immediately" ? "start" : "trap"},
                        {"psk", psk}};
}

json::array vpns_of(VerbContext& ctx) {
    return ctx.list("vpn", Query().where("virtual_router_id", std::to_string(ctx.resource.integer("id"))));
}

void check_router(VerbContext& ctx, bool phantom) {
    long long router_id = ctx.resource.integer("router_id");
    json::object router = ctx.read("router", router_id);
    const auto* cap = router.if_contains("capacity");
    bool has_capacity = cap != nullptr && !cap->is_null();
    if (has_capacity == phantom)
        throw VerbFailure(ErrorNumber::driver_mismatch, "router #" + std::to_string(router_id) + (phantom ? " has" : " has no") +
                                                            " capacity, so " + ctx.spec.driver + " does not handle its virtual routers");
}

void down(Plan& p, const json::array& vpns, const json::array& podnet, const std::string& ns, bool purge) {
    for (const auto& v : vpns) {
        Fields vpn = fields_of(v, "vpn");
        if (site_to_site(vpn))
            p.calls.push_back({"vpns2s_ns", "scrub", {{"podnet", podnet}, {"namespace", ns}, {"stif", vpn.integer("stif_number")}}});
    }
    p.calls.push_back({"ns", "scrub", {{"podnet", podnet}, {"namespace", ns}, {"purge", purge}}});
}

void up(VerbContext& ctx, Plan& p, const json::array& vpns, const json::array& podnet, const std::string& ns) {
    const Fields& vr = ctx.resource;
    const Config& config = ctx.config;
    std::string vr_ip = vr.string("ip_address.address");
    std::string range = vr.string("ip_address.subnet.address_range");
    std::string prefix = prefix_of(range);
    long long fid = vr.integer("ip_address.subnet.id");
    std::string gateway = vr.optional_string("ip_address.subnet.gateway").value_or(range.substr(0, range.find('/')));
    std::string bridge = "br-B" + std::to_string(fid);
    std::string outer = "B" + std::to_string(fid) + "." + ns, inner = ns + ".B" + std::to_string(fid);

    p.calls.push_back({"ns", "build", {{"podnet", podnet}, {"namespace", ns}}});
    p.calls.push_back({"bridge_main", "build", {{"podnet", podnet}, {"bridge", bridge}, {"interface", config.podnet.public_interface},
                                                {"address", gateway + "/" + prefix}}});
    p.calls.push_back({"bridgeif_ns", "build", {{"podnet", podnet}, {"namespace", ns}, {"bridge", bridge}, {"outer", outer}, {"inner", inner}}});
    p.calls.push_back({"network_ns", "build", {{"podnet", podnet}, {"namespace", ns}, {"interface", inner}, {"address", vr_ip + "/" + prefix}}});

    // NAT partners: the project's private addresses that have a public IP (spec §4.4).
    std::vector<long long> subnet_ids;
    for (const auto& s : vr.array("subnets")) subnet_ids.push_back(fields_of(s, vr.name() + " subnet").integer("id"));
    json::array nat;
    if (!subnet_ids.empty()) {
        auto ips = ctx.list("ip_address", Query().where("subnet_id__in", in_list(subnet_ids)).where("public_ip_id__isnull", "false"));
        for (const auto& i : ips) {
            Fields ip = fields_of(i, "ip_address");
            if (!ip.has("public_ip.address")) continue;
            std::string pub = ip.string("public_ip.address");
            nat.push_back(json::object{{"private", ip.string("address")}, {"public", pub}});
            p.calls.push_back({"network_ns", "build", {{"podnet", podnet}, {"namespace", ns}, {"interface", inner}, {"address", pub + "/" + prefix}}});
        }
    }
    p.calls.push_back({"route_ns", "build", {{"podnet", podnet}, {"namespace", ns}, {"destination", "default"}, {"gateway", gateway}}});

    json::array private_ifs, networks;
    for (const auto& s : vr.array("subnets")) {
        Fields sub = fields_of(s, vr.name() + " subnet");
        long long vlan = sub.integer("vlan");
        std::string ifname = config.podnet.private_interface + "." + std::to_string(vlan);
        p.calls.push_back({"vlanif_ns", "build", {{"podnet", podnet}, {"namespace", ns}, {"vlan", vlan}, {"interface", config.podnet.private_interface}}});
        p.calls.push_back({"network_ns", "build", {{"podnet", podnet}, {"namespace", ns}, {"interface", ifname}, {"address", sub.string("address_range")}}});
        private_ifs.push_back(json::string(ifname));
        networks.push_back(json::string(network_of(sub.string("address_range"))));
    }

    // Firewall rules in order; inbound when the destination is a private network (spec §4.4).
    std::vector<json::object> rules;
    for (const auto& r : vr.array("firewall_rules")) rules.push_back(r.as_object());
    std::stable_sort(rules.begin(), rules.end(), [](const json::object& a, const json::object& b) {
        auto order = [](const json::object& o) { return o.contains("order") && o.at("order").is_int64() ? o.at("order").get_int64() : 0; };
        return order(a) < order(b);
    });
    json::array inbound, outbound;
    for (const auto& r : rules) {
        Fields f("firewall rule", r);
        std::string destination = f.string("destination"), protocol = f.optional_string("protocol").value_or("any");
        std::string port = f.optional_string("port").value_or("");
        if (port.empty() && (protocol == "tcp" || protocol == "udp")) port = "0-65535";
        json::object rule{{"version", version_of(destination)}, {"source", f.string("source")}, {"destination", destination},
                          {"protocol", protocol}, {"port", port}, {"action", f.boolean("allow") ? "accept" : "drop"},
                          {"log", (f.has("pci_logging") && f.boolean("pci_logging")) || (f.has("debug_logging") && f.boolean("debug_logging"))}};
        (is_private(destination) ? inbound : outbound).push_back(std::move(rule));
    }
    json::array tunnels, vpn_routes;
    for (const auto& v : vpns) {
        Fields vpn = fields_of(v, "vpn");
        if (!site_to_site(vpn)) continue;
        tunnels.push_back(json::string("xfrm" + std::to_string(vpn.integer("stif_number"))));
        for (const auto& r : vpn.array("routes")) {
            Fields rf = fields_of(r, "vpn route");
            vpn_routes.push_back(json::object{{"local", network_of(rf.string("local_subnet.address_range"))}, {"remote", rf.string("remote_subnet")}});
        }
    }
    p.calls.push_back({"firewall_ns", "build", {{"podnet", podnet}, {"namespace", ns}, {"public_interface", inner}, {"vr_ip", vr_ip},
                                                {"private_interfaces", private_ifs}, {"tunnels", tunnels}, {"networks", networks},
                                                {"nat", nat}, {"inbound", inbound}, {"outbound", outbound}, {"vpn_routes", vpn_routes}}});
    // The cloud-init metadata server for the project's KVM VMs (cidata.build writes its files).
    p.calls.push_back({"nginx_ns", "build", {{"podnet", podnet}, {"namespace", ns}}});
    for (const auto& v : vpns) {
        Fields vpn = fields_of(v, "vpn #" + std::to_string(v.as_object().contains("id") ? v.at("id").as_int64() : 0));
        if (site_to_site(vpn)) p.calls.push_back({"vpns2s_ns", "build", vpn_args(vpn, config, podnet, ns)});
    }
}

Notification vpn_mail(VerbContext& ctx, const json::object& vpn_obj, bool built) {
    Fields vpn("vpn", vpn_obj);
    json::object data{{"virtual_router_ip", ctx.resource.optional_string("ip_address.address").value_or("")},
                      {"podnet_cpe", ctx.config.podnet.cpe},
                      {"vpn_type", vpn.optional_string("vpn_type").value_or("site_to_site")}};
    if (vpn.optional_string("vpn_type").value_or("site_to_site") == "site_to_site") {
        for (const char* k : {"description", "ike_gateway_value", "traffic_selector"})
            if (const auto* v = vpn_obj.if_contains(k)) data[k] = *v;
        // The phases as the template shows them: "ike_version" → ike.version, and so on.
        auto phase = [&](std::string_view prefix, std::initializer_list<const char*> names) {
            json::object out;
            for (const char* n : names)
                if (const auto* v = vpn_obj.if_contains(std::string(prefix) + n)) out[n] = *v;
            return out;
        };
        data["ike"] = phase("ike_", {"version", "authentication", "encryption", "dh_groups", "lifetime", "local_identifier",
                                      "remote_identifier", "pre_shared_key"});
        data["ipsec"] = phase("ipsec_", {"authentication", "encryption", "pfs_groups", "establish_time", "lifetime"});
        json::array routes;
        if (vpn.has("routes"))
            for (const auto& r : vpn.array("routes")) {
                Fields rf = fields_of(r, "vpn route");
                routes.push_back(json::object{{"local", rf.optional_string("local_subnet.address_range").value_or("")},
                                              {"remote", rf.optional_string("remote_subnet").value_or("")}});
            }
        data["routes"] = std::move(routes);
    } else if (!ctx.config.podnet.cpe.empty()) {  // without PODNET_CPE there is no link to give (the row is left out)
        data["srx_vpn_name"] = "https://" + ctx.config.podnet.cpe + "/vrf-" + std::to_string(project_of(ctx.resource)) + "-" +
                               std::to_string(vpn.optional_integer("stif_number").value_or(0)) + "-vpn";
    }
    std::string action = built ? "built" : "updated";
    data["action"] = action;
    return {"vpn_success", recipients(vpn, ctx.config), "Your VPN Tunnel has been " + action + " successfully!", std::move(data)};
}

}  // namespace

std::string network_of(const std::string& cidr) {
    auto slash = cidr.find('/');
    if (slash == std::string::npos) throw VerbFailure(ErrorNumber::bad_field, "address range '" + cidr + "' has no prefix length");
    std::string ip = cidr.substr(0, slash);
    int prefix = std::stoi(cidr.substr(slash + 1));
    unsigned char b[16] = {};
    int family = ip.find(':') != std::string::npos ? AF_INET6 : AF_INET;
    int bytes = family == AF_INET6 ? 16 : 4;
    if (inet_pton(family, ip.c_str(), b) != 1 || prefix < 0 || prefix > bytes * 8)
        throw VerbFailure(ErrorNumber::bad_field, "address range '" + cidr + "' is not a valid CIDR");
    for (int i = 0; i < bytes; ++i) {
        int keep = std::clamp(prefix - i * 8, 0, 8);
        b[i] &= static_cast<unsigned char>(0xFF << (8 - keep));
    }
    char out[INET6_ADDRSTRLEN];
    inet_ntop(family, b, out, sizeof out);
    return std::string(out) + "/" + std::to_string(prefix);
}

std::string ike_proposal(const Fields& vpn) {
    std::vector<std::string> parts;
    for (const auto& e : split(vpn.string("ike_encryption"))) parts.push_back(mapped(kIkeEnc, e, "IKE encryption"));
    for (const auto& a : split(vpn.string("ike_authentication"))) parts.push_back(mapped(kIkeAuth, a, "IKE authentication"));
    for (const auto& g : split(vpn.string("ike_dh_groups"))) {
        if (g == "group14") throw VerbFailure(ErrorNumber::bad_field, "VPN IKE DH group 'group14' is only valid for PFS");
        parts.push_back(mapped(kDh, g, "IKE DH group"));
    }
    return joined(parts, "-");
}

std::string esp_proposal(const Fields& vpn) {
    std::vector<std::string> enc, auth, pfs;
    bool aead = true;
    for (const auto& e : split(vpn.string("ipsec_encryption"))) {
        enc.push_back(mapped(kEspEnc, e, "IPsec encryption"));
        aead = aead && e.find("gcm") != std::string::npos;
    }
    // An AEAD (GCM) proposal carries no separate integrity algorithm.
    if (!aead)
        for (const auto& a : split(vpn.string("ipsec_authentication"))) auth.push_back(mapped(kEspAuth, a, "IPsec authentication"));
    for (const auto& g : split(vpn.optional_string("ipsec_pfs_groups").value_or(""))) pfs.push_back(mapped(kDh, g, "IPsec PFS group"));
    std::vector<std::string> all = enc;
    all.insert(all.end(), auth.begin(), auth.end());
    all.insert(all.end(), pfs.begin(), pfs.end());
    return joined(all, "-");
}

void declare_router_verb(VerbSpec& spec, bool phantom) {
    bool scrub = spec.verb == "scrub";
    bool mails = !phantom && (spec.verb == "build" || spec.verb == "updaterunning");
    bool built = spec.verb == "build";
    if (scrub)
        spec.prerequisites = [](VerbContext& ctx) {
            long long project = project_of(ctx.resource);
            auto vms = ctx.list("vm", Query().where("project_id", std::to_string(project)).except("state", "99"));
            if (!vms.empty())
                return Dependency::wait(std::chrono::seconds(60), "project #" + std::to_string(project) + " still has " +
                                                                      std::to_string(vms.size()) + " VM(s) that are not CLOSED");
            return Dependency::ready();
        };
    spec.lock_keys = [phantom](const Fields& vr) {
        std::vector<std::string> keys{"project:" + std::to_string(project_of(vr))};
        if (!phantom) keys.push_back("podnet");
        return keys;
    };
    spec.notifications = [mails, built](VerbContext& ctx, const Outcome& o) {
        std::vector<Notification> out;
        if (o.status == Status::failed) out.push_back(noc_failure(ctx, o, "virtual_router", vm_task(ctx.spec.verb)));
        if (o.status == Status::succeeded && mails)
            if (const auto* list = ctx.facts.if_contains("vpn_mails"); list && list->is_array())
                for (const auto& v : list->get_array()) out.push_back(vpn_mail(ctx, v.as_object(), built));
        return out;
    };
    if (mails)
        spec.after_success = [](VerbContext& ctx) {
            const auto* list = ctx.facts.if_contains("vpn_mails");
            if (list == nullptr || !list->is_array()) return;
            for (const auto& v : list->get_array()) {
                long long id = v.at("id").as_int64();
                ApiReply r = ctx.api().update("vpn", id, json::object{{"send_email", false}});
                if (!r.ok()) throw ApiFailure(r.failure, "could not reset send_email of vpn #" + std::to_string(id) + ": " + r.message);
            }
        };
}

Plan router_plan(VerbContext& ctx, RouterWork work) {
    check_router(ctx, false);
    const Fields& vr = ctx.resource;
    std::string ns = namespace_name(ctx.config, project_of(vr));
    json::array podnet = podnet_list(ctx.config);
    json::array vpns = vpns_of(ctx);
    Plan p;
    if (work == RouterWork::down || work == RouterWork::scrub || work == RouterWork::update)
        down(p, vpns, podnet, ns, work == RouterWork::scrub);
    if (work == RouterWork::up || work == RouterWork::update) {
        up(ctx, p, vpns, podnet, ns);
        json::array mails;
        for (const auto& v : vpns)
            if (const auto* s = v.as_object().if_contains("send_email"); s && s->is_bool() && s->get_bool()) mails.push_back(v);
        ctx.facts["vpn_mails"] = std::move(mails);
    }
    return p;
}

Plan phantom_router_plan(VerbContext& ctx) {
    check_router(ctx, true);
    return {};
}

}  // namespace cloudcix::drivers::family
