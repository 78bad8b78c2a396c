// KVM host primitives (spec §4.1): VLAN bridges, qcow2 storages, cloud-init domains.
#include <boost/json/parse.hpp>

#include "primitives/remote.hpp"

namespace cloudcix::drivers::prim {
namespace {

constexpr Shell P = Shell::posix;

std::string sudo(std::initializer_list<Arg> argv) {
    std::vector<Arg> all{lit("sudo")};
    all.insert(all.end(), argv.begin(), argv.end());
    return command(P, all);
}

// Writes `content` to `path` on the host (printf '%s' | sudo tee), mode `mode`.
std::string write_file(const std::string& path, const std::string& content, std::string_view mode) {
    return join(P, "&&",
                {join(P, "|", {command(P, {lit("printf"), "%s", content}), sudo({lit("tee"), path}) + " >/dev/null"}),
                 sudo({lit("chmod"), std::string(mode), path})});
}

std::string unit_name(long long vlan) { return "bridge_kvm_br" + std::to_string(vlan) + ".service"; }

// bridge_kvm.build(host, vlan, ifname): a oneshot unit that creates br{vlan} on {ifname}.{vlan}.
PrimitiveResult bridge_build(Env& e) {
    long long vlan = valid_vlan(e.num("vlan"));
    std::string ifname(valid_name(e.str("ifname")));
    Remote h(e, e.str("host"), "robot", P, 3020);
    std::string v = std::to_string(vlan), br = "br" + v, sub = ifname + "." + v;
    auto st = h.probe(1, sudo({lit("systemctl"), lit("status"), unit_name(vlan)}), "", 4);
    if (st.exit_code == 0) return success(1001, "bridge " + br + " already exists on " + h.host());
    std::string up = "/usr/local/bin/bridge_kvm_" + br + "_up.sh", down = "/usr/local/bin/bridge_kvm_" + br + "_down.sh";
    std::string unit = "/etc/systemd/system/" + unit_name(vlan);
    h.run(2, write_file(up,
                        "#!/bin/sh\n"
                        "ip link show " + br + " >/dev/null 2>&1 || ip link add name " + br + " type bridge\n"
                        "ip link add link " + ifname + " name " + sub + " type vlan id " + v + "\n"
                        "ip link set dev " + sub + " master " + br + "\n"
                        "ip link set dev " + sub + " up\n"
                        "ip link set dev " + br + " up\n",
                        "744"));
    h.run(3, write_file(down, "#!/bin/sh\nip link del " + sub + "\nip link del " + br + "\n", "744"));
    h.run(4, write_file(unit,
                        "[Unit]\nDescription=CloudCIX VLAN bridge " + br + "\nAfter=network.target\n\n"
                        "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=" + up + "\nExecStop=" + down +
                            "\n\n[Install]\nWantedBy=multi-user.target\n",
                        "644"));
    h.run(5, sudo({lit("systemctl"), lit("daemon-reload")}));
    h.run(6, join(P, "&&", {sudo({lit("systemctl"), lit("restart"), unit_name(vlan)}),
                            sudo({lit("systemctl"), lit("enable"), unit_name(vlan)})}));
    return success(1000, "bridge " + br + " built on " + h.host());
}

// bridge_kvm.scrub(host, vlan): stops and removes the unit and its scripts.
PrimitiveResult bridge_scrub(Env& e) {
    long long vlan = valid_vlan(e.num("vlan"));
    Remote h(e, e.str("host"), "robot", P, 3120);
    std::string br = "br" + std::to_string(vlan);
    auto st = h.probe(1, sudo({lit("systemctl"), lit("cat"), unit_name(vlan)}), "", 0);
    if (st.exit_code != 0) return success(1101, "bridge " + br + " already absent on " + h.host());
    h.run(2, join(P, "&&", {sudo({lit("systemctl"), lit("stop"), unit_name(vlan)}),
                            sudo({lit("systemctl"), lit("disable"), unit_name(vlan)})}));
    h.run(3, sudo({lit("rm"), lit("--force"), "/usr/local/bin/bridge_kvm_" + br + "_up.sh",
                   "/usr/local/bin/bridge_kvm_" + br + "_down.sh", "/etc/systemd/system/" + unit_name(vlan)}));
    h.run(4, sudo({lit("systemctl"), lit("daemon-reload")}));
    return success(1100, "bridge " + br + " removed from " + h.host());
}

std::string image_path(Env& e, std::string_view file) {
    std::string dir(valid_path(e.config.kvm.images_path));
    if (dir.back() != '/') dir.push_back('/');
    return dir + std::string(valid_name(file));
}

// storage_kvm.build(host, storage, gb): qemu-img create unless a file of that size exists.
PrimitiveResult storage_build(Env& e) {
    std::string path = image_path(e, e.str("storage"));
    long long gb = e.num("gb");
    if (gb <= 0) throw BadArgument("argument 'gb' must be positive");
    Remote h(e, e.str("host"), "robot", P, 3020);
    auto info = h.probe(1, sudo({lit("qemu-img"), lit("info"), lit("--output=json"), path}), "", 1);
    if (info.exit_code == 0) {
        boost::system::error_code ec;
        auto j = boost::json::parse(info.out, ec);
        const auto* size = (!ec && j.is_object()) ? j.get_object().if_contains("virtual-size") : nullptr;
        if (size && size->is_int64() && size->get_int64() == gb * 1024LL * 1024 * 1024)
            return success(1001, path + " already exists with " + std::to_string(gb) + " GB");
        throw Stop{PrimitiveResult{false, "3001: " + path + " exists on " + h.host() + " with another size", nullptr,
                                   PrimitiveFailure::command}};
    }
    h.run(2, sudo({lit("qemu-img"), lit("create"), lit("-f"), lit("qcow2"), path, std::to_string(gb) + "G"}));
    return success(1000, path + " created with " + std::to_string(gb) + " GB");
}

long long virtual_size(const RccResult& info) {
    boost::system::error_code ec;
    auto j = boost::json::parse(info.out, ec);
    const auto* size = (!ec && j.is_object()) ? j.get_object().if_contains("virtual-size") : nullptr;
    return size && size->is_int64() ? size->get_int64() : -1;
}

// storage_kvm.update(host, storage, gb): grows the image to gb; the same size is success, a
// smaller one fails (the API never shrinks disks, qemu-img would lose data).
PrimitiveResult storage_update(Env& e) {
    std::string path = image_path(e, e.str("storage"));
    long long gb = e.num("gb");
    if (gb <= 0) throw BadArgument("argument 'gb' must be positive");
    long long bytes = gb * 1024LL * 1024 * 1024;
    Remote h(e, e.str("host"), "robot", P, 3320);
    std::string info_cmd = sudo({lit("qemu-img"), lit("info"), lit("--output=json"), path});
    auto info = h.probe(1, info_cmd, "{\"virtual-size\": 1}", 0);
    if (info.exit_code != 0) h.fail(1, info_cmd, info, false);
    long long have = virtual_size(info);
    if (have == bytes) return success(1301, path + " already has " + std::to_string(gb) + " GB");
    if (have > bytes)
        throw Stop{PrimitiveResult{false, "3323: " + path + " on " + h.host() + " is larger than " + std::to_string(gb) +
                                              " GB; disks are never shrunk", nullptr, PrimitiveFailure::command}};
    h.run(2, sudo({lit("qemu-img"), lit("resize"), path, std::to_string(gb) + "G"}));
    return success(1300, path + " resized to " + std::to_string(gb) + " GB");
}

// storage_kvm.attach(host, domain, storage, target): persistently attaches a qcow2 disk.
PrimitiveResult storage_attach(Env& e) {
    std::string domain(valid_name(e.str("domain")));
    std::string path = image_path(e, e.str("storage"));
    std::string target(valid_name(e.str("target")));
    if (target.size() != 3 || target.rfind("vd", 0) != 0 || target[2] < 'a' || target[2] > 'z')
        throw BadArgument("argument 'target' must be vda..vdz");
    Remote h(e, e.str("host"), "robot", P, 3320);
    std::string list = sudo({lit("virsh"), lit("domblklist"), domain, lit("--details")});
    auto blk = h.probe(1, list, "", 0);
    if (blk.exit_code != 0) h.fail(1, list, blk, false);
    if (blk.out.find(path) != std::string::npos) return success(1301, path + " already attached to " + domain);
    h.run(2, sudo({lit("virsh"), lit("attach-disk"), domain, lit("--source"), path, lit("--target"), target,
                   lit("--subdriver"), lit("qcow2"), lit("--config")}));
    return success(1300, path + " attached to " + domain + " as " + target);
}

// storage_kvm.scrub(host, storage)
PrimitiveResult storage_scrub(Env& e) {
    std::string path = image_path(e, e.str("storage"));
    Remote h(e, e.str("host"), "robot", P, 3120);
    h.run(1, sudo({lit("rm"), lit("--force"), path}));
    return success(1100, path + " removed");
}

// cloudinit_kvm.build(host, domain, cloudimage, primary_storage, size, cpu, ram, interfaces,
// secondary_storages, osvariant): one virt-install that defines and starts the domain.
PrimitiveResult cloudinit_build(Env& e) {
    std::string domain(valid_name(e.str("domain")));
    std::string primary = image_path(e, e.str("primary_storage"));
    std::string dir(valid_path(e.config.kvm.cloud_images_path));
    if (dir.back() != '/') dir.push_back('/');
    std::string cloudimage = dir + std::string(valid_name(e.str("cloudimage")));
    long long size = e.num("size"), cpu = e.num("cpu"), ram = e.num("ram");
    std::string osvariant(valid_name(e.str("osvariant")));
    Remote h(e, e.str("host"), "robot", P, 3030);

    // [design] idempotent: a retried, half-finished build finds its domain and succeeds.
    auto info = h.probe(1, sudo({lit("virsh"), lit("dominfo"), domain}), "", 1);
    if (info.exit_code == 0) return success(1001, "domain " + domain + " already exists on " + h.host());
    h.run(2, sudo({lit("cp"), cloudimage, primary}));
    h.run(3, sudo({lit("qemu-img"), lit("resize"), primary, std::to_string(size) + "G"}));

    std::vector<Arg> argv{lit("sudo"), lit("virt-install"), lit("--name"), domain, lit("--memory"), ram, lit("--vcpus"), cpu,
                          lit("--os-variant"), osvariant, lit("--import"), lit("--boot"), lit("uefi"), lit("--autostart"),
                          lit("--graphics"), lit("vnc"), lit("--noautoconsole"), lit("--sysinfo"),
                          lit("smbios,system.product=CloudCIX")};
    argv.push_back(lit("--disk"));
    argv.push_back("path=" + primary + ",device=disk,bus=virtio");
    for (const auto& s : e.strings("secondary_storages")) {
        argv.push_back(lit("--disk"));
        argv.push_back("path=" + image_path(e, s) + ",device=disk,bus=virtio");
    }
    for (const auto& nic : e.list("interfaces")) {
        const auto& o = nic.as_object();
        long long vlan = valid_vlan(o.at("vlan").as_int64());
        std::string mac(valid_mac(o.at("mac_address").as_string()));
        argv.push_back(lit("--network"));
        argv.push_back("bridge=br" + std::to_string(vlan) + ",model=virtio,mac=" + mac);
    }
    h.run(4, command(P, argv));
    return success(1000, "domain " + domain + " built on " + h.host());
}

std::string domstate(const std::string& domain) { return sudo({lit("virsh"), lit("domstate"), domain}); }

// cloudinit_kvm.quiesce(host, domain): shutdown, wait for "shut off", destroy as a last resort.
PrimitiveResult cloudinit_quiesce(Env& e) {
    std::string domain(valid_name(e.str("domain")));
    Remote h(e, e.str("host"), "robot", P, 3420);
    auto st = h.probe(1, domstate(domain), "running");
    if (st.exit_code == 0 && trim(st.out) == "shut off") return success(1401, "domain " + domain + " already shut off");
    h.run(2, sudo({lit("virsh"), lit("shutdown"), domain}));
    if (h.poll(3, domstate(domain), "shut off")) return success(1400, "domain " + domain + " shut down");
    h.run(4, sudo({lit("virsh"), lit("destroy"), domain}));
    return success(1400, "domain " + domain + " destroyed after the shutdown timed out");
}

// cloudinit_kvm.restart(host, domain): start and wait for "running".
PrimitiveResult cloudinit_restart(Env& e) {
    std::string domain(valid_name(e.str("domain")));
    Remote h(e, e.str("host"), "robot", P, 3520);
    auto st = h.probe(1, domstate(domain), "shut off");
    if (st.exit_code == 0 && trim(st.out) == "running") return success(1501, "domain " + domain + " already running");
    h.run(2, sudo({lit("virsh"), lit("start"), domain}));
    if (!h.poll(3, domstate(domain), "running"))
        throw Stop{PrimitiveResult{false, "3527: domain " + domain + " did not reach 'running' on " + h.host(), nullptr,
                                   PrimitiveFailure::timeout}};
    return success(1500, "domain " + domain + " running");
}

// cloudinit_kvm.scrub(host, domain, primary_storage): destroy, undefine, remove the primary disk.
PrimitiveResult cloudinit_scrub(Env& e) {
    std::string domain(valid_name(e.str("domain")));
    std::string primary = image_path(e, e.str("primary_storage"));
    Remote h(e, e.str("host"), "robot", P, 3120);
    auto st = h.probe(1, domstate(domain), "shut off");
    if (st.exit_code != 0 && st.err.find("failed to get domain") != std::string::npos)
        return success(1101, "domain " + domain + " already absent on " + h.host());
    if (st.exit_code != 0) h.fail(1, domstate(domain), st, false);
    if (trim(st.out) != "shut off") h.run(2, sudo({lit("virsh"), lit("destroy"), domain}));
    h.run(3, sudo({lit("virsh"), lit("undefine"), domain, lit("--nvram")}));
    h.run(4, sudo({lit("rm"), lit("--force"), primary}));
    return success(1100, "domain " + domain + " removed from " + h.host());
}

// cloudinit_kvm.update(host, domain, [cpu], [ram in MB]): the domain's persistent config; the
// values already in place are left alone. Takes effect at the next start.
PrimitiveResult cloudinit_update(Env& e) {
    std::string domain(valid_name(e.str("domain")));
    const auto* cpu_v = e.call.args.if_contains("cpu");
    const auto* ram_v = e.call.args.if_contains("ram");
    long long cpu = cpu_v ? e.num("cpu") : 0, ram = ram_v ? e.num("ram") : 0;
    if ((cpu_v && cpu <= 0) || (ram_v && ram <= 0)) throw BadArgument("arguments 'cpu' and 'ram' must be positive");
    Remote h(e, e.str("host"), "robot", P, 3320);
    std::string info_cmd = sudo({lit("virsh"), lit("dominfo"), domain});
    auto info = h.probe(1, info_cmd, "State:          shut off\n", 0);
    if (info.exit_code != 0) h.fail(1, info_cmd, info, false);
    auto field = [&](std::string_view key) -> long long {
        auto at = info.out.find(key);
        if (at == std::string::npos) return -1;
        try {
            return std::stoll(info.out.substr(at + key.size()));
        } catch (...) {
            return -1;
        }
    };
    bool changed = false;
    if (ram_v && field("Max memory:") != ram * 1024) {
        h.run(2, sudo({lit("virsh"), lit("setmaxmem"), domain, std::to_string(ram) + "M", lit("--config")}));
        h.run(3, sudo({lit("virsh"), lit("setmem"), domain, std::to_string(ram) + "M", lit("--config")}));
        changed = true;
    }
    if (cpu_v && field("CPU(s):") != cpu) {
        h.run(4, sudo({lit("virsh"), lit("setvcpus"), domain, lit("--count"), cpu, lit("--maximum"), lit("--config")}));
        h.run(5, sudo({lit("virsh"), lit("setvcpus"), domain, lit("--count"), cpu, lit("--config")}));
        changed = true;
    }
    if (!changed) return success(1301, "domain " + domain + " already has the requested cpu and ram");
    return success(1300, "domain " + domain + " updated on " + h.host());
}

}  // namespace

void add_kvm(Catalogue& c) {
    c["bridge_kvm.build"] = bridge_build;
    c["bridge_kvm.scrub"] = bridge_scrub;
    c["storage_kvm.build"] = storage_build;
    c["storage_kvm.update"] = storage_update;
    c["storage_kvm.scrub"] = storage_scrub;
    c["storage_kvm.attach"] = storage_attach;
    c["cloudinit_kvm.update"] = cloudinit_update;
    c["cloudinit_kvm.build"] = cloudinit_build;
    c["cloudinit_kvm.quiesce"] = cloudinit_quiesce;
    c["cloudinit_kvm.restart"] = cloudinit_restart;
    c["cloudinit_kvm.scrub"] = cloudinit_scrub;
}

}  // namespace cloudcix::drivers::prim
