#!/usr/bin/env python3
"""A real SMTP server on loopback for the PaperboyMail tests (aiosmtpd).

    smtp-test-server.py DIRECTORY [--port 0] [flags...]

Once listening it writes DIRECTORY/ready.json ({"port": N}); the tests poll for that file.
Every accepted message is stored as DIRECTORY/messages/NNN.eml (the DATA bytes exactly as
received, after the server has undone dot-stuffing) plus NNN.json, a summary parsed with
Python's `email` package: decoded headers, decoded body parts, envelope, session facts.
Every TCP connection appends one line to DIRECTORY/connections.log.

The other flags make the server misbehave on purpose; see `parse_arguments`.
Files are written before the server replies, so a client that got its 250 can read them.
"""

import argparse
import asyncio
import email
import json
import os
import signal
import ssl
import sys
import threading
from email import policy

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", help="where ready.json, connections.log and messages/ are written")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--auth-user", help="advertise AUTH and require this login")
    parser.add_argument("--auth-password")
    parser.add_argument("--auth-exclude", action="append", default=[], help="AUTH mechanism not to offer")
    parser.add_argument("--tls-cert", help="PEM certificate for STARTTLS or implicit TLS")
    parser.add_argument("--tls-key", help="PEM private key for --tls-cert")
    parser.add_argument("--require-starttls", action="store_true", help="refuse commands before STARTTLS")
    parser.add_argument("--implicit-tls", action="store_true", help="TLS from the first byte (smtps)")
    parser.add_argument("--no-ehlo", action="store_true", help="answer EHLO with 502 (HELO-only server)")
    parser.add_argument("--fail-from-message", type=int, help="answer the Nth DATA (1-based) and later with --fail-code")
    parser.add_argument("--fail-code", type=int, default=451, help="421 also closes the connection")
    parser.add_argument("--fail-count", type=int, help="only this many DATA commands fail, then all succeed again")
    parser.add_argument("--raw-only", action="store_true", help="store only NNN.eml, no JSON summary (benchmarks)")
    parser.add_argument("--reject-recipient", action="append", default=[], help="550 for this RCPT TO address")
    parser.add_argument("--drop-at-message", type=int, help="close the connection, unanswered, at the Nth MAIL FROM")
    parser.add_argument("--drop-at-data", type=int, help="close the connection, unanswered, when the Nth message's data has arrived")
    parser.add_argument("--close-after-each-message", action="store_true", help="close after each 250 to DATA")
    parser.add_argument("--exit-with-stdin", action="store_true", help="exit when standard input closes")
    parser.add_argument("--silent", action="store_true", help="accept connections but never say a word")
    return parser.parse_args()


def write_atomically(path, data):
    temporary = path + ".tmp"
    with open(temporary, "wb") as file:
        file.write(data)
    os.replace(temporary, path)


class Recorder:
    """Counts connections and transactions, stores messages."""

    def __init__(self, options):
        self.options = options
        self.connections = 0
        self.mail_commands = 0
        self.data_commands = 0
        self.stored = 0
        self.messages_directory = os.path.join(options.directory, "messages")
        os.makedirs(self.messages_directory, exist_ok=True)

    def connection_made(self):
        self.connections += 1
        with open(os.path.join(self.options.directory, "connections.log"), "a") as log:
            log.write(f"{self.connections}\n")
        return self.connections

    def store(self, session, envelope, server_transport, connection_number):
        self.stored += 1
        stem = os.path.join(self.messages_directory, f"{self.stored:03d}")
        raw = envelope.original_content or envelope.content
        if self.options.raw_only:
            write_atomically(stem + ".eml", raw)
            return
        summary = summarise(raw)
        summary.update(
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "helo_name": session.host_name,
                "extended_smtp": session.extended_smtp,
                "tls": session.ssl is not None or server_transport.get_extra_info("ssl_object") is not None,
                "authenticated": bool(session.authenticated),
                "auth_mechanism": getattr(session, "paperboy_auth_mechanism", None),
                "auth_login": getattr(session, "paperboy_auth_login", None),
                "connection": connection_number,
            }
        )
        write_atomically(stem + ".eml", raw)
        write_atomically(stem + ".json", json.dumps(summary, indent=2, ensure_ascii=False).encode("utf-8"))


def summarise(raw):
    message = email.message_from_bytes(raw, policy=policy.default)
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        parts.append(
            {
                "content_type": part.get_content_type(),
                "charset": part.get_content_charset(),
                "transfer_encoding": part.get("Content-Transfer-Encoding"),
                "content": part.get_content(),
                "defects": [repr(defect) for defect in part.defects],
            }
        )
    return {
        "headers": [[name, str(value)] for name, value in message.items()],
        "content_type": message.get_content_type(),
        "parts": parts,
        "defects": [repr(defect) for defect in message.defects],
    }


class Handler:
    def __init__(self, recorder):
        self.recorder = recorder
        self.options = recorder.options

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.options.reject_recipient:
            return "550 5.1.1 <%s>: Recipient address rejected: no such user" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.recorder.mail_commands += 1
        if self.options.drop_at_message == self.recorder.mail_commands:
            server.transport.close()
            return "421 4.4.2 (never sent: the connection is already closed)"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.recorder.data_commands += 1
        if self.options.drop_at_data == self.recorder.data_commands:
            server.transport.close()
            return "421 4.4.2 (never sent: the connection is already closed)"
        first_failure = self.options.fail_from_message
        failing = first_failure is not None and self.recorder.data_commands >= first_failure
        if failing and self.options.fail_count is not None:
            failing = self.recorder.data_commands < first_failure + self.options.fail_count
        if failing:
            if self.options.fail_code == 421:
                asyncio.get_running_loop().call_soon(server.transport.close)
                return "421 4.3.2 Service shutting down, closing transmission channel"
            return "%d %s Try again later" % (self.options.fail_code, "4.3.0" if self.options.fail_code < 500 else "5.3.0")
        self.recorder.store(session, envelope, server.transport, server.paperboy_connection_number)
        if self.options.close_after_each_message:
            asyncio.get_running_loop().call_soon(server.transport.close)
        return "250 2.0.0 OK: queued"


def make_authenticator(options):
    def authenticate(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        valid = auth_data.login == options.auth_user.encode() and auth_data.password == options.auth_password.encode()
        if valid:
            session.paperboy_auth_mechanism = mechanism
            session.paperboy_auth_login = auth_data.login.decode()
        return AuthResult(success=valid, handled=False)

    return authenticate


def make_server_class(recorder):
    class TestSMTP(SMTP):
        def connection_made(self, transport):
            # The first call is the plain TCP connection; STARTTLS calls it again for the TLS transport.
            if not hasattr(self, "paperboy_connection_number"):
                self.paperboy_connection_number = recorder.connection_made()
            super().connection_made(transport)

        async def smtp_EHLO(self, arg):
            if recorder.options.no_ehlo:
                await self.push("502 5.5.1 EHLO not implemented, use HELO")
                return
            await super().smtp_EHLO(arg)

    return TestSMTP


def tls_context(options):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(options.tls_cert, options.tls_key)
    return context


async def serve(options):
    recorder = Recorder(options)
    handler = Handler(recorder)
    server_class = make_server_class(recorder)
    context = tls_context(options) if options.tls_cert else None

    smtp_arguments = {"hostname": "paperboy-test-server"}
    if options.auth_user:
        smtp_arguments.update(
            authenticator=make_authenticator(options),
            auth_required=True,
            auth_require_tls=False,
            auth_exclude_mechanism=options.auth_exclude,
        )
    if context is not None and not options.implicit_tls:
        smtp_arguments.update(tls_context=context, require_starttls=options.require_starttls)

    loop = asyncio.get_running_loop()

    def make_protocol():
        if options.silent:
            recorder.connection_made()
            return asyncio.Protocol()
        return server_class(handler, loop=loop, **smtp_arguments)

    server = await loop.create_server(
        make_protocol,
        host=options.host,
        port=options.port,
        ssl=context if options.implicit_tls else None,
    )
    port = server.sockets[0].getsockname()[1]
    write_atomically(os.path.join(options.directory, "ready.json"), json.dumps({"port": port}).encode())
    print(f"listening on {options.host}:{port}", flush=True)
    async with server:
        await server.serve_forever()


def main():
    options = parse_arguments()
    if options.implicit_tls and not options.tls_cert:
        sys.exit("--implicit-tls needs --tls-cert and --tls-key")
    os.makedirs(options.directory, exist_ok=True)
    # A parent may start us with signals blocked (threads of the Swift test runner do): unblock
    # them so that terminating the server works.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    if options.exit_with_stdin:
        # Dies with the test process even if that one crashes before stopping us.
        threading.Thread(target=lambda: (sys.stdin.buffer.read(), os._exit(0)), daemon=True).start()
    try:
        asyncio.run(serve(options))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
