"""The command line as an operator meets it: exit codes, summaries, rejections, shutdown."""
import pathlib
import re
import shutil

from conftest import DEMO, Replay, SHARED_DATA, Server, run_paperboy

SUMMARY = re.compile(r"^days=\d+ papers=\d+ new=\d+ updated=\d+ unchanged=\d+ rejected=\d+ seconds=[\d.]+ papers_per_second=\d+$")


def test_import_prints_a_summary_and_is_idempotent(tmp_path):
    database = tmp_path / "x.sqlite"
    first = run_paperboy("import", "hf-daily", str(DEMO), "--database", str(database))
    assert first.returncode == 0, first.stderr
    assert SUMMARY.match(first.stdout.strip()), first.stdout
    assert " new=0 " not in first.stdout
    second = run_paperboy("import", "hf-daily", str(DEMO), "--database", str(database))
    assert second.returncode == 0
    assert " new=0 updated=0 " in second.stdout


def test_rejected_items_are_listed_with_file_and_index(tmp_path):
    broken = tmp_path / "2024-12-11.json"
    broken.write_text('[{"paper": {"id": "2412.00001", "title": "Good"}}, "{\'paper\': {}}", 7]')
    result = run_paperboy("import", "hf-daily", str(broken), "--database", str(tmp_path / "x.sqlite"))
    assert result.returncode == 0
    assert "rejected=2" in result.stdout
    assert "rejected 2024-12-11.json[1]: item is a string holding a Python repr" in result.stderr
    assert "rejected 2024-12-11.json[2]:" in result.stderr


def test_fatal_problems_exit_non_zero_with_one_line(tmp_path):
    missing = run_paperboy("import", "hf-daily", str(tmp_path / "nope"), "--database", str(tmp_path / "x.sqlite"))
    assert missing.returncode != 0
    assert len(missing.stderr.strip().splitlines()) == 1
    assert "no such file or directory" in missing.stderr

    unwritable = run_paperboy("import", "hf-daily", str(DEMO), "--database", "/proc/paperboy/x.sqlite")
    assert unwritable.returncode != 0
    assert "cannot open database" in unwritable.stderr


def test_import_paths_say_what_is_wrong_with_them(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_paperboy("import", "arxiv-jsonl", str(empty), "--database", str(tmp_path / "x.sqlite"))
    assert result.returncode != 0
    assert f"directory {empty} has no .jsonl, .jsonl.gz, .json or .json.gz files" in result.stderr

    # Root reads files whatever their mode: a directory named like a day file is unreadable for everyone.
    day = tmp_path / "days" / "2024-05-27.json"
    day.mkdir(parents=True)
    result = run_paperboy("import", "hf-daily", str(day.parent), "--database", str(tmp_path / "x.sqlite"))
    assert result.returncode != 0
    assert f"{day} exists but cannot be read: is a directory" in result.stderr


def test_an_arxiv_line_over_the_record_limit_is_rejected_and_the_rest_imported(tmp_path):
    paper = '{"id":"2405.%05d","title":"Paper","authors":["A. Author"],"categories":["cs.CL"],"summary":"%s"}'
    lines = tmp_path / "lines.jsonl"
    long = paper % (1, "x" * 200)
    lines.write_text("\n".join([long, paper % (2, "short")]) + "\n")
    result = run_paperboy("import", "arxiv-jsonl", str(lines), "--max-record-bytes", "200", "--database", str(tmp_path / "x.sqlite"))
    assert result.returncode == 0, result.stderr
    assert " papers=1 " in result.stdout and " rejected=1 " in result.stdout
    assert f"rejected lines.jsonl[1]: record is {len(long)} bytes, over the 200-byte limit" in result.stderr


def test_database_path_comes_from_the_environment(tmp_path):
    import os
    database = tmp_path / "from-env.sqlite"
    one_day = sorted(DEMO.glob("*.json"))[-1]
    result = run_paperboy("import", "hf-daily", str(one_day), env={**os.environ, "PAPERBOY_DATABASE": str(database)})
    assert result.returncode == 0, result.stderr
    assert database.exists()


def test_every_command_has_help():
    for command in [[], ["serve"], ["import"], ["import", "hf-daily"], ["import", "arxiv-jsonl"], ["embed"], ["eval"], ["bench", "search"], ["admin"], ["admin", "grant"]]:
        result = run_paperboy(*command, "--help")
        assert result.returncode == 0
        assert "USAGE" in result.stdout


def test_sigterm_shuts_the_server_down_cleanly(demo_database, tmp_path):
    copy = tmp_path / "copy.sqlite"
    shutil.copy(demo_database, copy)
    server = Server(copy)
    assert server.stop() == 0
    logs = server.process.stderr.read()
    assert "level=info" in logs, logs


def test_eval_prints_one_line_per_method(tmp_path):
    import json
    dataset = tmp_path / "tiny"
    (dataset / "qrels").mkdir(parents=True)
    documents = [
        {"_id": "d1", "title": "Gradient descent", "text": "Stochastic gradient descent optimises neural network weights."},
        {"_id": "d2", "title": "Protein folding", "text": "Predicting the three dimensional structure of proteins."},
        {"_id": "d3", "title": "Sourdough", "text": "Baking bread with wild yeast and a long fermentation."},
    ]
    (dataset / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in documents))
    queries = [{"_id": "q1", "text": "how are proteins folded"}, {"_id": "q2", "text": "bread baking yeast"}]
    (dataset / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in queries))
    (dataset / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td2\t1\nq2\td3\t1\n")
    result = run_paperboy("eval", "--dataset", str(dataset), "--split", "test", "--cache", str(tmp_path / "cache"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "# tiny split=test all-MiniLM-L6-v2-int8: 3 docs, 2 judged queries"  # int8 by default
    for method in ("lexical", "dense", "hybrid"):
        line = next(l for l in lines if l.startswith(method + " "))
        assert re.fullmatch(method + r" nDCG@10=\d\.\d{3} Recall@100=\d\.\d{3}", line), line
    assert "hybrid nDCG@10=1.000 Recall@100=1.000" in lines
    assert list((tmp_path / "cache").iterdir()), "corpus embeddings are cached"

    bad = run_paperboy("eval", "--dataset", str(dataset), "--split", "dev")
    assert bad.returncode != 0


def test_embed_computes_missing_embeddings(tmp_path):
    database = tmp_path / "x.sqlite"
    one_day = sorted(DEMO.glob("*.json"))[-1]
    assert run_paperboy("import", "hf-daily", str(one_day), "--database", str(database)).returncode == 0
    first = run_paperboy("embed", "--database", str(database))
    assert first.returncode == 0, first.stderr
    embedded = int(re.search(r"embedded=(\d+)", first.stdout).group(1))
    assert embedded > 0
    assert re.search(rf"total={embedded}\b", first.stdout)
    again = run_paperboy("embed", "--database", str(database))
    assert "embedded=0 " in again.stdout


def test_fetch_arxiv_uses_the_api_client(tmp_path):
    # arXiv's recorded answers (arxiv.py's fixtures), served by the replay server.
    replay = Replay("--arxiv-api", str(SHARED_DATA / "upstream" / "arxiv-api" / "arxiv.py-fixtures"))
    try:
        url = f"{replay.url}/api/query"
        database = tmp_path / "x.sqlite"
        found = run_paperboy("fetch", "arxiv", "https://arxiv.org/abs/1605.08386v1", "--api-url", url, "--database", str(database))
        assert found.returncode == 0, found.stderr
        assert "1605.08386\t2016-05-26\tHeat-bath random walks with Markov bases" in found.stdout
        assert "papers=1 new=1" in found.stdout
        missing = run_paperboy("fetch", "arxiv", "0808.05394", "--api-url", url, "--database", str(database))
        assert missing.returncode == 2
        assert "not found on arXiv: 0808.05394" in missing.stderr
        assert replay.requests("id_list=1605.08386") and replay.requests("id_list=0808.05394")
    finally:
        replay.stop()


class Voter:
    """A signed-up reader upvoting paper after paper through the running server, on a thread."""

    def __init__(self, server, paper_ids):
        import http.cookiejar
        import threading
        import urllib.request
        self.server, self.paper_ids = server, paper_ids
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.votes, self.error = 0, None
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        self.form("/signup", "/signup", email="backup@example.org", name="backup", password="correct horse battery")
        self.csrf = self.csrf_of("/submit")
        self.thread = threading.Thread(target=self.run, daemon=True)

    def csrf_of(self, path):
        with self.opener.open(self.server.url + path, timeout=30) as response:
            return re.search(r'name="csrf" value="([^"]+)"', response.read().decode()).group(1)

    def form(self, page, path, headers=None, **fields):
        import urllib.parse
        import urllib.request
        body = urllib.parse.urlencode({"csrf": self.csrf_of(page) if page else self.csrf, **fields}).encode()
        request = urllib.request.Request(self.server.url + path, data=body, headers=headers or {})
        with self.opener.open(request, timeout=30) as response:
            return response.status

    def run(self):
        try:
            for paper_id in self.paper_ids:
                if self.stopping.is_set():
                    return
                status = self.form(None, f"/papers/{paper_id}/upvote", {"Accept": "application/json"}, action="add")
                assert status == 200, status
                with self.changed:
                    self.votes += 1
                    self.changed.notify_all()
        except Exception as error:  # reported by wait_for and stop
            self.error = error
            with self.changed:
                self.changed.notify_all()

    def wait_for(self, votes):
        with self.changed:
            assert self.changed.wait_for(lambda: self.votes >= votes or self.error, timeout=120), "no votes"
        assert self.error is None, self.error

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=60)
        assert self.error is None, self.error


def test_backup_while_the_server_serves_and_takes_upvotes(demo_database, tmp_path):
    import sqlite3
    live = tmp_path / "live.sqlite"
    shutil.copy(demo_database, live)
    backup = tmp_path / "backups" / "paperboy.sqlite"
    backup.parent.mkdir()
    source = sqlite3.connect(live)
    paper_ids = [row[0] for row in source.execute("SELECT id FROM papers ORDER BY id")]
    source.close()
    server = Server(live)
    try:
        voter = Voter(server, paper_ids)
        voter.thread.start()
        voter.wait_for(10)
        result = run_paperboy("backup", "--to", str(backup), "--database", str(live))
        voter.wait_for(voter.votes + 5)  # still writing after the backup
        voter.stop()
    finally:
        assert server.stop() == 0
    assert result.returncode == 0, result.stderr
    summary = re.match(r"^backup=(\S+) bytes=(\d+) papers=(\d+) upvotes=(\d+) seconds=[\d.]+$", result.stdout.strip())
    assert summary, result.stdout
    assert summary.group(1) == str(backup)
    assert int(summary.group(2)) == backup.stat().st_size
    papers, upvotes = int(summary.group(3)), int(summary.group(4))

    copy = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert copy.execute("SELECT COUNT(*) FROM papers").fetchone()[0] == papers == len(paper_ids)
    assert copy.execute("SELECT COUNT(*) FROM upvotes").fetchone()[0] == upvotes
    assert copy.execute("SELECT SUM(local_upvotes) FROM papers").fetchone()[0] == upvotes, "each vote with its counter"
    copy.close()
    source = sqlite3.connect(live)
    final_upvotes = source.execute("SELECT COUNT(*) FROM upvotes").fetchone()[0]
    source.close()
    assert 10 <= upvotes < final_upvotes == voter.votes
    assert sorted(path.name for path in backup.parent.iterdir()) == ["paperboy.sqlite"], "one self-contained file"


def test_backup_refuses_a_missing_directory_and_the_database_itself(demo_database, tmp_path):
    nowhere = run_paperboy("backup", "--to", str(tmp_path / "nope" / "b.sqlite"), "--database", str(demo_database))
    assert nowhere.returncode != 0
    assert f"directory {tmp_path / 'nope'} does not exist" in nowhere.stderr
    itself = run_paperboy("backup", "--to", str(demo_database), "--database", str(demo_database))
    assert itself.returncode != 0
    assert "it is the database being backed up" in itself.stderr
    no_database = run_paperboy("backup", "--to", str(tmp_path / "b.sqlite"), "--database", str(tmp_path / "typo.sqlite"))
    assert no_database.returncode != 0
    assert "no database at" in no_database.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == []
