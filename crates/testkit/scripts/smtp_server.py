#!/usr/bin/env python3
"""A real SMTP server for Agora's tests: aiosmtpd, capturing every accepted message to a folder.

    smtp_server.py --maildir DIR [--auth USER:PASSWORD]
                   [--starttls CERT KEY | --implicit-tls CERT KEY] [--reject "451 4.3.0 later"]

It listens on 127.0.0.1 on a free port, prints "READY <port>" on one line once it accepts
connections, and serves until its standard input closes (the test ended) or it is killed.

Each accepted message becomes DIR/<random>.json with "mail_from", "rcpt_tos", "login" (the
authenticated user or null), "tls" (whether the session was encrypted) and "data" (the
message). With --auth, AUTH is required before MAIL. With --starttls, STARTTLS is offered and
required. With --reject, every recipient is answered with that reply instead of accepted.
Needs `pip install aiosmtpd`.
"""

import argparse
import asyncio
import json
import logging
import os
import ssl
import sys
import uuid
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Capture:
    def __init__(self, maildir, reject):
        self.maildir = maildir
        self.reject = reject

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject:
            return self.reject
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        transport = server.transport
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "login": session.auth_data.login.decode()
            if isinstance(session.auth_data, LoginPassword)
            else None,
            "tls": transport is not None
            and transport.get_extra_info("ssl_object") is not None,
            "data": envelope.content.decode("utf-8", errors="replace"),
        }
        name = uuid.uuid4().hex
        partial = os.path.join(self.maildir, "." + name + ".partial")
        with open(partial, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.rename(partial, os.path.join(self.maildir, name + ".json"))
        return "250 2.0.0 Message accepted"


def authenticator_for(expected):
    user, _, password = expected.partition(":")

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        # handled=False: aiosmtpd itself answers a failure (535).
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticate


def tls_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def main():
    # Tests choose insecure set-ups on purpose (AUTH without TLS); keep their output quiet.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser()
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--auth")
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--implicit-tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--reject")
    args = parser.parse_args()

    handler = Capture(args.maildir, args.reject)
    starttls = tls_context(*args.starttls) if args.starttls else None
    implicit = tls_context(*args.implicit_tls) if args.implicit_tls else None

    def protocol():
        return SMTP(
            handler,
            hostname="localhost",
            tls_context=starttls,
            require_starttls=starttls is not None,
            authenticator=authenticator_for(args.auth) if args.auth else None,
            auth_required=bool(args.auth),
            # aiosmtpd counts only STARTTLS as encryption; with implicit TLS the whole
            # session is encrypted, and plain sessions are what the test asked for.
            auth_require_tls=starttls is not None,
        )

    loop = asyncio.get_running_loop()
    server = await loop.create_server(protocol, "127.0.0.1", 0, ssl=implicit)
    port = server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)

    # Serve until the test closes our standard input (or kills us).
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
