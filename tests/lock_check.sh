#!/usr/bin/env bash
# `cloudcix-drivers lock-check` on the shm and the Redis store (redis-server started here on a
# free loopback port and stopped on exit): acquisitions > 0 and violations 0 on both.
set -euo pipefail
cli=$1
work=$(mktemp -d)
redis_pid=""
cleanup() {
    [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

check() {  # store
    local out
    out=$("$cli" lock-check --store "$1" --participants 3 --seconds 2)
    echo "$out"
    # Here-strings, not pipes: with pipefail, `grep -q` quitting early would fail the echo (SIGPIPE).
    grep -q "^violations: 0$" <<<"$out" || { echo "FAIL: violations on $1"; exit 1; }
    grep -Eq "^acquisitions: [1-9][0-9]*" <<<"$out" || { echo "FAIL: no acquisitions on $1"; exit 1; }
}

check "shm:$work/jerry"
check memory

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --loglevel warning &
redis_pid=$!
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
check "redis://127.0.0.1:$port/0"

# A bad store string is a usage error (exit 2), not a crash.
set +e
"$cli" lock-check --store "bogus://x" --participants 2 --seconds 1 >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: a bad store string is not a usage error"; exit 1; }
echo "ok"
