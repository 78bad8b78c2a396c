// The engine under threads: the lock plus the re-read make a task dispatched twice run once.
#include <atomic>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "support/fixture.hpp"

using namespace ccx_test;

BOOST_AUTO_TEST_SUITE(concurrency)

BOOST_AUTO_TEST_CASE(two_threads_running_the_same_task_on_the_same_resource_do_the_work_once) {
    for (int round = 0; round < 20; ++round) {
        Demo d;
        d.ctx.config.lock_timeout = std::chrono::seconds(5);
        d.primitives.on_call([](const PrimitiveCall&) { std::this_thread::sleep_for(std::chrono::microseconds(200)); });
        Outcome a, b;
        std::thread t1([&] { a = d.run("vm_kvm", "build", 1501); });
        std::thread t2([&] { b = d.run("vm_kvm", "build", 1501); });
        t1.join();
        t2.join();
        int succeeded = (a.status == Status::succeeded) + (b.status == Status::succeeded);
        int skipped = (a.status == Status::skipped) + (b.status == Status::skipped);
        BOOST_TEST(succeeded == 1);
        BOOST_TEST(skipped == 1);
        BOOST_TEST(d.primitives.calls().size() == 4u);
        BOOST_TEST(d.lock.held().empty());
    }
}

BOOST_AUTO_TEST_CASE(many_threads_on_shared_ports_leave_every_resource_in_a_stable_state) {
    Demo d;
    d.ctx.config.lock_timeout = std::chrono::seconds(5);
    std::atomic<int> done{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&, i] {
            for (int k = 0; k < 5; ++k) {
                auto o = (i + k) % 2 ? d.run("vm_kvm", "build", 1501) : d.run("vm_kvm", "scrub", 1502);
                if (o.status == Status::succeeded) ++done;
            }
        });
    for (auto& t : threads) t.join();
    BOOST_TEST(done.load() == 2);
    BOOST_TEST(d.state("vm", 1501) == State::RUNNING);
    BOOST_TEST(d.state("vm", 1502) == State::CLOSED);
    BOOST_TEST(d.lock.held().empty());
}

BOOST_AUTO_TEST_CASE(the_thread_pool_dispatcher_honours_delays_and_runs_everything) {
    std::mutex m;
    std::vector<long long> order;
    ThreadPoolDispatcher pool(2, [&](const Task& t) {
        std::lock_guard lock(m);
        order.push_back(t.resource_id);
    });
    pool.dispatch({"vm_kvm", "build", 3, {}}, std::chrono::milliseconds(150));
    pool.dispatch({"vm_kvm", "build", 1, {}}, std::chrono::milliseconds(0));
    pool.dispatch({"vm_kvm", "build", 2, {}}, std::chrono::milliseconds(50));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    BOOST_TEST(pool.wait_idle(std::chrono::seconds(5)));
    std::lock_guard lock(m);
    BOOST_TEST(order == (std::vector<long long>{1, 2, 3}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
