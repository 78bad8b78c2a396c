#!/usr/bin/env bash
# The cloudcix-drivers command line against the embedded demo region: outputs and exit codes.
set -u
CLI="$1"
pass=0; fail=0
check() {  # check NAME CONDITION...
    local name="$1"; shift
    if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $name" >&2; fi
}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

check "list prints 51 driver.verb lines" test "$("$CLI" list | wc -l)" -eq 51
check "list has vm_kvm.build" grep -qx "vm_kvm.build" <("$CLI" list)
check "explain prints a sentence" grep -q "trigger state" <("$CLI" explain vm_kvm_build_0001)
"$CLI" explain nonsense_9999 >/dev/null 2>&1; check "explain of an unknown code exits 2" test $? -eq 2

"$CLI" run vm_kvm build 1501 --json >"$tmp/out" 2>"$tmp/err"; rc=$?
check "run build exits 0" test $rc -eq 0
check "run build says it uses the embedded demo region" grep -q "embedded demo region" "$tmp/err"
check "run build is succeeded with state_after 4" /usr/bin/python3 -c '
import json,sys; o=json.load(open(sys.argv[1])); assert o["status"]=="succeeded" and o["state_after"]==4 and o["state_before"]==1, o' "$tmp/out"
check "dry-run hosts print the commands on stderr" grep -q "virt-install --name 812_1501" "$tmp/err"
check "no secret in the output" bash -c "! grep -q demo-robot-password '$tmp/out' '$tmp/err'"

"$CLI" run vm_kvm build 1503 --json >"$tmp/out" 2>/dev/null; rc=$?
check "a skipped run exits 3" test $rc -eq 3
check "skipped carries 0001" grep -q "vm_kvm_build_0001" "$tmp/out"
"$CLI" run vm_kvm build 1601 >/dev/null 2>&1; check "a failed run exits 1" test $? -eq 1
"$CLI" run vm_kvm bild 1501 >"$tmp/out" 2>/dev/null; rc=$?
check "an unknown verb exits 2" test $rc -eq 2
check "an unknown verb suggests the close name" grep -q "vm_kvm.build" "$tmp/out"
"$CLI" run vm_kvm build abc >/dev/null 2>&1; check "a non-numeric id is a usage error" test $? -eq 2
"$CLI" run vm_kvm build 1501 --bogus >/dev/null 2>&1; check "an unknown option is a usage error" test $? -eq 2
CLOUDCIX_IAAS_URL=https://iaas.example.invalid/ "$CLI" run vm_kvm build 1501 >/dev/null 2>"$tmp/err"; rc=$?
check "a real IaaS URL without --hosts is refused, never a silent dry run" test $rc -eq 2
check "the refusal says why" grep -q -- "--hosts" "$tmp/err"

"$CLI" plan vm_kvm build 1501 >"$tmp/plan" 2>/dev/null; rc=$?
check "plan exits 0" test $rc -eq 0
check "plan lists the primitives in order" test "$(grep -c '^# [0-9]' "$tmp/plan")" -eq 4
check "plan shows the host and user of each command" grep -q '^\[robot@2a02:db8:9::10:0:12\] sudo qemu-img create -f qcow2' "$tmp/plan"

"$CLI" robot --once --quiet >"$tmp/out" 2>"$tmp/err"; rc=$?
check "robot --once exits 0" test $rc -eq 0
check "robot built the requested VM" grep -q "vm_kvm.build #1501: succeeded" "$tmp/out"
check "robot scrubbed the expired VM" grep -q "vm_kvm.scrub #1502: succeeded" "$tmp/out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
