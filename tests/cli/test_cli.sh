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

# Observability options (docs/operations.md).
"$CLI" run vm_kvm build 1501 --json --log-format json --log-file "$tmp/log.jsonl" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "json logs: run exits 0" test $rc -eq 0
check "json logs: every line of --log-file is JSON with the run's ids and no secret" /usr/bin/python3 -c '
import json, sys
outcome = json.load(open(sys.argv[1]))
lines = [json.loads(l) for l in open(sys.argv[2])]
assert len(lines) >= 5, lines
for l in lines:
    for k in ("time", "level", "logger", "message", "trace_id", "span_id"):
        assert k in l, (k, l)
    assert l["trace_id"] == outcome["trace_id"], l
    assert len(l["span_id"]) == 16, l
    assert l["driver"] == "vm_kvm" and l["verb"] == "build" and l["resource_id"] == 1501, l
    assert l["logger"] == "vm_kvm.build.task" and l["service"] == "cloudcix-drivers", l
text = open(sys.argv[2]).read()
for secret in ("demo-robot-password", "demo-api-key"):
    assert secret not in text, secret
' "$tmp/out" "$tmp/log.jsonl"
check "json logs: nothing of the log went to stderr" bash -c "! grep -q '\"trace_id\"' '$tmp/err'"
"$CLI" run vm_kvm build 1601 --log-format json >/dev/null 2>"$tmp/err"
check "json logs on stderr: a failed run logs its error as JSON with the ids" /usr/bin/python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{\"time\"")]  # not the outbox e-mails
errors = [l for l in lines if l["level"] == "ERROR"]
assert errors and all(l["resource_id"] == 1601 and len(l["trace_id"]) == 32 for l in errors), lines
' "$tmp/err"
TRACEPARENT=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 "$CLI" run vm_kvm build 1501 --json >"$tmp/out" 2>/dev/null
check "TRACEPARENT continues the caller's trace" grep -q '"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"' "$tmp/out"
TRACEPARENT=00-not-a-trace-01 "$CLI" run vm_kvm build 1501 --json >"$tmp/out" 2>/dev/null; rc=$?
check "an ill-formed TRACEPARENT starts a new trace, never an error" /usr/bin/python3 -c '
import json, sys; o = json.load(open(sys.argv[1])); assert o["status"] == "succeeded" and len(o["trace_id"]) == 32, o' "$tmp/out"
usage_fails() {  # usage_fails MESSAGE-PATTERN ARGS...: exit 2 and a message naming the problem
    local pattern="$1"; shift
    "$CLI" "$@" >/dev/null 2>"$tmp/uerr"; local rc=$?
    [ $rc -eq 2 ] && grep -q -- "$pattern" "$tmp/uerr" || { echo "exit $rc: $(cat "$tmp/uerr")" >&2; return 1; }
}
check "an unknown --log-format exits 2" usage_fails "unknown --log-format 'xml'" run vm_kvm build 1501 --log-format xml
check "--logstash without a port exits 2" usage_fails "--logstash needs HOST:PORT" run vm_kvm build 1501 --logstash nohost
check "--logstash with port 0 exits 2" usage_fails "--logstash needs HOST:PORT" run vm_kvm build 1501 --logstash 127.0.0.1:0
check "--logstash with a bare IPv6 address exits 2" usage_fails "--logstash needs HOST:PORT" run vm_kvm build 1501 --logstash ::1:5000
check "a malformed --otlp-endpoint exits 2" usage_fails "--otlp-endpoint needs an http:// or https:// URL" run vm_kvm build 1501 --otlp-endpoint 127.0.0.1:4318
check "an ftp --otlp-endpoint exits 2" usage_fails "--otlp-endpoint needs" run vm_kvm build 1501 --otlp-endpoint ftp://127.0.0.1/
check "--metrics-port out of range exits 2" usage_fails "--metrics-port needs a port number from 0 to 65535" robot --once --metrics-port 70000
check "a non-numeric --metrics-port exits 2" usage_fails "--metrics-port needs a port number" robot --once --metrics-port http
check "--metrics-port outside robot exits 2" usage_fails "are for the robot command" run vm_kvm build 1501 --metrics-port 9464
check "a negative --linger exits 2" usage_fails "--linger must be a whole number from 0 to 86400" robot --once --linger -3
check "an unwritable --log-file exits 2" usage_fails "cannot open --log-file" run vm_kvm build 1501 --log-file "$tmp/no/such/dir/log"
check "an https --otlp-endpoint with an unreadable --ca-file exits 2" usage_fails "otlp-endpoint" run vm_kvm build 1501 --otlp-endpoint https://127.0.0.1:4318 --ca-file "$tmp/none.pem"

check "robot exports its spans, serves /metrics through --linger and streams JSON logs to Logstash" /usr/bin/python3 - "$CLI" <<'PY'
import http.server, json, re, socket, subprocess, sys, threading, time, urllib.request
cli = sys.argv[1]
# Logstash: a TCP listener collecting JSON lines.
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(4); srv.settimeout(30)
received = []
def logstash():
    conn, _ = srv.accept(); conn.settimeout(30)
    data = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk: break
        data += chunk
    received.append(data.decode())
threading.Thread(target=logstash, daemon=True).start()
# An OTLP/HTTP receiver.
bodies = []
class Collector(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        bodies.append((self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
        self.send_response(200); self.send_header("Content-Type", "application/json"); self.send_header("Content-Length", "2")
        self.end_headers(); self.wfile.write(b"{}")
    def log_message(self, *a): pass
otlp = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collector)
threading.Thread(target=otlp.serve_forever, daemon=True).start()
p = subprocess.Popen([cli, "robot", "--once", "--metrics-port", "0", "--linger", "30",
                      "--logstash", "127.0.0.1:%d" % srv.getsockname()[1],
                      "--otlp-endpoint", "http://127.0.0.1:%d" % otlp.server_address[1]],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
url = None
try:
    for line in p.stderr:
        m = re.search(r"metrics on (http://\S+/metrics)", line)
        if m: url = m.group(1)
        if "serving metrics for" in line: break
    assert url, "no metrics URL announced"
    body = urllib.request.urlopen(url, timeout=5).read().decode()  # after the robot finished
    assert re.search(r'^ccx_tasks_total\{driver="vm_kvm",verb="build",outcome="succeeded"\} [1-9]', body, re.M), body
    assert "# TYPE ccx_task_duration_seconds histogram" in body, body
    # The spans were flushed before the linger.
    spans = [s for path, b in bodies for rs in b["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    assert all(path == "/v1/traces" for path, _ in bodies), bodies
    roots = [s for s in spans if s["name"] == "vm_kvm.build" and "parentSpanId" not in s]
    assert roots, [s["name"] for s in spans]
    service = {a["key"]: a["value"]["stringValue"] for a in bodies[0][1]["resourceSpans"][0]["resource"]["attributes"]}
    assert service["service.name"] == "cloudcix-drivers", service
finally:
    p.kill(); p.wait(timeout=30)
deadline = time.time() + 20
while not received and time.time() < deadline: time.sleep(0.1)
lines = [json.loads(l) for l in "".join(received).splitlines() if l]
assert any(l.get("logger") == "vm_kvm.build.task" and l.get("application") == "robot" for l in lines), lines[:3]
assert "demo-robot-password" not in "".join(received)
PY

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
