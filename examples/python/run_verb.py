#!/usr/bin/python3
"""Runs one cloudcix_drivers verb from Python through the C API.

    run_verb.py [--lib PATH] [--iaas-url URL --membership-url URL [--ca-file PEM]] DRIVER VERB ID
        the library's built-in transport: the embedded demo region without a URL, its https
        transport with one (e.g. the IaaS simulator, examples/sim)
    run_verb.py [--lib PATH] --python-http --iaas-url URL --membership-url URL [--ca-file PEM] ...
        a transport written in Python (urllib) sends the library's HTTP requests to those URLs
    run_verb.py [--lib PATH] --python-region REGION.json DRIVER VERB ID
        a transport written in Python: this file answers the library's HTTP requests from a
        region held in a Python dict loaded from REGION.json (e.g. data/demo-region.json)

With a URL, the API credentials come from CLOUDCIX_API_USERNAME, _PASSWORD and _KEY.

Prints the Outcome as JSON; the exit code is the Outcome's status (0 succeeded, 1 failed,
2 rejected, 3 skipped, 4 postponed) or 2 when the library refused the request.
"""

import argparse
import json
import os
import secrets
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cloudcix_drivers as ccx  # noqa: E402


class JsonRegion:
    """A small IaaS region in Python: Membership login, and per service GET one, GET list
    (search[field]=value filters, limit/page), PATCH. Enough for the drivers' reads and writes."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        self.credentials = data.pop("credentials")
        self.services = data
        self.token = secrets.token_hex(16)
        self.requests = 0

    @staticmethod
    def _json(status, value):
        return status, {"Content-Type": "application/json"}, json.dumps(value)

    def __call__(self, method, url, headers, body):
        self.requests += 1
        parts = urllib.parse.urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if segments[-2:] == ["auth", "login"] and method == "POST":
            creds = json.loads(body)
            if creds.get("email") != self.credentials["email"] or creds.get("password") != self.credentials["password"]:
                return self._json(400, {"detail": "Unable to log in with provided credentials."})
            return self._json(201, {"token": self.token})
        if headers.get("X-Auth-Token") != self.token:
            return self._json(401, {"detail": "Authentication credentials were not provided."})
        if "iaas" not in segments:
            return self._json(404, {"detail": "Not found."})
        rest = segments[segments.index("iaas") + 1:]
        if not rest or rest[0] not in self.services:
            return self._json(404, {"detail": "Not found."})
        items = self.services[rest[0]]
        if len(rest) == 1 and method == "GET":
            return self._list(items, urllib.parse.parse_qs(parts.query))
        if len(rest) != 2 or not rest[1].isdigit():
            return self._json(404, {"detail": "Not found."})
        obj = next((o for o in items if o.get("id") == int(rest[1])), None)
        if obj is None:
            return self._json(404, {"detail": "Not found."})
        if method == "GET":
            return self._json(200, {"content": self._compose(rest[0], obj)})
        if method == "PATCH":
            changes = json.loads(body)
            if "state" in changes and not isinstance(changes["state"], int):
                return self._json(400, {"errors": {"state": {"error_code": "python_region_state", "detail": "not an integer"}}})
            obj.update(changes)
            return self._json(200, {"content": self._compose(rest[0], obj)})
        return self._json(405, {"detail": f"Method {method} not allowed."})

    # As the API serialises objects: VMs and virtual routers carry their project, snapshots and
    # backups their VM, servers their type.
    RELATED = {"vm": [("project", "project")], "virtual_router": [("project", "project")],
               "snapshot": [("vm", "vm")], "backup": [("vm", "vm")], "server": [("type", "server_type")]}

    def _compose(self, service, obj):
        out = dict(obj)
        for key, table in self.RELATED.get(service, []):
            related = next((o for o in self.services.get(table, []) if o.get("id") == obj.get(key + "_id")), None)
            if related is not None:
                out[key] = self._compose(table, related)
        return out

    def _list(self, items, query):
        def keep(o):
            for key, values in query.items():
                if key.startswith("search[") and key.endswith("]"):
                    value = o
                    for part in key[7:-1].split("__")[0].split("."):
                        value = value.get(part) if isinstance(value, dict) else None
                    if str(value).lower() != values[0].lower():
                        return False
            return True

        found = [o for o in items if keep(o)]
        limit = int(query.get("limit", ["50"])[0])
        page = int(query.get("page", ["0"])[0])
        return self._json(200, {"content": found[page * limit:(page + 1) * limit],
                                "_metadata": {"page": page, "limit": limit, "total_records": len(found)}})

    def state(self, service, resource_id):
        return next(o for o in self.services[service] if o["id"] == resource_id)["state"]


class UrllibTransport:
    """The library's HTTP requests sent by Python's urllib (HTTPS verified against `ca_file`,
    else the system store). An HTTP error status is an answer; no answer at all raises, which
    the bindings turn into the library's "no response" with the exception's text."""

    HOP_BY_HOP = {"host", "content-length", "connection", "transfer-encoding"}

    def __init__(self, ca_file=None, timeout=30):
        self.ssl = ssl.create_default_context(cafile=ca_file)
        self.timeout = timeout
        self.requests = 0

    def __call__(self, method, url, headers, body):
        self.requests += 1
        sent = {k: v for k, v in headers.items() if k.lower() not in self.HOP_BY_HOP}
        request = urllib.request.Request(url, data=body or None, method=method, headers=sent)
        context = self.ssl if url.startswith("https:") else None
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=context) as r:
                return r.status, self._headers(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, self._headers(e.headers), e.read()

    def _headers(self, headers):
        return {k: v for k, v in headers.items() if k.lower() not in self.HOP_BY_HOP}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lib", help="path of libcloudcix_drivers_c.so (default: $CCX_LIBRARY or the system's)")
    p.add_argument("--iaas-url", default=os.environ.get("CLOUDCIX_IAAS_URL"))
    p.add_argument("--membership-url", default=os.environ.get("CLOUDCIX_MEMBERSHIP_URL"))
    p.add_argument("--ca-file", help="CA certificates (PEM) to trust for https URLs")
    p.add_argument("--python-region", metavar="REGION_JSON", help="serve the API from this file, in Python")
    p.add_argument("--python-http", action="store_true", help="send the requests with Python's urllib")
    p.add_argument("--hosts", default="recording", help="built-in hosts: recording (default), dry-run")
    p.add_argument("driver")
    p.add_argument("verb")
    p.add_argument("id", type=int)
    a = p.parse_args()

    lib = ccx.load(a.lib)
    print(f"cloudcix_drivers {lib.ccx_version_string().decode()}: {len(ccx.registry(lib))} verbs", file=sys.stderr)
    region = None
    try:
        if a.python_region:
            region = JsonRegion(a.python_region)
            ctx = ccx.Context(lib, transport=region, hosts=a.hosts,
                              iaas_url="http://python-region.invalid/iaas/",
                              membership_url="http://python-region.invalid/membership/",
                              username=region.credentials["email"], password=region.credentials["password"],
                              api_key=region.credentials["api_key"])
        elif a.python_http:
            if not a.iaas_url:
                p.error("--python-http needs --iaas-url and --membership-url")
            sender = UrllibTransport(a.ca_file)
            ctx = ccx.Context(lib, transport=sender, hosts=a.hosts, iaas_url=a.iaas_url,
                              membership_url=a.membership_url, from_environment=1)
        else:
            ctx = ccx.Context(lib, hosts=a.hosts, iaas_url=a.iaas_url, membership_url=a.membership_url,
                              ca_file=a.ca_file, from_environment=1)
    except ccx.CcxError as e:
        print(f"run_verb.py: {e}", file=sys.stderr)
        return 2
    with ctx:
        try:
            outcome = ctx.run(a.driver, a.verb, a.id)
        except ccx.CcxError as e:
            print(f"run_verb.py: {e}", file=sys.stderr)
            return 2
        print(json.dumps(outcome, sort_keys=True))
        if region is not None:
            print(f"python region: {region.requests} request(s) answered; "
                  f"{a.driver} #{a.id} state is now {region.state(service_of(a.driver), a.id)}", file=sys.stderr)
        elif a.python_http:
            print(f"python urllib transport: {sender.requests} request(s) sent", file=sys.stderr)
        elif a.iaas_url is None:
            print(f"embedded demo region: state is now {ctx.region_state(service_of(a.driver), a.id)}", file=sys.stderr)
    return {v: k for k, v in ccx.STATUSES.items()}[outcome["status"]]


def service_of(driver):
    for prefix in ("virtual_router", "vm", "snapshot", "backup", "ceph"):
        if driver.startswith(prefix):
            return prefix
    return driver


if __name__ == "__main__":
    sys.exit(main())
