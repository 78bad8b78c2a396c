// KVM backups (spec §4.8, [R] script): an external disk-only snapshot makes the original images
// stable, they are copied to the repository, then committed back and pivoted, and the domain
// XML is saved next to them. The XML is written last, so its presence marks a complete backup.
#include <sstream>

#include "primitives/remote.hpp"

namespace cloudcix::drivers::prim {
namespace {

constexpr Shell P = Shell::posix;

std::string sudo(std::initializer_list<Arg> argv) {
    std::vector<Arg> all{lit("sudo")};
    all.insert(all.end(), argv.begin(), argv.end());
    return command(P, all);
}

struct Disk {
    std::string type;  // file, block, network (an RBD drive)
    std::string target;
    std::string source;
};

// `virsh domblklist --details` rows "Type Device Target Source"; only device "disk".
std::vector<Disk> disks(const std::string& out) {
    std::vector<Disk> found;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::string type, device, target, source;
        if (!(words >> type >> device >> target >> source)) continue;
        if (device == "disk" && source != "-") found.push_back({type, target, source});
    }
    return found;
}

// The backup folder: <repository>/<backup>, both validated; the repository comes from Config.
std::string export_dir(Env& e) {
    std::string root(valid_path(e.str("repository")));
    if (root.back() != '/') root.push_back('/');
    return root + std::string(valid_name(e.str("backup")));
}

std::string listing(const std::vector<std::string>& files, std::string_view suffix) {
    std::string out = " Type   Device   Target   Source\n------------------------------------------------\n";
    const char* targets[] = {"vda", "vdb", "vdc", "vdd", "vde", "vdf", "vdg", "vdh"};
    for (std::size_t i = 0; i < files.size() && i < 8; ++i) {
        std::string f = files[i];
        if (!suffix.empty()) f = f.substr(0, f.rfind('.')) + std::string(suffix);
        out += " file   disk     " + std::string(targets[i]) + "      " + f + "\n";
    }
    return out;
}

// backup_kvm.build(host, domain, repository, backup, images): `images` (the VM's disk files as the
// API knows them) only shapes what a dry run assumes `domblklist` answers; the host's answer rules.
PrimitiveResult build(Env& e) {
    std::string domain(valid_name(e.str("domain")));
    std::string dir = export_dir(e);
    std::string folder = dir + "/" + domain;
    std::string xml = folder + "/" + domain + ".xml";
    std::vector<std::string> images = e.strings("images");
    for (const auto& i : images) valid_path(i);
    Remote h(e, e.str("host"), "robot", P, 3020);

    if (h.probe(1, sudo({lit("test"), lit("-e"), xml}), "", 1).exit_code == 0)
        return success(1001, "backup " + folder + " already complete on " + h.host());
    h.run(2, sudo({lit("mkdir"), lit("--parents"), folder}));
    std::string blklist = sudo({lit("virsh"), lit("domblklist"), domain, lit("--details")});
    auto listed = h.probe(3, blklist, listing(images, ""));
    if (listed.exit_code != 0) h.fail(3, blklist, listed, false);
    auto before = disks(listed.out);
    for (const auto& d : before)
        if (d.target.find("snaptemp") != std::string::npos || d.source.find("snaptemp") != std::string::npos)
            throw Stop{PrimitiveResult{false, "3028: domain " + domain + " on " + h.host() + " runs on a leftover overlay " +
                                                  d.source + "; commit it before backing up",
                                       nullptr, PrimitiveFailure::command}};

    // Network disks are attached Ceph drives: resources of their own, not part of the VM's backup,
    // and libvirt cannot put an external file overlay on them.
    std::vector<Arg> snap{lit("sudo"), lit("virsh"), lit("snapshot-create-as"), lit("--domain"), domain, lit("--name"),
                          lit("snaptemp"), lit("--no-metadata"), lit("--atomic"), lit("--disk-only")};
    std::vector<Disk> copied;
    for (const auto& d : before) {
        bool network = d.type == "network";
        snap.push_back(lit("--diskspec"));
        snap.push_back(std::string(valid_name(d.target)) + (network ? ",snapshot=no" : ",snapshot=external"));
        if (!network) copied.push_back(d);
    }
    before = copied;
    if (before.empty())
        throw Stop{PrimitiveResult{false, "3026: domain " + domain + " on " + h.host() + " lists no disk to back up", nullptr,
                                   PrimitiveFailure::command}};
    h.run(5, command(P, snap));
    // What the guest writes to now: the overlays, removed after the commit.
    std::vector<std::string> sources;
    for (const auto& d : before) sources.push_back(d.source);
    auto overlays = disks(h.probe(6, blklist, listing(sources, ".snaptemp")).out);

    auto commit = [&](int step) {
        for (const auto& d : before)
            h.run(step, sudo({lit("virsh"), lit("blockcommit"), domain, d.target, lit("--active"), lit("--pivot")}));
    };
    try {
        for (const auto& d : before) h.run(7, sudo({lit("cp"), lit("--sparse=always"), valid_path(d.source), folder + "/"}));
    } catch (const Stop&) {
        // Do not leave the domain on its overlays: commit back (best effort), then report the copy.
        try {
            commit(8);
        } catch (const Stop&) {
        }
        throw;
    }
    try {
        commit(8);
    } catch (Stop& s) {
        s.result.message += " (the domain may still run on its snaptemp overlays)";
        throw;
    }
    for (const auto& o : overlays)
        if (o.source.find("snaptemp") != std::string::npos) h.run(9, sudo({lit("rm"), lit("--force"), valid_path(o.source)}));
    h.run(10, join(P, "|", {sudo({lit("virsh"), lit("dumpxml"), domain}), sudo({lit("tee"), xml}) + " >/dev/null"}));
    return success(1000, "backup of " + domain + " written to " + folder + " on " + h.host());
}

// backup_kvm.scrub(host, repository, backup)
PrimitiveResult scrub(Env& e) {
    std::string dir = export_dir(e);
    Remote h(e, e.str("host"), "robot", P, 3120);
    if (h.probe(1, sudo({lit("test"), lit("-e"), dir}), "", 0).exit_code != 0)
        return success(1101, "backup " + dir + " already absent on " + h.host());
    h.run(2, sudo({lit("rm"), lit("--recursive"), lit("--force"), dir}));
    return success(1100, "backup " + dir + " removed on " + h.host());
}

}  // namespace

void add_backup_kvm(Catalogue& c) {
    c["backup_kvm.build"] = build;
    c["backup_kvm.scrub"] = scrub;
}

}  // namespace cloudcix::drivers::prim
