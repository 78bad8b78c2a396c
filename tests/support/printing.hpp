// Lets Boost.Test print the library's enums in failure messages.
#pragma once

#include <ostream>

#include "cloudcix_drivers/outcome.hpp"
#include "cloudcix_drivers/state.hpp"

namespace cloudcix::drivers {
inline std::ostream& boost_test_print_type(std::ostream& os, State s) { return os << to_string(s); }
inline std::ostream& boost_test_print_type(std::ostream& os, Status s) { return os << to_string(s); }
}  // namespace cloudcix::drivers

#include "cloudcix_drivers/errors.hpp"
namespace cloudcix::drivers {
inline std::ostream& boost_test_print_type(std::ostream& os, ErrorNumber n) { return os << static_cast<int>(n); }
}  // namespace cloudcix::drivers
