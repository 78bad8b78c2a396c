#include "drivers/common/hypervisors.hpp"

namespace cloudcix::drivers::family {
namespace json = boost::json;

Plan kvm_power(VerbContext& ctx, std::string_view action) {
    const Fields& vm = ctx.resource;
    Host host = resolve_host(ctx, vm.integer("server_id"));
    Plan p;
    p.calls.push_back({"cloudinit_kvm", std::string(action), {{"host", host.address}, {"domain", vm_identifier(vm)}}});
    return p;
}

Plan kvm_update(VerbContext& ctx, bool running) {
    const Fields& vm = ctx.resource;
    VmChanges changes = requested_changes(ctx);
    Plan p;
    if (!changes.any()) return p;  // spec §4.1: no change → success without touching the host
    Host host = resolve_host(ctx, vm.integer("server_id"));
    std::string domain = vm_identifier(vm);
    if (running) p.calls.push_back({"cloudinit_kvm", "quiesce", {{"host", host.address}, {"domain", domain}}});
    if (changes.cpu || changes.ram_gb) {
        json::object args{{"host", host.address}, {"domain", domain}};
        if (changes.cpu) args["cpu"] = *changes.cpu;
        if (changes.ram_gb) args["ram"] = *changes.ram_gb * 1024;  // MB
        p.calls.push_back({"cloudinit_kvm", "update", std::move(args)});
    }
    for (const auto& d : changes.disks) {
        std::string file = storage_file(vm, d.storage_id);
        if (d.fresh) {
            p.calls.push_back({"storage_kvm", "build", {{"host", host.address}, {"storage", file}, {"gb", d.gb}}});
            p.calls.push_back({"storage_kvm", "attach", {{"host", host.address}, {"domain", domain}, {"storage", file},
                                                         {"target", kvm_disk_target(vm, d.storage_id)}}});
        } else {
            p.calls.push_back({"storage_kvm", "update", {{"host", host.address}, {"storage", file}, {"gb", d.gb}}});
        }
    }
    if (running) p.calls.push_back({"cloudinit_kvm", "restart", {{"host", host.address}, {"domain", domain}}});
    return p;
}

Plan hyperv_power(VerbContext& ctx, std::string_view action) {
    const Fields& vm = ctx.resource;
    Host host = resolve_host(ctx, vm.integer("server_id"));
    Plan p;
    p.calls.push_back({"hyperv", std::string(action), {{"host", host.hostname}, {"vm", vm_identifier(vm)}}});
    return p;
}

Plan hyperv_update(VerbContext& ctx, bool running) {
    const Fields& vm = ctx.resource;
    VmChanges changes = requested_changes(ctx);
    Plan p;
    if (!changes.any()) return p;
    Host host = resolve_host(ctx, vm.integer("server_id"));
    std::string name = vm_identifier(vm);
    if (running) p.calls.push_back({"hyperv", "quiesce", {{"host", host.hostname}, {"vm", name}}});
    if (changes.cpu) p.calls.push_back({"cpu_hyperv", "update", {{"host", host.hostname}, {"vm", name}, {"cpu", *changes.cpu}}});
    if (changes.ram_gb) p.calls.push_back({"ram_hyperv", "update", {{"host", host.hostname}, {"vm", name}, {"ram", *changes.ram_gb}}});
    for (const auto& d : changes.disks)
        p.calls.push_back({"storage_hyperv", d.fresh ? "build" : "update",
                           {{"host", host.hostname}, {"vm", name}, {"storage", hyperv_storage(vm, d.storage_id)}, {"gb", d.gb}}});
    if (running) p.calls.push_back({"hyperv", "restart", {{"host", host.hostname}, {"vm", name}}});
    return p;
}

Plan phantom_plan(VerbContext& ctx) {
    long long server_id = ctx.resource.integer("server_id");
    json::object server = ctx.read("server", server_id);
    long long type = Fields("server #" + std::to_string(server_id), server).integer("type.id");
    if (type != 3)
        throw VerbFailure(ErrorNumber::driver_mismatch, "server #" + std::to_string(server_id) + " has type " + std::to_string(type) +
                                                            ", not Phantom (3)");
    return {};
}

}  // namespace cloudcix::drivers::family
