// Hyper-V host primitives (spec §4.2): PowerShell over SSH. VMs live in D:\HyperV\<vm>\, disks are
// D:\HyperV\<vm>\<storage>.vhdx; images come from the robot's share \\robot.<region>.<org>\etc\cloudcix\robot.
#include "cloudcix_drivers/log.hpp"
#include "primitives/remote.hpp"

namespace cloudcix::drivers::prim {
namespace {

constexpr Shell PS = Shell::powershell;
constexpr long long kGiB = 1024LL * 1024 * 1024;

std::string ps(std::initializer_list<Arg> argv) { return command(PS, argv); }
std::string vm_dir(const std::string& vm) { return "D:\\HyperV\\" + vm; }
std::string vhdx(const std::string& vm, const std::string& storage) { return vm_dir(vm) + "\\" + storage + ".vhdx"; }

// Every change runs with $ErrorActionPreference = Stop: an error anywhere in a `;` chain ends
// the command with a non-zero exit code instead of being lost behind a later success.
RccResult act(Remote& h, int step, const std::string& cmd) {
    return h.run(step, join(PS, ";", {ps({ps_lit("$ErrorActionPreference"), lit("="), ps_lit("[System.Management.Automation.ActionPreference]::Stop")}),
                                      cmd}));
}

std::string exists_vm(const std::string& vm) {
    return ps({ps_lit("[bool](Get-VM"), lit("-Name"), vm, lit("-ErrorAction"), lit("SilentlyContinue"), ps_lit(")")});
}
std::string vm_state(const std::string& vm) { return ps({ps_lit("(Get-VM"), lit("-Name"), vm, ps_lit(").State")}); }

std::string xml_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default: out.push_back(c);
        }
    }
    return out;
}

// The VM's network (spec §4.2 network.xml): one NetAdapter per address, named vNIC-<vlan>.
struct Network {
    long long vlan = 0;
    std::vector<std::pair<std::string, long long>> ips;
    std::string gateway;
    std::vector<std::string> dns;
};
Network network_arg(const boost::json::value& v, bool gateway) {
    if (!v.is_object()) throw BadArgument("a network must be an object");
    const auto& o = v.get_object();
    Network n;
    if (!o.contains("vlan") || !o.at("vlan").is_int64()) throw BadArgument("a network needs an integer 'vlan'");
    n.vlan = valid_vlan(o.at("vlan").get_int64());
    if (!o.contains("ips") || !o.at("ips").is_array()) throw BadArgument("a network needs a list 'ips'");
    for (const auto& ip : o.at("ips").get_array()) {
        if (!ip.is_object() || !ip.get_object().contains("ip") || !ip.get_object().at("ip").is_string() ||
            !ip.get_object().contains("netmask") || !ip.get_object().at("netmask").is_int64())
            throw BadArgument("a network address needs 'ip' and an integer 'netmask'");
        std::string addr(valid_address(ip.get_object().at("ip").get_string()));
        long long mask = ip.get_object().at("netmask").get_int64();
        if (mask < 0 || mask > 128) throw BadArgument("invalid netmask");
        n.ips.emplace_back(addr, mask);
    }
    if (gateway) {
        if (!o.contains("gateway") || !o.at("gateway").is_string()) throw BadArgument("the gateway network needs a 'gateway'");
        n.gateway = valid_address(o.at("gateway").get_string());
        if (o.contains("dns") && o.at("dns").is_array())
            for (const auto& d : o.at("dns").get_array())
                if (d.is_string()) n.dns.emplace_back(valid_address(d.get_string()));
    }
    return n;
}

std::string network_xml(const Network& gw, const std::vector<Network>& others) {
    std::string x = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<NetAdapters>\n";
    auto add = [&](const Network& n, bool with_gateway) {
        for (const auto& [ip, mask] : n.ips) {
            x += "  <NetAdapter><Name>vNIC-" + std::to_string(n.vlan) + "</Name><IPAddress>" + ip + "</IPAddress><Prefix>" +
                 std::to_string(mask) + "</Prefix>";
            if (with_gateway) {
                x += "<Gateway>" + n.gateway + "</Gateway>";
                for (const auto& d : n.dns) x += "<DNS>" + d + "</DNS>";
            }
            x += "<RegisterDNS>1</RegisterDNS></NetAdapter>\n";
        }
    };
    add(gw, true);
    for (const auto& n : others) add(n, false);
    return x + "</NetAdapters>\n";
}

std::string unattend_xml(const std::string& password, const std::string& computer) {
    return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
           "<unattend xmlns=\"urn:schemas-microsoft-com:unattend\">\n"
           "  <settings pass=\"specialize\"><component name=\"Microsoft-Windows-Shell-Setup\" processorArchitecture=\"amd64\" "
           "publicKeyToken=\"31bf3856ad364e35\" language=\"neutral\" versionScope=\"nonSxS\"><ComputerName>" +
           xml_escape(computer) +
           "</ComputerName></component></settings>\n"
           "  <settings pass=\"oobeSystem\"><component name=\"Microsoft-Windows-Shell-Setup\" processorArchitecture=\"amd64\" "
           "publicKeyToken=\"31bf3856ad364e35\" language=\"neutral\" versionScope=\"nonSxS\"><UserAccounts><AdministratorPassword><Value>" +
           xml_escape(password) +
           "</Value><PlainText>true</PlainText></AdministratorPassword></UserAccounts><OOBE><HideEULAPage>true</HideEULAPage>"
           "<SkipMachineOOBE>true</SkipMachineOOBE></OOBE></component></settings>\n</unattend>\n";
}

// Mounts a VHDX without a drive letter and binds $d to its disk (the start of a longer command).
std::string mount_disk(const std::string& path) {
    return ps({ps_lit("$d"), lit("="), lit("Mount-VHD"), lit("-Path"), path, lit("-NoDriveLetter"), lit("-Passthru"), ps_lit("|"), lit("Get-Disk")});
}
std::string last_partition() {
    return ps({ps_lit("$p"), lit("="), lit("Get-Partition"), lit("-DiskNumber"), ps_lit("$d.Number"), ps_lit("|"), lit("Select-Object"),
               lit("-Last"), 1});
}
std::string grow_partition() {
    return ps({lit("Resize-Partition"), lit("-DiskNumber"), ps_lit("$d.Number"), lit("-PartitionNumber"), ps_lit("$p.PartitionNumber"),
               lit("-Size"), ps_lit("(Get-PartitionSupportedSize"), lit("-DiskNumber"), ps_lit("$d.Number"), lit("-PartitionNumber"),
               ps_lit("$p.PartitionNumber).SizeMax")});
}

// hyperv.build(host, vm, storage, image, administrator_password, cpu, ram (GB), gb, gateway_network,
// secondary_networks): copies the image, grows it, writes unattend.xml and network.xml into it,
// creates the VM with its CPUs, RAM and one adapter per VLAN. Starting is hyperv.restart's job.
PrimitiveResult hyperv_build(Env& e) {
    std::string vm(valid_name(e.str("vm")));
    std::string storage(valid_name(e.str("storage")));
    std::string image(valid_name(e.str("image")));
    std::string password = e.str("administrator_password");
    secrets::remember(password);
    long long cpu = e.num("cpu"), ram = e.num("ram"), gb = e.num("gb");
    if (cpu <= 0 || ram <= 0 || gb <= 0) throw BadArgument("arguments 'cpu', 'ram' and 'gb' must be positive");
    const auto* gw_v = e.call.args.if_contains("gateway_network");
    if (gw_v == nullptr) throw BadArgument("argument 'gateway_network' is missing");
    Network gw = network_arg(*gw_v, true);
    std::vector<Network> others;
    for (const auto& n : e.list("secondary_networks")) others.push_back(network_arg(n, false));
    std::string region(valid_name(e.config.region_name)), org(valid_name(e.config.organization_url));
    std::string share = "\\\\robot." + region + "." + org + "\\etc\\cloudcix\\robot";
    std::string dir = vm_dir(vm), disk = vhdx(vm, storage), mount = dir + "\\mount";

    Remote h(e, e.str("host"), "administrator", PS, 3030);
    auto st = h.probe(1, exists_vm(vm), "False", 0);
    if (st.exit_code == 0 && trim(st.out) == "True") return success(1001, "VM " + vm + " already exists on " + h.host());
    act(h, 2, join(PS, "|", {ps({lit("New-Item"), lit("-ItemType"), lit("Directory"), lit("-Path"), mount, lit("-Force")}), ps({lit("Out-Null")})}));
    act(h, 3, ps({lit("Copy-Item"), lit("-Path"), share + "\\HyperV\\VHDXs\\" + image, lit("-Destination"), disk}));
    act(h, 4, ps({lit("Resize-VHD"), lit("-Path"), disk, lit("-SizeBytes"), gb * kGiB}));
    act(h, 5, join(PS, ";", {mount_disk(disk), ps({lit("Set-Disk"), lit("-Number"), ps_lit("$d.Number"), lit("-IsOffline"), ps_lit("$false")}),
                            last_partition(),
                            ps({lit("Add-PartitionAccessPath"), lit("-DiskNumber"), ps_lit("$d.Number"), lit("-PartitionNumber"),
                                ps_lit("$p.PartitionNumber"), lit("-AccessPath"), mount + "\\"}),
                            grow_partition()}));
    act(h, 6, ps({lit("Set-Content"), lit("-Path"), mount + "\\unattend.xml", lit("-Encoding"), lit("UTF8"), lit("-Value"),
                 unattend_xml(password, vm)}));
    act(h, 7, ps({lit("Set-Content"), lit("-Path"), mount + "\\network.xml", lit("-Encoding"), lit("UTF8"), lit("-Value"), network_xml(gw, others)}));
    act(h, 8, join(PS, ";", {ps({lit("Dismount-VHD"), lit("-Path"), disk}), ps({lit("Remove-Item"), lit("-Path"), mount, lit("-Recurse"), lit("-Force")})}));
    act(h, 9, join(PS, "|", {ps({lit("New-VM"), lit("-Name"), vm, lit("-Path"), dir, lit("-Generation"), 2, lit("-SwitchName"), "Virtual Switch",
                                lit("-VHDPath"), disk}),
                            ps({lit("Out-Null")})}));
    act(h, 10, join(PS, ";", {ps({lit("Set-VMProcessor"), lit("-VMName"), vm, lit("-Count"), cpu}),
                             ps({lit("Set-VMMemory"), lit("-VMName"), vm, lit("-DynamicMemoryEnabled"), ps_lit("$false"), lit("-StartupBytes"),
                                 ram * kGiB})}));
    std::string adapters = ps({lit("Remove-VMNetworkAdapter"), lit("-VMName"), vm});
    std::vector<long long> vlans{gw.vlan};
    for (const auto& n : others)
        if (std::find(vlans.begin(), vlans.end(), n.vlan) == vlans.end()) vlans.push_back(n.vlan);
    for (long long vlan : vlans) {
        std::string nic = "vNIC-" + std::to_string(vlan);
        adapters = join(PS, ";", {adapters,
                                  ps({lit("Add-VMNetworkAdapter"), lit("-VMName"), vm, lit("-Name"), nic, lit("-SwitchName"), "Virtual Switch",
                                      lit("-DeviceNaming"), lit("On")}),
                                  ps({lit("Set-VMNetworkAdapterVlan"), lit("-VMName"), vm, lit("-VMNetworkAdapterName"), nic, lit("-Access"),
                                      lit("-VlanId"), vlan})});
    }
    act(h, 11, adapters);
    return success(1000, "VM " + vm + " created on " + h.host());
}

// hyperv.quiesce(host, vm): Stop-VM, wait for Off, turn off as a last resort.
PrimitiveResult hyperv_quiesce(Env& e) {
    std::string vm(valid_name(e.str("vm")));
    Remote h(e, e.str("host"), "robot", PS, 3420);
    auto st = h.probe(1, vm_state(vm), "Running", 0);
    if (st.exit_code != 0) h.fail(1, vm_state(vm), st, false);
    if (trim(st.out) == "Off") return success(1401, "VM " + vm + " already off");
    act(h, 2, join(PS, "|", {ps({lit("Stop-VM"), lit("-Name"), vm, lit("-Force"), lit("-AsJob")}), ps({lit("Out-Null")})}));
    if (h.poll(3, vm_state(vm), "Off")) return success(1400, "VM " + vm + " shut down");
    act(h, 4, ps({lit("Stop-VM"), lit("-Name"), vm, lit("-TurnOff"), lit("-Force")}));
    if (!h.poll(5, vm_state(vm), "Off"))
        throw Stop{PrimitiveResult{false, "3425: VM " + vm + " is not Off on " + h.host(), nullptr, PrimitiveFailure::timeout}};
    return success(1400, "VM " + vm + " turned off after the shutdown timed out");
}

// hyperv.restart(host, vm): Start-VM and wait for Running.
PrimitiveResult hyperv_restart(Env& e) {
    std::string vm(valid_name(e.str("vm")));
    Remote h(e, e.str("host"), "robot", PS, 3520);
    auto st = h.probe(1, vm_state(vm), "Off", 0);
    if (st.exit_code != 0) h.fail(1, vm_state(vm), st, false);
    if (trim(st.out) == "Running") return success(1501, "VM " + vm + " already running");
    act(h, 2, ps({lit("Start-VM"), lit("-Name"), vm}));
    if (!h.poll(3, vm_state(vm), "Running"))
        throw Stop{PrimitiveResult{false, "3525: VM " + vm + " did not reach Running on " + h.host(), nullptr, PrimitiveFailure::timeout}};
    return success(1500, "VM " + vm + " running");
}

// hyperv.scrub(host, vm, storage): turns the VM off, removes it and its folder (all its disks).
PrimitiveResult hyperv_scrub(Env& e) {
    std::string vm(valid_name(e.str("vm")));
    std::string storage(valid_name(e.str("storage")));
    Remote h(e, e.str("host"), "robot", PS, 3120);
    auto st = h.probe(1, exists_vm(vm), "True", 0);
    if (st.exit_code == 0 && trim(st.out) == "False") return success(1101, "VM " + vm + " already absent on " + h.host());
    act(h, 2, ps({lit("Stop-VM"), lit("-Name"), vm, lit("-TurnOff"), lit("-Force")}));
    act(h, 3, ps({lit("Remove-VM"), lit("-Name"), vm, lit("-Force")}));
    act(h, 4, join(PS, ";", {ps({lit("Remove-Item"), lit("-Path"), vhdx(vm, storage), lit("-Force"), lit("-ErrorAction"), lit("SilentlyContinue")}),
                            ps({lit("Remove-Item"), lit("-LiteralPath"), vm_dir(vm), lit("-Recurse"), lit("-Force")})}));
    return success(1100, "VM " + vm + " removed from " + h.host());
}

// storage_hyperv.build(host, vm, storage, gb): a new NTFS-formatted VHDX attached to the VM.
PrimitiveResult storage_build(Env& e) {
    std::string vm(valid_name(e.str("vm")));
    std::string storage(valid_name(e.str("storage")));
    long long gb = e.num("gb");
    if (gb <= 0) throw BadArgument("argument 'gb' must be positive");
    std::string path = vhdx(vm, storage);
    Remote h(e, e.str("host"), "robot", PS, 3020);
    std::string check = ps({ps_lit("[bool](Get-VHD"), lit("-Path"), path, lit("-ErrorAction"), lit("SilentlyContinue"), ps_lit(")")});
    auto st = h.probe(1, check, "False", 0);
    if (st.exit_code == 0 && trim(st.out) == "True") return success(1001, path + " already exists on " + h.host());
    act(h, 2, join(PS, "|", {ps({lit("New-VHD"), lit("-Path"), path, lit("-SizeBytes"), gb * kGiB, lit("-Dynamic")}), ps({lit("Out-Null")})}));
    act(h, 3, join(PS, ";", {mount_disk(path), ps({lit("Initialize-Disk"), lit("-Number"), ps_lit("$d.Number"), lit("-PartitionStyle"), lit("GPT")}),
                            ps({lit("Set-Disk"), lit("-Number"), ps_lit("$d.Number"), lit("-IsOffline"), ps_lit("$false")}),
                            join(PS, "|", {ps({lit("New-Partition"), lit("-DiskNumber"), ps_lit("$d.Number"), lit("-UseMaximumSize")}),
                                           ps({lit("Format-Volume"), lit("-FileSystem"), lit("NTFS"), lit("-NewFileSystemLabel"), storage,
                                               ps_lit("-Confirm:$false")}),
                                           ps({lit("Out-Null")})}),
                            ps({lit("Dismount-VHD"), lit("-Path"), path})}));
    act(h, 4, ps({lit("Add-VMHardDiskDrive"), lit("-VMName"), vm, lit("-Path"), path, lit("-ControllerType"), lit("SCSI")}));
    return success(1000, path + " created and attached to " + vm);
}

// storage_hyperv.update(host, vm, storage, gb): grows the VHDX and its last partition.
PrimitiveResult storage_update(Env& e) {
    std::string vm(valid_name(e.str("vm")));
    std::string storage(valid_name(e.str("storage")));
    long long gb = e.num("gb");
    if (gb <= 0) throw BadArgument("argument 'gb' must be positive");
    std::string path = vhdx(vm, storage);
    Remote h(e, e.str("host"), "robot", PS, 3220);
    std::string size = ps({ps_lit("(Get-VHD"), lit("-Path"), path, ps_lit(").Size")});
    auto st = h.probe(1, size, "0", 0);
    if (st.exit_code != 0) h.fail(1, size, st, false);
    long long have = -1;
    try {
        have = std::stoll(trim(st.out));
    } catch (...) {
        h.fail(1, size, st, false);
    }
    if (have == gb * kGiB) return success(1202, path + " already has " + std::to_string(gb) + " GB");
    if (have > gb * kGiB)
        throw Stop{PrimitiveResult{false, "3223: " + path + " on " + h.host() + " is larger than " + std::to_string(gb) + " GB; disks are never shrunk",
                                   nullptr, PrimitiveFailure::command}};
    act(h, 2, ps({lit("Resize-VHD"), lit("-Path"), path, lit("-SizeBytes"), gb * kGiB}));
    act(h, 3, join(PS, ";", {mount_disk(path), last_partition(), grow_partition(), ps({lit("Dismount-VHD"), lit("-Path"), path})}));
    return success(1200, path + " grown to " + std::to_string(gb) + " GB");
}

// cpu_hyperv.update / ram_hyperv.update: only on a VM that is Off.
PrimitiveResult require_off(Remote& h, const std::string& vm) {
    auto st = h.probe(1, vm_state(vm), "Off", 0);
    if (st.exit_code != 0) h.fail(1, vm_state(vm), st, false);
    if (trim(st.out) != "Off")
        throw Stop{PrimitiveResult{false, "3322: VM " + vm + " on " + h.host() + " is " + trim(st.out) + ", not Off", nullptr,
                                   PrimitiveFailure::command}};
    return {};
}

PrimitiveResult cpu_update(Env& e) {
    std::string vm(valid_name(e.str("vm")));
    long long cpu = e.num("cpu");
    if (cpu <= 0) throw BadArgument("argument 'cpu' must be positive");
    Remote h(e, e.str("host"), "administrator", PS, 3320);
    require_off(h, vm);
    act(h, 2, ps({lit("Set-VMProcessor"), lit("-VMName"), vm, lit("-Count"), cpu}));
    return success(1300, "VM " + vm + " has " + std::to_string(cpu) + " vCPUs");
}

PrimitiveResult ram_update(Env& e) {
    std::string vm(valid_name(e.str("vm")));
    long long ram = e.num("ram");
    if (ram <= 0) throw BadArgument("argument 'ram' must be positive");
    Remote h(e, e.str("host"), "administrator", PS, 3320);
    require_off(h, vm);
    act(h, 2, ps({lit("Set-VMMemory"), lit("-VMName"), vm, lit("-DynamicMemoryEnabled"), ps_lit("$false"), lit("-StartupBytes"), ram * kGiB}));
    return success(1300, "VM " + vm + " has " + std::to_string(ram) + " GB of RAM");
}

}  // namespace

void add_hyperv(Catalogue& c) {
    c["hyperv.build"] = hyperv_build;
    c["hyperv.quiesce"] = hyperv_quiesce;
    c["hyperv.restart"] = hyperv_restart;
    c["hyperv.scrub"] = hyperv_scrub;
    c["storage_hyperv.build"] = storage_build;
    c["storage_hyperv.update"] = storage_update;
    c["cpu_hyperv.update"] = cpu_update;
    c["ram_hyperv.update"] = ram_update;
}

}  // namespace cloudcix::drivers::prim
