"""The OpenAPI document at /api/openapi.json, checked against the real server by schemathesis:
every operation it describes, with generated valid and invalid input, must answer without a
server error and only with the statuses, content types and bodies the document promises."""
import datetime
import http.cookiejar
import http.server
import json
import pathlib
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse
import urllib.request

import pytest

from conftest import ROOT, Server

SCHEMATHESIS = pathlib.Path(sys.executable).parent / "schemathesis"
ONE_PAPER = (ROOT / "Tests" / "PaperboyWebTests" / "Fixtures" / "arxiv" / "one.xml").read_text()


class FakeArxiv(http.server.BaseHTTPRequestHandler):
    """Answers every arXiv query with the asked paper, published today: submissions get as far as
    the feed (201, then 409 or the daily limit's 429) and nothing leaves the machine."""

    def do_GET(self):
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        paper_id = query.get("id_list", [""])[0].split(",")[0]
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = re.sub(r"2024-05-2\dT[0-9:]+Z", now, ONE_PAPER.replace("2405.20001", paper_id)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/atom+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_arxiv():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeArxiv)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/query"
    server.shutdown()


@pytest.fixture
def api_server(demo_database, tmp_path, fake_arxiv):
    """Its own copy of the demo data (schemathesis upvotes and submits), a rate limit high
    enough that 429s do not crowd out everything else, and the fake arXiv."""
    database = tmp_path / "openapi.sqlite"
    shutil.copy(demo_database, database)
    running = Server(database, "--api-rate-limit", "100000", "--arxiv-api-url", fake_arxiv, "--no-embed")
    yield running
    assert running.stop() == 0


def api_token(server) -> str:
    """Signs a reader up through the forms and creates an API token on /settings."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def post(page, action, **fields):
        with opener.open(server.url + page, timeout=30) as response:
            csrf = re.search(r'name="csrf" value="([^"]+)"', response.read().decode()).group(1)
        body = urllib.parse.urlencode({"csrf": csrf, **fields}).encode()
        with opener.open(urllib.request.Request(server.url + action, data=body), timeout=30) as response:
            return response.read().decode()

    post("/signup", "/signup", email="fuzz@example.org", name="fuzz", password="correct horse battery")
    page = post("/settings", "/settings/tokens", name="schemathesis")
    return re.search(r'class="new-token".*?<code>([^<]+)</code>', page).group(1)


def test_document_is_served_as_json_and_linked_from_every_page(server):
    with urllib.request.urlopen(f"{server.url}/api/openapi.json", timeout=10) as response:
        assert response.headers["Content-Type"] == "application/json"
        document = json.load(response)
    assert document["openapi"].startswith("3.1")
    assert "/api/daily_papers" in document["paths"]
    with urllib.request.urlopen(server.url + "/", timeout=10) as response:
        assert '<a href="/api/openapi.json">JSON API</a>' in response.read().decode()


def test_every_operation_answers_as_documented(api_server, tmp_path):
    token = api_token(api_server)
    with urllib.request.urlopen(f"{api_server.url}/api/openapi.json", timeout=10) as response:
        operations = sum(len(item) for item in json.load(response)["paths"].values())
    # One worker: with two, hypothesis' concurrent ast.parse calls crashed CPython 3.11.7
    # ("AST constructor recursion depth mismatch").
    result = subprocess.run(
        [str(SCHEMATHESIS), "--no-color", "run", f"{api_server.url}/api/openapi.json",
         "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
         "--max-examples", "40", "--seed", "1", "--max-failures", "20",
         "--header", f"Authorization: Bearer {token}",
         "--suppress-health-check", "all", "--generation-database", "none"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    # Every operation but the document itself (schemathesis leaves out the schema's own path).
    assert f"Tested: {operations - 1}\n" in result.stdout, result.stdout[-3000:]
    cases = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert cases and cases.group(1) == cases.group(2), result.stdout[-3000:]
    with urllib.request.urlopen(f"{api_server.url}/api/daily_papers?submitter=fuzz", timeout=10) as response:
        assert json.load(response), "no submission got through to the feed: the 201 answer went unchecked"
