#!/usr/bin/env bash
# Model-checks tests/spin/jerry.pml with Spin: mutual exclusion (with crashes and timeouts) and
# progress (with crashes, weak fairness) for N = 3; then tests/spin/reclaim.pml (next to MODEL):
# a register set in use is never reclaimed. Usage: check.sh MODEL [WORKDIR]
set -euo pipefail
model=$(realpath "$1")
reclaim_model=$(dirname "$model")/reclaim.pml
work=${2:-$(mktemp -d)}
mkdir -p "$work"
cd "$work"

run() {  # label, spin flags, gcc flags, pan flags; fails unless pan reports 0 errors
    local label=$1 sflags=$2 cflags=$3 pflags=$4
    rm -f pan pan.* ./*.trail
    spin $sflags -a "$model" >spin.out 2>&1 || { cat spin.out; exit 1; }
    gcc -O2 -w -DCOLLAPSE $cflags -o pan pan.c
    ./pan $pflags >pan.out 2>&1 || true
    if ! grep -q "errors: 0" pan.out; then
        echo "FAIL: $label"; cat pan.out
        [ -n "$(ls ./*.trail 2>/dev/null)" ] && spin -t -p "$model" | tail -40
        exit 1
    fi
    echo "ok: $label ($(grep -o '[0-9.e+]* states, stored' pan.out | head -1))"
}

# The check must be able to fail: with the turn written before the flag, Spin finds an overlap.
rm -f pan pan.* ./*.trail
spin -DBROKEN -DTIMEOUTS -a "$model" >spin.out 2>&1
gcc -O2 -w -DSAFETY -o pan pan.c
./pan -m100000 >pan.out 2>&1 || true
if grep -q "errors: 0" pan.out; then echo "FAIL: the broken model (victim before flag) was not caught"; exit 1; fi
echo "ok: a broken variant (victim before flag) is caught"

# And progress must be able to fail: without lease expiry a crashed holder blocks the rest.
rm -f pan pan.* ./*.trail
spin -DLIVENESS -DNO_EXPIRY -a "$model" >spin.out 2>&1
gcc -O2 -w -DCOLLAPSE -o pan pan.c
./pan -a -f -m100000 -N progress0 >pan.out 2>&1 || true
if grep -q "errors: 0" pan.out; then echo "FAIL: a model without lease expiry kept its progress"; exit 1; fi
echo "ok: a variant without lease expiry loses progress"

run "mutual exclusion, N=3, crashes and timeouts" "-DTIMEOUTS" "-DSAFETY" "-m100000"
run "progress of slot 0, N=3, crashes, weak fairness" "-DLIVENESS" "" "-a -f -m100000 -N progress0"
run "progress of slot 2, N=3, crashes, weak fairness" "-DLIVENESS" "" "-a -f -m100000 -N progress2"

# Reclamation: safe with one participant and two reclaimers, and with two and one (two and two
# was checked by hand: 61 million states); each broken variant must be refuted.
reclaim() {  # label, spin flags; prints the pan summary line, returns pan's error count
    rm -f pan pan.* ./*.trail
    spin $2 -a "$reclaim_model" >spin.out 2>&1 || { cat spin.out; exit 1; }
    gcc -O2 -w -DSAFETY -DCOLLAPSE -o pan pan.c
    ./pan -E -m1000000 >pan.out 2>&1 || true
    grep -o "errors: [0-9]*" pan.out | head -1 | grep -o "[0-9]*$"
}
for v in NO_PIN_CHECK PIN_LATE NO_RECHECK NO_TOKEN_RECHECK; do
    if [ "$(reclaim "$v" "-DNP=1 -DNR=2 -D$v")" = "0" ]; then echo "FAIL: the broken reclamation ($v) was not caught"; exit 1; fi
    echo "ok: a broken reclamation variant ($v) is caught"
done
for cfg in "-DNP=1 -DNR=2" "-DNP=2 -DNR=1"; do
    if [ "$(reclaim "$cfg" "$cfg")" != "0" ]; then
        echo "FAIL: reclamation ($cfg)"; cat pan.out
        [ -n "$(ls ./*.trail 2>/dev/null)" ] && spin -t -p $cfg "$reclaim_model" | tail -40
        exit 1
    fi
    echo "ok: a set in use is never reclaimed ($cfg: $(grep -o '[0-9.e+]* states, stored' pan.out | head -1))"
done
