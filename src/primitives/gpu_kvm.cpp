// GPU PCI pass-through on KVM (spec §4.11 [design]): a <hostdev> per device, changed in the
// persistent definition (--config) while the verb holds the domain shut off.
#include <algorithm>

#include "primitives/remote.hpp"

namespace cloudcix::drivers::prim {
namespace {

constexpr Shell P = Shell::posix;

struct Pci {
    std::string domain, bus, slot, function;
    // How libvirt prints the host side of a hostdev (<source><address .../>); the guest-side
    // address element carries type='pci' first, so this text matches only the source.
    std::string source() const {
        return "<address domain='0x" + domain + "' bus='0x" + bus + "' slot='0x" + slot + "' function='0x" + function + "'/>";
    }
    std::string xml() const {
        return "<hostdev mode='subsystem' type='pci' managed='yes'><source>" + source() + "</source></hostdev>";
    }
};

// "0000:41:00.0" (the device's id_on_host)
Pci pci(std::string_view s) {
    auto hex = [](std::string_view p) {
        return std::all_of(p.begin(), p.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
    };
    bool ok = s.size() == 12 && s[4] == ':' && s[7] == ':' && s[10] == '.' && hex(s.substr(0, 4)) && hex(s.substr(5, 2)) &&
              hex(s.substr(8, 2)) && s[11] >= '0' && s[11] <= '7';
    if (!ok) throw BadArgument("invalid PCI address: a value of " + std::to_string(s.size()) + " bytes (expected 0000:41:00.0)");
    auto lower = [](std::string_view p) {
        std::string o(p);
        for (auto& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return o;
    };
    return {lower(s.substr(0, 4)), lower(s.substr(5, 2)), lower(s.substr(8, 2)), std::string(1, s[11])};
}

std::string dumpxml(const std::string& domain) {
    return command(P, {lit("sudo"), lit("virsh"), lit("dumpxml"), lit("--inactive"), domain});
}

// printf '%s' <xml> | sudo virsh <verb> <domain> /dev/stdin --config
std::string device_change(std::string_view verb, const std::string& domain, const Pci& p) {
    return join(P, "|", {command(P, {lit("printf"), "%s", p.xml()}),
                         command(P, {lit("sudo"), lit("virsh"), lit(verb), domain, lit("/dev/stdin"), lit("--config")})});
}

// gpu_kvm.attach(host, domain, pci)
PrimitiveResult attach(Env& e) {
    std::string domain(valid_name(e.str("domain")));
    Pci p = pci(e.str("pci"));
    Remote h(e, e.str("host"), "robot", P, 3320);
    auto st = h.probe(1, dumpxml(domain), "<domain type='kvm'><name>" + domain + "</name></domain>", 0);
    if (st.exit_code != 0) h.fail(1, dumpxml(domain), st, false);
    if (st.out.find(p.source()) != std::string::npos)
        return success(1301, "GPU " + e.str("pci") + " already attached to " + domain + " on " + h.host());
    h.run(2, device_change("attach-device", domain, p));
    return success(1300, "GPU " + e.str("pci") + " attached to " + domain + " on " + h.host());
}

// gpu_kvm.detach(host, domain, pci)
PrimitiveResult detach(Env& e) {
    std::string domain(valid_name(e.str("domain")));
    Pci p = pci(e.str("pci"));
    Remote h(e, e.str("host"), "robot", P, 3340);
    auto st = h.probe(1, dumpxml(domain), "<domain type='kvm'><name>" + domain + "</name><devices>" + p.xml() + "</devices></domain>", 0);
    if (st.exit_code != 0) h.fail(1, dumpxml(domain), st, false);
    if (st.out.find(p.source()) == std::string::npos)
        return success(1301, "GPU " + e.str("pci") + " already detached from " + domain + " on " + h.host());
    h.run(2, device_change("detach-device", domain, p));
    return success(1300, "GPU " + e.str("pci") + " detached from " + domain + " on " + h.host());
}

}  // namespace

void add_gpu_kvm(Catalogue& c) {
    c["gpu_kvm.attach"] = attach;
    c["gpu_kvm.detach"] = detach;
}

}  // namespace cloudcix::drivers::prim
