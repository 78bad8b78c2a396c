// Ceph RBD images (spec §4.10 [design]: the sources hold no working Ceph code). rbd runs on the Ceph admin
// node; `rbd info --format json` is the existence and size check before every change.
#include <algorithm>
#include <optional>
#include <sstream>

#include <boost/json/parse.hpp>

#include "primitives/remote.hpp"

namespace cloudcix::drivers::prim {
namespace {

constexpr Shell P = Shell::posix;
constexpr long long kGiB = 1024LL * 1024 * 1024;

struct Image {
    std::string cluster;
    std::string spec;  // <pool>/<image>
};

Image image(Env& e) {
    return {std::string(valid_name(e.str("cluster"))),
            std::string(valid_name(e.str("pool"))) + "/" + std::string(valid_name(e.str("image")))};
}

std::string rbd(const Image& i, std::initializer_list<Arg> argv) {
    std::vector<Arg> all{lit("sudo"), lit("rbd"), lit("--cluster"), i.cluster};
    all.insert(all.end(), argv.begin(), argv.end());
    return command(P, all);
}

std::string info(const Image& i) { return rbd(i, {lit("info"), lit("--format"), lit("json"), i.spec}); }

// rbd exits with ENOENT (2) and says so when the image does not exist.
bool missing(const RccResult& r) {
    return r.exit_code != 0 && (r.exit_code == 2 || r.err.find("No such file or directory") != std::string::npos);
}

std::optional<long long> size_of(const RccResult& r) {
    boost::system::error_code ec;
    auto j = boost::json::parse(r.out, ec);
    const auto* size = (!ec && j.is_object()) ? j.get_object().if_contains("size") : nullptr;
    if (size && size->is_int64()) return size->get_int64();
    if (size && size->is_uint64()) return static_cast<long long>(size->get_uint64());
    return std::nullopt;
}

long long gigabytes(Env& e) {
    long long gb = e.num("gb");
    if (gb <= 0 || gb > 1024 * 1024) throw BadArgument("argument 'gb' must be between 1 and 1048576");
    return gb;
}

// rbd.build(host, cluster, pool, image, gb)
PrimitiveResult build(Env& e) {
    Image i = image(e);
    long long gb = gigabytes(e);
    Remote h(e, e.str("host"), "robot", P, 3020);
    auto st = h.probe(1, info(i), "", 2);
    if (st.exit_code == 0) {
        if (size_of(st) == gb * kGiB) return success(1001, "image " + i.spec + " already exists with " + std::to_string(gb) + " GB");
        throw Stop{PrimitiveResult{false, "3001: image " + i.spec + " exists on cluster " + i.cluster + " with another size",
                                   nullptr, PrimitiveFailure::command}};
    }
    if (!missing(st)) h.fail(1, info(i), st, false);
    h.run(2, rbd(i, {lit("create"), lit("--size"), std::to_string(gb) + "G", i.spec}));
    return success(1000, "image " + i.spec + " created with " + std::to_string(gb) + " GB");
}

// rbd.update(host, cluster, pool, image, gb): grow only.
PrimitiveResult update(Env& e) {
    Image i = image(e);
    long long gb = gigabytes(e);
    Remote h(e, e.str("host"), "robot", P, 3320);
    auto st = h.probe(1, info(i), "{\"size\": 0}", 0);
    if (st.exit_code != 0) h.fail(1, info(i), st, false);  // 3322: no such image
    auto size = size_of(st);
    if (!size)
        throw Stop{PrimitiveResult{false, "3322: rbd info of " + i.spec + " gave no size", nullptr, PrimitiveFailure::command}};
    if (*size == gb * kGiB) return success(1301, "image " + i.spec + " already has " + std::to_string(gb) + " GB");
    if (*size > gb * kGiB)
        throw Stop{PrimitiveResult{false, "3324: image " + i.spec + " is larger than " + std::to_string(gb) + " GB; drives never shrink",
                                   nullptr, PrimitiveFailure::command}};
    h.run(2, rbd(i, {lit("resize"), lit("--size"), std::to_string(gb) + "G", i.spec}));
    return success(1300, "image " + i.spec + " grown to " + std::to_string(gb) + " GB");
}

// rbd.scrub(host, cluster, pool, image)
PrimitiveResult scrub(Env& e) {
    Image i = image(e);
    Remote h(e, e.str("host"), "robot", P, 3120);
    auto st = h.probe(1, info(i), "{\"size\": 0}", 0);
    if (missing(st)) return success(1101, "image " + i.spec + " already absent");
    if (st.exit_code != 0) h.fail(1, info(i), st, false);
    h.run(2, rbd(i, {lit("rm"), i.spec}));
    return success(1100, "image " + i.spec + " removed");
}

// rbd_kvm.resize(host, domain, pool, image, gb): tell a running domain that its RBD disk grew.
PrimitiveResult kvm_resize(Env& e) {
    std::string domain(valid_name(e.str("domain")));
    std::string source = std::string(valid_name(e.str("pool"))) + "/" + std::string(valid_name(e.str("image")));
    long long gb = gigabytes(e);
    Remote h(e, e.str("host"), "robot", P, 3340);
    auto st = h.probe(1, command(P, {lit("sudo"), lit("virsh"), lit("domstate"), domain}), "running", 0);
    if (st.exit_code != 0) h.fail(1, command(P, {lit("sudo"), lit("virsh"), lit("domstate"), domain}), st, false);
    if (trim(st.out) != "running") return success(1301, "domain " + domain + " is not running; it sees the new size when it starts");
    std::string blk = command(P, {lit("sudo"), lit("virsh"), lit("domblklist"), domain, lit("--details")});
    auto list = h.probe(2, blk, " Type    Device   Target   Source\n network disk     vdb      " + source + "\n", 0);
    if (list.exit_code != 0) h.fail(2, blk, list, false);
    std::string target;
    std::istringstream lines(list.out);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::string type, device, t, s;
        if ((words >> type >> device >> t >> s) && device == "disk" && s == source) target = t;
    }
    if (target.empty()) return success(1301, source + " is not attached to " + domain + "; it is attached with its new size");
    h.run(3, command(P, {lit("sudo"), lit("virsh"), lit("blockresize"), domain, std::string(valid_name(target)),
                         std::to_string(gb) + "G"}));
    return success(1300, domain + " sees " + source + " with " + std::to_string(gb) + " GB");
}

struct Attached {
    std::string target;          // of the RBD disk with this source; empty when not attached
    std::vector<std::string> used;  // every target of the domain
};

Attached attached(const std::string& out, const std::string& source) {
    Attached a;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::string type, device, t, s;
        if (!(words >> type >> device >> t >> s)) continue;
        if (t == "Target") continue;  // header
        a.used.push_back(t);
        if (device == "disk" && s == source) a.target = t;
    }
    return a;
}

// A monitor is an address or a host name.
std::string monitor(std::string_view m) {
    try {
        return std::string(valid_address(m));
    } catch (const BadArgument&) {
        return std::string(valid_name(m));
    }
}

// rbd_kvm.attach(host, domain, pool, image, monitors, user, secret, live): an RBD network disk on
// the first free vdX target, persistent (--config) and, with `live`, in the running domain too.
PrimitiveResult kvm_attach(Env& e) {
    std::string domain(valid_name(e.str("domain")));
    std::string source = std::string(valid_name(e.str("pool"))) + "/" + std::string(valid_name(e.str("image")));
    std::vector<std::string> monitors;
    for (const auto& m : e.strings("monitors")) monitors.push_back(monitor(m));
    if (monitors.empty()) throw BadArgument("argument 'monitors' must list at least one Ceph monitor");
    std::string user(valid_name(e.str("user"))), secret = e.str("secret");
    if (!secret.empty()) valid_name(secret);  // a libvirt secret UUID
    bool live = e.flag("live", false);
    Remote h(e, e.str("host"), "robot", P, 3320);
    std::string blk = command(P, {lit("sudo"), lit("virsh"), lit("domblklist"), domain, lit("--details")});
    auto list = h.probe(1, blk, " Type   Device   Target   Source\n file   disk     vda      /var/lib/libvirt/images/" + domain + ".img\n", 0);
    if (list.exit_code != 0) h.fail(1, blk, list, false);
    Attached a = attached(list.out, source);
    if (!a.target.empty()) return success(1301, source + " is already attached to " + domain + " as " + a.target);
    std::string target;
    for (char c = 'a'; c <= 'z' && target.empty(); ++c)
        if (std::find(a.used.begin(), a.used.end(), std::string("vd") + c) == a.used.end()) target = std::string("vd") + c;
    if (target.empty())
        throw Stop{PrimitiveResult{false, "3322: " + domain + " has no free virtio disk target", nullptr, PrimitiveFailure::command}};
    std::string xml = "<disk type='network' device='disk'><driver name='qemu' type='raw' cache='none'/>";
    if (!secret.empty()) xml += "<auth username='" + user + "'><secret type='ceph' uuid='" + secret + "'/></auth>";
    xml += "<source protocol='rbd' name='" + source + "'>";
    for (const auto& m : monitors) xml += "<host name='" + m + "' port='6789'/>";
    xml += "</source><target dev='" + target + "' bus='virtio'/></disk>";
    std::vector<Arg> argv{lit("sudo"), lit("virsh"), lit("attach-device"), domain, lit("/dev/stdin"), lit("--config")};
    if (live) argv.push_back(lit("--live"));
    h.run(2, join(P, "|", {command(P, {lit("printf"), "%s", xml}), command(P, argv)}));
    return success(1300, source + " attached to " + domain + " as " + target);
}

// rbd_kvm.detach(host, domain, pool, image, live)
PrimitiveResult kvm_detach(Env& e) {
    std::string domain(valid_name(e.str("domain")));
    std::string source = std::string(valid_name(e.str("pool"))) + "/" + std::string(valid_name(e.str("image")));
    bool live = e.flag("live", false);
    Remote h(e, e.str("host"), "robot", P, 3340);
    std::string blk = command(P, {lit("sudo"), lit("virsh"), lit("domblklist"), domain, lit("--details")});
    auto list = h.probe(1, blk, " Type    Device   Target   Source\n network disk     vdb      " + source + "\n", 0);
    if (list.exit_code != 0) h.fail(1, blk, list, false);
    Attached a = attached(list.out, source);
    if (a.target.empty()) return success(1301, source + " is not attached to " + domain);
    std::vector<Arg> argv{lit("sudo"), lit("virsh"), lit("detach-disk"), domain, std::string(valid_name(a.target)), lit("--config")};
    if (live) argv.push_back(lit("--live"));
    h.run(2, command(P, argv));
    return success(1300, source + " detached from " + domain);
}

}  // namespace

void add_rbd(Catalogue& c) {
    c["rbd_kvm.attach"] = kvm_attach;
    c["rbd_kvm.detach"] = kvm_detach;
    c["rbd.build"] = build;
    c["rbd.update"] = update;
    c["rbd.scrub"] = scrub;
    c["rbd_kvm.resize"] = kvm_resize;
}

}  // namespace cloudcix::drivers::prim
