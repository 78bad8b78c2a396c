#!/usr/bin/python3
"""SMTP sink for the integration tests (Debian python3-aiosmtpd).

usage: smtp_sink.py HOST PORT MAILDIR [CERT KEY USER PASSWORD]

Stores every accepted message as MAILDIR/NNNN.eml (envelope lines, a blank line, the raw
message) and its decoded HTML part as MAILDIR/NNNN.html. With CERT/KEY/USER/PASSWORD the
server offers STARTTLS, requires it, and requires AUTH with that user and password.
"""
import email
import email.policy
import itertools
import signal
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

host, port, maildir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
counter = itertools.count(1)


class Sink:
    async def handle_DATA(self, server, session, envelope):
        n = next(counter)
        raw = envelope.original_content or envelope.content
        head = "MAIL FROM: %s\nRCPT TO: %s\nAUTH: %s\nTLS: %s\n\n" % (
            envelope.mail_from, ",".join(envelope.rcpt_tos),
            getattr(session, "authenticated", False), session.ssl is not None)
        with open("%s/%04d.eml.tmp" % (maildir, n), "wb") as f:
            f.write(head.encode() + raw)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        html = msg.get_body(preferencelist=("html",))
        with open("%s/%04d.html" % (maildir, n), "w", encoding="utf-8") as f:
            f.write(html.get_content() if html is not None else "")
        import os
        os.rename("%s/%04d.eml.tmp" % (maildir, n), "%s/%04d.eml" % (maildir, n))
        return "250 OK"


kwargs = {}
if len(sys.argv) == 8:
    cert, key, user, password = sys.argv[4:8]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
              and auth_data.password.decode() == password)
        return AuthResult(success=ok)

    kwargs = dict(tls_context=context, require_starttls=True, auth_required=True,
                  authenticator=authenticator)

controller = Controller(Sink(), hostname=host, port=port, **kwargs)
controller.start()
signal.signal(signal.SIGTERM, lambda *_: (controller.stop(), sys.exit(0)))
print("listening on %s:%d" % (host, port), flush=True)
while True:
    signal.pause()
