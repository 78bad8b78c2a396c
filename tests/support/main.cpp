#define BOOST_TEST_MODULE cloudcix_drivers
#include <boost/test/unit_test.hpp>
