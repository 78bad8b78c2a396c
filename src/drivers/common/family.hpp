// Shared builders for the verb families (ARCHITECTURE.md): names, hosts, networks, lock keys,
// prerequisites and e-mails that several drivers declare alike. Internal to src/drivers/.
#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "cloudcix_drivers/outcome.hpp"
#include "cloudcix_drivers/verb.hpp"

namespace cloudcix::drivers::family {

// ---- names (spec §3.2) ----
std::string vm_identifier(const Fields& vm);  // "{project_id}_{vm_id}"
std::string storage_file(const Fields& vm, long long storage_id);  // "{vm_identifier}_{storage_type}_{id}.img"
std::string namespace_name(const Config& config, long long project_id);  // P{project_id} by default
std::vector<std::string> podnet_nodes(const Config& config);             // enabled node first

// ---- hosts (spec §3.1) ----
struct Host {
    long long server_id = 0;
    long long type_id = 0;
    std::string address;   // first enabled interface with an IPv6 address
    std::string hostname;  // that interface's host name (Hyper-V)
};
// Reads the server; fails (VerbFailure) on a type that is not this driver's or no address.
Host resolve_host(VerbContext& ctx, long long server_id);

// ---- VM data (spec §4.0) ----
struct Storage {
    long long id = 0;
    long long gb = 0;
    bool primary = false;
};
std::vector<Storage> storages(const Fields& vm);
Storage primary_storage(const Fields& vm);  // exactly one, else VerbFailure

struct Nic {
    long long subnet_id = 0;
    long long vlan = 0;
    std::string mac;
    std::string gateway;
    bool is_gateway = false;
    std::vector<std::pair<std::string, int>> addresses;  // address, prefix length
};
// Private addresses grouped by subnet, the gateway NIC first, then by subnet id (deterministic).
std::vector<Nic> network(const Fields& vm);
std::vector<long long> vlans(const Fields& vm);

// ---- lock keys (spec §3.6) ----
std::vector<std::string> vm_lock_keys(const Fields& vm, bool project, bool host, bool podnet);

// ---- prerequisites ----
// Every VM verb: the API refuses VM state changes while a snapshot is unstable (iaas_vm_update_110).
Dependency snapshots_stable(VerbContext& ctx, long long vm_id);
// VM build: the project's virtual router must be RUNNING; UNRESOURCED fails the build.
Dependency router_running(VerbContext& ctx);

// ---- e-mails (spec §5.1) ----
// A copy of an object with every secret-bearing key removed (password, token, pre-shared key ...).
boost::json::object public_copy(const boost::json::object& obj);
std::vector<std::string> recipients(const Fields& resource, const Config& config);
Notification noc_failure(VerbContext& ctx, const Outcome& o, std::string_view kind, std::string_view task);

}  // namespace cloudcix::drivers::family
