// libvirt snapshots of KVM domains (spec §4.6): create, delete (with --children), revert.
// The commands are [R]'s; the existence checks before each change are [design].
#include "primitives/remote.hpp"

namespace cloudcix::drivers::prim {
namespace {

constexpr Shell P = Shell::posix;

std::string virsh(std::initializer_list<Arg> argv) {
    std::vector<Arg> all{lit("sudo"), lit("virsh")};
    all.insert(all.end(), argv.begin(), argv.end());
    return command(P, all);
}

std::string info(const std::string& domain, const std::string& snap) {
    return virsh({lit("snapshot-info"), lit("--domain"), domain, lit("--snapshotname"), snap});
}

// libvirt's wording when the domain or the snapshot does not exist.
bool absent(const RccResult& r) {
    return r.exit_code != 0 && (r.err.find("not found") != std::string::npos ||
                                r.err.find("failed to get domain") != std::string::npos ||
                                r.err.find("no domain snapshot") != std::string::npos);
}

// snapshot_kvm.build(host, domain, snapshot): snapshot-create-as unless the snapshot exists.
PrimitiveResult build(Env& e) {
    std::string domain(valid_name(e.str("domain"))), snap(valid_name(e.str("snapshot")));
    Remote h(e, e.str("host"), "robot", P, 3030);
    h.run(1, virsh({lit("dominfo"), domain}));  // the domain must exist: 3032
    auto st = h.probe(2, info(domain, snap), "", 1);
    if (st.exit_code == 0) return success(1001, "snapshot " + snap + " of " + domain + " already exists on " + h.host());
    if (!absent(st) && st.exit_code != 1) h.fail(2, info(domain, snap), st, false);
    h.run(3, virsh({lit("snapshot-create-as"), lit("--domain"), domain, lit("--name"), snap}));
    h.run(4, info(domain, snap));  // verify: exit status, not stdout markers (spec §6 item 8)
    return success(1000, "snapshot " + snap + " of " + domain + " created on " + h.host());
}

// snapshot_kvm.scrub(host, domain, snapshot, remove_subtree): snapshot-delete, --children on request.
PrimitiveResult scrub(Env& e) {
    std::string domain(valid_name(e.str("domain"))), snap(valid_name(e.str("snapshot")));
    bool subtree = e.flag("remove_subtree", false);
    Remote h(e, e.str("host"), "robot", P, 3120);
    auto st = h.probe(1, info(domain, snap), "Name:           " + snap, 0);
    if (st.exit_code != 0) {
        if (absent(st)) return success(1101, "snapshot " + snap + " of " + domain + " already absent on " + h.host());
        h.fail(1, info(domain, snap), st, false);
    }
    std::vector<Arg> argv{lit("sudo"), lit("virsh"), lit("snapshot-delete"), lit("--domain"), domain, lit("--snapshotname"), snap};
    if (subtree) argv.push_back(lit("--children"));
    h.run(2, command(P, argv));
    return success(1100, "snapshot " + snap + (subtree ? " and its children" : "") + " of " + domain + " deleted on " + h.host());
}

// snapshot_kvm.update(host, domain, snapshot): revert the domain to the snapshot, running.
PrimitiveResult update(Env& e) {
    std::string domain(valid_name(e.str("domain"))), snap(valid_name(e.str("snapshot")));
    Remote h(e, e.str("host"), "robot", P, 3320);
    h.run(1, info(domain, snap));  // must exist: 3322
    // --running: the verb's success state is RUNNING whatever state the snapshot captured.
    h.run(2, virsh({lit("snapshot-revert"), lit("--domain"), domain, lit("--snapshotname"), snap, lit("--running")}));
    return success(1300, domain + " reverted to snapshot " + snap + " on " + h.host());
}

}  // namespace

void add_snapshot_kvm(Catalogue& c) {
    c["snapshot_kvm.build"] = build;
    c["snapshot_kvm.scrub"] = scrub;
    c["snapshot_kvm.update"] = update;
}

}  // namespace cloudcix::drivers::prim
