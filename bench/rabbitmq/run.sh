#!/bin/bash
# 20,000 vm_kvm_build tasks, published in advance, consumed by:
#   1. the ccx-worker engine (2 verb threads, in-memory IaaS, recording primitives: the verbs run),
#      then the same engine with a runner that does nothing (the worker's own cost)
#   2. Python `celery worker --pool prefork -c 2` running a no-op task of the same name
#   3. Python `celery worker --pool solo` (skip with BENCH_SOLO=0: it takes minutes)
#   4. a raw rabbitmq-c consume+ack loop (the limit)
# on one throwaway RabbitMQ. Prints tasks/s (first to last task), CPU seconds (all processes of the
# consumer, same window for Python, whole run otherwise), peak RSS (sum over the processes) and ratios.
# Usage (root, after a build): bench/rabbitmq/run.sh   [BENCH_N=20000 BUILD=build BENCH_PORT=47210]
set -euo pipefail
N=${BENCH_N:-20000}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
BIN=$BUILD/bench/rabbitmq/bench_rabbitmq
RABBIT=$ROOT/tests/support/throwaway-rabbitmq.sh
PY=/usr/bin/python3
PORT=${BENCH_PORT:-47210}
WORK=$(mktemp -d /tmp/ccx-bench-XXXXXX)
URL="amqp://guest:guest@127.0.0.1:$PORT//"
CELERY_PID=
cleanup() {
    [ -n "$CELERY_PID" ] && kill -KILL -- "-$CELERY_PID" 2>/dev/null || true
    sh "$RABBIT" stop "$WORK/rabbit" || true
    rm -rf "$WORK"
}
trap cleanup EXIT
sh "$RABBIT" start "$WORK/rabbit" "$PORT" >/dev/null
TCK=$(getconf CLK_TCK)
group_cpu() {  # clock ticks of every process in a process group
    local s=0
    for p in $(ps -o pid= -g "$1"); do s=$((s + $(awk '{print $14+$15}' /proc/$p/stat 2>/dev/null || echo 0))); done
    echo $s
}
group_rss() {  # kB: sum of each process's peak RSS
    local s=0
    for p in $(ps -o pid= -g "$1"); do s=$((s + $(awk '/VmHWM/ {print $2}' /proc/$p/status 2>/dev/null || echo 0))); done
    echo $s
}

results=$WORK/results
: > "$results"
cpp() {  # mode
    "$BIN" publish "$URL" "bench_$1" "$N"
    "$BIN" "$1" "$URL" "bench_$1" "$N" | tee -a "$results"
}
celery() {  # pool concurrency
    local q="bench_$1" mark="$WORK/mark.$1"
    "$BIN" publish "$URL" "$q" "$N"
    CCX_BROKER_URL=$URL BENCH_N=$N BENCH_MARK=$mark setsid $PY -m celery -A noop_app worker -Q "$q" --pool "$1" -c "$2" \
        --loglevel WARNING -n "bench-$1@localhost" > "$WORK/celery.$1.log" 2>&1 &
    CELERY_PID=$!
    while [ ! -f "$mark.first" ]; do sleep 0.01; done
    local c0; c0=$(group_cpu $CELERY_PID)
    while [ ! -f "$mark.last" ]; do sleep 0.01; done
    local c1; c1=$(group_cpu $CELERY_PID)
    local rss; rss=$(group_rss $CELERY_PID)
    kill -TERM $CELERY_PID; wait $CELERY_PID || true
    CELERY_PID=
    $PY - "$mark" "$1" "$N" "$c0" "$c1" "$TCK" "$rss" <<'PYEOF' | tee -a "$results"
import sys
mark, pool, n, c0, c1, tck, rss = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
first, last = float(open(mark + ".first").read()), float(open(mark + ".last").read())
print(f"celery-{pool} tasks={n} rate={(n - 1) / (last - first):.0f}/s cpu={(c1 - c0) / tck:.2f}s peak_rss={rss}kB")
PYEOF
}

cd "$HERE"
cpp worker
cpp noop
celery prefork 2
[ "${BENCH_SOLO:-1}" = 1 ] && celery solo 1
cpp raw

$PY - "$results" <<'PYEOF'
import re, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\S+) tasks=\d+ rate=(\d+)/s cpu=([\d.]+)s peak_rss=(\d+)kB", line)
    if m:
        rows[m[1]] = (int(m[2]), float(m[3]), int(m[4]))
print()
for mine in ("ccx-worker", "ccx-worker-noop"):
  w = rows[mine]
  for name, (rate, cpu, rss) in rows.items():
    if name.startswith("ccx-worker"):
        continue
    print(f"{mine} vs {name}: throughput x{w[0] / rate:.2f}, cpu/task x{(w[1] / cpu) if cpu else float('nan'):.2f}, peak RSS x{w[2] / rss:.2f}")
PYEOF
