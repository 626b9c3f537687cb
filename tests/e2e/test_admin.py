"""The admin role end to end: granted on the command line, used in the browser, logged."""
import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request

from conftest import DEMO, Server, demo_items, run_paperboy


class Browser:
    def __init__(self, url):
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path):
        try:
            with self.opener.open(self.url + path, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post(self, page, path, **fields):
        csrf = re.search(r'name="csrf" value="([^"]+)"', self.get(page)[1]).group(1)
        body = urllib.parse.urlencode({"csrf": csrf, **fields}).encode()
        try:
            with self.opener.open(urllib.request.Request(self.url + path, data=body), timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def test_granting_on_the_command_line_opens_admin_and_every_action_is_logged(tmp_path):
    database = tmp_path / "admin.sqlite"
    assert run_paperboy("import", "hf-daily", str(DEMO), "--database", str(database)).returncode == 0
    day, items = sorted(demo_items().items())[-1]
    paper_id = items[0]["paper"]["id"]
    server = Server(database)
    try:
        editor = Browser(server.url)
        assert editor.post("/signup", "/signup", email="Editor@Example.org", name="editor", password="correct horse battery")[0] == 200
        assert editor.get("/admin")[0] == 404, "not an admin yet: the area does not show"

        unknown = run_paperboy("admin", "grant", "nobody@example.org", "--database", str(database))
        assert unknown.returncode == 1
        assert "No reader has the email nobody@example.org" in unknown.stderr

        granted = run_paperboy("admin", "grant", "editor@example.org", "--database", str(database))
        assert granted.returncode == 0, granted.stderr
        assert "editor <Editor@Example.org> is now an admin" in granted.stdout
        assert "editor\tEditor@Example.org" in run_paperboy("admin", "list", "--database", str(database)).stdout

        status, page = editor.get("/admin")
        assert status == 200
        assert "Recent sign-ups" in page and "Sync status" in page
        assert re.search(r"<td>cli</td><td>grant-admin</td><td>Editor@Example.org</td>", page)

        assert editor.post("/admin", "/admin/papers/hide", id=paper_id)[0] == 200  # redirected to /admin
        with urllib.request.urlopen(f"{server.url}/api/daily_papers?date={day}", timeout=30) as response:
            listed = [item["paper"]["id"] for item in json.load(response)]
        assert paper_id not in listed and listed, "hidden from the API, the rest of the day still there"
        log = run_paperboy("admin", "log", "--database", str(database)).stdout.splitlines()
        assert log[0].split("\t")[1:4] == ["editor", "hide-paper", paper_id]

        assert run_paperboy("admin", "revoke", "editor@example.org", "--database", str(database)).returncode == 0
        assert editor.get("/admin")[0] == 404
    finally:
        server.stop()
