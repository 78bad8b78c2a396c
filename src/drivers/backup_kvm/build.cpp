// backup_kvm.build: REQUESTED → BUILDING → RUNNING, writing time_valid (spec §4.8).
#include <algorithm>

#include "drivers/common/storage.hpp"
#include "drivers/verbs.hpp"

namespace cloudcix::drivers::verbs {
using namespace storage;

void backup_kvm_build(VerbSpec& spec) {
    spec.prerequisites = [](VerbContext& ctx) { return vm_running(ctx, false); };
    spec.lock_keys = backup_lock_keys;
    spec.plan = [](VerbContext& ctx) {
        Fields vm = ctx.resource.sub("vm");
        auto h = vm_host(ctx, vm, Hypervisor::kvm);
        std::string repository = backup_repository(ctx.config, Hypervisor::kvm, ctx.resource.integer("repository"));
        // The disks as the API knows them, primary first: a dry run shows the copies they imply.
        std::string dir = ctx.config.kvm.images_path;
        if (!dir.empty() && dir.back() != '/') dir.push_back('/');
        boost::json::array images;
        auto all = family::storages(vm);
        std::stable_partition(all.begin(), all.end(), [](const family::Storage& s) { return s.primary; });
        for (const auto& s : all) images.push_back(boost::json::string(dir + family::storage_file(vm, s.id)));
        Plan p;
        p.calls.push_back({"backup_kvm", "build", {{"host", h.address}, {"domain", family::vm_identifier(vm)},
                                                   {"repository", repository}, {"backup", backup_name(ctx.resource)},
                                                   {"images", std::move(images)}}});
        // Recorded before the copy starts: the backup holds at least everything written until then.
        p.success_fields["time_valid"] = time_valid(ctx.now);
        return p;
    };
    spec.notifications = [](VerbContext& ctx, const Outcome& o) { return backup_mails(ctx, o, "build"); };
}

}  // namespace cloudcix::drivers::verbs
