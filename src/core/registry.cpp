#include "cloudcix_drivers/registry.hpp"

#include <algorithm>
#include <array>

namespace cloudcix::drivers {
namespace {

using S = State;
#define VM_LIKE(driver, service)                                                        \
    {driver, "build", service, S::REQUESTED, S::BUILDING, S::RUNNING},                  \
    {driver, "quiesce", service, S::QUIESCE, S::QUIESCING, S::QUIESCED},                \
    {driver, "restart", service, S::RESTART, S::RESTARTING, S::RUNNING},                \
    {driver, "scrub", service, S::SCRUB_QUEUE, S::SCRUBBING, S::CLOSED},                \
    {driver, "scrubprep", service, S::SCRUB, S::SCRUB_PREP, S::SCRUB_QUEUE},            \
    {driver, "updatequiesced", service, S::QUIESCED_UPDATE, S::QUIESCED_UPDATING, S::QUIESCED}, \
    {driver, "updaterunning", service, S::RUNNING_UPDATE, S::RUNNING_UPDATING, S::RUNNING}

// Spec §1.5. Snapshot and backup scrub start from SCRUB (not SCRUB_QUEUE); gpu moves the VM.
constexpr std::array<Transition, 51> kTransitions{{
    {"backup_hyperv", "build", "backup", S::REQUESTED, S::BUILDING, S::RUNNING},
    {"backup_hyperv", "scrub", "backup", S::SCRUB, S::SCRUBBING, S::CLOSED},
    {"backup_kvm", "build", "backup", S::REQUESTED, S::BUILDING, S::RUNNING},
    {"backup_kvm", "scrub", "backup", S::SCRUB, S::SCRUBBING, S::CLOSED},
    {"ceph", "build", "ceph", S::REQUESTED, S::BUILDING, S::RUNNING},
    {"ceph", "scrub", "ceph", S::SCRUB, S::SCRUBBING, S::CLOSED},
    {"ceph", "updatequiesced", "ceph", S::QUIESCED_UPDATE, S::QUIESCED_UPDATING, S::QUIESCED},
    {"ceph", "updaterunning", "ceph", S::RUNNING_UPDATE, S::RUNNING_UPDATING, S::RUNNING},
    {"gpu", "updatequiesced", "vm", S::QUIESCED_UPDATE, S::QUIESCED_UPDATING, S::QUIESCED},
    {"gpu", "updaterunning", "vm", S::RUNNING_UPDATE, S::RUNNING_UPDATING, S::RUNNING},
    {"snapshot_hyperv", "build", "snapshot", S::REQUESTED, S::BUILDING, S::RUNNING},
    {"snapshot_hyperv", "scrub", "snapshot", S::SCRUB, S::SCRUBBING, S::CLOSED},
    {"snapshot_hyperv", "updaterunning", "snapshot", S::RUNNING_UPDATE, S::RUNNING_UPDATING, S::RUNNING},
    {"snapshot_kvm", "build", "snapshot", S::REQUESTED, S::BUILDING, S::RUNNING},
    {"snapshot_kvm", "scrub", "snapshot", S::SCRUB, S::SCRUBBING, S::CLOSED},
    {"snapshot_kvm", "updaterunning", "snapshot", S::RUNNING_UPDATE, S::RUNNING_UPDATING, S::RUNNING},
    VM_LIKE("virtual_router", "virtual_router"),
    VM_LIKE("virtual_router_phantom", "virtual_router"),
    VM_LIKE("vm_hyperv", "vm"),
    VM_LIKE("vm_kvm", "vm"),
    VM_LIKE("vm_phantom", "vm"),
}};
#undef VM_LIKE

std::size_t distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

}  // namespace

std::span<const Transition> transitions() noexcept { return kTransitions; }

void Registry::add(VerbSpec spec) {
    auto key = [](const VerbSpec& s) { return std::tie(s.driver, s.verb); };
    auto it = std::lower_bound(specs_.begin(), specs_.end(), spec, [&](const VerbSpec& a, const VerbSpec& b) { return key(a) < key(b); });
    if (it != specs_.end() && it->driver == spec.driver && it->verb == spec.verb)
        *it = std::move(spec);
    else
        specs_.insert(it, std::move(spec));
}

const VerbSpec* Registry::find(std::string_view driver, std::string_view verb) const {
    for (const auto& s : specs_)
        if (s.driver == driver && s.verb == verb) return &s;
    return nullptr;
}

const VerbSpec* Registry::find(std::string_view name) const {
    if (auto dot = name.find('.'); dot != std::string_view::npos) return find(name.substr(0, dot), name.substr(dot + 1));
    // Celery task name: the verb is the part after the last '_' (no verb contains '_').
    if (auto us = name.rfind('_'); us != std::string_view::npos) return find(name.substr(0, us), name.substr(us + 1));
    return nullptr;
}

std::vector<std::string> Registry::drivers() const {
    std::vector<std::string> out;
    for (const auto& s : specs_)
        if (out.empty() || out.back() != s.driver) out.push_back(s.driver);
    return out;
}

std::vector<std::string> Registry::verbs(std::string_view driver) const {
    std::vector<std::string> out;
    for (const auto& s : specs_)
        if (s.driver == driver) out.push_back(s.verb);
    return out;
}

std::vector<std::string> Registry::names() const {
    std::vector<std::string> out;
    for (const auto& s : specs_) out.push_back(s.name());
    return out;
}

std::vector<std::string> Registry::suggest(std::string_view name, std::size_t max) const {
    std::string wanted(name);
    std::replace(wanted.begin(), wanted.end(), ' ', '.');
    std::vector<std::pair<std::size_t, std::string>> scored;
    for (const auto& s : specs_) {
        std::string dotted = s.name(), task = s.driver + "_" + s.verb;
        std::size_t d = std::min(distance(wanted, dotted), distance(wanted, task));
        // A bare driver name or a verb alone is close to all of its entries.
        if (wanted == s.driver || wanted == s.verb || dotted.rfind(wanted, 0) == 0) d = std::min<std::size_t>(d, 2);
        if (d <= std::max<std::size_t>(3, wanted.size() / 3)) scored.emplace_back(d, dotted);
    }
    std::sort(scored.begin(), scored.end());
    std::vector<std::string> out;
    for (const auto& [d, n] : scored) {
        if (out.size() >= max) break;
        out.push_back(n);
    }
    return out;
}

std::string Registry::unknown_message(std::string_view name) const {
    std::string msg = "unknown driver verb '" + std::string(name) + "'";
    auto close = suggest(name);
    if (close.empty()) return msg + " (cloudcix-drivers list shows all 51)";
    msg += "; did you mean: ";
    for (std::size_t i = 0; i < close.size(); ++i) msg += (i ? ", " : "") + close[i];
    return msg + "?";
}

const Registry& builtin_registry() {
    static const Registry registry = [] {
        Registry r;
        register_builtin_drivers(r);
        return r;
    }();
    return registry;
}

std::optional<std::string_view> driver_for_vm(long long type) noexcept {
    switch (type) {
        case 1: return "vm_hyperv";
        case 2:
        case 4:
        case 5: return "vm_kvm";
        case 3: return "vm_phantom";
        default: return std::nullopt;
    }
}

std::optional<std::string_view> driver_for_virtual_router(bool router_has_capacity) noexcept {
    return router_has_capacity ? "virtual_router" : "virtual_router_phantom";
}

std::optional<std::string_view> driver_for_snapshot(long long type) noexcept {
    if (type == 1) return "snapshot_hyperv";
    if (type == 2 || type == 4 || type == 5) return "snapshot_kvm";
    return std::nullopt;
}

std::optional<std::string_view> driver_for_backup(long long type) noexcept {
    if (type == 1) return "backup_hyperv";
    if (type == 2 || type == 4 || type == 5) return "backup_kvm";
    return std::nullopt;
}

}  // namespace cloudcix::drivers
