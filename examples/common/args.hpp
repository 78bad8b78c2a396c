// Command-line reading shared by the example programs (cloudcix-drivers, ccx-worker, ccx-robot,
// ccx-dispatch, cloudcix-iaas-sim): every mistake ends the program with exit code 2 and
// "<program>: <message>" plus a pointer to --help. Header-only, so the simulator (which does not
// link the shared wiring) uses it too.
#pragma once

#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>

namespace cloudcix::examples {

// "<program>: <message>", a pointer to --help, exit code 2.
[[noreturn]] inline void usage_failure(const std::string& program, const std::string& message) {
    std::cerr << program << ": " << message << "\n(run '" << program << " --help' for usage)\n";
    std::exit(2);
}

class Args {
public:
    Args(std::string program, int argc, char** argv) : program_(std::move(program)), argc_(argc), argv_(argv) {}

    [[noreturn]] void fail(const std::string& message) const { usage_failure(program_, message); }
    // The same, for the option readers of wiring.hpp, which take the failure as a callback.
    std::function<void(const std::string&)> on_error() const {
        return [this](const std::string& m) { fail(m); };
    }

    // The word after the option argv[i] (i moves on to it), or a failure naming the option.
    std::string value(int& i) const {
        if (i + 1 >= argc_) fail(std::string(argv_[i]) + " needs a value");
        ++i;
        return argv_[i];
    }
    // value(i) as a whole number in [lo, hi].
    long long integer(int& i, long long lo, long long hi) const {
        std::string option = argv_[i], text = value(i);
        try {
            std::size_t used = 0;
            long long v = std::stoll(text, &used);
            if (used == text.size() && v >= lo && v <= hi) return v;
        } catch (const std::exception&) {
        }
        fail(option + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got '" + text + "'");
    }
    // value(i) as a decimal number in [lo, hi]; `what` names the unit in the message ("seconds").
    double decimal(int& i, double lo, double hi, const std::string& what = "number") const {
        std::string option = argv_[i], text = value(i);
        try {
            std::size_t used = 0;
            double v = std::stod(text, &used);
            if (used == text.size() && v >= lo && v <= hi) return v;
        } catch (const std::exception&) {
        }
        fail(option + " needs a " + what + " from " + trim(lo) + " to " + trim(hi) + ", got '" + text + "'");
    }

private:
    static std::string trim(double v) {
        std::string s = std::to_string(v);
        s.erase(s.find_last_not_of('0') + 1);
        if (!s.empty() && s.back() == '.') s.pop_back();
        return s;
    }

    std::string program_;
    int argc_;
    char** argv_;
};

}  // namespace cloudcix::examples
