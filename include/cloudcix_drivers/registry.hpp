// The 11 drivers and their 51 verbs (seed table) and the state transitions of spec §1.5.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cloudcix_drivers/state.hpp"
#include "cloudcix_drivers/verb.hpp"

namespace cloudcix::drivers {

// One row of spec §1.5: the verb's trigger, in-progress and success states.
struct Transition {
    std::string_view driver;
    std::string_view verb;
    std::string_view service;  // API service of the object whose state moves
    State trigger;
    State in_progress;
    State success;
};

// All 51 rows, ordered by driver then verb.
std::span<const Transition> transitions() noexcept;

class Registry {
public:
    // Adds or replaces the verb (driver, verb).
    void add(VerbSpec spec);

    const VerbSpec* find(std::string_view driver, std::string_view verb) const;
    // "vm_kvm.build" or the Celery task name "vm_kvm_build".
    const VerbSpec* find(std::string_view name) const;

    std::vector<std::string> drivers() const;               // sorted
    std::vector<std::string> verbs(std::string_view driver) const;  // sorted
    std::vector<std::string> names() const;                 // "driver.verb", sorted

    // Valid names close to `name` (edit distance / shared prefix), best first.
    std::vector<std::string> suggest(std::string_view name, std::size_t max = 5) const;
    // "unknown verb 'vm_kvm.bild'; did you mean: vm_kvm.build?"
    std::string unknown_message(std::string_view name) const;

private:
    std::vector<VerbSpec> specs_;  // sorted by driver, verb
};

// The catalogue: the 51 transitions with each verb's declaration. Built once, explicitly.
void register_builtin_drivers(Registry& registry);
const Registry& builtin_registry();

// Which driver handles a resource (spec §1.4).
std::optional<std::string_view> driver_for_vm(long long server_type_id) noexcept;
std::optional<std::string_view> driver_for_virtual_router(bool router_has_capacity) noexcept;
std::optional<std::string_view> driver_for_snapshot(long long vm_server_type_id) noexcept;
std::optional<std::string_view> driver_for_backup(long long vm_server_type_id) noexcept;

}  // namespace cloudcix::drivers
