"""Three `paperboy serve` nodes on one PostgreSQL behind nginx on loopback (configured like
deploy/nginx-nodes.conf): any request can go to any node, and a node can die at any time."""
import collections
import http.cookiejar
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from conftest import DEMO, ROOT, Server, free_port, run_paperboy
from postgres import postgres  # noqa: F401  (the fixture)
from test_digest import SMTPServer

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
WRK = shutil.which("wrk") or "/usr/bin/wrk"
BENCHMARKS = ROOT / "Benchmarks"
PASSWORD = "correct horse battery staple"


class Balancer:
    """nginx spreading requests over the nodes, as deploy/nginx-nodes.conf does."""

    def __init__(self, directory: pathlib.Path, ports):
        directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        upstreams = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;" for port in ports)
        temp_paths = "\n".join(f"    {name}_temp_path {directory}/{name};" for name in
                               ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        user = "user root;" if os.geteuid() == 0 else ""
        (directory / "nginx.conf").write_text(f"""{user}
daemon off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log;
events {{ worker_connections 256; }}
http {{
    access_log off;
{temp_paths}
    upstream paperboy {{
{upstreams}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        location / {{
            proxy_pass http://paperboy;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream error timeout http_502 http_503;
        }}
    }}
}}
""")
        self.process = subprocess.Popen(
            [NGINX, "-p", str(directory), "-c", str(directory / "nginx.conf"), "-e", str(directory / "error.log")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while True:
            assert self.process.poll() is None, self.process.stderr.read()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not listen"
                time.sleep(0.05)

    def stop(self):
        self.process.send_signal(signal.SIGQUIT)
        self.process.wait(timeout=30)


class Browser:
    """A reader's cookie jar, pointed at one base URL at a time."""

    def __init__(self):
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, base, path):
        with self.opener.open(base + path, timeout=30) as response:
            return response.status, response.read().decode()

    def csrf(self, base, path="/login"):
        return re.search(r'name="csrf" value="([^"]+)"', self.get(base, path)[1]).group(1)

    def post(self, base, path, fields, csrf_from="/login", headers=None):
        body = urllib.parse.urlencode({"csrf": self.csrf(base, csrf_from), **fields}).encode()
        request = urllib.request.Request(base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def get_json(base, path):
    with urllib.request.urlopen(base + path, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def nodes(postgres, tmp_path_factory):
    _, url = postgres.create_database()
    imported = run_paperboy("import", "hf-daily", str(DEMO), "--database", url)
    assert imported.returncode == 0, imported.stderr
    servers = [Server(url) for _ in range(3)]
    balancer = Balancer(tmp_path_factory.mktemp("nginx"), [server.port for server in servers])
    yield url, servers, balancer
    balancer.stop()
    for server in servers:
        assert server.stop() == 0


def test_sign_up_on_one_node_log_in_through_another_and_be_known_on_the_third(nodes):
    _, (one, two, three), _ = nodes
    name = "reader" + uuid.uuid4().hex[:8]
    signing_up = Browser()
    status, _ = signing_up.post(one.url, "/signup", {"email": f"{name}@example.org", "name": name, "password": PASSWORD},
                                csrf_from="/signup")
    assert status == 200
    reader = Browser()
    status, page = reader.post(two.url, "/login", {"email": f"{name}@example.org", "password": PASSWORD})
    assert status == 200 and name in page
    status, settings = reader.get(three.url, "/settings")
    assert status == 200 and f"{name}@example.org" in settings
    # The CSRF token of the session made on node two is accepted by node three's form.
    status, _ = reader.post(three.url, "/logout", {}, csrf_from="/settings")
    assert status == 200
    assert "/login" in reader.get(one.url, "/")[1], "logged out everywhere"


def test_upvotes_through_the_balancer_show_on_every_node_at_the_next_request(nodes):
    _, servers, balancer = nodes
    paper_ids = [entry["paper"]["id"] for entry in get_json(servers[0].url, "/api/daily_papers")][:5]
    before = {paper_id: get_json(servers[0].url, f"/api/papers/{paper_id}")["upvotes"] for paper_id in paper_ids}
    for server in servers:  # every node has the pages cached
        for paper_id in paper_ids:
            get_json(server.url, f"/api/papers/{paper_id}")
    name = "voter" + uuid.uuid4().hex[:8]
    reader = Browser()
    status, _ = reader.post(balancer.url, "/signup", {"email": f"{name}@example.org", "name": name, "password": PASSWORD},
                            csrf_from="/signup")
    assert status == 200
    for paper_id in paper_ids:
        status, answer = reader.post(balancer.url, f"/papers/{paper_id}/upvote", {"action": "add"}, csrf_from="/settings",
                                     headers={"Accept": "application/json"})
        assert status == 200, answer
    for server in servers:
        for paper_id in paper_ids:
            assert get_json(server.url, f"/api/papers/{paper_id}")["upvotes"] == before[paper_id] + 1, server.url


def test_papers_imported_through_the_cli_are_searchable_on_every_node(nodes, tmp_path):
    url, servers, _ = nodes
    word = "zq" + uuid.uuid4().hex[:10]
    listing = tmp_path / "new.jsonl"
    listing.write_text(json.dumps({"id": "2611.99999", "title": f"Ranking {word} papers across nodes",
                                   "authors": ["A. Author"], "categories": ["cs.IR"], "summary": "A new paper."}) + "\n")
    imported = run_paperboy("import", "arxiv-jsonl", str(listing), "--database", url)
    assert imported.returncode == 0, imported.stderr
    started = time.monotonic()
    waits = []
    for server in servers:
        # Each node hears the commit (NOTIFY) and loads the paper; the poll every 2 s is the fallback.
        while not any(result["paper"]["id"] == "2611.99999"
                      for result in get_json(server.url, f"/api/papers/search?q={word}&mode=lexical")):
            assert time.monotonic() - started < 10, f"{server.url} never found the paper"
            time.sleep(0.02)
        waits.append(time.monotonic() - started)
    print(f"searchable on each node after {', '.join(f'{wait:.2f}' for wait in waits)} s")
    for server in servers:
        assert get_json(server.url, "/healthz")["store"]["indexLag"] == 0


def test_the_log_in_limit_holds_across_nodes(nodes, postgres):
    url, servers, _ = nodes
    statuses = collections.Counter()
    started = time.monotonic()
    for attempt in range(30):  # 10 a minute per address (the default), spread over three nodes
        status, _ = Browser().post(servers[attempt % 3].url, "/login",
                                   {"email": "nobody@example.org", "password": "wrong password"})
        statuses[status] += 1
    elapsed = time.monotonic() - started
    buckets = postgres.psql("SELECT policy, key, tokens, taken FROM rate_limit_buckets",
                            database=url.rsplit("/", 1)[1].split("?")[0])
    # Limited per node, all 30 would pass (10 per node). Shared, at most the 10 of the bucket
    # and the one it gains every 6 s (a failed log-in runs bcrypt: the attempts take seconds).
    refilled = int(elapsed / 6) + 1
    assert statuses[401] <= 10 + refilled and statuses[429] >= 30 - 10 - refilled, (statuses, elapsed, buckets)


def test_the_digest_started_on_three_nodes_survives_kill_9_of_the_sender(postgres, tmp_path):
    database, url = postgres.create_database()
    assert run_paperboy("import", "hf-daily", str(DEMO), "--database", url).returncode == 0
    readers = [f"reader{number:04d}@example.org" for number in range(300)]
    listing = tmp_path / "readers.txt"
    listing.write_text("\n".join(readers) + "\n")
    assert run_paperboy("subscribers", "import", str(listing), "--database", url).returncode == 0
    smtp = SMTPServer(tmp_path / "spool")
    mail = ["--digest-time", "00:00", "--digest-check-interval", "1", "--smtp-url", smtp.url, "--smtp-connections", "1",
            "--from", "Paperboy <digest@papers.example.org>", "--public-url", "https://papers.example.org"]
    servers = [Server(url, *mail) for _ in range(3)]
    try:
        deadline = time.monotonic() + 120
        while smtp.count() < 60:
            assert time.monotonic() < deadline, "the digest did not start"
            time.sleep(0.005)
        holder = postgres.psql("SELECT holder FROM leases WHERE name LIKE 'digest%'", database=database)
        pid = int(holder.split(":")[1])
        sender = next(server for server in servers if server.process.pid == pid)
        sender.process.send_signal(signal.SIGKILL)
        sender.process.wait(timeout=10)
        at_kill = smtp.count()
        assert at_kill < len(readers), "killed after the run ended"
        while postgres.psql("SELECT count(*) FROM digest_deliveries WHERE state = 'sent'", database=database) != str(len(readers)):
            assert time.monotonic() < deadline, "another node did not take the run over"
            time.sleep(0.1)
        time.sleep(2)  # two more ticks on the surviving nodes: nothing more is sent
    finally:
        for server in servers:
            if server.process.poll() is None:
                assert server.stop() == 0
        smtp.stop()
    by_reader = collections.defaultdict(list)
    for message in smtp.messages():
        by_reader[str(message["To"])].append(str(message["Message-ID"]))
    assert sorted(by_reader) == readers, "every reader got the digest"
    duplicates = sum(len(ids) - 1 for ids in by_reader.values())
    for reader, ids in by_reader.items():
        assert len(set(ids)) == 1, f"{reader} got different digests"
    # The one message in flight at the kill (one SMTP connection) may arrive twice, as the
    # very same message (same Message-ID), which mail stores merge.
    print(f"kill -9 of the sender after {at_kill} messages; duplicates: {duplicates}")
    assert duplicates <= 1, duplicates


def test_wrk_through_the_balancer_while_a_node_is_killed_and_restarted_loses_no_acknowledged_write(postgres, tmp_path):
    """30 s of wrk through nginx, each request a new upvote (Benchmarks/nodes-failover.lua); node
    1 is killed with -9 at 10 s and started again at 15 s. Every upvote a client saw
    acknowledged must be a row afterwards."""
    database, url = postgres.create_database()
    assert run_paperboy("import", "hf-daily", str(DEMO), "--database", url).returncode == 0
    # The readers sign up from addresses of their own (X-Forwarded-For from a trusted loopback
    # proxy), or the sign-up limit would refuse most of them; wrk's writes are not rate limited.
    flags = ["--trusted-proxies", "127.0.0.1", "--api-rate-limit", "1000000000", "--no-embed", "--log-level", "warning"]
    servers = [Server(url, *flags) for _ in range(3)]
    balancer = Balancer(tmp_path / "nginx", [server.port for server in servers])
    try:
        readers = 24
        tokens = subprocess.run([sys.executable, str(BENCHMARKS / "nodes-make-tokens.py"), servers[0].url, str(readers)],
                                capture_output=True, text=True, timeout=300, check=True).stdout.split()
        assert len(tokens) == readers
        (tmp_path / "tokens.txt").write_text("\n".join(tokens) + "\n")
        ids = postgres.psql("SELECT id FROM papers ORDER BY md5(id)", database=database).split()
        (tmp_path / "ids.txt").write_text("\n".join(ids) + "\n")
        acked = tmp_path / "acked"
        acked.mkdir()
        environment = {**os.environ, "THREADS": "2", "TOKENS_FILE": str(tmp_path / "tokens.txt"),
                       "IDS_FILE": str(tmp_path / "ids.txt"), "ACKED_DIR": str(acked)}
        started = time.monotonic()
        load = subprocess.Popen([WRK, "-t2", "-c16", "-d30s", "--latency", "-s", str(BENCHMARKS / "nodes-failover.lua"),
                                 balancer.url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
        time.sleep(10)
        servers[1].process.send_signal(signal.SIGKILL)
        servers[1].process.wait(timeout=10)
        time.sleep(5)
        servers[1] = servers[1].again()
        restarted = time.monotonic() - started
        output, errors = load.communicate(timeout=120)
        assert load.returncode == 0, errors
        print(output)
        # No wait needed: a node answers 200 only after the upvote's transaction committed.
        rows = set(tuple(line.split("|")) for line in postgres.psql(
            "SELECT u.email || '|' || v.paper_id FROM upvotes v JOIN users u ON u.id = v.user_id "
            "WHERE u.email LIKE 'nodes-reader-%'", database=database).split())
        acknowledged = set()
        for name in acked.glob("acked-*.txt"):
            for line in name.read_text().split("\n"):
                if line:
                    reader, paper = line.split()
                    acknowledged.add((f"nodes-reader-{reader}@example.org", paper))
        statuses = dict(re.findall(r"^status (\d+): (\d+)$", output, re.M))
        print(f"node 1 answered again {restarted:.1f} s into the run; statuses {statuses}; "
              f"{len(acknowledged)} acknowledged upvotes, {len(rows)} rows")
        assert len(acknowledged) > 1000, output
        assert acknowledged - rows == set(), f"acknowledged but lost: {sorted(acknowledged - rows)[:10]}"
        # Every answer was an acknowledgement or a gateway error from the kill; no other errors.
        assert set(statuses) <= {"200", "502", "504"}, output
        # The restarted node serves again: its own API sees the writes made through the others.
        some = next(iter(acknowledged))[1]
        assert get_json(servers[1].url, f"/api/papers/{some}")["upvotes"] >= 1
    finally:
        balancer.stop()
        for server in servers:
            if server.process.poll() is None:
                server.stop()
