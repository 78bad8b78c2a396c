// One configuration for the Jerry lock, used alike by the CLI, the worker and the C API.
#include <charconv>
#include <stdexcept>

#include "cloudcix_drivers/lock/peterson.hpp"

namespace cloudcix::drivers {

namespace {

int number(std::string_view text, std::string_view what, std::string_view spec, int min, int max) {
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < min || value > max)
        throw std::invalid_argument("lock store '" + std::string(spec) + "': " + std::string(what) + " must be a number from " +
                                    std::to_string(min) + " to " + std::to_string(max));
    return value;
}

}  // namespace

std::shared_ptr<RegisterStore> make_store(std::string_view spec) {
    if (spec == "memory") return make_memory_store();
    if (spec.starts_with("shm:")) {
        auto path = spec.substr(4);
        if (path.empty()) throw std::invalid_argument("lock store 'shm:PATH' needs a path");
        return make_shm_store(std::string(path));
    }
    if (spec.starts_with("redis://")) {
        auto rest = spec.substr(8);
        int db = 0;
        if (auto slash = rest.find('/'); slash != std::string_view::npos) {
            if (slash + 1 < rest.size()) db = number(rest.substr(slash + 1), "the database", spec, 0, 65535);
            rest = rest.substr(0, slash);
        }
        int port = 6379;
        std::string_view host = rest;
        if (!rest.empty() && rest.front() == '[') {  // [::1]:6379
            auto close = rest.find(']');
            if (close == std::string_view::npos) throw std::invalid_argument("lock store '" + std::string(spec) + "': unclosed [");
            host = rest.substr(1, close - 1);
            if (close + 1 < rest.size()) {
                if (rest[close + 1] != ':') throw std::invalid_argument("lock store '" + std::string(spec) + "': bad port");
                port = number(rest.substr(close + 2), "the port", spec, 1, 65535);
            }
        } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
            host = rest.substr(0, colon);
            port = number(rest.substr(colon + 1), "the port", spec, 1, 65535);
        }
        if (host.empty()) throw std::invalid_argument("lock store '" + std::string(spec) + "' names no host");
        return make_redis_store(std::string(host), port, db);
    }
    throw std::invalid_argument("unknown lock store '" + std::string(spec) + "' (memory, shm:PATH, redis://HOST:PORT/N)");
}

std::unique_ptr<PetersonLock> make_lock(const LockConfig& config) {
    LockOptions options;
    options.participants = config.participants;
    options.lease = config.lease;
    options.max_sets = config.max_sets;
    if (config.participants < 2 || config.participants > 256)
        throw std::invalid_argument("lock participants must be between 2 and 256, got " + std::to_string(config.participants));
    if (config.lease < std::chrono::milliseconds(20))
        throw std::invalid_argument("the lock lease must be at least 20 ms");
    return std::make_unique<PetersonLock>(make_store(config.store), options);
}

}  // namespace cloudcix::drivers
