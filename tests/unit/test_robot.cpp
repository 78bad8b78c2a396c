// run_robot_loop / read_robot_work (include/cloudcix_drivers/robot.hpp) over the in-memory region.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <mutex>

#include <boost/json/parse.hpp>

#include "cloudcix_drivers/robot.hpp"
#include "cloudcix_drivers/testing.hpp"
#include "support/fixture.hpp"
#include "support/printing.hpp"

namespace ccx = cloudcix::drivers;
using namespace std::chrono_literals;

namespace {

struct Demo {
    std::shared_ptr<ccx::IaasRegion> region = ccx::IaasRegion::demo();
    ccx::MemoryIaas transport{region};
    ccx::ManualClock clock;
    std::unique_ptr<ccx::IaasClient> iaas;
    Demo() {
        ccx::IaasSettings s = ccx_test::demo_settings();
        iaas = std::make_unique<ccx::IaasClient>(transport, clock, s);
    }
    bool flagged(long long project) { return region->object("project", project)->at("run_robot").as_bool(); }
};

struct Recorder : ccx::Dispatcher {
    bool accept = true;
    std::vector<std::string> seen;
    bool dispatch(const ccx::Task& t, std::chrono::milliseconds) override {
        seen.push_back(t.driver + "." + t.verb + " #" + std::to_string(t.resource_id));
        return accept;
    }
    bool has(const std::string& s) const { return std::find(seen.begin(), seen.end(), s) != seen.end(); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(robot_loop)

BOOST_AUTO_TEST_CASE(a_vm_in_scrub_goes_to_scrubprep_only_although_run_robot_also_lists_it_under_scrub) {
    Demo d;
    d.region->set_state("vm", 1503, ccx::State::SCRUB);
    auto work = ccx::read_robot_work(*d.iaas);
    BOOST_TEST_REQUIRE(work.ok, work.message);
    auto listed = [&](const std::string& verb, long long id) {
        return std::any_of(work.tasks.begin(), work.tasks.end(),
                           [&](const ccx::Task& t) { return t.driver == "vm_kvm" && t.verb == verb && t.resource_id == id; });
    };
    BOOST_TEST(listed("scrubprep", 1503));
    BOOST_TEST(!listed("scrub", 1503));
    BOOST_TEST(listed("build", 1501));
}

BOOST_AUTO_TEST_CASE(one_round_dispatches_every_listed_verb_and_then_acknowledges_the_projects) {
    Demo d;
    Recorder r;
    ccx::RobotLoopOptions o;
    o.once = true;
    bool dispatched_before_ack = false;
    o.after_dispatch = [&](const ccx::RobotWork& w) { dispatched_before_ack = d.flagged(812) && r.seen.size() == w.tasks.size(); };
    auto result = ccx::run_robot_loop(*d.iaas, r, o);
    BOOST_TEST(result.rounds == 1);
    BOOST_TEST(result.errors == 0);
    BOOST_TEST(r.has("vm_kvm.build #1501"));
    BOOST_TEST(r.has("vm_kvm.build #1601"));
    BOOST_TEST(result.dispatched == r.seen.size());
    BOOST_TEST(dispatched_before_ack);
    BOOST_TEST(!d.flagged(812));
    BOOST_TEST(!d.flagged(813));
}

BOOST_AUTO_TEST_CASE(a_round_whose_tasks_could_not_be_queued_leaves_the_projects_flagged) {
    Demo d;
    Recorder r;
    r.accept = false;
    ccx::RobotLoopOptions o;
    o.once = true;
    auto result = ccx::run_robot_loop(*d.iaas, r, o);
    BOOST_TEST(result.not_queued == r.seen.size());
    BOOST_TEST(result.errors == 1);
    BOOST_TEST(d.flagged(812));
}

BOOST_AUTO_TEST_CASE(an_idle_region_makes_the_loop_sleep_until_stopped) {
    Demo d;
    Recorder r;
    ccx::RobotLoopOptions first;
    first.once = true;
    ccx::run_robot_loop(*d.iaas, r, first);  // clears the flags
    std::atomic<bool> stop{false};
    ccx::RobotLoopOptions o;
    o.clock = &d.clock;
    o.stop = &stop;
    o.idle_sleep = 15s;
    auto t0 = d.clock.now();
    int polls = 0;
    d.region->set_hook([&](std::string_view method, std::string_view path) -> std::optional<ccx::HttpResponse> {
        if (method == "GET" && path.starts_with("run_robot") && ++polls == 3) stop = true;
        return std::nullopt;
    });
    auto result = ccx::run_robot_loop(*d.iaas, r, o);
    BOOST_TEST(result.rounds == 0);
    BOOST_TEST(polls == 3);
    BOOST_TEST((d.clock.now() - t0 >= 30s));  // slept 15 s after each of the two idle polls before the stop
}

BOOST_AUTO_TEST_SUITE_END()
