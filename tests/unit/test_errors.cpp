#include <set>

#include <boost/test/unit_test.hpp>

#include "cloudcix_drivers/errors.hpp"
#include "cloudcix_drivers/outcome.hpp"
#include "support/printing.hpp"

using namespace cloudcix::drivers;

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(the_seed_codes_keep_their_fixed_meanings) {
    BOOST_TEST(explain("0000")->title == "api_unavailable");
    BOOST_TEST(explain("0001")->title == "wrong_state");
    BOOST_TEST(explain("1000")->title == "unexpected");
    BOOST_TEST(explain("1001")->title == "verb_failed");
    BOOST_TEST(explain("2000")->title == "primitive_unknown");
    BOOST_TEST(explain("2001")->title == "primitive_inconsistent");
}

BOOST_AUTO_TEST_CASE(every_catalogue_entry_has_a_unique_number_and_a_sentence) {
    std::set<int> seen;
    for (const auto& e : error_catalogue()) {
        BOOST_TEST(seen.insert(static_cast<int>(e.number)).second);
        BOOST_TEST(e.sentence.size() > 20u);
        BOOST_TEST(e.sentence.back() == '.');
        int category = static_cast<int>(e.number) / 1000;
        BOOST_TEST((category >= 0 && category <= 2));
    }
}

BOOST_AUTO_TEST_CASE(codes_are_driver_verb_and_four_digits) {
    BOOST_TEST(error_code("vm_kvm", "build", ErrorNumber::dependency_failed) == "vm_kvm_build_0007");
    BOOST_TEST(error_code("backup_hyperv", "scrub", ErrorNumber::primitive_failed) == "backup_hyperv_scrub_2002");
    BOOST_TEST(explain("vm_kvm_build_0007")->number == ErrorNumber::dependency_failed);
    BOOST_TEST(!explain("vm_kvm_build_9999").has_value());
    BOOST_TEST(!explain("vm_kvm_build0007").has_value());
    BOOST_TEST(!explain("abc").has_value());
}

BOOST_AUTO_TEST_CASE(exit_codes_follow_the_cli_contract) {
    BOOST_TEST(exit_code(Status::succeeded) == 0);
    BOOST_TEST(exit_code(Status::failed) == 1);
    BOOST_TEST(exit_code(Status::rejected) == 2);
    BOOST_TEST(exit_code(Status::skipped) == 3);
    BOOST_TEST(exit_code(Status::postponed) == 4);
    BOOST_TEST((parse_status("postponed") == Status::postponed));
}

BOOST_AUTO_TEST_SUITE_END()
