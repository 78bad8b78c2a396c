#!/usr/bin/python3
"""The Python caller's tests (run by ctest): the example against the IaaS simulator with the
library's built-in https transport and with a Python (urllib) transport, on the embedded demo
region and a Python region, and Python transports that fail or answer garbage.
Needs CCX_LIBRARY (libcloudcix_drivers_c.so), CCX_REGION (data/demo-region.json) and CCX_SIM
(the cloudcix-iaas-sim program)."""

import email
import email.policy
import http.server
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cloudcix_drivers as ccx  # noqa: E402
from run_verb import JsonRegion  # noqa: E402

LIB = os.environ["CCX_LIBRARY"]
REGION = os.environ["CCX_REGION"]
SIM = os.environ["CCX_SIM"]


class Simulator:
    """cloudcix-iaas-sim over HTTPS on a free loopback port, with a throw-away CA made by openssl.
    Started by start(); stop() (also on a failed start) stops it and removes its folder."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ccx-py-sim-")
        self.ca = os.path.join(self.dir, "ca.pem")
        self.process = None

    def _openssl(self, *args):
        subprocess.run(["openssl", *args], cwd=self.dir, check=True, capture_output=True, timeout=60)

    def start(self):
        with open(os.path.join(self.dir, "server.ext"), "w", encoding="ascii") as f:
            f.write("subjectAltName=IP:127.0.0.1\n")
        self._openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
                      "-days", "1", "-subj", "/CN=ccx python test CA")
        self._openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
                      "-subj", "/CN=127.0.0.1")
        self._openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                      "-out", "server.pem", "-days", "1", "-extfile", "server.ext")
        port_file = os.path.join(self.dir, "port")
        self.log = open(os.path.join(self.dir, "sim.log"), "w+", encoding="utf-8")
        self.process = subprocess.Popen([SIM, "--port", "0", "--port-file", port_file, "--cert",
                                         os.path.join(self.dir, "server.pem"), "--key",
                                         os.path.join(self.dir, "server.key")],
                                        stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not os.path.exists(port_file):
            time.sleep(0.02)
        with open(port_file, encoding="ascii") as f:
            base = f"https://127.0.0.1:{int(f.read())}"
        self.iaas_url, self.membership_url = base + "/iaas/", base + "/membership/"
        return self

    def requests_logged(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def credentials_env():
    with open(REGION, encoding="utf-8") as f:
        c = json.load(f)["credentials"]
    return {**os.environ, "CLOUDCIX_API_USERNAME": c["email"], "CLOUDCIX_API_PASSWORD": c["password"],
            "CLOUDCIX_API_KEY": c["api_key"]}


def example(*args, env=None):
    p = subprocess.run([sys.executable, os.path.join(HERE, "run_verb.py"), "--lib", LIB, *args],
                       capture_output=True, text=True, timeout=120, env=env)
    return p.returncode, p.stdout, p.stderr


class RunVerbExample(unittest.TestCase):
    def test_a_vm_build_on_the_embedded_demo_region_succeeds(self):
        rc, out, err = example("vm_kvm", "build", "1501")
        self.assertEqual(rc, 0, err)
        outcome = json.loads(out)
        self.assertEqual((outcome["status"], outcome["state_before"], outcome["state_after"]), ("succeeded", 1, 4))
        self.assertIn("state is now 4", err)

    def test_a_vm_build_through_the_python_transport_succeeds_and_moves_the_python_region(self):
        rc, out, err = example("--python-region", REGION, "vm_kvm", "build", "1501")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["status"], "succeeded")
        self.assertIn("vm_kvm #1501 state is now 4", err)

    def test_an_https_url_without_a_membership_url_is_refused_as_invalid(self):
        rc, _, err = example("--iaas-url", "https://iaas.example.com/", "vm_kvm", "build", "1501")
        self.assertEqual(rc, 2)
        self.assertIn("CCX_EINVALID", err)
        self.assertIn("Membership URL", err)

    def test_an_unknown_verb_is_refused_with_a_suggestion(self):
        rc, _, err = example("vm_kvm", "bild", "1501")
        self.assertEqual(rc, 2)
        self.assertIn("did you mean: vm_kvm.build", err)


class AgainstTheSimulator(unittest.TestCase):
    """The example against cloudcix-iaas-sim: the library's https transport, then urllib."""

    def setUp(self):
        self.sim = Simulator()
        self.addCleanup(self.sim.stop)  # runs even when start() or the test fails
        self.sim.start()
        self.net = ["--iaas-url", self.sim.iaas_url, "--membership-url", self.sim.membership_url,
                    "--ca-file", self.sim.ca]

    def test_a_vm_build_through_the_builtin_https_transport_succeeds_and_then_skips(self):
        rc, out, err = example(*self.net, "vm_kvm", "build", "1501", env=credentials_env())
        self.assertEqual(rc, 0, err)
        outcome = json.loads(out)
        self.assertEqual((outcome["status"], outcome["state_before"], outcome["state_after"]), ("succeeded", 1, 4))
        self.assertIn("PATCH /iaas/vm/1501/ -> 200", self.sim.requests_logged())
        rc, out, err = example(*self.net, "vm_kvm", "build", "1501", env=credentials_env())
        self.assertEqual((rc, json.loads(out)["status"]), (3, "skipped"), err)

    def test_a_vm_build_through_the_python_urllib_transport_succeeds(self):
        rc, out, err = example("--python-http", *self.net, "vm_kvm", "build", "1501", env=credentials_env())
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["status"], "succeeded")
        self.assertRegex(err, r"python urllib transport: [4-9]\d* request\(s\) sent")
        self.assertIn("PATCH /iaas/vm/1501/ -> 200", self.sim.requests_logged())

    def test_the_builtin_transport_refuses_the_simulator_without_its_ca(self):
        rc, out, err = example("--iaas-url", self.sim.iaas_url, "--membership-url", self.sim.membership_url,
                               "vm_kvm", "build", "1501", env=credentials_env())
        self.assertEqual(rc, 2, err)
        outcome = json.loads(out)
        self.assertEqual(outcome["errors"][0]["code"], "vm_kvm_build_0008")
        self.assertIn("certificate verification failed", outcome["errors"][0]["message"])

    def test_runs_count_in_the_metrics_and_spans_reach_an_otlp_collector(self):
        received = []

        class Collector(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        collector = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collector)
        thread = threading.Thread(target=collector.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(collector.server_close)
        self.addCleanup(collector.shutdown)
        lib = ccx.load(LIB)
        with open(REGION, encoding="utf-8") as f:
            c = json.load(f)["credentials"]
        with ccx.Context(lib, iaas_url=self.sim.iaas_url, membership_url=self.sim.membership_url,
                         ca_file=self.sim.ca, username=c["email"], password=c["password"], api_key=c["api_key"],
                         hosts="recording", lock="memory",
                         tracer=f"otlp:http://127.0.0.1:{collector.server_address[1]}") as ctx:
            outcome = ctx.run("vm_kvm", "build", 1501)
            self.assertEqual(outcome["status"], "succeeded")
            metrics = ctx.metrics_text()
        self.assertIn('ccx_tasks_total{driver="vm_kvm",verb="build",outcome="succeeded"} 1', metrics)
        # Closing the context flushed the tracer: the run's spans carry the Outcome's trace id.
        self.assertTrue(received, "no export reached the collector")
        self.assertTrue(all(path == "/v1/traces" for path, _ in received))
        trace_ids = {span["traceId"] for _, body in received for rs in body["resourceSpans"]
                     for ss in rs["scopeSpans"] for span in ss["spans"]}
        self.assertIn(outcome["trace_id"], trace_ids)


    def test_a_build_sends_its_email_over_smtp_with_starttls_and_auth(self):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        messages = []

        class Sink:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
                message = email.message_from_bytes(envelope.original_content or envelope.content,
                                                   policy=email.policy.default)
                html = message.get_body(preferencelist=("html",))
                messages.append((envelope.rcpt_tos, session.ssl is not None,
                                 str(message["Subject"]) + "\n" + (html.get_content() if html else "")))
                return "250 OK"

        def authenticator(server, session, envelope, mechanism, auth_data):
            return AuthResult(success=isinstance(auth_data, LoginPassword) and auth_data.login == b"mailer@demo.cloudcix.local"
                              and auth_data.password == b"mail-secret-9")

        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(os.path.join(self.sim.dir, "server.pem"), os.path.join(self.sim.dir, "server.key"))
        with socket.socket() as s:  # a free loopback port for the relay
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        relay = Controller(Sink(), hostname="127.0.0.1", port=port, tls_context=tls, require_starttls=True,
                           auth_required=True, authenticator=authenticator)
        relay.start()
        self.addCleanup(relay.stop)
        templates = os.path.join(HERE, "..", "..", "templates", "emails")
        mail_env = {"CLOUDCIX_EMAIL_USER": "mailer@demo.cloudcix.local", "CLOUDCIX_EMAIL_PASSWORD": "mail-secret-9",
                    "CLOUDCIX_EMAIL_TEMPLATES": templates}
        lib = ccx.load(LIB)
        with open(REGION, encoding="utf-8") as f:
            c = json.load(f)["credentials"]
        with mock.patch.dict(os.environ, mail_env), \
                ccx.Context(lib, iaas_url=self.sim.iaas_url, membership_url=self.sim.membership_url,
                            ca_file=self.sim.ca, username=c["email"], password=c["password"], api_key=c["api_key"],
                            hosts="recording", notifier=f"smtp://127.0.0.1:{port}") as ctx:
            outcome = ctx.run("vm_kvm", "build", 1501)
        self.assertEqual(outcome["status"], "succeeded")
        self.assertEqual(len(messages), 1, messages)
        recipients, over_tls, text = messages[0]
        self.assertEqual((recipients, over_tls), (["owner@demo.cloudcix.local"], True))
        self.assertIn("web01", text)
        self.assertNotIn("mail-secret-9", text)


class PythonTransports(unittest.TestCase):
    def setUp(self):
        self.lib = ccx.load(LIB)
        self.region = JsonRegion(REGION)
        c = self.region.credentials
        self.creds = dict(iaas_url="http://py.invalid/iaas/", membership_url="http://py.invalid/membership/",
                          username=c["email"], password=c["password"], api_key=c["api_key"], hosts="recording")

    def run_with(self, transport):
        with ccx.Context(self.lib, transport=transport, **self.creds) as ctx:
            return ctx.run("vm_kvm", "build", 1501)

    def test_a_transport_that_raises_becomes_a_login_error_with_its_message(self):
        def broken(method, url, headers, body):
            raise ConnectionError("no route to the python region")

        o = self.run_with(broken)
        self.assertEqual(o["status"], "rejected")
        self.assertEqual(o["errors"][0]["code"], "vm_kvm_build_0008")
        self.assertIn("no route to the python region", o["errors"][0]["message"])

    def test_a_transport_that_answers_html_gives_0003(self):
        def html(method, url, headers, body):
            if url.endswith("auth/login/"):
                return self.region(method, url, headers, body)
            return 200, {}, "<html>maintenance</html>"

        o = self.run_with(html)
        self.assertEqual((o["status"], o["errors"][0]["code"]), ("rejected", "vm_kvm_build_0003"))

    def test_a_transport_that_answers_an_impossible_status_gives_a_clear_error(self):
        o = self.run_with(lambda method, url, headers, body: (1234, {}, "{}"))
        self.assertEqual(o["errors"][0]["code"], "vm_kvm_build_0008")
        self.assertIn("returned -1 after an invalid HTTP status 1234", o["errors"][0]["message"])

    def test_a_region_that_refuses_the_in_progress_state_fails_with_0005(self):
        def refusing(method, url, headers, body):
            if method == "PATCH":
                return 400, {}, json.dumps({"errors": {"state": {"error_code": "iaas_vm_update_107", "detail": "no"}}})
            return self.region(method, url, headers, body)

        o = self.run_with(refusing)
        self.assertEqual(o["status"], "failed")
        self.assertEqual(o["errors"][0]["code"], "vm_kvm_build_0005")
        self.assertIn("iaas_vm_update_107", o["errors"][0]["message"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
