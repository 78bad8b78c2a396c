#include "cloudcix_drivers/robot.hpp"

#include <algorithm>
#include <set>

namespace cloudcix::drivers {

namespace json = boost::json;

namespace {
bool vm_or_vr(std::string_view driver) {
    return driver.starts_with("vm_") || driver.starts_with("virtual_router");
}
}  // namespace

RobotWork read_robot_work(IaasClient& iaas) {
    RobotWork work;
    auto reply = iaas.call("GET", "run_robot/", nullptr);
    if (!reply.ok()) {
        work.message = "GET run_robot/ failed: " + reply.message;
        return work;
    }
    const auto* content = reply.content.if_object();
    const auto* projects = content ? content->if_contains("project_ids") : nullptr;
    const auto* resource = content ? content->if_contains("resource") : nullptr;
    if (projects == nullptr || !projects->is_array() || resource == nullptr || !resource->is_object()) {
        work.message = "GET run_robot/ answered without project_ids and resource";
        return work;
    }
    for (const auto& p : projects->get_array())
        if (p.is_int64()) work.project_ids.push_back(p.get_int64());
    for (const auto& [driver, lists] : resource->get_object()) {
        if (!lists.is_object()) continue;
        std::set<long long> in_scrubprep;
        if (const auto* sp = lists.get_object().if_contains("scrubprep"); sp && sp->is_array())
            for (const auto& id : sp->get_array())
                if (id.is_int64()) in_scrubprep.insert(id.get_int64());
        for (const auto& [verb, ids] : lists.get_object()) {
            if (verb == "quiesced_update" || verb == "running_update") continue;  // legacy duplicates
            if (!ids.is_array()) continue;
            for (const auto& id : ids.get_array()) {
                if (!id.is_int64()) continue;
                if (verb == "scrub" && vm_or_vr(driver) && in_scrubprep.count(id.get_int64())) continue;
                work.tasks.push_back({std::string(driver), std::string(verb), id.get_int64(), {}});
            }
        }
    }
    work.ok = true;
    return work;
}

ApiReply acknowledge_robot_work(IaasClient& iaas, const std::vector<long long>& project_ids) {
    json::array ids;
    for (auto id : project_ids) ids.push_back(id);
    json::value body = json::object{{"project_ids", std::move(ids)}};
    return iaas.call("POST", "run_robot/", &body);
}

RobotLoopResult run_robot_loop(IaasClient& iaas, Dispatcher& dispatcher, const RobotLoopOptions& o) {
    RobotLoopResult result;
    Clock& clock = o.clock ? *o.clock : system_clock();
    auto say = [&](const std::string& s) {
        if (o.log) o.log(s);
    };
    auto stopped = [&] { return o.stop != nullptr && o.stop->load(); };
    auto idle = [&](std::chrono::milliseconds d) {
        auto until = clock.now() + d;
        while (!stopped() && clock.now() < until)
            clock.sleep_for(std::min<std::chrono::nanoseconds>(std::chrono::milliseconds(200), until - clock.now()));
    };
    while (!stopped()) {
        auto work = read_robot_work(iaas);
        if (!work.ok) {
            ++result.errors;
            say(work.message);
            if (o.once) break;
            idle(o.idle_sleep);
            continue;
        }
        if (work.project_ids.empty()) {
            if (o.once || o.until_idle) break;
            idle(o.idle_sleep);
            continue;
        }
        ++result.rounds;
        std::size_t queued = 0;
        for (const auto& t : work.tasks) {
            if (dispatcher.dispatch(t, std::chrono::milliseconds(0))) {
                ++queued;
            } else {
                ++result.not_queued;
                say("could not dispatch " + t.driver + "." + t.verb + " #" + std::to_string(t.resource_id));
            }
        }
        result.dispatched += queued;
        say("round " + std::to_string(result.rounds) + ": " + std::to_string(queued) + " task(s) for " +
            std::to_string(work.project_ids.size()) + " project(s)");
        if (o.after_dispatch) o.after_dispatch(work);
        if (queued < work.tasks.size()) {
            // Keep the projects flagged: the next GET lists them again.
            ++result.errors;
            say("not acknowledging: " + std::to_string(work.tasks.size() - queued) + " task(s) were not queued");
            if (o.once) break;
            idle(o.idle_sleep);
            continue;
        }
        auto acked = acknowledge_robot_work(iaas, work.project_ids);
        if (!acked.ok()) {
            ++result.errors;
            say("POST run_robot/ failed: " + acked.message);
        }
        if (o.once) break;
    }
    return result;
}

}  // namespace cloudcix::drivers
