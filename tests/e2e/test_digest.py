"""The daily digest end to end: the real binary, a real SQLite file, a real SMTP server
(aiosmtpd, scripts/smtp-test-server.py) on loopback, and `kill -9` in the middle of a run."""
import collections
import email
import json
import os
import pathlib
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from email import policy

import pytest

from conftest import ROOT, Server, paperboy_binary, run_paperboy

DATE = "2026-08-21"  # the last day of the demo data


class SMTPServer:
    """scripts/smtp-test-server.py in a subprocess; every accepted message is a file."""

    def __init__(self, directory: pathlib.Path, *flags: str):
        self.directory = directory
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "smtp-test-server.py"), str(directory), "--port", "0", *flags],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ready = directory / "ready.json"
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert self.process.poll() is None, self.process.stderr.read()
            assert time.monotonic() < deadline, "the SMTP test server did not start"
            time.sleep(0.02)
        self.port = json.loads(ready.read_text())["port"]
        self.url = f"smtp://127.0.0.1:{self.port}?starttls=off"

    def count(self) -> int:
        folder = self.directory / "messages"
        return sum(1 for name in os.listdir(folder) if name.endswith(".eml")) if folder.exists() else 0

    def messages(self):
        folder = self.directory / "messages"
        return [email.message_from_bytes(path.read_bytes(), policy=policy.default)
                for path in sorted(folder.glob("*.eml"))]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def smtp(tmp_path):
    server = SMTPServer(tmp_path / "spool")
    yield server
    server.stop()


@pytest.fixture
def database(demo_database, tmp_path) -> pathlib.Path:
    copy = tmp_path / "digest.sqlite"
    shutil.copy(demo_database, copy)
    return copy


def subscribe_readers(database: pathlib.Path, count: int, tmp_path: pathlib.Path) -> list:
    readers = [f"reader{number:04d}@example.org" for number in range(count)]
    listing = tmp_path / "readers.txt"
    listing.write_text("# moved from the old list\n" + "\n".join(readers) + "\n")
    result = run_paperboy("subscribers", "import", str(listing), "--database", str(database))
    assert result.returncode == 0, result.stderr
    assert f"{count} added" in result.stdout
    return readers


def send_command(database, smtp, *extra):
    return [paperboy_binary(), "digest", "send", "--date", DATE, "--database", str(database),
            "--smtp-url", smtp.url, "--from", "Paperboy <digest@papers.example.org>",
            "--public-url", "https://papers.example.org", "--retry-delay", "0.05", *extra]


def delivery_states(database) -> collections.Counter:
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT state FROM digest_deliveries WHERE digest_date = ?", (DATE,))
        return collections.Counter(state for (state,) in rows)


def test_kill_9_mid_run_then_resume_delivers_every_reader_exactly_one_message(database, smtp, tmp_path):
    readers = subscribe_readers(database, 500, tmp_path)
    run = subprocess.Popen(send_command(database, smtp, "--smtp-connections", "2"),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while smtp.count() < 150:
        assert run.poll() is None, f"the run ended before it could be killed: {run.stderr.read()}"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=10)
    assert run.returncode == -signal.SIGKILL

    at_crash = smtp.count()
    states = delivery_states(database)
    assert 0 < states["sent"] < 500, states
    assert states["sent"] <= at_crash, "nothing is logged as sent that the server did not accept"

    # The lease of the killed process does not block the resume: it is dead, on this machine.
    resumed = run_paperboy(*send_command(database, smtp)[1:])
    assert resumed.returncode == 0, resumed.stderr
    assert delivery_states(database) == {"sent": 500}

    by_reader = collections.defaultdict(list)
    for message in smtp.messages():
        by_reader[str(message["To"])].append(message)
    assert sorted(by_reader) == readers, "no gaps: every reader got the digest"
    duplicates = 0
    for reader, messages in by_reader.items():
        message_ids = {str(message["Message-ID"]) for message in messages}
        assert len(message_ids) == 1, f"{reader} got {len(message_ids)} different digests"
        bodies = {message.get_body(("plain",)).get_content() for message in messages}
        assert len(bodies) == 1, "a resent message is the very same message"
        duplicates += len(messages) - 1
    # At most the messages in flight at the kill (one per connection) can arrive twice, and
    # then as the same message (same Message-ID), which mail stores merge.
    print(f"kill -9 after {at_crash} accepted messages; {states['sent']} logged as sent; duplicates: {duplicates}")
    assert duplicates <= 2, duplicates

    with sqlite3.connect(database) as connection:
        message_ids = dict(connection.execute(
            "SELECT s.email, d.message_id FROM digest_deliveries d JOIN subscribers s ON s.id = d.subscriber_id"))
    for reader, messages in by_reader.items():
        assert str(messages[0]["Message-ID"]) == message_ids[reader], "the log names the message each reader got"

    again = run_paperboy(*send_command(database, smtp)[1:])
    assert again.returncode == 0 and "sent 0" in again.stdout, again.stdout
    assert smtp.count() == 500 + duplicates


def test_two_instances_started_together_send_once(database, smtp, tmp_path):
    readers = subscribe_readers(database, 200, tmp_path)
    runs = [subprocess.Popen(send_command(database, smtp), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    refused = [err for (_, err), run in zip(outputs, runs) if run.returncode != 0]
    for err in refused:
        assert "another instance" in err, err
    assert len(refused) <= 1
    received = [str(message["To"]) for message in smtp.messages()]
    assert sorted(received) == readers, "each reader exactly once"


def test_subscribe_confirm_digest_and_one_click_unsubscribe_through_the_server(database, smtp):
    server = Server(database, "--smtp-url", smtp.url, "--from", "Paperboy <digest@papers.example.org>",
                    "--digest-time", "off")
    try:
        with urllib.request.urlopen(server.url + "/") as response:
            home = response.read().decode()
        token = re.search(r'action="/digest/subscribe">\s*<input type="hidden" name="csrf" value="([^"]+)"', home).group(1)
        form = urllib.parse.urlencode({"csrf": token, "email": "grace@example.org"}).encode()
        subscribe = urllib.request.Request(server.url + "/digest/subscribe", data=form, headers={"Origin": server.url})
        with urllib.request.urlopen(subscribe) as response:
            assert "Check your inbox" in response.read().decode()

        confirmation = smtp.messages()[-1]
        assert str(confirmation["To"]) == "grace@example.org"
        link = re.search(r"(http://\S+/digest/confirm\?token=\S+)", confirmation.get_body(("plain",)).get_content()).group(1)
        with urllib.request.urlopen(link) as response:
            assert "You are subscribed" in response.read().decode()

        sent = run_paperboy(*send_command(database, smtp, "--public-url", server.url)[1:])
        assert sent.returncode == 0 and "sent 1" in sent.stdout, sent.stdout + sent.stderr
        digest = smtp.messages()[-1]
        assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert digest.get_content_type() == "multipart/alternative"
        html = digest.get_body(("html",)).get_content()
        assert "Trending papers" in html and 'class="digest-paper"' in html
        unsubscribe = str(digest["List-Unsubscribe"]).strip().strip("<>")
        assert unsubscribe.startswith(server.url + "/digest/unsubscribe?token=")
        one_click = urllib.request.Request(unsubscribe, data=b"List-Unsubscribe=One-Click", method="POST",
                                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(one_click) as response:
            assert response.status == 200

        listing = run_paperboy("subscribers", "list", "--database", str(database))
        assert "grace@example.org\tunsubscribed" in listing.stdout
    finally:
        server.stop()


def test_subscribers_import_reports_bad_lines_and_list_shows_states(database, tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text("ada@example.org\nnot an address\n\n# comment\nADA@example.org\nbob@example.org\n")
    result = run_paperboy("subscribers", "import", str(listing), "--database", str(database))
    assert result.returncode == 0, result.stderr
    assert "2 added" in result.stdout and "1 rejected" in result.stdout
    assert "line 2" in result.stderr
    shown = run_paperboy("subscribers", "list", "--state", "confirmed", "--database", str(database))
    assert [line.split("\t")[:2] for line in shown.stdout.splitlines()] == [
        ["ada@example.org", "confirmed"], ["bob@example.org", "confirmed"]]
    bad = run_paperboy("subscribers", "list", "--state", "happy", "--database", str(database))
    assert bad.returncode != 0 and "--state" in bad.stderr


def test_digest_over_required_starttls_with_the_cli_trusting_a_test_certificate(database, tmp_path):
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(certificate)], capture_output=True)
    assert made.returncode == 0, made.stderr
    smtp = SMTPServer(tmp_path / "tls-spool", "--tls-cert", str(certificate), "--tls-key", str(key), "--require-starttls")
    try:
        readers = subscribe_readers(database, 3, tmp_path)
        url = f"smtp://127.0.0.1:{smtp.port}?starttls=required"
        untrusted = run_paperboy("digest", "send", "--date", DATE, "--database", str(database), "--smtp-url", url)
        assert untrusted.returncode != 0 and "TLS" in untrusted.stderr, "a self-signed certificate is not trusted by default"
        sent = run_paperboy("digest", "send", "--date", DATE, "--database", str(database), "--smtp-url", url,
                            "--smtp-ca-file", str(certificate))
        assert sent.returncode == 0 and "sent 3" in sent.stdout, sent.stdout + sent.stderr
        summaries = [json.loads(path.read_text()) for path in sorted((tmp_path / "tls-spool" / "messages").glob("*.json"))]
        assert sorted(summary["rcpt_tos"][0] for summary in summaries) == readers
        assert all(summary["tls"] for summary in summaries)
    finally:
        smtp.stop()
