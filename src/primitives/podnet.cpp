// PodNet primitives (spec §3.4): every payload runs on the enabled node, then on the disabled
// node; both must succeed. Failure codes 302x–304x (enabled) and 305x–308x (disabled).
#include <algorithm>

#include <arpa/inet.h>

#include "cloudcix_drivers/log.hpp"

#include "primitives/remote.hpp"

namespace cloudcix::drivers::prim {
namespace {

constexpr Shell P = Shell::posix;

// The two PodNet management addresses, enabled node first.
std::vector<std::string> podnet_nodes(Env& e) {
    std::vector<std::string> nodes = e.strings("podnet");
    if (nodes.size() != 2) throw BadArgument("argument 'podnet' must list the enabled and the disabled node");
    for (const auto& n : nodes) valid_address(n);
    return nodes;
}

// cidata.build(podnet, domain_path, metadata, userdata): cloud-init data for one VM.
PrimitiveResult cidata_build(Env& e) {
    std::string dir(valid_path(e.str("domain_path")));
    std::string metadata = e.str("metadata"), userdata = e.str("userdata");
    auto nodes = podnet_nodes(e);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        Remote h(e, nodes[i], "robot", P, i == 0 ? 3020 : 3050);
        h.run(1, command(P, {lit("sudo"), lit("mkdir"), lit("--parents"), dir}));
        h.run(2, join(P, "|", {command(P, {lit("printf"), "%s", metadata}),
                               command(P, {lit("sudo"), lit("tee"), dir + "/metadata"}) + " >/dev/null"}));
        h.run(3, join(P, "|", {command(P, {lit("printf"), "%s", userdata}),
                               command(P, {lit("sudo"), lit("tee"), dir + "/userdata"}) + " >/dev/null"}));
    }
    return success(1000, "cloud-init data written to " + dir + " on both PodNet nodes");
}

// cidata.scrub(podnet, domain_path)
PrimitiveResult cidata_scrub(Env& e) {
    std::string dir(valid_path(e.str("domain_path")));
    auto nodes = podnet_nodes(e);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        Remote h(e, nodes[i], "robot", P, i == 0 ? 3120 : 3150);
        h.run(1, command(P, {lit("sudo"), lit("rm"), lit("--recursive"), lit("--force"), dir}));
    }
    return success(1100, "cloud-init data removed from " + dir + " on both PodNet nodes");
}

std::string sudo(std::initializer_list<Arg> argv) {
    std::vector<Arg> all{lit("sudo")};
    all.insert(all.end(), argv.begin(), argv.end());
    return command(P, all);
}
// A command inside the project's namespace: sudo ip netns exec <ns> ...
std::string in_ns(const std::string& ns, std::initializer_list<Arg> argv) {
    std::vector<Arg> all{lit("sudo"), lit("ip"), lit("netns"), lit("exec"), ns};
    all.insert(all.end(), argv.begin(), argv.end());
    return command(P, all);
}
std::string ns_arg(Env& e) { return std::string(valid_name(e.str("namespace"))); }
std::string nginx_conf(const std::string& ns) { return "/etc/netns/" + ns + "/nginx.conf"; }
std::string nginx_pid(const std::string& ns) { return "/run/nginx_" + ns + ".pid"; }

// Linux interface names: at most 15 bytes.
std::string ifname_arg(Env& e, std::string_view key) {
    std::string n(valid_name(e.str(key)));
    if (n.size() > 15) throw BadArgument("argument '" + std::string(key) + "' is longer than 15 bytes");
    return n;
}

// Runs `body` on the enabled node (failure base `enabled`), then the disabled one (`enabled` + 30).
// Returns how many nodes were already in the desired state.
template <class F>
int on_both(Env& e, int enabled, F body) {
    auto nodes = podnet_nodes(e);
    int already = 0;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        Remote h(e, nodes[i], "robot", P, i == 0 ? enabled : enabled + 30);
        if (body(h)) ++already;
    }
    return already;
}

bool listed(const std::string& out, const std::string& name) {
    for (std::size_t start = 0; start < out.size();) {
        auto nl = out.find('\n', start);
        std::string line = out.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
        if (line == name || line.rfind(name + " ", 0) == 0) return true;
        if (nl == std::string::npos) break;
        start = nl + 1;
    }
    return false;
}

// ns.build(podnet, namespace): the project's network namespace with forwarding on.
PrimitiveResult ns_build(Env& e) {
    std::string ns = ns_arg(e);
    int already = on_both(e, 3020, [&](Remote& h) {
        auto list = h.probe(1, sudo({lit("ip"), lit("netns"), lit("list")}), "", 0);
        bool exists = list.exit_code == 0 && listed(list.out, ns);
        if (!exists) h.run(2, sudo({lit("ip"), lit("netns"), lit("add"), ns}));
        h.run(3, in_ns(ns, {lit("ip"), lit("link"), lit("set"), lit("dev"), lit("lo"), lit("up")}));
        h.run(4, in_ns(ns, {lit("sysctl"), lit("--write"), lit("net.ipv4.ip_forward=1"), lit("net.ipv6.conf.all.forwarding=1")}));
        return exists;
    });
    if (already == 2) return success(1001, "namespace " + ns + " already exists on both PodNet nodes");
    return success(1000, "namespace " + ns + " built on both PodNet nodes");
}

// ns.scrub(podnet, namespace, purge): deletes the namespace (its interfaces go with it) and any
// swanctl connection file left for it; purge also removes /etc/netns/<namespace> (cloud-init
// data, firewall file).
PrimitiveResult ns_scrub(Env& e) {
    std::string ns = ns_arg(e);
    bool purge = e.flag("purge", false);
    int already = on_both(e, 3120, [&](Remote& h) {
        auto list = h.probe(1, sudo({lit("ip"), lit("netns"), lit("list")}), ns + "\n", 0);
        bool exists = list.exit_code == 0 && listed(list.out, ns);
        // A process still inside would keep the deleted namespace alive: stop the metadata server.
        if (exists && h.probe(2, sudo({lit("test"), lit("-s"), nginx_pid(ns)}), "", 0).exit_code == 0)
            h.run(2, in_ns(ns, {lit("nginx"), lit("-c"), nginx_conf(ns), lit("-s"), lit("quit")}));
        if (exists) h.run(2, sudo({lit("ip"), lit("netns"), lit("delete"), ns}));
        // Connections of VPNs the API no longer lists would otherwise outlive the namespace.
        auto stale = h.probe(3, sudo({lit("find"), lit("/etc/swanctl/conf.d"), lit("-maxdepth"), 1, lit("-name"), ns + "_*.conf"}), "", 0);
        if (stale.exit_code == 0 && !trim(stale.out).empty()) {
            h.run(4, sudo({lit("find"), lit("/etc/swanctl/conf.d"), lit("-maxdepth"), 1, lit("-name"), ns + "_*.conf", lit("-delete")}));
            h.run(5, sudo({lit("swanctl"), lit("--load-all")}));
        }
        if (purge) h.run(6, sudo({lit("rm"), lit("--recursive"), lit("--force"), "/etc/netns/" + ns}));
        return !exists;
    });
    if (already == 2 && !purge) return success(1101, "namespace " + ns + " already absent on both PodNet nodes");
    return success(1100, "namespace " + ns + " removed from both PodNet nodes");
}

// bridge_main.build(podnet, bridge, interface, address): the floating-subnet bridge on the public
// interface, holding the subnet's gateway address.
PrimitiveResult bridge_main_build(Env& e) {
    std::string br = ifname_arg(e, "bridge"), ifname = ifname_arg(e, "interface");
    std::string address(valid_cidr(e.str("address")));
    int already = on_both(e, 3020, [&](Remote& h) {
        auto show = h.probe(1, sudo({lit("ip"), lit("link"), lit("show"), lit("dev"), br}), "", 1);
        if (show.exit_code == 0) return true;
        h.run(2, sudo({lit("ip"), lit("link"), lit("add"), lit("name"), br, lit("type"), lit("bridge")}));
        h.run(3, sudo({lit("ip"), lit("link"), lit("set"), lit("dev"), ifname, lit("master"), br}));
        h.run(4, sudo({lit("ip"), lit("address"), lit("add"), address, lit("dev"), br}));
        h.run(5, sudo({lit("ip"), lit("link"), lit("set"), lit("dev"), br, lit("up")}));
        return false;
    });
    if (already == 2) return success(1001, "bridge " + br + " already exists on both PodNet nodes");
    return success(1000, "bridge " + br + " built on both PodNet nodes");
}

// bridgeif_ns.build(podnet, namespace, bridge, outer, inner): a veth pair from the bridge into
// the namespace; a stale outer half from an earlier attempt is removed first.
PrimitiveResult bridgeif_build(Env& e) {
    std::string ns = ns_arg(e), br = ifname_arg(e, "bridge"), outer = ifname_arg(e, "outer"), inner = ifname_arg(e, "inner");
    int already = on_both(e, 3020, [&](Remote& h) {
        auto show = h.probe(1, in_ns(ns, {lit("ip"), lit("link"), lit("show"), lit("dev"), inner}), "", 1);
        if (show.exit_code == 0) return true;
        auto stale = h.probe(2, sudo({lit("ip"), lit("link"), lit("show"), lit("dev"), outer}), "", 1);
        if (stale.exit_code == 0) h.run(2, sudo({lit("ip"), lit("link"), lit("delete"), lit("dev"), outer}));
        h.run(3, sudo({lit("ip"), lit("link"), lit("add"), outer, lit("type"), lit("veth"), lit("peer"), lit("name"), inner, lit("netns"), ns}));
        h.run(4, sudo({lit("ip"), lit("link"), lit("set"), lit("dev"), outer, lit("master"), br, lit("up")}));
        h.run(5, in_ns(ns, {lit("ip"), lit("link"), lit("set"), lit("dev"), inner, lit("up")}));
        return false;
    });
    if (already == 2) return success(1001, "interface " + inner + " already in " + ns + " on both PodNet nodes");
    return success(1000, "interface " + inner + " linked to " + br + " on both PodNet nodes");
}

// network_ns.build(podnet, namespace, interface, address): one address on one interface.
PrimitiveResult network_build(Env& e) {
    std::string ns = ns_arg(e), ifname = ifname_arg(e, "interface");
    std::string address(valid_cidr(e.str("address")));
    int already = on_both(e, 3020, [&](Remote& h) {
        auto show = h.probe(1, in_ns(ns, {lit("ip"), lit("-o"), lit("address"), lit("show"), lit("dev"), ifname}), "", 0);
        if (show.exit_code == 0 && show.out.find(" " + address + " ") != std::string::npos) return true;
        h.run(2, in_ns(ns, {lit("ip"), lit("address"), lit("add"), address, lit("dev"), ifname}));
        return false;
    });
    if (already == 2) return success(1001, address + " already on " + ifname + " in " + ns);
    return success(1000, address + " added to " + ifname + " in " + ns);
}

// route_ns.build(podnet, namespace, destination, gateway)
PrimitiveResult route_build(Env& e) {
    std::string ns = ns_arg(e);
    std::string destination = e.str("destination");
    if (destination != "default") valid_cidr(destination);
    std::string gateway(valid_address(e.str("gateway")));
    int already = on_both(e, 3020, [&](Remote& h) {
        auto show = h.probe(1, in_ns(ns, {lit("ip"), lit("route"), lit("show"), destination}), "", 0);
        if (show.exit_code == 0 && show.out.find("via " + gateway + " ") != std::string::npos) return true;
        h.run(2, in_ns(ns, {lit("ip"), lit("route"), lit("replace"), destination, lit("via"), gateway}));
        return false;
    });
    if (already == 2) return success(1001, "route " + destination + " via " + gateway + " already in " + ns);
    return success(1000, "route " + destination + " via " + gateway + " set in " + ns);
}

// vlanif_ns.build(podnet, namespace, vlan, interface): <interface>.<vlan> moved into the namespace.
PrimitiveResult vlanif_build(Env& e) {
    std::string ns = ns_arg(e), parent = ifname_arg(e, "interface");
    long long vlan = valid_vlan(e.num("vlan"));
    std::string ifname = parent + "." + std::to_string(vlan);
    if (ifname.size() > 15) throw BadArgument("VLAN interface name is longer than 15 bytes");
    int already = on_both(e, 3020, [&](Remote& h) {
        auto show = h.probe(1, in_ns(ns, {lit("ip"), lit("link"), lit("show"), lit("dev"), ifname}), "", 1);
        if (show.exit_code == 0) return true;
        auto root = h.probe(2, sudo({lit("ip"), lit("link"), lit("show"), lit("dev"), ifname}), "", 1);
        if (root.exit_code != 0)
            h.run(2, sudo({lit("ip"), lit("link"), lit("add"), lit("link"), parent, lit("name"), ifname, lit("type"), lit("vlan"), lit("id"), vlan}));
        h.run(3, sudo({lit("ip"), lit("link"), lit("set"), lit("dev"), ifname, lit("netns"), ns}));
        h.run(4, in_ns(ns, {lit("ip"), lit("link"), lit("set"), lit("dev"), ifname, lit("up")}));
        return false;
    });
    if (already == 2) return success(1001, ifname + " already in " + ns);
    return success(1000, ifname + " moved into " + ns);
}

// nginx_ns.build(podnet, namespace): the cloud-init metadata server of the namespace on
// 169.254.169.254:80, serving /etc/netns/<ns>/cloudcix-metadata/<client address>/ (what
// cidata.build writes). Reloaded when it runs, started when it does not.
PrimitiveResult nginx_build(Env& e) {
    std::string ns = ns_arg(e);
    std::string conf = "pid " + nginx_pid(ns) + ";\nerror_log /var/log/nginx/" + ns + "_error.log;\nevents {}\nhttp {\n"
                       "    access_log off;\n    server {\n        listen 169.254.169.254:80;\n"
                       "        root /etc/netns/" + ns + "/cloudcix-metadata/$remote_addr/;\n    }\n}\n";
    on_both(e, 3020, [&](Remote& h) {
        auto lo = h.probe(1, in_ns(ns, {lit("ip"), lit("-o"), lit("address"), lit("show"), lit("dev"), lit("lo")}), "", 0);
        if (lo.exit_code != 0 || lo.out.find(" 169.254.169.254/32 ") == std::string::npos)
            h.run(1, in_ns(ns, {lit("ip"), lit("address"), lit("add"), lit("169.254.169.254/32"), lit("dev"), lit("lo")}));
        h.run(2, join(P, "&&", {sudo({lit("mkdir"), lit("--parents"), "/etc/netns/" + ns}),
                                join(P, "|", {command(P, {lit("printf"), "%s", conf}), sudo({lit("tee"), nginx_conf(ns)}) + " >/dev/null"})}));
        h.run(3, in_ns(ns, {lit("nginx"), lit("-t"), lit("-q"), lit("-c"), nginx_conf(ns)}));
        auto reload = h.probe(4, in_ns(ns, {lit("nginx"), lit("-c"), nginx_conf(ns), lit("-s"), lit("reload")}), "", 1);
        if (reload.exit_code != 0) h.run(5, in_ns(ns, {lit("nginx"), lit("-c"), nginx_conf(ns)}));
        return false;
    });
    return success(1000, "metadata server of " + ns + " running on both PodNet nodes");
}

// ---- firewall_ns ----------------------------------------------------------------------------
// The whole ruleset of the namespace, replaced atomically (nft -f with "flush ruleset" first):
// applying it twice gives the same state, so the primitive needs no separate check step.

const boost::json::object& obj(const boost::json::value& v, const char* what) {
    if (!v.is_object()) throw BadArgument(std::string(what) + " must be an object");
    return v.get_object();
}
std::string field(const boost::json::object& o, const char* key) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || !v->is_string()) throw BadArgument(std::string("field '") + key + "' must be a string");
    return std::string(v->get_string());
}
std::string cidr_or_address(const std::string& s) {
    if (s.find('/') != std::string::npos) return std::string(valid_cidr(s));
    return std::string(valid_address(s));
}
std::string ports(const std::string& s) {
    if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == ',' || c == '-'; }))
        throw BadArgument("invalid port list: " + std::to_string(s.size()) + " bytes (digits, ',' and '-' only)");
    std::string out;
    for (char c : s) out += c == ',' ? std::string(", ") : std::string(1, c);
    return out;
}
std::string ifset(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + ("\"" + std::string(valid_name(n)) + "\"");
    return out;
}

std::string rule_text(const boost::json::value& v) {
    const auto& r = obj(v, "a firewall rule");
    std::string source = cidr_or_address(field(r, "source")), destination = cidr_or_address(field(r, "destination"));
    bool v6 = destination.find(':') != std::string::npos;
    std::string fam = v6 ? "ip6" : "ip";
    std::string protocol = field(r, "protocol"), action = field(r, "action");
    if (action != "accept" && action != "drop") throw BadArgument("a firewall rule's action must be accept or drop");
    std::string text = fam + " saddr " + source + " " + fam + " daddr " + destination;
    if (protocol == "tcp" || protocol == "udp") {
        text += " " + protocol + " dport { " + ports(field(r, "port")) + " }";
    } else if (protocol == "icmp") {
        text += v6 ? " meta l4proto ipv6-icmp" : " meta l4proto icmp";
    } else if (protocol != "any") {
        throw BadArgument("a firewall rule's protocol must be any, tcp, udp or icmp");
    }
    const auto* log = r.if_contains("log");
    if (log && log->is_bool() && log->get_bool()) text += " log prefix \"PROJECT \"";
    return text + " " + action;
}

std::string ruleset(Env& e) {
    std::string pub = ifname_arg(e, "public_interface");
    std::string vr_ip(valid_address(e.str("vr_ip")));
    auto priv = e.strings("private_interfaces"), tunnels = e.strings("tunnels"), networks = e.strings("networks");
    std::string t = "flush ruleset\n\ntable ip NAT {\n    chain PREROUTING {\n        type nat hook prerouting priority dstnat; policy accept;\n";
    std::vector<std::pair<std::string, std::string>> nat;
    for (const auto& p : e.list("nat")) {
        const auto& o = obj(p, "a NAT pair");
        nat.emplace_back(valid_address(field(o, "private")), valid_address(field(o, "public")));
    }
    for (const auto& [priv_ip, pub_ip] : nat) t += "        ip daddr " + pub_ip + " dnat to " + priv_ip + "\n";
    t += "    }\n    chain POSTROUTING {\n        type nat hook postrouting priority srcnat; policy accept;\n";
    for (const auto& [priv_ip, pub_ip] : nat) t += "        ip saddr " + priv_ip + " oifname \"" + pub + "\" snat to " + pub_ip + "\n";
    for (const auto& n : networks)
        if (std::string(valid_cidr(n)).find(':') == std::string::npos)
            t += "        ip saddr " + n + " oifname \"" + pub + "\" snat to " + vr_ip + "\n";
    t += "    }\n}\n\ntable inet FILTER {\n";
    t += "    set PRIVATE {\n        type ifname;\n" + (priv.empty() ? std::string() : "        elements = { " + ifset(priv) + " }\n") + "    }\n";
    t += "    set S2S_TUNNEL {\n        type ifname;\n" + (tunnels.empty() ? std::string() : "        elements = { " + ifset(tunnels) + " }\n") + "    }\n";
    t += "    chain INPUT {\n        type filter hook input priority filter; policy drop;\n"
         "        ct state established,related accept\n        iifname \"lo\" accept\n"
         "        meta l4proto { icmp, ipv6-icmp } accept\n        udp dport { 500, 4500 } accept\n        meta l4proto esp accept\n"
         "        iifname @PRIVATE meta l4proto { tcp, udp } th dport 53 accept\n"
         "        iifname @PRIVATE ip daddr 169.254.169.254 tcp dport 80 accept\n    }\n";
    t += "    chain FORWARD {\n        type filter hook forward priority filter; policy drop;\n"
         "        ct state established,related accept\n"
         "        iifname @PRIVATE oifname @PRIVATE jump PRVT_2_PRVT\n"
         "        iifname @S2S_TUNNEL jump VPNS2S\n        oifname @S2S_TUNNEL jump VPNS2S\n"
         "        iifname \"" + pub + "\" oifname @PRIVATE jump PROJECT_IN\n"
         "        iifname @PRIVATE oifname \"" + pub + "\" jump PROJECT_OUT\n    }\n";
    t += "    chain OUTPUT {\n        type filter hook output priority filter; policy accept;\n    }\n";
    t += "    chain PRVT_2_PRVT {\n        accept\n    }\n    chain VPNS2S {\n";
    for (const auto& r : e.list("vpn_routes")) {
        const auto& o = obj(r, "a VPN route");
        std::string l(valid_cidr(field(o, "local"))), rem(valid_cidr(field(o, "remote")));
        t += "        ip saddr " + l + " ip daddr " + rem + " accept\n        ip saddr " + rem + " ip daddr " + l + " accept\n";
    }
    t += "    }\n    chain PROJECT_IN {\n";
    for (const auto& r : e.list("inbound")) t += "        " + rule_text(r) + "\n";
    t += "    }\n    chain PROJECT_OUT {\n";
    for (const auto& r : e.list("outbound")) t += "        " + rule_text(r) + "\n";
    t += "        accept\n    }\n}\n";
    return t;
}

// firewall_ns.build(podnet, namespace, public_interface, vr_ip, private_interfaces, tunnels,
// networks, nat, inbound, outbound, vpn_routes): written to /etc/netns/<ns>/firewall.nft,
// checked with nft --check, then applied.
PrimitiveResult firewall_build(Env& e) {
    std::string ns = ns_arg(e);
    std::string rules = ruleset(e);
    std::string dir = "/etc/netns/" + ns, path = dir + "/firewall.nft";
    on_both(e, 3020, [&](Remote& h) {
        h.run(1, join(P, "&&", {sudo({lit("mkdir"), lit("--parents"), dir}),
                                join(P, "|", {command(P, {lit("printf"), "%s", rules}), sudo({lit("tee"), path}) + " >/dev/null"})}));
        h.run(2, in_ns(ns, {lit("nft"), lit("--check"), lit("--file"), path}));
        h.run(3, in_ns(ns, {lit("nft"), lit("--file"), path}));
        return false;
    });
    return success(1000, "firewall of " + ns + " applied on both PodNet nodes");
}

// ---- vpns2s_ns -------------------------------------------------------------------------------
std::string base64(std::string_view in) {
    static constexpr char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) | static_cast<unsigned char>(in[i + 2]);
        out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
    }
    if (i + 1 == in.size()) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        out += {k[v >> 18], k[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == in.size()) {
        unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
        out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
    }
    return out;
}
std::string proposal(const std::string& s) {
    if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-'; }))
        throw BadArgument("invalid strongSwan proposal");
    return s;
}
std::string peer(const std::string& s) {
    if (s == "%any") return s;
    unsigned char b[16];
    std::string z = s;
    if (inet_pton(AF_INET, z.c_str(), b) == 1 || inet_pton(AF_INET6, z.c_str(), b) == 1) return s;
    if (s.size() > 253 || s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-'; }))
        throw BadArgument("invalid IKE peer address");
    return s;
}
std::string cidrs(const std::vector<std::string>& list) {
    std::string out;
    for (const auto& c : list) out += (out.empty() ? "" : ",") + std::string(valid_cidr(c));
    return out;
}
std::string conf_path(const std::string& ns, long long stif) { return "/etc/swanctl/conf.d/" + ns + "_" + std::to_string(stif) + ".conf"; }

long long stif_arg(Env& e) {
    long long stif = e.num("stif");
    if (stif <= 0 || stif > 4294967295LL) throw BadArgument("argument 'stif' must be a positive 32-bit number");
    return stif;
}

// vpns2s_ns.build(podnet, namespace, stif, interface, local_addrs, remote_addrs, version,
// ike_proposals, esp_proposals, ike_lifetime, ipsec_lifetime, local_ts, remote_ts, routes,
// start_action, psk): xfrm<stif> in the namespace, its routes, the swanctl connection.
PrimitiveResult vpns2s_build(Env& e) {
    std::string ns = ns_arg(e), dev = ifname_arg(e, "interface");
    long long stif = stif_arg(e);
    std::string xfrm = "xfrm" + std::to_string(stif), name = ns + "-" + std::to_string(stif);
    std::string psk = e.str("psk");
    secrets::remember(psk);
    secrets::remember(base64(psk));
    std::string start = e.str("start_action");
    if (start != "start" && start != "trap") throw BadArgument("argument 'start_action' must be start or trap");
    long long version = e.num("version");
    if (version != 1 && version != 2) throw BadArgument("argument 'version' must be 1 or 2");
    auto routes = e.strings("routes");
    for (const auto& r : routes) valid_cidr(r);
    std::string conf = "connections {\n    " + name + " {\n        version = " + std::to_string(version) +
                       "\n        local_addrs = " + peer(e.str("local_addrs")) + "\n        remote_addrs = " + peer(e.str("remote_addrs")) +
                       "\n        proposals = " + proposal(e.str("ike_proposals")) + "\n        rekey_time = " + std::to_string(e.num("ike_lifetime")) +
                       "s\n        if_id_in = " + std::to_string(stif) + "\n        if_id_out = " + std::to_string(stif) +
                       "\n        local {\n            auth = psk\n        }\n        remote {\n            auth = psk\n        }\n"
                       "        children {\n            " + name + " {\n                local_ts = " + cidrs(e.strings("local_ts")) +
                       "\n                remote_ts = " + cidrs(e.strings("remote_ts")) + "\n                esp_proposals = " +
                       proposal(e.str("esp_proposals")) + "\n                life_time = " + std::to_string(e.num("ipsec_lifetime")) +
                       "s\n                start_action = " + start + "\n                dpd_action = restart\n            }\n        }\n    }\n}\n"
                       "secrets {\n    ike-" + name + " {\n        id-remote = " + peer(e.str("remote_addrs")) +
                       "\n        secret = 0s" + base64(psk) + "\n    }\n}\n";
    std::string path = conf_path(ns, stif);
    on_both(e, 3020, [&](Remote& h) {
        auto show = h.probe(1, in_ns(ns, {lit("ip"), lit("link"), lit("show"), lit("dev"), xfrm}), "", 1);
        if (show.exit_code != 0) {
            h.run(2, sudo({lit("ip"), lit("link"), lit("add"), xfrm, lit("type"), lit("xfrm"), lit("dev"), dev, lit("if_id"), stif}));
            h.run(3, sudo({lit("ip"), lit("link"), lit("set"), lit("dev"), xfrm, lit("netns"), ns}));
            h.run(4, in_ns(ns, {lit("ip"), lit("link"), lit("set"), lit("dev"), xfrm, lit("up")}));
        }
        for (const auto& r : routes) h.run(5, in_ns(ns, {lit("ip"), lit("route"), lit("replace"), r, lit("dev"), xfrm}));
        h.run(6, join(P, "&&", {join(P, "|", {command(P, {lit("printf"), "%s", conf}), sudo({lit("tee"), path}) + " >/dev/null"}),
                                sudo({lit("chmod"), lit("600"), path})}));
        h.run(7, sudo({lit("swanctl"), lit("--load-all")}));
        return false;
    });
    return success(1000, "VPN " + name + " configured on both PodNet nodes");
}

// vpns2s_ns.scrub(podnet, namespace, stif): terminates the IKE SA, removes the connection and xfrm<stif>.
PrimitiveResult vpns2s_scrub(Env& e) {
    std::string ns = ns_arg(e);
    long long stif = stif_arg(e);
    std::string xfrm = "xfrm" + std::to_string(stif), name = ns + "-" + std::to_string(stif);
    on_both(e, 3120, [&](Remote& h) {
        // Not established is fine: terminate only reports.
        h.probe(1, sudo({lit("swanctl"), lit("--terminate"), lit("--ike"), name, lit("--force")}), "", 0);
        h.run(2, sudo({lit("rm"), lit("--force"), conf_path(ns, stif)}));
        h.run(3, sudo({lit("swanctl"), lit("--load-all")}));
        auto show = h.probe(4, in_ns(ns, {lit("ip"), lit("link"), lit("show"), lit("dev"), xfrm}), "", 0);
        if (show.exit_code == 0) h.run(5, in_ns(ns, {lit("ip"), lit("link"), lit("delete"), lit("dev"), xfrm}));
        return false;
    });
    return success(1100, "VPN " + name + " removed from both PodNet nodes");
}

}  // namespace

void add_podnet(Catalogue& c) {
    c["cidata.build"] = cidata_build;
    c["cidata.scrub"] = cidata_scrub;
    c["ns.build"] = ns_build;
    c["ns.scrub"] = ns_scrub;
    c["bridge_main.build"] = bridge_main_build;
    c["bridgeif_ns.build"] = bridgeif_build;
    c["network_ns.build"] = network_build;
    c["route_ns.build"] = route_build;
    c["vlanif_ns.build"] = vlanif_build;
    c["firewall_ns.build"] = firewall_build;
    c["nginx_ns.build"] = nginx_build;
    c["vpns2s_ns.build"] = vpns2s_build;
    c["vpns2s_ns.scrub"] = vpns2s_scrub;
}

}  // namespace cloudcix::drivers::prim
