// Long verbs and long ETAs against RabbitMQ's consumer_timeout, on a throwaway broker whose
// timeout is 5 s (the broker checks about once a minute, so this takes a little over a minute).
#include <boost/test/unit_test.hpp>

#include <sstream>
#include <thread>

#include <boost/json/parse.hpp>

#include "cloudcix_drivers/testing.hpp"
#include "dispatcher.hpp"
#include "support/printing.hpp"
#include "support/processes.hpp"
#include "worker.hpp"

namespace ccx = cloudcix::drivers;
namespace rmq = cloudcix::rabbitmq;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(a_verb_and_an_eta_that_outlast_the_consumer_timeout_run_once_without_the_channel_closing) {
    ccx_test::ThrowawayRabbit rabbit(CCX_RABBIT_SCRIPT, "consumer_timeout = 5000");
    auto region = ccx::IaasRegion::demo();
    ccx::MemoryIaas transport(region);
    auto creds = boost::json::parse(ccx::demo_region_json()).at("credentials").as_object();
    ccx::Config config;
    config.iaas.iaas_url = std::string(ccx::MemoryIaas::iaas_url);
    config.iaas.membership_url = std::string(ccx::MemoryIaas::membership_url);
    config.iaas.username = std::string(creds.at("email").as_string());
    config.iaas.password = std::string(creds.at("password").as_string());
    config.iaas.api_key = std::string(creds.at("api_key").as_string());
    ccx::IaasClient iaas(transport, ccx::system_clock(), config.iaas);
    ccx::InProcessLock lock;
    ccx::RecordingPrimitives primitives;
    primitives.on_call([](const ccx::PrimitiveCall&) { std::this_thread::sleep_for(20s); });  // 4 steps: 80 s
    ccx::MemoryNotifier notifier;
    ccx::Context ctx;
    ctx.iaas = &iaas;
    ctx.lock = &lock;
    ctx.primitives = &primitives;
    ctx.notifier = &notifier;
    ctx.config = config;

    rmq::WorkerOptions options;
    options.broker = rmq::BrokerUrl::parse(rabbit.url());
    options.queue = "q_long";
    options.concurrency = 2;
    options.heartbeat = 4;
    options.ack_after = 3s;
    std::ostringstream log;
    rmq::Worker worker(options, [&](const ccx::Task& t, const ccx::RunOptions& ro) { return ccx::run(ctx, t.driver, t.verb, t.resource_id, ro); },
                       log);
    std::thread runner([&] { worker.run(); });

    rmq::RabbitMqDispatcher dispatcher(options.broker, "q_long");
    BOOST_REQUIRE(dispatcher.dispatch({"vm_kvm", "build", 1501, {}}, 0ms));
    BOOST_REQUIRE(dispatcher.dispatch({"vm_kvm", "build", 1503, {}}, 75s));  // held past the timeout (1503 is RUNNING: skipped)

    bool done = ccx_test::eventually([&] { return worker.stats().ran.load() >= 2; }, 240s);
    worker.stop();
    runner.join();
    BOOST_TEST(done, log.str());
    BOOST_TEST((region->state("vm", 1501) == ccx::State::RUNNING));
    BOOST_TEST(region->patches("vm", 1501) == 2u);  // BUILDING, RUNNING: ran once
    BOOST_TEST(worker.stats().connections.load() == 1, log.str());  // the broker never closed the channel
    BOOST_TEST(worker.stats().early_acks.load() >= 1);
    BOOST_TEST(worker.stats().republished.load() >= 1);  // the held ETA message
    BOOST_TEST(log.str().find("connection lost") == std::string::npos, log.str());
    BOOST_TEST(rabbit.messages("q_long") == 0);
}
