// Hyper-V backups (spec §4.9, [P] backup_hyperv): Export-VM into <repository>\<backup>.
#include <algorithm>

#include "primitives/remote.hpp"

namespace cloudcix::drivers::prim {
namespace {

constexpr Shell PS = Shell::powershell;

Arg no_confirm() {  // fixed program text that lit() refuses because of `$`
    Arg a{std::string("-Confirm:$false")};
    a.literal = true;
    return a;
}

// A drive-rooted Windows folder ("P:\", "D:\HyperV\Backup"): no "..", no control characters.
std::string windows_dir(std::string_view s) {
    bool ok = s.size() >= 3 && std::isalpha(static_cast<unsigned char>(s[0])) && s[1] == ':' && s[2] == '\\' &&
              s.find("..") == std::string_view::npos &&
              std::none_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
    if (!ok) throw BadArgument("invalid Windows folder: a value of " + std::to_string(s.size()) + " bytes (must start with a drive, e.g. P:\\)");
    std::string out(s);
    if (out.back() != '\\') out.push_back('\\');
    return out;
}

std::string destination(Env& e) { return windows_dir(e.str("repository")) + std::string(valid_name(e.str("backup"))); }

std::string test_path(const std::string& path) { return command(PS, {lit("Test-Path"), lit("-Path"), path}); }

// backup_hyperv.build(host, vm, repository, backup)
PrimitiveResult build(Env& e) {
    std::string vm(valid_name(e.str("vm")));
    std::string dest = destination(e);
    Remote h(e, e.str("host"), "robot", PS, 3020);
    auto st = h.probe(1, test_path(dest), "False", 0);
    if (st.exit_code != 0) h.fail(1, test_path(dest), st, false);
    if (trim(st.out) == "True") return success(1001, "backup " + dest + " already exists on " + h.host());
    h.run(2, command(PS, {lit("Export-VM"), lit("-Name"), vm, lit("-Path"), dest, lit("-ErrorAction"), lit("Stop")}));
    return success(1000, "backup of " + vm + " exported to " + dest + " on " + h.host());
}

// backup_hyperv.scrub(host, repository, backup)
PrimitiveResult scrub(Env& e) {
    std::string dest = destination(e);
    Remote h(e, e.str("host"), "robot", PS, 3120);
    auto st = h.probe(1, test_path(dest), "True", 0);
    if (st.exit_code != 0) h.fail(1, test_path(dest), st, false);
    if (trim(st.out) == "False") return success(1101, "backup " + dest + " already absent on " + h.host());
    h.run(2, command(PS, {lit("Remove-Item"), lit("-Path"), dest, lit("-Recurse"), lit("-Force"), no_confirm(),
                          lit("-ErrorAction"), lit("Stop")}));
    return success(1100, "backup " + dest + " removed on " + h.host());
}

}  // namespace

void add_backup_hyperv(Catalogue& c) {
    c["backup_hyperv.build"] = build;
    c["backup_hyperv.scrub"] = scrub;
}

}  // namespace cloudcix::drivers::prim
