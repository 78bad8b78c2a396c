#include "drivers/common/storage.hpp"

#include <algorithm>
#include <ctime>
#include <iterator>
#include <stdexcept>
#include <tuple>

#include "cloudcix_drivers/registry.hpp"

namespace cloudcix::drivers::storage {
namespace json = boost::json;

std::string snapshot_name(const Fields& snapshot) {
    return std::to_string(snapshot.integer("vm.id")) + "_" + std::to_string(snapshot.integer("id"));
}

std::string backup_name(const Fields& backup) {
    return std::to_string(backup.integer("vm.id")) + "_" + std::to_string(backup.integer("id"));
}

VmHost vm_host(VerbContext& ctx, const Fields& vm, Hypervisor hv) {
    family::Host h = family::resolve_host(ctx, vm.integer("server_id"));
    // Same split as dispatch (spec §1.4): HyperV = 1; KVM, GPU_A100, GPU_H100 = 2, 4, 5.
    auto driver = driver_for_snapshot(h.type_id);
    bool kvm = driver && *driver == "snapshot_kvm";
    bool fits = hv == Hypervisor::kvm ? kvm : (driver && !kvm);
    if (!fits)
        throw VerbFailure(ErrorNumber::driver_mismatch, "server #" + std::to_string(h.server_id) + " of " + vm.name() + " has type " +
                                                            std::to_string(h.type_id) + ", which " + ctx.spec.driver + " does not handle");
    return {h, hv == Hypervisor::kvm ? h.address : h.hostname};
}

std::string backup_repository(const Config& config, Hypervisor hv, long long repository) {
    const auto& paths = hv == Hypervisor::kvm ? config.backup.kvm_repositories : config.backup.hyperv_repositories;
    if (repository < 1 || repository > static_cast<long long>(paths.size()))
        throw VerbFailure(ErrorNumber::bad_field, "backup repository " + std::to_string(repository) + " is not available (this region has " +
                                                      std::to_string(paths.size()) + ")");
    return paths[static_cast<std::size_t>(repository - 1)];
}

std::string time_valid(std::chrono::system_clock::time_point t) {
    std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm utc{};
    gmtime_r(&secs, &utc);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &utc);
    return buf;
}

std::vector<std::string> snapshot_lock_keys(const Fields& snapshot) {
    return {"vm:" + std::to_string(snapshot.integer("vm.id")), "host:" + std::to_string(snapshot.integer("vm.server_id"))};
}

std::vector<std::string> backup_lock_keys(const Fields& backup) {
    auto keys = snapshot_lock_keys(backup);
    keys.push_back("backup_repo:" + std::to_string(backup.integer("repository")));
    return keys;
}

Dependency vm_running(VerbContext& ctx, bool refuse_gpus) {
    Fields vm = ctx.resource.sub("vm");
    long long vm_id = vm.integer("id");
    if (refuse_gpus && vm.optional_integer("gpu").value_or(0) > 0)
        return Dependency::broken("vm #" + std::to_string(vm_id) + " has " + std::to_string(vm.integer("gpu")) +
                                  " GPU(s); the API accepts no snapshot change for it (iaas_snapshot_update_003)");
    auto state = state_from_int(vm.integer("state"));
    if (state != State::RUNNING)
        return Dependency::wait(std::chrono::seconds(60), "vm #" + std::to_string(vm_id) + " is " +
                                                              std::string(state ? to_string(*state) : "in an unknown state") +
                                                              ", not RUNNING; the API refuses changes until it is");
    return Dependency::ready();
}

std::vector<Notification> snapshot_mails(VerbContext& ctx, const Outcome& o, std::string_view task) {
    if (o.status != Status::failed) return {};
    std::vector<Notification> out;
    if (task == "build")
        out.push_back({"snapshot_build_failure", family::recipients(ctx.resource, ctx.config), "Your Snapshot has failed to build.",
                       {{"name", ctx.resource.optional_string("name").value_or("")}}});
    out.push_back(family::noc_failure(ctx, o, "snapshot", task));
    return out;
}

std::vector<Notification> backup_mails(VerbContext& ctx, const Outcome& o, std::string_view task) {
    if (o.status != Status::failed) return {};
    std::vector<Notification> out;
    if (task == "build")  // [R]: the title names the VM, not the backup
        out.push_back({"backup_build_failure", family::recipients(ctx.resource, ctx.config), "Your Backup has failed to build.",
                       {{"name", ctx.resource.optional_string("vm.name").value_or("")}}});
    out.push_back(family::noc_failure(ctx, o, "backup", task));
    return out;
}

void declare_backup_scrub(VerbSpec& spec, Hypervisor hv) {
    spec.prerequisites = [](VerbContext& ctx) { return vm_running(ctx, false); };
    spec.lock_keys = backup_lock_keys;
    spec.plan = [hv](VerbContext& ctx) {
        Fields vm = ctx.resource.sub("vm");
        auto h = vm_host(ctx, vm, hv);
        Plan p;
        p.calls.push_back({hv == Hypervisor::kvm ? "backup_kvm" : "backup_hyperv", "scrub",
                           {{"host", h.address},
                            {"repository", backup_repository(ctx.config, hv, ctx.resource.integer("repository"))},
                            {"backup", backup_name(ctx.resource)}}});
        return p;
    };
    spec.notifications = [](VerbContext& ctx, const Outcome& o) { return backup_mails(ctx, o, "scrub"); };
}

// ---- Ceph ----

std::string ceph_image(const Fields& drive) {
    return std::to_string(drive.integer("project_id")) + "_" + std::to_string(drive.integer("id"));
}

long long ceph_gb(const Fields& drive) {
    for (const auto& s : drive.array("specs")) {
        Fields spec = fields_of(s, drive.name() + " spec");
        if (spec.string("sku") != "CEPH_001") continue;
        long long gb = spec.integer("quantity");
        if (gb <= 0) throw VerbFailure(ErrorNumber::bad_field, drive.name() + " asks for " + std::to_string(gb) + " GB");
        return gb;
    }
    throw VerbFailure(ErrorNumber::bad_field, drive.name() + " has no CEPH_001 size in its specs");
}

std::vector<std::string> ceph_lock_keys(const Fields& drive) {
    // One cluster per region (Config::ceph): the key names it generically because lock keys are
    // computed from the resource alone.
    std::vector<std::string> keys{"ceph:cluster", "ceph:image:" + std::to_string(drive.integer("id"))};
    if (auto parent = drive.optional_integer("parent_id")) keys.push_back("vm:" + std::to_string(*parent));
    return keys;
}

PrimitiveCall rbd_call(VerbContext& ctx, std::string_view action, bool with_size) {
    json::object args{{"host", ctx.config.ceph.admin_host},
                      {"cluster", ctx.config.ceph.cluster},
                      {"pool", ctx.config.ceph.pool},
                      {"image", ceph_image(ctx.resource)}};
    if (with_size) args["gb"] = ceph_gb(ctx.resource);
    return {"rbd", std::string(action), std::move(args)};
}

PrimitiveCall ceph_attach_call(const Config& config, const Fields& drive, const Fields& vm, const std::string& host, bool running) {
    json::array monitors;
    for (const auto& m : config.ceph.monitors) monitors.push_back(json::string(m));
    return {"rbd_kvm", "attach", {{"host", host}, {"domain", family::vm_identifier(vm)}, {"pool", config.ceph.pool},
                                  {"image", ceph_image(drive)}, {"monitors", std::move(monitors)},
                                  {"user", config.ceph.auth_user}, {"secret", config.ceph.secret_uuid}, {"live", running}}};
}

PrimitiveCall ceph_detach_call(const Config& config, const Fields& drive, const Fields& vm, const std::string& host, bool running) {
    return {"rbd_kvm", "detach", {{"host", host}, {"domain", family::vm_identifier(vm)}, {"pool", config.ceph.pool},
                                  {"image", ceph_image(drive)}, {"live", running}}};
}

std::vector<Notification> ceph_mails(VerbContext& ctx, const Outcome& o, std::string_view task) {
    // The sources send nothing for Ceph; [design] the NOC hears of every failure like for the others.
    if (o.status != Status::failed) return {};
    return {family::noc_failure(ctx, o, "ceph", task)};
}

// ---- GPUs ----

GpuChange gpu_change(VerbContext& ctx, const Fields& vm) {
    long long vm_id = vm.integer("id"), server = vm.integer("server_id");
    long long want = vm.optional_integer("gpu").value_or(0);
    std::vector<std::tuple<long long, long long, std::string>> assigned;  // id, server, pci
    for (const auto& d : ctx.list("device", Query().where("vm_id", std::to_string(vm_id)))) {
        Fields f = fields_of(d, "device");
        auto sku = f.optional_string("device_type.sku");
        if (sku && sku->find("GPU") == std::string::npos) continue;
        assigned.emplace_back(f.integer("id"), f.integer("server_id"), f.string("id_on_host"));
    }
    std::sort(assigned.begin(), assigned.end());
    for (const auto& [id, on, pci] : assigned)
        if (on != server)
            throw VerbFailure(ErrorNumber::dependency_failed, "device #" + std::to_string(id) + " of vm #" + std::to_string(vm_id) +
                                                                  " is on server #" + std::to_string(on) + ", not on the VM's server #" +
                                                                  std::to_string(server));
    if (static_cast<long long>(assigned.size()) < want)
        throw VerbFailure(ErrorNumber::dependency_failed,
                          "vm #" + std::to_string(vm_id) + " asks for " + std::to_string(want) + " GPU(s) but the API assigned " +
                              std::to_string(assigned.size()) + "; only the API assigns devices (iaas_device_update_109)");
    GpuChange c;
    for (std::size_t i = 0; i < assigned.size(); ++i) {
        auto& [id, on, pci] = assigned[i];
        (static_cast<long long>(i) < want ? c.attach : c.detach).emplace_back(id, pci);
    }
    return c;
}

Dependency gpu_devices_ready(VerbContext& ctx) {
    try {
        gpu_change(ctx, ctx.resource);
    } catch (const VerbFailure& e) {
        return Dependency::broken(e.what());
    }
    return Dependency::ready();
}

std::vector<PrimitiveCall> gpu_device_calls(VerbContext& ctx, const Fields& vm, const std::string& host) {
    GpuChange change = gpu_change(ctx, vm);
    json::array to_free;
    for (const auto& [id, pci] : change.detach) to_free.push_back(id);
    ctx.facts["free_devices"] = std::move(to_free);
    std::string domain = family::vm_identifier(vm);
    std::vector<PrimitiveCall> calls;
    for (const auto& [id, pci] : change.detach) calls.push_back({"gpu_kvm", "detach", {{"host", host}, {"domain", domain}, {"pci", pci}}});
    for (const auto& [id, pci] : change.attach) calls.push_back({"gpu_kvm", "attach", {{"host", host}, {"domain", domain}, {"pci", pci}}});
    return calls;
}

std::vector<PrimitiveCall> gpu_calls(VerbContext& ctx, const Fields& vm, const std::string& host, bool running) {
    std::vector<PrimitiveCall> devices = gpu_device_calls(ctx, vm, host);
    if (devices.empty() || !running) return devices;
    // Pass-through devices change in the persistent definition only while the domain is off.
    std::string domain = family::vm_identifier(vm);
    std::vector<PrimitiveCall> calls{{"cloudinit_kvm", "quiesce", {{"host", host}, {"domain", domain}}}};
    std::move(devices.begin(), devices.end(), std::back_inserter(calls));
    calls.push_back({"cloudinit_kvm", "restart", {{"host", host}, {"domain", domain}}});
    return calls;
}

void free_devices(VerbContext& ctx) {
    const auto* ids = ctx.facts.if_contains("free_devices");
    if (ids == nullptr || !ids->is_array()) return;
    for (const auto& id : ids->get_array()) {
        ApiReply r = ctx.api().update("device", id.as_int64(), json::object{{"vm_id", nullptr}});
        if (!r.ok())
            throw std::runtime_error("device #" + std::to_string(id.as_int64()) + " is detached on the host but could not be freed: " + r.message);
    }
}

}  // namespace cloudcix::drivers::storage
