#include <boost/test/unit_test.hpp>

#include "cloudcix_drivers/registry.hpp"
#include "cloudcix_drivers/state.hpp"
#include "support/printing.hpp"

using namespace cloudcix::drivers;

BOOST_AUTO_TEST_SUITE(states)

BOOST_AUTO_TEST_CASE(state_names_and_numbers_round_trip) {
    for (int n : {-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 99}) {
        auto s = state_from_int(n);
        BOOST_REQUIRE(s.has_value());
        BOOST_TEST((parse_state(to_string(*s)) == s));
        BOOST_TEST((parse_state(std::to_string(n)) == s));
    }
    BOOST_TEST(!state_from_int(18).has_value());
    BOOST_TEST(!parse_state("RUNING").has_value());
    BOOST_TEST(to_string(State::SCRUB_PREP) == "SCRUB_PREP");
}

BOOST_AUTO_TEST_CASE(the_robot_map_allows_only_the_transitions_of_the_api) {
    BOOST_TEST(robot_may_set(State::REQUESTED, State::BUILDING));
    BOOST_TEST(robot_may_set(State::REQUESTED, State::UNRESOURCED));
    BOOST_TEST(!robot_may_set(State::REQUESTED, State::RUNNING));
    BOOST_TEST(!robot_may_set(State::RUNNING, State::QUIESCE));
    BOOST_TEST(!robot_may_set(State::SCRUB_QUEUE, State::UNRESOURCED));
    BOOST_TEST(robot_may_set(State::SCRUB, State::SCRUBBING));
    BOOST_TEST(robot_may_set(State::RUNNING, State::RUNNING));  // same state is a no-op
}

BOOST_AUTO_TEST_CASE(every_verb_moves_trigger_to_in_progress_to_success_within_the_robot_map) {
    BOOST_TEST(transitions().size() == 51u);
    for (const auto& t : transitions()) {
        BOOST_TEST_CONTEXT(t.driver << "." << t.verb) {
            BOOST_TEST(robot_may_set(t.trigger, t.in_progress));
            BOOST_TEST(robot_may_set(t.in_progress, t.success));
            BOOST_TEST(robot_may_set(t.in_progress, State::UNRESOURCED));
            BOOST_TEST(is_stable(t.success));
        }
    }
}

BOOST_AUTO_TEST_CASE(snapshot_and_backup_scrub_start_from_scrub_and_vm_scrub_from_scrub_queue) {
    const auto& r = builtin_registry();
    BOOST_TEST(r.find("snapshot_kvm", "scrub")->trigger == State::SCRUB);
    BOOST_TEST(r.find("backup_hyperv", "scrub")->trigger == State::SCRUB);
    BOOST_TEST(r.find("vm_kvm", "scrub")->trigger == State::SCRUB_QUEUE);
    BOOST_TEST(r.find("gpu", "updaterunning")->service == "vm");
}

BOOST_AUTO_TEST_SUITE_END()
