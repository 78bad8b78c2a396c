// RunOptions::resume: a redelivered task finds its resource in the verb's in-progress state.
#include <boost/test/unit_test.hpp>

#include <boost/json/parse.hpp>

#include "cloudcix_drivers/run.hpp"
#include "cloudcix_drivers/testing.hpp"
#include "support/fixture.hpp"
#include "support/printing.hpp"

namespace ccx = cloudcix::drivers;

namespace {

struct Kit {
    std::shared_ptr<ccx::IaasRegion> region = ccx::IaasRegion::demo();
    ccx::MemoryIaas transport{region};
    std::unique_ptr<ccx::IaasClient> iaas;
    ccx::InProcessLock lock;
    ccx::RecordingPrimitives primitives;
    ccx::MemoryNotifier notifier;
    ccx::Context ctx;
    Kit() {
        ccx::IaasSettings s = ccx_test::demo_settings();
        iaas = std::make_unique<ccx::IaasClient>(transport, ccx::system_clock(), s);
        ctx.iaas = iaas.get();
        ctx.lock = &lock;
        ctx.primitives = &primitives;
        ctx.notifier = &notifier;
        ctx.config.iaas = s;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(resume)

BOOST_AUTO_TEST_CASE(a_build_left_building_is_skipped_by_a_plain_run) {
    Kit k;
    k.region->set_state("vm", 1501, ccx::State::BUILDING);
    auto o = ccx::run(k.ctx, "vm_kvm", "build", 1501);
    BOOST_TEST(o.status == ccx::Status::skipped);
    BOOST_TEST(k.primitives.calls().empty());
    BOOST_TEST((k.region->state("vm", 1501) == ccx::State::BUILDING));
}

BOOST_AUTO_TEST_CASE(a_redelivered_build_left_building_runs_its_plan_again_and_ends_running) {
    Kit k;
    k.region->set_state("vm", 1501, ccx::State::BUILDING);
    auto before = k.region->patches("vm", 1501);
    ccx::RunOptions resume;
    resume.resume = true;
    auto o = ccx::run(k.ctx, "vm_kvm", "build", 1501, resume);
    BOOST_TEST(o.status == ccx::Status::succeeded);
    BOOST_TEST((k.region->state("vm", 1501) == ccx::State::RUNNING));
    BOOST_TEST(k.region->patches("vm", 1501) == before + 1);  // only RUNNING: BUILDING was already there
    BOOST_TEST(k.primitives.calls().size() == 4u);
}

BOOST_AUTO_TEST_CASE(a_redelivered_build_of_a_vm_already_running_is_still_skipped) {
    Kit k;
    ccx::RunOptions resume;
    resume.resume = true;
    auto o = ccx::run(k.ctx, "vm_kvm", "build", 1503, resume);
    BOOST_TEST(o.status == ccx::Status::skipped);
    BOOST_TEST(k.primitives.calls().empty());
}

BOOST_AUTO_TEST_SUITE_END()
