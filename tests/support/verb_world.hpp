// One in-memory world for verb tests: the demo region, a memory transport, a manual clock,
// recording hosts under the native primitives (or recording primitives), a memory notifier.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include "cloudcix_drivers/log.hpp"
#include "cloudcix_drivers/native_primitives.hpp"
#include "cloudcix_drivers/run.hpp"
#include "cloudcix_drivers/testing.hpp"

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
        Config c;
        auto creds = boost::json::parse(demo_region_json()).at("credentials").as_object();
        c.iaas.iaas_url = std::string(MemoryIaas::iaas_url);
        c.iaas.membership_url = std::string(MemoryIaas::membership_url);
        c.iaas.username = std::string(creds.at("email").as_string());
        c.iaas.password = std::string(creds.at("password").as_string());
        c.iaas.api_key = std::string(creds.at("api_key").as_string());
        c.send_to_fail = {"noc@demo.cloudcix.local"};
        c.compute_ui_url = "https://portal.demo.cloudcix.local/compute/";
        c.podnet.cpe = "185.49.60.2";
        c.lock_timeout = std::chrono::milliseconds(200);
        return c;
    }

    Outcome run(const std::string& driver, const std::string& verb, long long id) {
        return drivers::run(ctx, driver, verb, id);
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
