// ccx-worker, ccx-dispatch and ccx-robot against a throwaway RabbitMQ (one for the whole file),
// the IaaS simulator (in this process, over HTTP) and real Python Celery.
#include <boost/test/unit_test.hpp>

#include <memory>
#include <optional>
#include <set>

#include <boost/json/parse.hpp>

#include <amqp.h>

#include "amqp.hpp"
#include "celery.hpp"
#include "cloudcix_drivers/testing.hpp"
#include "dispatcher.hpp"
#include "server.hpp"
#include "support/printing.hpp"
#include "support/processes.hpp"
#include "world.hpp"

namespace ccx = cloudcix::drivers;
namespace rmq = cloudcix::rabbitmq;
namespace json = boost::json;
using namespace std::chrono_literals;
using ccx::State;
using ccx_test::eventually;
using ccx_test::Process;

namespace {
using ccx_rabbit_test::BrokerFixture;
using ccx_rabbit_test::rabbit;
using ccx_rabbit_test::Region;

const std::string kPython = "/usr/bin/python3";

// A Celery worker is consuming once the broker lists a consumer on its queue.
bool has_consumer(const std::string& queue) {
    std::string out;
    ccx_test::run_command({"/bin/sh", CCX_RABBIT_SCRIPT, "ctl", rabbit().dir().string(), "-q", "list_queues", "name", "consumers"}, &out);
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::string name;
        long n = 0;
        if (f >> name >> n && name == queue) return n > 0;
    }
    return false;
}

std::string ccx_dispatch(std::vector<std::string> args) {
    std::vector<std::string> argv{CCX_DISPATCH_BIN};
    for (auto& a : args) argv.push_back(a);
    std::string out;
    int rc = ccx_test::run_command(argv, &out);
    BOOST_REQUIRE_MESSAGE(rc == 0, "ccx-dispatch failed: " << out);
    return out;
}

// Publishes raw bytes with Celery-like properties; returns the message id used.
void publish_raw(const std::string& queue, amqp_basic_properties_t props, const std::string& body) {
    rmq::Connection c(rmq::BrokerUrl::parse(rabbit().url()), 0);
    c.declare_celery_queue(queue);
    int rc = amqp_basic_publish(c.state(), rmq::Connection::channel, amqp_empty_bytes, amqp_cstring_bytes(queue.c_str()), 0, 0,
                                &props, amqp_bytes_t{body.size(), const_cast<char*>(body.data())});
    BOOST_REQUIRE_EQUAL(rc, AMQP_STATUS_OK);
    c.close();
}

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(BrokerFixture);

BOOST_AUTO_TEST_SUITE(rabbitmq_interop)

BOOST_AUTO_TEST_CASE(python_celery_send_task_is_run_by_ccx_worker_and_the_vm_becomes_running) {
    Region region;
    auto worker = region.worker("q_python", "worker.log");
    std::string out;
    int rc = ccx_test::run_command({kPython, "celery_app.py", "send", "vm_kvm_build", "1501", "q_python"}, &out,
                                   {{"CCX_BROKER_URL", rabbit().url()}, {"TASK_LOG", "/dev/null"}}, CCX_PYTHON_DIR);
    BOOST_REQUIRE_MESSAGE(rc == 0, out);
    std::string task_id = out.substr(0, out.find('\n'));
    BOOST_TEST(eventually([&] { return region.vm(1501) == State::RUNNING; }, 120s), worker->output());
    BOOST_TEST(eventually([&] { return worker->output().find("task " + task_id + " vm_kvm.build #1501 succeeded") != std::string::npos; }, 10s),
               worker->output());
    worker->signal(SIGTERM);
    BOOST_TEST(worker->wait_exit(30s) == 0);
}

BOOST_AUTO_TEST_CASE(ccx_dispatch_publishes_a_message_a_real_celery_worker_runs_with_the_resource_id) {
    auto dir = ccx_test::temp_dir("ccx-celery-");
    auto task_log = dir / "tasks.log";
    Process celery({kPython, "-m", "celery", "-A", "celery_app", "worker", "-Q", "q_to_python", "--pool", "solo",
                    "--without-gossip", "--without-mingle", "-n", "interop@localhost", "--loglevel", "INFO"},
                   dir / "celery.log", {{"CCX_BROKER_URL", rabbit().url()}, {"TASK_LOG", task_log.string()}}, CCX_PYTHON_DIR);
    BOOST_REQUIRE_MESSAGE(eventually([&] { return has_consumer("q_to_python"); }, 180s), celery.output());
    std::string id = ccx_dispatch({"vm_kvm", "build", "4242", "--broker", rabbit().url(), "--queue", "q_to_python"});
    id = id.substr(0, id.find('\n'));
    BOOST_TEST(eventually([&] { return ccx_test::slurp(task_log) == "vm_kvm_build 4242\n"; }, 60s), celery.output());
    BOOST_TEST(celery.output().find(id) != std::string::npos, celery.output());
    celery.signal(SIGTERM);
    celery.wait_exit(30s);
    std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_postponed_build_is_retried_via_eta_and_succeeds_once_the_router_runs) {
    Region region;
    region.sim->region().set_state("virtual_router", 78, State::BUILDING);
    auto worker = region.worker("q_postpone", "worker.log");
    ccx_dispatch({"vm_kvm", "build", "1601", "--broker", rabbit().url(), "--queue", "q_postpone"});
    BOOST_REQUIRE_MESSAGE(eventually([&] { return worker->output().find("#1601 postponed") != std::string::npos; }, 120s),
                          worker->output());
    BOOST_TEST((region.vm(1601) == State::REQUESTED));
    region.sim->region().set_state("virtual_router", 78, State::RUNNING);
    BOOST_TEST(eventually([&] { return region.vm(1601) == State::RUNNING; }, 120s), worker->output());
    BOOST_TEST(worker->output().find("vm_kvm.build #1601 succeeded") != std::string::npos, worker->output());
    worker->signal(SIGTERM);
    BOOST_TEST(worker->wait_exit(30s) == 0);
    BOOST_TEST(rabbit().messages("q_postpone") == 0);
}

BOOST_AUTO_TEST_CASE(a_worker_killed_in_the_middle_of_200_tasks_and_restarted_completes_each_exactly_once) {
    const long long first = 30001;
    const int n = 200;
    Region region(n, first, 3ms);
    rmq::RabbitMqDispatcher dispatcher(rmq::BrokerUrl::parse(rabbit().url()), "q_kill");
    for (int i = 0; i < n; ++i) BOOST_REQUIRE(dispatcher.dispatch({"vm_kvm", "build", first + i, {}}, 0ms));
    auto worker = region.worker("q_kill", "worker1.log", {"--concurrency", "2"});
    BOOST_REQUIRE_MESSAGE(eventually([&] { return region.count_vms(first, n, State::RUNNING) >= 20; }, 180s), worker->output());
    worker->kill_group(SIGKILL);
    worker->wait_exit(10s);
    int done_before = region.count_vms(first, n, State::RUNNING);
    BOOST_TEST_MESSAGE("killed with " << done_before << " of " << n << " running");
    BOOST_TEST(done_before < n);
    auto again = region.worker("q_kill", "worker2.log", {"--concurrency", "2"});
    BOOST_TEST(eventually([&] { return region.count_vms(first, n, State::RUNNING) == n; }, 300s), again->output());
    for (int i = 0; i < n; ++i) {
        // BUILDING once, RUNNING once: no run repeated its effect.
        BOOST_TEST(region.sim->region().patches("vm", first + i) == 2u, "vm #" << first + i);
    }
    again->signal(SIGTERM);
    BOOST_TEST(again->wait_exit(60s) == 0);
    BOOST_TEST(rabbit().messages("q_kill") == 0);
}

BOOST_AUTO_TEST_CASE(the_worker_reconnects_after_a_broker_restart_and_finishes_the_stream) {
    const long long first = 31001;
    const int n = 60;
    Region region(n, first, 15ms);  // builds are serialised (podnet lock): ~10 s for the stream
    rmq::RabbitMqDispatcher dispatcher(rmq::BrokerUrl::parse(rabbit().url()), "q_restart");
    for (int i = 0; i < n; ++i) BOOST_REQUIRE(dispatcher.dispatch({"vm_kvm", "build", first + i, {}}, 0ms));
    auto worker = region.worker("q_restart", "worker.log", {"--concurrency", "2"});
    BOOST_REQUIRE_MESSAGE(eventually([&] { return region.count_vms(first, n, State::RUNNING) >= 10; }, 180s), worker->output());
    rabbit().stop();
    int during = region.count_vms(first, n, State::RUNNING);
    rabbit().start();
    BOOST_TEST_MESSAGE("broker restarted with " << during << " of " << n << " running");
    BOOST_TEST(during < n);  // the restart happened mid-stream
    BOOST_TEST(eventually([&] { return region.count_vms(first, n, State::RUNNING) == n; }, 300s), worker->output());
    BOOST_TEST(worker->output().find("connection lost") != std::string::npos);
    auto out = worker->output();
    BOOST_TEST(out.find("ccx-worker: consuming") != out.rfind("ccx-worker: consuming"), out);  // connected twice
    BOOST_TEST(worker->running());
    for (int i = 0; i < n; ++i) BOOST_TEST(region.sim->region().patches("vm", first + i) == 2u, "vm #" << first + i);
    worker->signal(SIGTERM);
    BOOST_TEST(worker->wait_exit(60s) == 0);
}

BOOST_AUTO_TEST_CASE(malformed_messages_are_rejected_without_requeue_and_the_worker_stays_alive) {
    Region region(1, 32001);
    auto worker = region.worker("q_bad", "worker.log");
    std::vector<std::string> ids;
    auto message = [&](const std::string& name) {
        rmq::CeleryTask t;
        t.id = rmq::new_uuid();
        t.name = name;
        t.resource_id = 32001;
        ids.push_back(t.id);
        return std::make_unique<rmq::EncodedMessage>(t);
    };
    auto bad_json = message("vm_kvm_build");
    publish_raw("q_bad", bad_json->properties(), "[[32001], {}, {");
    auto arity = message("vm_kvm_build");
    publish_raw("q_bad", arity->properties(), "[[32001, 2], {}, {\"callbacks\": null}]");
    auto unknown = message("no_such_task");
    publish_raw("q_bad", unknown->properties(), "[[32001], {}, {}]");
    auto v1 = message("vm_kvm_build");
    amqp_basic_properties_t p1 = v1->properties();
    p1.headers = amqp_empty_table;  // protocol 1: an empty headers table, everything in the body
    publish_raw("q_bad", p1, "{\"task\": \"vm_kvm_build\", \"id\": \"" + ids.back() + "\", \"args\": [32001], \"kwargs\": {}}");
    auto good = message("vm_kvm_build");
    publish_raw("q_bad", good->properties(), rmq::encode_body(32001));
    BOOST_TEST(eventually([&] { return region.vm(32001) == State::RUNNING; }, 120s), worker->output());
    for (std::size_t i = 0; i + 1 < ids.size(); ++i)
        BOOST_TEST(worker->output().find("rejected message " + ids[i]) != std::string::npos, ids[i] << "\n" << worker->output());
    BOOST_TEST(worker->running());
    BOOST_TEST(rabbit().messages("q_bad") == 0);
    worker->signal(SIGTERM);
    BOOST_TEST(worker->wait_exit(30s) == 0);
}

BOOST_AUTO_TEST_CASE(sigterm_lets_the_running_tasks_finish_acks_them_and_exits_0) {
    const long long first = 34001;
    const int n = 30;
    Region region(n, first, 40ms);  // about half a second per build
    rmq::RabbitMqDispatcher dispatcher(rmq::BrokerUrl::parse(rabbit().url()), "q_term");
    for (int i = 0; i < n; ++i) BOOST_REQUIRE(dispatcher.dispatch({"vm_kvm", "build", first + i, {}}, 0ms));
    auto worker = region.worker("q_term", "worker.log", {"--concurrency", "2"});
    BOOST_REQUIRE_MESSAGE(eventually([&] { return region.count_vms(first, n, State::BUILDING) > 0; }, 120s), worker->output());
    worker->signal(SIGTERM);
    BOOST_TEST(worker->wait_exit(60s) == 0, worker->output());
    int running = region.count_vms(first, n, State::RUNNING);
    BOOST_TEST(region.count_vms(first, n, State::BUILDING) == 0);  // nothing abandoned mid-way
    BOOST_TEST(running >= 1);
    BOOST_TEST(running < n);
    // Everything not run went back to the queue; nothing that ran is left there.
    BOOST_TEST(eventually([&] { return rabbit().messages("q_term") == n - running; }, 30s), running);
}

BOOST_AUTO_TEST_CASE(a_task_that_expires_before_its_eta_is_dropped_without_running) {
    Region region;
    auto worker = region.worker("q_expire", "worker.log");
    ccx_dispatch({"vm_kvm", "build", "1501", "--broker", rabbit().url(), "--queue", "q_expire", "--countdown", "3", "--expires", "1"});
    BOOST_TEST(eventually([&] { return worker->output().find("expired") != std::string::npos; }, 60s), worker->output());
    BOOST_TEST((region.vm(1501) == State::REQUESTED));
    BOOST_TEST(worker->output().find("vm_kvm.build #1501") == std::string::npos, worker->output());
    BOOST_TEST(rabbit().messages("q_expire") == 0);
    worker->signal(SIGTERM);
    BOOST_TEST(worker->wait_exit(30s) == 0);
}

BOOST_AUTO_TEST_CASE(ccx_robot_with_ccx_worker_drives_a_region_full_of_work_to_stable_states) {
    const long long first = 33001;
    const int n = 20;
    Region region(n, first);
    auto worker = region.worker("q_robot", "worker.log", {"--concurrency", "2"});
    std::vector<std::string> argv{CCX_ROBOT_BIN, "--broker", rabbit().url(), "--queue", "q_robot", "--idle-sleep", "1"};
    for (auto& a : region.iaas_args()) argv.push_back(a);
    Process robot(argv, region.dir / "robot.log", region.env());
    const std::set<State> stable{State::RUNNING, State::QUIESCED, State::SCRUB_QUEUE, State::CLOSED, State::UNRESOURCED};
    auto settled = [&] {
        auto all = region.sim->region().snapshot();
        for (auto svc : {"vm", "virtual_router"})
            for (const auto& o : all.at(svc).as_array())
                if (!stable.count(static_cast<State>(o.at("state").as_int64()))) return false;
        for (long long p : {812, 813})
            if (region.sim->region().object("project", p)->at("run_robot").as_bool()) return false;
        return true;
    };
    BOOST_TEST(eventually(settled, 180s), worker->output() << robot.output());
    BOOST_TEST(region.count_vms(first, n, State::RUNNING) == n);
    BOOST_TEST((region.vm(1501) == State::RUNNING));
    BOOST_TEST((region.vm(1601) == State::UNRESOURCED));  // its router is UNRESOURCED
    BOOST_TEST(robot.output().find("round 1:") != std::string::npos, robot.output());
    robot.signal(SIGTERM);
    BOOST_TEST(robot.wait_exit(30s) == 0, robot.output());
    worker->signal(SIGTERM);
    BOOST_TEST(worker->wait_exit(30s) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
