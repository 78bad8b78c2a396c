#!/usr/bin/python3
"""The Python caller's tests (run by ctest): the example with the built-in transport and with
its Python transport, and Python transports that fail or answer garbage.
Needs CCX_LIBRARY (libcloudcix_drivers_c.so) and CCX_REGION (data/demo-region.json)."""

import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cloudcix_drivers as ccx  # noqa: E402
from run_verb import JsonRegion  # noqa: E402

LIB = os.environ["CCX_LIBRARY"]
REGION = os.environ["CCX_REGION"]


def example(*args):
    p = subprocess.run([sys.executable, os.path.join(HERE, "run_verb.py"), "--lib", LIB, *args],
                       capture_output=True, text=True, timeout=120)
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

    def test_an_https_url_names_the_missing_built_in(self):
        rc, _, err = example("--iaas-url", "https://iaas.example.com/", "--membership-url",
                             "https://membership.example.com/", "vm_kvm", "build", "1501")
        self.assertEqual(rc, 2)
        self.assertIn("CCX_EUNSUPPORTED", err)

    def test_an_unknown_verb_is_refused_with_a_suggestion(self):
        rc, _, err = example("vm_kvm", "bild", "1501")
        self.assertEqual(rc, 2)
        self.assertIn("did you mean: vm_kvm.build", err)


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
