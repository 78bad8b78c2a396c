// One in-memory world for verb tests: the demo region, a memory transport, a manual clock,
// recording hosts under the native primitives (or recording primitives), a memory notifier.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "cloudcix_drivers/log.hpp"
#include "cloudcix_drivers/native_primitives.hpp"
#include "cloudcix_drivers/run.hpp"
#include "cloudcix_drivers/testing.hpp"
#include "support/fixture.hpp"

namespace cloudcix::drivers::test {

// Marks where each primitive call starts in the host command log.
class TapPrimitives : public Primitives {
public:
    TapPrimitives(Primitives& inner, RecordingRcc& rcc) : inner_(inner), rcc_(rcc) {}
    PrimitiveResult call(const PrimitiveCall& call) override {
        marks.emplace_back(call.name(), rcc_.entries().size());
        return inner_.call(call);
    }
    std::vector<std::pair<std::string, std::size_t>> marks;

private:
    Primitives& inner_;
    RecordingRcc& rcc_;
};

struct VerbWorld {
    std::shared_ptr<IaasRegion> region = IaasRegion::demo();
    MemoryIaas transport{region};
    ManualClock clock;
    Config config = make_config();
    IaasClient iaas{transport, clock, config.iaas};
    InProcessLock lock;
    RecordingRcc rcc;
    NativePrimitives native{rcc, clock, config};
    TapPrimitives tap{native, rcc};
    RecordingPrimitives recording;
    MemoryNotifier notifier;
    Context ctx;

    // native = true: NativePrimitives over RecordingRcc; false: RecordingPrimitives.
    explicit VerbWorld(bool native_hosts = true) {
        ctx.iaas = &iaas;
        ctx.lock = &lock;
        ctx.primitives = native_hosts ? static_cast<Primitives*>(&tap) : &recording;
        ctx.notifier = &notifier;
        ctx.clock = &clock;
        ctx.config = config;
    }

    static Config make_config() {
        Config c = ccx_test::demo_config();
        c.send_to_fail = {"noc@demo.cloudcix.local"};
        c.compute_ui_url = "https://portal.demo.cloudcix.local/compute/";
        c.podnet.cpe = "185.49.60.2";
        return c;
    }

    Outcome run(const std::string& driver, const std::string& verb, long long id) {
        return drivers::run(ctx, driver, verb, id);
    }

    boost::json::object object(std::string_view service, long long id) const {
        auto o = region->object(service, id);
        if (!o) throw std::runtime_error(std::string(service) + " #" + std::to_string(id) + " is not in the region");
        return *o;
    }
    // Changes stored fields of an object (composed relations are recomputed on read).
    void edit(std::string_view service, long long id, const boost::json::object& changes) {
        auto o = object(service, id);
        for (const auto& [k, v] : changes) o[k] = v;
        region->put(service, std::move(o));
    }

    // The host commands, one a line ("[user@host] command"; continuation lines of a multi-line
    // command start with "    > "), each primitive call headed by "# n. primitive.action".
    std::string transcript() const {
        auto entries = rcc.entries();
        std::string out;
        std::size_t mark = 0;
        for (std::size_t i = 0; i <= entries.size(); ++i) {
            while (mark < tap.marks.size() && tap.marks[mark].second == i) {
                out += "# " + std::to_string(mark + 1) + ". " + tap.marks[mark].first + "\n";
                ++mark;
            }
            if (i == entries.size()) break;
            const auto& c = entries[i].command;
            std::string text = secrets::redact(c.command), line;
            out += "[" + c.user + "@" + c.host + "] ";
            for (std::size_t p = 0; p < text.size(); ++p) {
                if (text[p] == '\n')
                    out += "\n    > ";
                else
                    out += text[p];
            }
            out += "\n";
        }
        if (out.empty()) out = "# no host commands\n";
        return out;
    }
};

}  // namespace cloudcix::drivers::test
