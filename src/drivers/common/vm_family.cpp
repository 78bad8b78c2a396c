#include "drivers/common/vm_family.hpp"

#include <algorithm>
#include <ctime>
#include <random>

#include "cloudcix_drivers/log.hpp"

namespace cloudcix::drivers::family {
namespace json = boost::json;

std::string vm_task(std::string_view verb) {
    if (verb == "scrubprep") return "quiesce";
    if (verb == "updaterunning" || verb == "updatequiesced") return "update";
    return std::string(verb);
}

namespace {

std::vector<Notification> vm_notifications(VerbContext& ctx, const Outcome& o, Hypervisor hv) {
    const Fields& vm = ctx.resource;
    const std::string& verb = ctx.spec.verb;
    std::string name = vm.optional_string("name").value_or("");
    std::vector<Notification> out;
    if (o.status == Status::succeeded) {
        if (hv == Hypervisor::phantom) return out;  // spec §4.3: no customer mails for phantom VMs
        if (verb == "build") {
            json::object data{{"name", name}, {"compute_url", ctx.config.compute_ui_url}};
            // Only Hyper-V has a generated credential; a cloud-init (KVM) VM has none (spec §4.1).
            if (const auto* pw = ctx.facts.if_contains("admin_password"); pw && pw->is_string()) {
                data["username"] = "administrator";
                data["admin_password"] = *pw;
            }
            out.push_back({"vm_build_success", recipients(vm, ctx.config), "Your VM has been built successfully!", std::move(data)});
        } else if (verb == "scrubprep") {
            out.push_back({"vm_scheduled_for_deletion", recipients(vm, ctx.config), "Your VM has been scheduled for deletion!",
                           {{"name", name}, {"deletion_date", deletion_date(vm, ctx.now)}}});
        }
        return out;
    }
    if (o.status != Status::failed) return out;
    if (verb == "build")
        out.push_back({"vm_build_failure", recipients(vm, ctx.config), "Your VM has failed to build.", {{"name", name}}});
    out.push_back(noc_failure(ctx, o, "vm", vm_task(verb)));
    return out;
}

}  // namespace

void declare_vm_verb(VerbSpec& spec, Hypervisor hv) {
    bool build = spec.verb == "build";
    bool project = build || spec.verb == "scrub";
    bool update = spec.verb == "updaterunning" || spec.verb == "updatequiesced";
    spec.prerequisites = [build, update](VerbContext& ctx) {
        if (build) {
            Dependency router = router_running(ctx);
            if (router.kind != Dependency::Kind::proceed) return router;
        }
        // The user's change row, captured before our own in-progress row is written (spec §2.8).
        if (update)
            if (const auto* row = change_row(ctx.resource, ctx.spec.trigger)) ctx.facts["change_row"] = *row;
        return snapshots_stable(ctx, ctx.resource.integer("id"));
    };
    // KVM build/scrub write or remove cloud-init data on PodNet; Hyper-V and phantom never touch it.
    bool podnet = hv == Hypervisor::kvm && project;
    bool host = hv != Hypervisor::phantom;
    spec.lock_keys = [project, host, podnet](const Fields& vm) { return vm_lock_keys(vm, project, host, podnet); };
    spec.notifications = [hv](VerbContext& ctx, const Outcome& o) { return vm_notifications(ctx, o, hv); };
}

const json::object* change_row(const Fields& vm, State trigger) {
    for (const auto& h : vm.array("history"))
        if (h.is_object() && h.get_object().contains("state") && h.get_object().at("state") == static_cast<int>(trigger))
            return &h.get_object();
    return nullptr;
}

VmChanges requested_changes(VerbContext& ctx) {
    // Stashed by the prerequisites (before the in-progress mark); `plan` alone reads it afresh.
    if (const auto* row = ctx.facts.if_contains("change_row"); row && row->is_object())
        return changes_from(ctx.resource, row->get_object());
    return requested_changes(ctx.resource, ctx.spec.trigger);
}

VmChanges requested_changes(const Fields& vm, State trigger) {
    const json::object* row = change_row(vm, trigger);
    if (row == nullptr) return {};
    return changes_from(vm, *row);
}

VmChanges changes_from(const Fields& vm, const json::object& change) {
    VmChanges c;
    const json::object* row = &change;
    Fields r(vm.name() + " history", *row);
    if (r.has("cpu_quantity")) c.cpu = vm.integer("cpu");
    if (r.has("ram_quantity")) c.ram_gb = vm.integer("ram");
    c.gpu = r.has("gpu_quantity");
    if (r.has("storage_histories")) {
        for (const auto& s : r.array("storage_histories")) {
            Fields f = fields_of(s, vm.name() + " storage_history");
            long long id = f.integer("storage_id");
            bool fresh = true;
            for (const auto& st : vm.array("storages")) {
                Fields sf = fields_of(st, vm.name() + " storage");
                // An earlier size exists when the storage has more than the current history row.
                if (sf.integer("id") == id && sf.has("history")) fresh = sf.array("history").size() < 2;
            }
            c.disks.push_back({id, f.integer("gb_quantity"), fresh});
        }
    }
    return c;
}

std::string kvm_disk_target(const Fields& vm, long long storage_id) {
    auto all = storages(vm);
    std::stable_sort(all.begin(), all.end(), [](const Storage& a, const Storage& b) {
        return a.primary != b.primary ? a.primary : a.id < b.id;
    });
    for (std::size_t i = 0; i < all.size(); ++i)
        if (all[i].id == storage_id) {
            if (i >= 26) throw VerbFailure(ErrorNumber::bad_field, vm.name() + " has more disks than vda..vdz");
            return std::string("vd") + static_cast<char>('a' + i);
        }
    throw VerbFailure(ErrorNumber::bad_field, vm.name() + " has no storage #" + std::to_string(storage_id));
}

std::string hyperv_storage(const Fields& vm, long long storage_id) {
    return vm_identifier(vm) + "_" + vm.string("storage_type") + "_" + std::to_string(storage_id);
}

std::string deletion_date(const Fields& vm, std::chrono::system_clock::time_point now) {
    long long hours = vm.optional_integer("project.grace_period").value_or(168);
    std::time_t t = std::chrono::system_clock::to_time_t(now + std::chrono::hours(hours));
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%A %B %d, %Y", &tm);
    return buf;
}

std::string generate_password() {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::random_device rd;
    std::uniform_int_distribution<std::size_t> pick(0, sizeof kAlphabet - 2);
    std::string pw;
    for (int i = 0; i < 12; ++i) pw.push_back(kAlphabet[pick(rd)]);
    secrets::remember(pw);
    return pw;
}

json::array podnet_list(const Config& config) {
    json::array out;
    for (const auto& n : podnet_nodes(config)) out.push_back(json::string(n));
    return out;
}

}  // namespace cloudcix::drivers::family
