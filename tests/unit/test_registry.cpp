#include <set>

#include <boost/test/unit_test.hpp>

#include "cloudcix_drivers/ports/lock.hpp"
#include "cloudcix_drivers/registry.hpp"
#include "support/printing.hpp"

using namespace cloudcix::drivers;

BOOST_AUTO_TEST_SUITE(registry)

BOOST_AUTO_TEST_CASE(the_registry_holds_the_seed_table_of_11_drivers_and_51_verbs) {
    const auto& r = builtin_registry();
    BOOST_TEST(r.names().size() == 51u);
    auto drivers = r.drivers();
    std::vector<std::string> expected{"backup_hyperv", "backup_kvm", "ceph", "gpu", "snapshot_hyperv", "snapshot_kvm",
                                      "virtual_router", "virtual_router_phantom", "vm_hyperv", "vm_kvm", "vm_phantom"};
    BOOST_TEST(drivers == expected, boost::test_tools::per_element());
    BOOST_TEST(r.verbs("ceph") == (std::vector<std::string>{"build", "scrub", "updatequiesced", "updaterunning"}),
               boost::test_tools::per_element());
    BOOST_TEST(r.verbs("gpu") == (std::vector<std::string>{"updatequiesced", "updaterunning"}), boost::test_tools::per_element());
    BOOST_TEST(r.verbs("vm_kvm").size() == 7u);
    BOOST_TEST(r.verbs("snapshot_hyperv").size() == 3u);
    BOOST_TEST(r.verbs("backup_kvm").size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_verb_is_found_by_pair_by_dotted_name_and_by_celery_task_name) {
    const auto& r = builtin_registry();
    const VerbSpec* a = r.find("vm_kvm", "build");
    BOOST_REQUIRE(a != nullptr);
    BOOST_TEST(r.find("vm_kvm.build") == a);
    BOOST_TEST(r.find("vm_kvm_build") == a);
    BOOST_TEST(r.find("virtual_router_phantom_scrubprep") == r.find("virtual_router_phantom", "scrubprep"));
    BOOST_TEST(r.find("vm_kvm", "bild") == nullptr);
    BOOST_TEST(r.find("nothing") == nullptr);
}

BOOST_AUTO_TEST_CASE(an_unknown_name_gets_an_error_that_lists_close_valid_names) {
    const auto& r = builtin_registry();
    std::string msg = r.unknown_message("vm_kvm.bild");
    BOOST_TEST(msg.find("vm_kvm.build") != std::string::npos, msg);
    auto close = r.suggest("snapshot_kvm_scrb");
    BOOST_REQUIRE(!close.empty());
    BOOST_TEST(close.front() == "snapshot_kvm.scrub");
    BOOST_TEST(r.suggest("zzzzzzzzzzzzzzzzzzzz").empty());
}

BOOST_AUTO_TEST_CASE(the_driver_of_a_resource_follows_server_type_and_router_capacity) {
    BOOST_TEST(*driver_for_vm(1) == "vm_hyperv");
    BOOST_TEST(*driver_for_vm(2) == "vm_kvm");
    BOOST_TEST(*driver_for_vm(3) == "vm_phantom");
    BOOST_TEST(*driver_for_vm(4) == "vm_kvm");
    BOOST_TEST(*driver_for_vm(5) == "vm_kvm");
    BOOST_TEST(!driver_for_vm(6).has_value());
    BOOST_TEST(*driver_for_virtual_router(true) == "virtual_router");
    BOOST_TEST(*driver_for_virtual_router(false) == "virtual_router_phantom");
    BOOST_TEST(*driver_for_snapshot(1) == "snapshot_hyperv");
    BOOST_TEST(*driver_for_snapshot(5) == "snapshot_kvm");
    BOOST_TEST(!driver_for_snapshot(3).has_value());
    BOOST_TEST(*driver_for_backup(2) == "backup_kvm");
}

BOOST_AUTO_TEST_CASE(lock_keys_are_taken_in_one_global_order) {
    auto keys = lock_order({"podnet", "host:12", "backup_repo:1", "vm:7", "project:3", "ceph:main", "vm:10", "host:12"});
    std::vector<std::string> expected{"project:3", "vm:10", "vm:7", "host:12", "podnet", "ceph:main", "backup_repo:1"};
    BOOST_TEST(keys == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
