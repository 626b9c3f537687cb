"""One node on PostgreSQL: the same answers as SQLite for the same data, and no SQLite file."""
import json
import re
import os
import subprocess
import urllib.request

import pytest

from conftest import DEMO, Server, paperboy_binary, run_paperboy
from postgres import postgres  # noqa: F401  (the fixture)
from test_cli import Voter


def get_json(server, path):
    with urllib.request.urlopen(server.url + path, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def demo_url(postgres):
    _, url = postgres.create_database()
    result = run_paperboy("import", "hf-daily", str(DEMO), "--database", url)
    assert result.returncode == 0, result.stderr
    return url


def test_the_demo_imported_into_postgres_is_served_as_from_sqlite(server, demo_url, tmp_path):
    # Started in an empty directory: nothing may be written there (no SQLite file, no var/).
    node = Server(demo_url, cwd=tmp_path)
    try:
        health = get_json(node, "/healthz")
        assert health["store"]["backend"] == "postgres"
        days = sorted(path.stem for path in DEMO.glob("*.json"))
        for day in (days[0], days[-1]):
            assert get_json(node, f"/api/daily_papers?date={day}") == get_json(server, f"/api/daily_papers?date={day}")
        query = "/api/papers/search?q=diffusion+language+model&mode=lexical"
        ours, theirs = get_json(node, query), get_json(server, query)
        assert [result["paper"]["id"] for result in ours] == [result["paper"]["id"] for result in theirs]
        assert len(ours) > 0
        with urllib.request.urlopen(node.url + "/", timeout=30) as response:
            assert response.status == 200
    finally:
        assert node.stop() == 0
    assert os.listdir(tmp_path) == [], "serving on PostgreSQL wrote files"


def test_votes_on_postgres_count_once_per_reader(demo_url):
    node = Server(demo_url)
    try:
        paper_ids = [entry["paper"]["id"] for entry in get_json(node, "/api/daily_papers")][:5]
        voter = Voter(node, paper_ids)
        voter.thread.start()
        voter.wait_for(len(paper_ids))
        voter.stop()
        for paper_id in paper_ids:
            paper = get_json(node, f"/api/papers/{paper_id}")
            assert paper["upvotes"] >= 1
    finally:
        assert node.stop() == 0


def test_database_locations_that_cannot_work_are_one_line_errors(tmp_path):
    for location, message in [
        ("mysql://db/paperboy", "unknown database scheme"),
        ("postgres://paperboy:secret@127.0.0.1:1/paperboy?sslmode=disable", "cannot open database postgres://paperboy@127.0.0.1:1/paperboy"),
    ]:
        result = subprocess.run([paperboy_binary(), "serve", "--port", "0", "--database", location],
                                capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert result.returncode != 0
        assert message in result.stderr, result.stderr
        assert "secret" not in result.stderr
        assert os.listdir(tmp_path) == [], f"{location} left files behind"



def test_db_copy_moves_an_installation_into_postgres_and_a_backup_brings_it_back(postgres, demo_database, tmp_path):
    import sqlite3
    database, url = postgres.create_database()
    copied = run_paperboy("db", "copy", "--from", str(demo_database), "--to", url)
    assert copied.returncode == 0, copied.stderr
    assert re.search(r"^copied=\d+ tables=21 checked=yes seconds=[\d.]+$", copied.stdout.strip().splitlines()[-1]), copied.stdout
    with sqlite3.connect(demo_database) as source:
        for table in ("papers", "daily_entries"):
            expected = source.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            assert postgres.psql(f"SELECT count(*) FROM {table}", database=database) == str(expected)
            assert re.search(rf"^{table}\s+{expected}\s+[0-9a-f]{{16}}\s", copied.stdout, re.M), copied.stdout

    again = run_paperboy("db", "copy", "--from", str(demo_database), "--to", url)
    assert again.returncode != 0
    # The demo database may hold embeddings and settings too, once a test served it.
    assert re.search(r"the target already holds data \(papers, daily_entries(, \w+)*\); nothing was written; "
                     r"--force replaces it", again.stderr), again.stderr
    assert run_paperboy("db", "copy", "--from", str(demo_database), "--to", url, "--force").returncode == 0

    backup = tmp_path / "backup.sqlite"
    result = run_paperboy("backup", "--to", str(backup), "--database", url)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(f"file:{backup}?mode=ro", uri=True) as copy, sqlite3.connect(demo_database) as source:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        for table in ("papers", "daily_entries"):
            assert copy.execute(f"SELECT count(*) FROM {table}").fetchone() == source.execute(f"SELECT count(*) FROM {table}").fetchone()
