// Hyper-V checkpoints (spec §4.7, [P] snapshot_hyperv): PowerShell over SSH as `robot`.
// Cmdlets run synchronously with -ErrorAction Stop, so the exit status tells success (the
// [P] form `-AsJob | Wait-Job` hides a failed job behind a successful Wait-Job).
#include "primitives/remote.hpp"

namespace cloudcix::drivers::prim {
namespace {

constexpr Shell PS = Shell::powershell;

// `-Confirm:$false`: fixed program text the quoting module's lit() refuses because of `$`.
Arg no_confirm() {
    Arg a{std::string("-Confirm:$false")};
    a.literal = true;
    return a;
}

std::string get_snapshot(const std::string& vm, const std::string& snap, std::string_view on_error) {
    return command(PS, {lit("Get-VMSnapshot"), lit("-VMName"), vm, lit("-Name"), snap, lit("-ErrorAction"), lit(on_error)});
}

bool found(const RccResult& r) { return r.exit_code == 0 && !trim(r.out).empty(); }

// snapshot_hyperv.build(host, vm, snapshot)
PrimitiveResult build(Env& e) {
    std::string vm(valid_name(e.str("vm"))), snap(valid_name(e.str("snapshot")));
    Remote h(e, e.str("host"), "robot", PS, 3030);
    h.run(1, command(PS, {lit("Get-VM"), lit("-Name"), vm, lit("-ErrorAction"), lit("Stop")}));  // 3032
    if (found(h.probe(2, get_snapshot(vm, snap, "SilentlyContinue"), "", 1)))
        return success(1001, "checkpoint " + snap + " of " + vm + " already exists on " + h.host());
    h.run(3, command(PS, {lit("Set-VM"), lit("-Name"), vm, lit("-CheckpointType"), lit("Standard"), lit("-ErrorAction"), lit("Stop")}));
    h.run(4, command(PS, {lit("Checkpoint-VM"), lit("-Name"), vm, lit("-SnapshotName"), snap, lit("-ErrorAction"), lit("Stop")}));
    h.run(5, get_snapshot(vm, snap, "Stop"));
    return success(1000, "checkpoint " + snap + " of " + vm + " created on " + h.host());
}

// snapshot_hyperv.scrub(host, vm, snapshot, remove_subtree)
PrimitiveResult scrub(Env& e) {
    std::string vm(valid_name(e.str("vm"))), snap(valid_name(e.str("snapshot")));
    bool subtree = e.flag("remove_subtree", false);
    Remote h(e, e.str("host"), "robot", PS, 3120);
    if (!found(h.probe(1, get_snapshot(vm, snap, "SilentlyContinue"), snap, 0)))
        return success(1101, "checkpoint " + snap + " of " + vm + " already absent on " + h.host());
    std::vector<Arg> argv{lit("Remove-VMSnapshot"), lit("-VMName"), vm, lit("-Name"), snap};
    if (subtree) argv.push_back(lit("-IncludeAllChildSnapshots"));
    argv.push_back(no_confirm());
    argv.push_back(lit("-ErrorAction"));
    argv.push_back(lit("Stop"));
    h.run(2, command(PS, argv));
    return success(1100, "checkpoint " + snap + (subtree ? " and its children" : "") + " of " + vm + " removed on " + h.host());
}

// snapshot_hyperv.update(host, vm, snapshot): restore the checkpoint and leave the VM running.
PrimitiveResult update(Env& e) {
    std::string vm(valid_name(e.str("vm"))), snap(valid_name(e.str("snapshot")));
    Remote h(e, e.str("host"), "robot", PS, 3320);
    h.run(1, get_snapshot(vm, snap, "Stop"));  // must exist: 3322
    h.run(2, command(PS, {lit("Restore-VMCheckpoint"), lit("-VMName"), vm, lit("-Name"), snap, no_confirm(),
                          lit("-ErrorAction"), lit("Stop")}));
    // A restored standard checkpoint leaves the VM Saved or Off; the verb's success state is RUNNING.
    auto st = h.probe(3, command(PS, {lit("(Get-VM"), lit("-Name"), vm, lit(").State")}), "Off", 0);
    if (trim(st.out) != "Running") h.run(4, command(PS, {lit("Start-VM"), lit("-Name"), vm, lit("-ErrorAction"), lit("Stop")}));
    return success(1300, vm + " restored to checkpoint " + snap + " on " + h.host());
}

}  // namespace

void add_snapshot_hyperv(Catalogue& c) {
    c["snapshot_hyperv.build"] = build;
    c["snapshot_hyperv.scrub"] = scrub;
    c["snapshot_hyperv.update"] = update;
}

}  // namespace cloudcix::drivers::prim
