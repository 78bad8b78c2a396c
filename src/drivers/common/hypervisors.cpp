#include "drivers/common/hypervisors.hpp"

#include <stdexcept>

#include "drivers/common/storage.hpp"

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
    // The drives whose parent is this VM (spec §4.10): RUNNING = attach it, QUIESCED = detach it.
    // Both host steps are idempotent, so a drive already in place costs one look at the domain.
    std::vector<Fields> attach, detach;  // views into `drives`
    json::array drives = ctx.list("ceph", Query().where("parent_id", std::to_string(vm.integer("id"))));
    for (const auto& d : drives) {
        Fields drive = fields_of(d, "ceph drive");
        auto state = static_cast<State>(drive.integer("state"));
        if (state == State::RUNNING) attach.push_back(std::move(drive));
        else if (state == State::QUIESCED) detach.push_back(std::move(drive));
    }
    Plan p;
    if (!changes.any() && attach.empty() && detach.empty()) return p;  // no change: the host is not touched
    Host host = resolve_host(ctx, vm.integer("server_id"));
    std::string domain = vm_identifier(vm);
    bool cycle = running && changes.any();  // the domain goes down only for changes that need it
    if (cycle) p.calls.push_back({"cloudinit_kvm", "quiesce", {{"host", host.address}, {"domain", domain}}});
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
    if (changes.gpu)
        for (auto& c : storage::gpu_device_calls(ctx, vm, host.address)) p.calls.push_back(std::move(c));
    bool live = running && !cycle;
    json::array released;
    for (const auto& d : detach) {
        p.calls.push_back(storage::ceph_detach_call(ctx.config, d, vm, host.address, live));
        released.push_back(d.integer("id"));
    }
    for (const auto& d : attach) p.calls.push_back(storage::ceph_attach_call(ctx.config, d, vm, host.address, live));
    ctx.facts["detached_drives"] = std::move(released);
    if (cycle) p.calls.push_back({"cloudinit_kvm", "restart", {{"host", host.address}, {"domain", domain}}});
    return p;
}

void declare_kvm_update(VerbSpec& spec, bool running) {
    declare_vm_verb(spec, Hypervisor::kvm);
    spec.prerequisites = [family = spec.prerequisites](VerbContext& ctx) {
        Dependency d = family(ctx);
        if (d.kind != Dependency::Kind::proceed || !requested_changes(ctx).gpu) return d;
        return storage::gpu_devices_ready(ctx);  // fewer devices assigned than asked: fail before any state moves
    };
    spec.plan = [running](VerbContext& ctx) { return kvm_update(ctx, running); };
    spec.after_success = [](VerbContext& ctx) {
        std::string failures;
        try {
            storage::free_devices(ctx);
        } catch (const std::exception& e) {
            failures = e.what();
        }
        // The drive is off the domain: `PUT detach/{id}/` makes it RUNNING without a parent (§4.10).
        if (const auto* ids = ctx.facts.if_contains("detached_drives"); ids && ids->is_array())
            for (const auto& id : ids->get_array()) {
                std::string path = "detach/" + std::to_string(id.as_int64()) + "/";
                ApiReply r = ctx.api().call("PUT", path, nullptr);
                if (!r.ok()) failures += (failures.empty() ? "" : "; ") + ("ceph drive #" + std::to_string(id.as_int64()) +
                                                                           " is detached on the host but the API refused " + path +
                                                                           ": " + r.message);
            }
        if (!failures.empty()) throw std::runtime_error(failures);
    };
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
    changes.gpu = false;  // GPU servers are KVM (spec §4.11): a Hyper-V VM has no devices to reconcile
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
