// The native primitive catalogue (src/primitives/): each primitive checks, then acts, over the
// Rcc port, and answers (ok, "NNNN: text") like CloudCIX's primitives (spec §3.3).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cloudcix_drivers/config.hpp"
#include "cloudcix_drivers/ports/clock.hpp"
#include "cloudcix_drivers/ports/primitives.hpp"
#include "cloudcix_drivers/ports/rcc.hpp"

namespace cloudcix::drivers {

class NativePrimitives : public Primitives {
public:
    NativePrimitives(Rcc& rcc, Clock& clock, Config config);
    PrimitiveResult call(const PrimitiveCall& call) override;

    // "primitive.action" names of the catalogue, sorted.
    static std::vector<std::string> catalogue();

private:
    Rcc& rcc_;
    Clock& clock_;
    Config config_;
};

}  // namespace cloudcix::drivers
