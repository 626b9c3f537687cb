"""Issue 10's hardening end to end: the real `paperboy serve`, real SQLite files and real
loopback sockets. Body limits, malformed requests, request deadlines, a slowloris flood,
HTTP/1.0, anonymous forms without session rows, Host headers in links, the arXiv budget of a
submission, `next=` redirects and the Content-Security-Policy in headless Chromium.

Every loop is bounded in count and in time. Timings go to stdout (`pytest -s` shows them)."""
import concurrent.futures
import http.client
import http.server
import json
import os
import pathlib
import re
import resource
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.parse

import pytest

from conftest import free_port, paperboy_binary

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by scripts/setup-test.sh")
ERROR_LINE = re.compile(r"\blevel=(error|critical)\b")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PASSWORD = "correct horse battery staple"


def report(text: str) -> None:
    print(f"[hardening] {text}", flush=True)


# MARK: - A server whose log is a file

class LoggedServer:
    """`paperboy serve` with its stderr (the logfmt log) in a file, readable while it runs."""

    def __init__(self, database: pathlib.Path, log_path: pathlib.Path, *args: str, preexec_fn=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database = database
        self.log_path = log_path
        self._log = open(log_path, "wb")
        # The limits tested here are the flags' and the defaults, whatever the caller's PAPERBOY_*.
        environment = {key: value for key, value in os.environ.items()
                       if not key.startswith("PAPERBOY_") or key == "PAPERBOY_MODEL_DIR"}
        self.process = subprocess.Popen(
            # --no-embed: background embedding would compete with the requests timed here for
            # the CPU, and SIGTERM would wait for its batch.
            [paperboy_binary(), "serve", "--port", str(self.port), "--database", str(database), "--no-embed", *args],
            stdout=subprocess.DEVNULL, stderr=self._log, env=environment, preexec_fn=preexec_fn)
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                self._log.close()
                raise RuntimeError(f"paperboy serve exited: {self.log()[-3000:]}")
            try:
                if request(self, "GET", "/healthz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"paperboy serve did not become healthy: {self.log()[-3000:]}")
            time.sleep(0.05)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_offset(self) -> int:
        return self.log_path.stat().st_size

    def log_since(self, offset: int) -> str:
        with open(self.log_path, "rb") as file:
            file.seek(offset)
            return file.read().decode(errors="replace")

    def errors_since(self, offset: int) -> list:
        return [line for line in self.log_since(offset).splitlines() if ERROR_LINE.search(line)]

    def wait_for_log(self, text: str, count: int, offset: int, timeout: float = 5) -> int:
        """Waits until `text` is in `count` log lines written after `offset`; returns how many."""
        deadline = time.monotonic() + timeout
        while True:
            seen = sum(1 for line in self.log_since(offset).splitlines() if text in line)
            if seen >= count or time.monotonic() > deadline:
                return seen
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


def copy_database(source: pathlib.Path, target: pathlib.Path) -> pathlib.Path:
    """A consistent copy through SQLite's backup API (the source may be open in WAL mode)."""
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    origin.close()
    copy.close()
    return target


def start(demo_database, folder: pathlib.Path, name: str, *args: str, preexec_fn=None) -> LoggedServer:
    folder.mkdir(parents=True, exist_ok=True)
    database = copy_database(demo_database, folder / f"{name}.sqlite")
    return LoggedServer(database, folder / f"{name}.log", *args, preexec_fn=preexec_fn)


# MARK: - HTTP helpers

def request(server, method: str, path: str, body=None, headers=None, timeout: float = 30):
    """One request on a fresh connection: (status, headers, body bytes)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def cookie_pair(headers, name: str) -> str:
    """`name=value` from the response's Set-Cookie headers."""
    for cookie in headers.get_all("Set-Cookie") or []:
        if cookie.startswith(name + "="):
            return cookie.split(";")[0]
    raise AssertionError(f"no {name} cookie in {headers.get_all('Set-Cookie')}")


def csrf_of(html: bytes) -> str:
    found = re.search(rb'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1).decode()


def read_until_closed(sock: socket.socket, timeout: float):
    """Reads until the peer closes or `timeout` passes: (bytes, closed, seconds)."""
    started = time.monotonic()
    data = b""
    while True:
        left = timeout - (time.monotonic() - started)
        if left <= 0:
            return data, False, time.monotonic() - started
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return data, False, time.monotonic() - started
        except ConnectionResetError:
            return data, True, time.monotonic() - started
        if not chunk:
            return data, True, time.monotonic() - started
        data += chunk


def read_response(sock: socket.socket, timeout: float):
    """Reads one HTTP response with a Content-Length: (head, body), leaving the connection open."""
    deadline = time.monotonic() + timeout
    data = b""
    while b"\r\n\r\n" not in data:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before the response ended: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))
    while len(body) < length:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        assert chunk, f"connection closed in the body: {data!r}"
        body += chunk
    assert len(body) == length, "more bytes than the response"
    return head.decode("latin-1"), body


def ping(port: int, wait: float = 3.0):
    """GET /ping on a new connection: (seconds, answered pong)."""
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
            sock.sendall(b"GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            data, _, _ = read_until_closed(sock, max(0.01, wait - (time.monotonic() - started)))
    except OSError:
        return time.monotonic() - started, False
    return time.monotonic() - started, data.startswith(b"HTTP/1.1 200") and data.endswith(b"pong")


# MARK: - Readers

def sign_up(server, name: str) -> str:
    """Signs a reader up through the forms; returns the `pb_session=…` cookie."""
    status, headers, html = request(server, "GET", "/signup")
    assert status == 200
    form_cookie = cookie_pair(headers, "pb_form")
    body = urllib.parse.urlencode(
        {"csrf": csrf_of(html), "email": f"{name}@example.org", "name": name, "password": PASSWORD})
    status, headers, page = request(server, "POST", "/signup", body, {**FORM, "Cookie": form_cookie})
    assert status == 303, page[:2000]
    return cookie_pair(headers, "pb_session")


def api_token(server, session: str) -> str:
    """Creates an API token on the settings page (TokenRoutes: POST /settings/tokens, csrf + name)."""
    status, _, html = request(server, "GET", "/settings", headers={"Cookie": session})
    assert status == 200
    body = urllib.parse.urlencode({"csrf": csrf_of(html), "name": "hardening"})
    status, _, page = request(server, "POST", "/settings/tokens", body, {**FORM, "Cookie": session})
    assert status == 201, page[:2000]
    return re.search(rb"<code>(pb_[A-Za-z0-9_-]+)</code>", page).group(1).decode()


# MARK: - Fixtures

@pytest.fixture(scope="module")
def main(demo_database, tmp_path_factory):
    """Default limits; the log-in rate limit raised for the many log-ins of the redirect test."""
    server = start(demo_database, tmp_path_factory.mktemp("hardening"), "main", "--login-rate-limit", "100000")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def reader(main):
    session = sign_up(main, "bodylimits")
    return {"session": session, "token": api_token(main, session)}


@pytest.fixture(scope="module")
def paper_id(main):
    status, _, body = request(main, "GET", "/api/daily_papers?limit=1")
    assert status == 200
    return json.loads(body)[0]["paper"]["id"]


# MARK: - 1. Bodies over the limit

def test_large_bodies_are_413_and_log_no_error(main, reader, paper_id):
    offset = main.log_offset()
    session = {"Cookie": reader["session"]}
    big = urllib.parse.urlencode({"csrf": "x", "filler": "a" * 70_000})       # > 64 KiB forms
    small = urllib.parse.urlencode({"csrf": "x", "email": "a" * 17_000})      # > 16 KiB
    api = json.dumps({"id": "2405.99999", "padding": "a" * 17_000})
    cases = [
        ("/login", big, FORM),
        ("/signup", big, FORM),
        ("/logout", big, {**FORM, **session}),
        (f"/papers/{paper_id}/upvote", big, {**FORM, **session}),
        ("/settings/password", big, {**FORM, **session}),
        ("/digest/subscribe", small, FORM),
        ("/api/papers/submit", api, {"Content-Type": "application/json", "Authorization": f"Bearer {reader['token']}"}),
    ]
    statuses = {}
    for path, body, headers in cases:
        assert len(body) > (70_000 if body is big else 17_000)
        status, response_headers, content = request(main, "POST", path, body, headers)
        statuses[path] = status
        if path.startswith("/api/"):
            assert response_headers["Content-Type"].startswith("application/json")
            assert set(json.loads(content)) == {"error"}
    assert statuses == {path: 413 for path, _, _ in cases}

    # Just under the limits the same forms are read (and refused for their made-up csrf).
    assert request(main, "POST", "/login", urllib.parse.urlencode({"csrf": "x", "f": "a" * 60_000}), FORM)[0] == 403
    assert request(main, "POST", "/digest/subscribe", urllib.parse.urlencode({"csrf": "x", "f": "a" * 15_000}), FORM)[0] == 403

    # The log is read for real: each 413 left its info line, and none of them an error.
    assert main.wait_for_log("request body too large", len(cases), offset) == len(cases), main.log_since(offset)
    time.sleep(0.2)
    assert main.errors_since(offset) == []


# MARK: - 2. A malformed chunked body

def test_malformed_chunk_size_is_400_then_close_without_error_log(main):
    offset = main.log_offset()
    with socket.create_connection(("127.0.0.1", main.port), timeout=5) as sock:
        sock.sendall(
            b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Transfer-Encoding: chunked\r\n\r\nzz\r\ncsrf=x\r\n0\r\n\r\n")
        data, closed, seconds = read_until_closed(sock, 5)
    report(f"malformed chunk: 400 and close after {seconds:.3f} s")
    assert data.startswith(b"HTTP/1.1 400 "), data[:200]
    assert closed, "the connection stayed open after the 400"
    assert main.wait_for_log("request could not be read", 1, offset) == 1, main.log_since(offset)
    time.sleep(0.2)
    assert main.errors_since(offset) == []


def test_a_declared_length_over_the_limit_is_413_before_the_body(main):
    with socket.create_connection(("127.0.0.1", main.port), timeout=5) as sock:
        started = time.monotonic()
        sock.sendall(
            b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 10000000\r\n\r\ncsrf=x")
        head, body = read_response(sock, 5)
        seconds = time.monotonic() - started
    report(f"Content-Length 10,000,000 without the body: {head.splitlines()[0]} after {seconds:.3f} s")
    assert head.startswith("HTTP/1.1 413 "), head
    assert seconds < 2, "answered without waiting for the body"


# MARK: - 3. Request deadlines

def test_header_body_and_idle_timeouts(demo_database, tmp_path):
    server = start(demo_database, tmp_path, "timeouts", "--header-timeout", "1", "--body-timeout", "1", "--idle-timeout", "2")
    try:
        offset = server.log_offset()

        # (a) Headers dripped a byte every 0.3 s: the header clock runs from the first byte.
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            started = time.monotonic()
            sock.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            data, closed, drips = b"", False, 0
            for _ in range(40):  # at most 12 s
                readable, _, _ = select.select([sock], [], [], 0.3)
                if readable:
                    rest, closed, _ = read_until_closed(sock, 3)
                    data += rest
                    break
                try:
                    sock.send(b"a")
                    drips += 1
                except OSError:
                    rest, closed, _ = read_until_closed(sock, 3)
                    data += rest
                    break
            header_seconds = time.monotonic() - started
        report(f"header timeout 1 s: 408 and close after {header_seconds:.2f} s ({drips} bytes dripped)")
        assert data.startswith(b"HTTP/1.1 408 "), data[:200]
        assert closed
        assert 0.8 < header_seconds < 4

        # (b) Content-Length: 100 with 10 bytes sent.
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            started = time.monotonic()
            sock.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                         b"Content-Length: 100\r\n\r\ncsrf=01234")
            data, closed, _ = read_until_closed(sock, 8)
            body_seconds = time.monotonic() - started
        report(f"body timeout 1 s: 408 and close after {body_seconds:.2f} s")
        assert data.startswith(b"HTTP/1.1 408 "), data[:200]
        assert closed
        assert 0.8 < body_seconds < 4

        # (b2) A chunked body dripped a chunk every 0.3 s: the body clock is not refreshed by chunks.
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            started = time.monotonic()
            sock.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
            data, closed = b"", False
            for _ in range(40):  # at most 12 s
                readable, _, _ = select.select([sock], [], [], 0.3)
                if not readable:
                    try:
                        sock.sendall(b"1\r\na\r\n")
                        continue
                    except OSError:
                        pass  # closed: read what came before
                data, closed, _ = read_until_closed(sock, 3)
                break
            chunked_seconds = time.monotonic() - started
        report(f"body timeout 1 s, chunks every 0.3 s: 408 and close after {chunked_seconds:.2f} s")
        assert data.startswith(b"HTTP/1.1 408 "), data[:200]
        assert closed
        assert 0.8 < chunked_seconds < 4

        # (c) A keep-alive connection that goes quiet after a complete request is closed, silently.
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
            head, body = read_response(sock, 5)
            answered = time.monotonic()
            assert head.startswith("HTTP/1.1 200") and body == b"pong"
            data, closed, _ = read_until_closed(sock, 8)
            idle_seconds = time.monotonic() - answered
        report(f"idle timeout 2 s: closed {idle_seconds:.2f} s after the answer")
        assert closed and data == b""
        assert 1.5 < idle_seconds < 5

        # (e) A connection that never sends a byte is closed as idle too, without a 408.
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            data, closed, silent_seconds = read_until_closed(sock, 8)
        report(f"silent connection: closed after {silent_seconds:.2f} s")
        assert closed and data == b""
        assert silent_seconds < 5

        # (d) A normal request on a fresh connection still works.
        seconds, answered = ping(server.port)
        assert answered, "no pong after the timeouts"
        assert server.process.poll() is None
        assert server.errors_since(offset) == []
    finally:
        server.stop()


# MARK: - 4. Slowloris

SLOW_CONNECTIONS = 1100


def test_slowloris_does_not_starve_new_requests(demo_database, tmp_path):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = SLOW_CONNECTIONS + 300
    if soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"this process may open {hard} files at most; the test needs {wanted}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    server = start(demo_database, tmp_path, "slowloris",
                   preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024)))
    slow = []
    lock = threading.Lock()
    stop = threading.Event()

    def drip():
        deadline = time.monotonic() + 120
        while not stop.wait(0.5) and time.monotonic() < deadline:
            with lock:
                sockets = list(slow)
            for sock in sockets:
                try:
                    sock.send(b"a")
                except OSError:
                    pass  # closed by the server (evicted or timed out), or its buffer is full

    dripper = threading.Thread(target=drip, daemon=True)
    probes, failed_connects = [], 0
    try:
        limits = pathlib.Path(f"/proc/{server.process.pid}/limits").read_text()
        assert re.search(r"Max open files\s+1024\s+1024", limits), limits
        dripper.start()
        started = time.monotonic()
        for number in range(1, SLOW_CONNECTIONS + 1):
            try:
                sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
                sock.sendall(b"GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                sock.setblocking(False)
                with lock:
                    slow.append(sock)
            except OSError:
                failed_connects += 1
            if number % 100 == 0:
                probes.append((number, *ping(server.port)))
        opening = time.monotonic() - started
        probes.append(("end", *ping(server.port)))

        # What the server did with the slow ones: closed (evicted, or timed out with a 408) or
        # still held. Evictions and timeouts only ever lower what is held.
        time.sleep(0.5)
        held = timed_out = 0
        for sock in slow:
            try:
                timed_out += sock.recv(4096).startswith(b"HTTP/1.1 408")
            except BlockingIOError:
                held += 1
            except OSError:
                pass
        report(f"slowloris: {len(slow)} slow connections opened in {opening:.2f} s ({failed_connects} failed); "
               f"{time.monotonic() - started:.2f} s after the first, {held} still open, "
               f"{len(slow) - held - timed_out} closed without an answer (evicted), {timed_out} answered 408")
        report("slowloris pings (after N slow connections: seconds): "
               + ", ".join(f"{n}: {seconds:.3f}{'' if ok else ' FAILED'}" for n, seconds, ok in probes))
        assert server.process.poll() is None, "the server died"
        assert all(ok for _, _, ok in probes), probes
        assert max(seconds for _, seconds, _ in probes) < 1.0, probes
        assert held <= 512 + 128, "more connections held than --max-connections 512 allows (accept limit 640)"
        assert server.errors_since(0) == []
    finally:
        stop.set()
        dripper.join(timeout=10)
        for sock in slow:
            sock.close()
        server.stop()
        if soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# MARK: - 5. HTTP/1.0

def test_http10_closes_unless_keep_alive(main):
    with socket.create_connection(("127.0.0.1", main.port), timeout=5) as sock:
        sock.sendall(b"GET /ping HTTP/1.0\r\n\r\n")
        data, closed, seconds = read_until_closed(sock, 2)
    assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"\r\n\r\npong"), data
    assert closed, "an HTTP/1.0 request without keep-alive left the connection open"
    report(f"HTTP/1.0: answered and closed within {seconds:.3f} s")

    with socket.create_connection(("127.0.0.1", main.port), timeout=5) as sock:
        for _ in range(2):
            sock.sendall(b"GET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            head, body = read_response(sock, 5)
            assert head.startswith("HTTP/1.1 200") and body == b"pong"
            assert "close" not in head.lower()


def test_security_headers_on_every_kind_of_response(main):
    cases = {"/": 200, "/ping": 200, "/login": 200, "/api/papers?limit=1": 200, "/feeds/daily.atom": 200,
             "/static/style.css": 200, "/nothing-here": 404, "/api/nothing-here": 404}
    for path, expected in cases.items():
        status, headers, body = request(main, "GET", path)
        assert status == expected, path
        policy = headers["Content-Security-Policy"] or ""
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, (path, policy)
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, (path, policy)
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["X-Frame-Options"] == "DENY", path
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path
        if path.startswith("/api/") and status >= 400:
            assert headers["Content-Type"].startswith("application/json"), path
            assert set(json.loads(body)) == {"error"}, path


# MARK: - 6. Anonymous form pages write no rows

def session_rows(database: pathlib.Path) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        count = connection.execute("SELECT count(*) FROM sessions").fetchone()[0]
    connection.close()
    return count


ANONYMOUS_VIEWS = 5_000  # per page: 10,000 in all


def test_anonymous_form_pages_create_no_session_rows(main):
    before = session_rows(main.database)

    def view(path: str):
        connection = http.client.HTTPConnection("127.0.0.1", main.port, timeout=30)
        deadline = time.monotonic() + 150
        problems, done = [], 0
        try:
            for _ in range(ANONYMOUS_VIEWS):
                if time.monotonic() > deadline:
                    problems.append("out of time")
                    break
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                cookies = response.headers.get_all("Set-Cookie") or []
                form = [c for c in cookies if c.startswith("pb_form=")]
                if response.status != 200 or len(form) != 1 or "; HttpOnly" not in form[0] \
                        or "; SameSite=Lax" not in form[0] or any(c.startswith("pb_session=") for c in cookies):
                    problems.append((response.status, cookies))
                done += 1
        finally:
            connection.close()
        return done, problems[:5]

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = list(pool.map(view, ["/login", "/signup"]))
    seconds = time.monotonic() - started
    report(f"anonymous form pages: {sum(done for done, _ in results)} GETs in {seconds:.1f} s "
           f"({sum(done for done, _ in results) / seconds:.0f}/s)")
    assert [problems for _, problems in results] == [[], []]
    assert [done for done, _ in results] == [ANONYMOUS_VIEWS, ANONYMOUS_VIEWS]
    assert session_rows(main.database) == before

    # The count sees the live database: a log-in does add its row.
    sign_up(main, "sessioncount")
    assert session_rows(main.database) == before + 1


# MARK: - 7. Host headers never reach links

def links_for(server, host: str):
    """(atom, rss, Link header of /api/papers?limit=1, every header value) for `Host: host`."""
    found = {}
    for path in ("/feeds/daily.atom", "/feeds/daily.rss", "/api/papers?limit=1"):
        status, headers, body = request(server, "GET", path, headers={"Host": host})
        found[path] = (status, headers, body.decode())
    return found


def test_forged_host_headers_never_reach_links(main, demo_database, tmp_path):
    listen = main.url
    for host in ("evil.example", "EVIL.EXAMPLE:80", "papers.example.test.evil.example"):
        for path, (status, headers, body) in links_for(main, host).items():
            assert status == 200, (host, path)
            everything = (body + "\n".join(f"{k}: {v}" for k, v in headers.items())).lower()
            assert "evil.example" not in everything, (host, path)
            assert listen in (body if "feeds" in path else headers["Link"]), (host, path)

    servers = []
    try:
        allowed = start(demo_database, tmp_path, "allowed", "--allowed-hosts", "papers.example.test")
        servers.append(allowed)
        public = start(demo_database, tmp_path, "public", "--public-url", "https://papers.example.org/")
        servers.append(public)
        good = links_for(allowed, "papers.example.test")
        assert "<link>http://papers.example.test/</link>" in good["/feeds/daily.rss"][2]
        assert 'href="http://papers.example.test/feeds/daily.atom"' in good["/feeds/daily.atom"][2]
        assert good["/api/papers?limit=1"][1]["Link"].startswith("<http://papers.example.test/api/papers?cursor=")
        for _, (_, _, body) in good.items():
            assert allowed.url not in body

        for host in ("evil.example", "papers.example.test:1@evil.example", "evil.example:80"):
            for path, (status, headers, body) in links_for(allowed, host).items():
                everything = (body + "\n".join(f"{k}: {v}" for k, v in headers.items())).lower()
                assert "evil.example" not in everything, (host, path)
                if status == 200:
                    assert allowed.url in (body if "feeds" in path else headers["Link"]), (host, path)
                else:
                    assert status == 400, (host, path, status)

        for path, (status, headers, body) in links_for(public, "evil.example").items():
            assert status == 200
            everything = body + "\n".join(f"{k}: {v}" for k, v in headers.items())
            assert "evil.example" not in everything.lower(), path
            assert "https://papers.example.org/" in (body if "feeds" in path else headers["Link"]), path
    finally:
        for server in servers:
            server.stop()


# MARK: - 8. A submission's arXiv budget

class BlackHole:
    """A TCP server on loopback that accepts connections and never answers."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.accepted = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        deadline = time.monotonic() + 300
        while not self.stopping.is_set() and time.monotonic() < deadline and len(self.accepted) < 1000:
            try:
                self.accepted.append(self.listener.accept()[0])
            except socket.timeout:
                continue
            except OSError:
                return

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=5)
        for sock in self.accepted:
            sock.close()
        self.listener.close()


MAX_CONNECTIONS = 4


@pytest.fixture(scope="module")
def submitting(demo_database, tmp_path_factory):
    """A server whose arXiv is a black hole (2 s budget), few connections, and a reader with a token."""
    hole = BlackHole()
    server = start(demo_database, tmp_path_factory.mktemp("submit"), "submit",
                   "--arxiv-api-url", f"http://127.0.0.1:{hole.port}/api/query", "--arxiv-timeout", "2",
                   "--max-connections", str(MAX_CONNECTIONS))
    try:
        session = sign_up(server, "submitter")
        yield {"server": server, "hole": hole, "session": session, "token": api_token(server, session)}
    finally:
        server.stop()
        hole.stop()


def test_submission_answers_504_within_the_arxiv_budget(submitting):
    server, hole, session, token = (submitting[key] for key in ("server", "hole", "session", "token"))
    offset = server.log_offset()
    started = time.monotonic()
    status, headers, body = request(
        server, "POST", "/api/papers/submit", json.dumps({"id": "2405.99999"}),
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}, timeout=15)
    api_seconds = time.monotonic() - started
    assert status == 504, body[:500]
    assert headers["Content-Type"].startswith("application/json")
    assert "arXiv" in json.loads(body)["error"]
    assert hole.accepted, "paperboy never connected to the arXiv stand-in"

    _, _, html = request(server, "GET", "/submit", headers={"Cookie": session})
    started = time.monotonic()
    status, headers, page = request(
        server, "POST", "/submit", urllib.parse.urlencode({"csrf": csrf_of(html), "id": "2405.99998"}),
        {**FORM, "Cookie": session}, timeout=15)
    form_seconds = time.monotonic() - started
    report(f"arXiv black hole, --arxiv-timeout 2: API 504 after {api_seconds:.2f} s, form 504 after {form_seconds:.2f} s "
           f"({len(hole.accepted)} connections to the black hole)")
    assert status == 504, page[:500]
    assert headers["Content-Type"].startswith("text/html")
    assert b"arXiv did not answer" in page
    assert 1.5 < api_seconds < 4
    assert 1.5 < form_seconds < 4
    assert server.errors_since(offset) == []


def submit_while_newcomers_arrive(submitting, paper: str, pipelined: bool):
    """Sends a submission (2 s on the black hole), optionally the first line of a pipelined
    next request, then more idle newcomers than --max-connections allows: (response bytes,
    whether it was closed, seconds)."""
    server, token = submitting["server"], submitting["token"]
    body = json.dumps({"id": paper}).encode()
    newcomers = []
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /api/papers/submit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Authorization: Bearer " + token.encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        time.sleep(0.3)
        if pipelined:
            sock.sendall(b"GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.2)
        try:
            for _ in range(MAX_CONNECTIONS + 2):
                newcomers.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
            data, closed = b"", False
            deadline = started + 6
            while b"\r\n\r\n" not in data and time.monotonic() < deadline:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    chunk = sock.recv(65536)
                except (socket.timeout, ConnectionResetError):
                    chunk = b""
                if not chunk:
                    closed = True
                    break
                data += chunk
            return data, closed, time.monotonic() - started
        finally:
            for newcomer in newcomers:
                newcomer.close()


def test_connection_being_answered_survives_newcomers(submitting):
    data, closed, seconds = submit_while_newcomers_arrive(submitting, "2405.99997", pipelined=False)
    report(f"answered connection, {MAX_CONNECTIONS + 2} newcomers over --max-connections {MAX_CONNECTIONS}: "
           f"{data[:30]!r} after {seconds:.2f} s")
    assert data.startswith(b"HTTP/1.1 504 "), (data[:200], closed, seconds)


def test_connection_being_answered_survives_newcomers_while_pipelining(submitting):
    data, closed, seconds = submit_while_newcomers_arrive(submitting, "2405.99996", pipelined=True)
    report(f"answered + pipelined connection, {MAX_CONNECTIONS + 2} newcomers: {data[:30]!r}, "
           f"closed={closed} after {seconds:.2f} s")
    assert data.startswith(b"HTTP/1.1 504 "), (data[:200], closed, seconds)


# MARK: - 9. `next=` never leaves the site

REDIRECT_PAYLOADS = [
    "/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/\r\n/evil.example", "/\x0b/evil.example",
    "/\x0c/evil.example", "/\x00/evil.example", "/\x7f/evil.example", "/ /evil.example", "/\xa0/evil.example",
    "/\u3000/evil.example", "/\u2028/evil.example", "/\uff0f/evil.example", "//evil.example", "///evil.example",
    "////evil.example", "/\\evil.example", "/\\/evil.example", "\\\\evil.example", "/%2F%2Fevil.example",
    "/%2f%2fevil.example", "/%5Cevil.example", "/%5C%5Cevil.example", "/%09/evil.example", "/%0d%0a/evil.example",
    "/%E3%80%80/evil.example", "https://evil.example", "http://evil.example", "http:evil.example",
    "HTTPS://evil.example", "//evil.example/%2F..", "@evil.example", "evil.example", "javascript:alert(1)",
    " javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "%2F%2Fevil.example",
    "/evil.example\r\nLocation: http://evil.example", "//@evil.example", "", "/" + "a" * 3000,
]
# A few for the browser: what the server sends for them must land on its own origin.
BROWSER_PAYLOADS = ["/\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example"]


class StandIn:
    """A loopback site: `/redirect?case=N` answers 303 with exactly the Location bytes given;
    every other path is a page whose external script writes `location.href` into the DOM."""

    def __init__(self, locations: dict):
        self.hosts = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hosts.append((self.headers.get("Host"), self.path))
                if self.path.startswith("/redirect?case="):
                    location = locations[self.path.split("=", 1)[1]]
                    self.wfile.write(b"HTTP/1.1 303 See Other\r\nLocation: " + location
                                     + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    self.close_connection = True
                    return
                if self.path == "/final.js":
                    body = (b'var p = document.createElement("p"); p.id = "final"; '
                            b'p.textContent = "FINAL " + location.href; document.body.appendChild(p);')
                    kind = "text/javascript"
                else:
                    body = b'<!doctype html><title>stand-in</title><body><p>stand-in</p><script src="/final.js"></script></body>'
                    kind = "text/html"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Content-Security-Policy", "default-src 'self'")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def chromium(url: str, profile: pathlib.Path, *flags: str) -> subprocess.CompletedProcess:
    """Headless Chromium that resolves no name but those `flags` map (there is no network)."""
    resolver = [f for f in flags if f.startswith("--host-resolver-rules=")]
    rules = (resolver[0].split("=", 1)[1] + " , " if resolver else "") + "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"
    others = [f for f in flags if not f.startswith("--host-resolver-rules=")]
    result = subprocess.run(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
         f"--user-data-dir={profile}", f"--host-resolver-rules={rules}", *others, "--dump-dom", url],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def final_url(dom: str):
    found = re.search(r'id="final">FINAL ([^<]*)<', dom)
    return found.group(1) if found else None


def log_in_with_next(server, csrf: str, form_cookie: str, email: str, next_value: str):
    body = urllib.parse.urlencode({"csrf": csrf, "email": email, "password": PASSWORD, "next": next_value})
    status, headers, page = request(server, "POST", "/login", body, {**FORM, "Cookie": form_cookie})
    assert status == 303, (next_value, status, page[:300])
    return headers["Location"].encode("latin-1")  # the bytes as sent


def test_next_never_leaves_the_site(main):
    assert len(REDIRECT_PAYLOADS) >= 30
    sign_up(main, "redirects")
    status, headers, html = request(main, "GET", "/login")
    csrf, form_cookie = csrf_of(html), cookie_pair(headers, "pb_form")

    # The control: a plain path does come back as it is.
    assert log_in_with_next(main, csrf, form_cookie, "redirects@example.org", "/settings?tab=tokens") == b"/settings?tab=tokens"

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        locations = dict(zip(REDIRECT_PAYLOADS, pool.map(
            lambda payload: log_in_with_next(main, csrf, form_cookie, "redirects@example.org", payload),
            REDIRECT_PAYLOADS)))
    report(f"next=: {len(REDIRECT_PAYLOADS)} log-ins in {time.monotonic() - started:.1f} s")
    assert {payload: location for payload, location in locations.items() if location != b"/"} == {}


@needs_chromium
def test_next_redirects_stay_on_the_origin_in_chromium(main, tmp_path):
    status, headers, html = request(main, "GET", "/login")
    csrf, form_cookie = csrf_of(html), cookie_pair(headers, "pb_form")
    sign_up(main, "browser")
    cases = {str(n): log_in_with_next(main, csrf, form_cookie, "browser@example.org", payload)
             for n, payload in enumerate(BROWSER_PAYLOADS)}
    cases["control"] = "/\t/evil.example".encode()  # the raw value, as an unsanitised server would send it
    site = StandIn(cases)
    # evil.example resolves to the stand-in too, so the control's landing is seen, not just a failed load.
    rules = f"--host-resolver-rules=MAP evil.example 127.0.0.1:{site.port}"
    try:
        landed = {}
        started = time.monotonic()
        for case in cases:
            result = chromium(f"{site.origin}/redirect?case={case}", tmp_path / f"profile-{case}", rules)
            landed[case] = final_url(result.stdout)
        report(f"chromium redirects: {len(cases)} loads in {time.monotonic() - started:.1f} s: {landed}")
        for n, payload in enumerate(BROWSER_PAYLOADS):
            assert landed[str(n)] == site.origin + "/", (payload, cases[str(n)], landed[str(n)])
        assert landed["control"] is not None and not landed["control"].startswith(site.origin), landed["control"]
        assert landed["control"].startswith("http://evil.example/")
        assert ("evil.example", "/") in site.hosts
    finally:
        site.stop()


# MARK: - 10. The Content-Security-Policy in Chromium

def csp_complaints(stderr: str) -> list:
    return [line for line in stderr.splitlines()
            if "Content Security Policy" in line or "Refused to" in line or "Content-Security-Policy" in line]


@needs_chromium
def test_pages_break_no_content_security_policy_rule(main, paper_id, tmp_path):
    status, headers, _ = request(main, "GET", "/")
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"]

    # The detector: the same policy on a page with an inline script must be reported.
    class Inline(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<!doctype html><title>inline</title><p>inline</p><script>document.title = 'ran';</script>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", policy)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    control = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Inline)
    threading.Thread(target=control.serve_forever, daemon=True).start()
    try:
        result = chromium(f"http://127.0.0.1:{control.server_address[1]}/", tmp_path / "profile-control",
                          "--enable-logging=stderr", "--v=0")
        assert csp_complaints(result.stderr), "Chromium reported no CSP violation for an inline script"
        assert "<title>inline</title>" in result.stdout
    finally:
        control.shutdown()
        control.server_close()

    pages = {"/": "Paperboy", "/login": "Log in", "/search?q=agents": "agents", f"/papers/{paper_id}": paper_id}
    started = time.monotonic()
    for number, (path, expected) in enumerate(pages.items()):
        result = chromium(main.url + path, tmp_path / f"profile-{number}", "--enable-logging=stderr", "--v=0")
        assert expected in result.stdout and "</html>" in result.stdout, (path, result.stdout[:500])
        assert csp_complaints(result.stderr) == [], (path, csp_complaints(result.stderr))
    report(f"CSP in chromium: {len(pages)} pages in {time.monotonic() - started:.1f} s, no complaint")
