// PodNet primitives (spec §3.4): every payload runs on the enabled node, then on the disabled
// node; both must succeed. Failure codes 302x–304x (enabled) and 305x–308x (disabled).
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

}  // namespace

void add_podnet(Catalogue& c) {
    c["cidata.build"] = cidata_build;
    c["cidata.scrub"] = cidata_scrub;
}

}  // namespace cloudcix::drivers::prim
