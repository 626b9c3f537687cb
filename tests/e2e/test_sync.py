"""Following the upstreams end to end: a real `upstream-replay` serving the recorded Hugging Face
captures and arXiv OAI-PMH pages, real `paperboy sync` runs and a real server syncing by itself."""
import datetime
import json
import os
import pathlib
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.parse
import urllib.request

import pytest

from conftest import SHARED_DATA, Replay, Server, paperboy_binary, run_paperboy

HF_DAYS = SHARED_DATA / "hf-daily-papers"
OAI_PAGES = SHARED_DATA / "upstream" / "arxiv-oai" / "legacy-export-oai2"
# The recorded harvest: set cs, 2021-03-20 to 2021-03-30, three pages, 2,358 records.
HARVEST = ["--set", "cs", "--metadata-prefix", "oai_dc", "--from", "2021-03-20", "--until", "2021-03-30"]


@pytest.fixture(scope="module")
def replay():
    running = Replay("--hf-dir", str(HF_DAYS), "--oai", str(OAI_PAGES), "--redirect-legacy")
    yield running
    running.stop()


def summary(stdout: str) -> dict:
    """`days=7 papers=152 new=152 …` → {"days": 7, …} from the last summary line."""
    line = [line for line in stdout.splitlines() if "new=" in line][-1]
    return {key: float(value) if "." in value else int(value)
            for key, value in (pair.split("=", 1) for pair in line.split())}


def harvested(database: pathlib.Path) -> dict:
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT id, title, summary, authors, categories, published_at, listing_updated_at FROM papers")
        return {row[0]: row[1:] for row in rows}


def captured_items(day: str) -> list[dict]:
    data = json.loads((HF_DAYS / f"{day}.json").read_text())
    if isinstance(data, dict):
        data = data["data"]
    return [item for item in data if isinstance(item, dict)]


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def get_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def test_hf_sync_merges_days_records_empty_ones_and_a_second_run_changes_nothing(replay, tmp_path):
    database = tmp_path / "hf.sqlite"
    first = run_paperboy("sync", "hf-daily", "--from", "2026-06-01", "--to", "2026-06-07",
                         "--endpoint", replay.url, "--database", str(database))
    assert first.returncode == 0, first.stderr
    counts = summary(first.stdout)
    expected = sum(len(captured_items(day)) for day in
                   (f"2026-06-0{n}" for n in range(1, 8)) if (HF_DAYS / f"{day}.json").exists())
    assert counts["days"] == 7 and counts["new"] == expected and counts["rejected"] == 0
    status = json.loads(run_paperboy("sync", "status", "--json", "--database", str(database)).stdout)
    hf = next(source for source in status["sources"] if source["source"] == "hf-daily")
    assert hf["lastRun"]["fetched"] == 7 and hf["lastRun"]["new"] == expected and hf.get("lastError") is None
    with sqlite3.connect(database) as db:
        empty = {row[0] for row in db.execute("SELECT day FROM sync_days WHERE is_empty = 1")}
    assert empty == {f"2026-06-0{n}" for n in range(1, 8)} - {p.stem for p in HF_DAYS.glob("2026-06-0*.json")
                                                               if captured_items(p.stem)}
    again = run_paperboy("sync", "hf-daily", "--from", "2026-06-01", "--to", "2026-06-07",
                         "--endpoint", replay.url, "--database", str(database))
    assert again.returncode == 0, again.stderr
    assert summary(again.stdout)["new"] == 0 and summary(again.stdout)["updated"] == 0


def test_hf_endpoint_and_token_come_from_the_environment_as_huggingface_hub_reads_them(replay, tmp_path):
    environment = {**os.environ, "HF_ENDPOINT": replay.url, "HF_TOKEN": "hf_e2e_secret"}
    result = run_paperboy("sync", "hf-daily", "--from", "2026-06-02", "--to", "2026-06-02",
                          "--database", str(tmp_path / "env.sqlite"), env=environment)
    assert result.returncode == 0, result.stderr
    assert summary(result.stdout)["new"] == len(captured_items("2026-06-02"))
    assert replay.requests("date=2026-06-02"), "the request went to HF_ENDPOINT"


def test_unreachable_upstream_fails_with_one_line_and_a_nonzero_status(tmp_path):
    result = run_paperboy("sync", "hf-daily", "--from", "2026-06-02", "--to", "2026-06-02",
                          "--endpoint", "http://127.0.0.1:9", "--database", str(tmp_path / "down.sqlite"))
    assert result.returncode != 0
    assert "cannot reach" in result.stderr and "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) <= 3


def test_an_arxiv_harvest_follows_the_legacy_redirect_and_every_resumption_token(replay, tmp_path):
    database = tmp_path / "oai.sqlite"
    result = run_paperboy("sync", "arxiv", *HARVEST, "--spacing", "0", "--endpoint", f"{replay.url}/oai2",
                          "--database", str(database))
    assert result.returncode == 0, result.stderr
    counts = summary(result.stdout)
    assert counts["records"] == 2358 and counts["new"] == 2358 and counts["rejected"] == 0
    assert len(harvested(database)) == 2358
    assert replay.requests("resumptionToken=6965856%7C1001") and replay.requests("resumptionToken=6965856%7C2001")
    status = json.loads(run_paperboy("sync", "status", "--json", "--database", str(database)).stdout)
    arxiv = next(source for source in status["sources"] if source["source"] == "arxiv")
    assert arxiv["harvests"] == [{"key": "arxiv:cs:oai_dc", "from": "2021-03-30", "midHarvest": False, "recordsSoFar": 0}]


@pytest.mark.parametrize("kill_after", ["first page requested", "second page requested"])
def test_a_harvest_killed_with_sigkill_resumes_and_ends_with_exactly_the_records_of_an_uninterrupted_run(
        replay, tmp_path, kill_after):
    reference = tmp_path / "reference.sqlite"
    whole = run_paperboy("sync", "arxiv", *HARVEST, "--spacing", "0", "--endpoint", f"{replay.url}/oai",
                         "--database", str(reference))
    assert whole.returncode == 0, whole.stderr

    database = tmp_path / "killed.sqlite"
    marker = "from=2021-03-20" if kill_after == "first page requested" else "resumptionToken=6965856%7C1001"
    seen = len(replay.requests(marker))
    # Two seconds between requests leave the harvest waiting for its next page when killed.
    process = subprocess.Popen([paperboy_binary(), "sync", "arxiv", *HARVEST, "--spacing", "2",
                                "--endpoint", f"{replay.url}/oai", "--database", str(database)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(replay.requests(marker)) == seen:
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "the harvest never asked for the page"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=10) == -signal.SIGKILL
    stored = len(harvested(database))
    assert stored == (0 if kill_after == "first page requested" else 1000)

    # No --from: the harvest resumes from its checkpoint (its bounds and, mid-harvest, its token).
    resumed = run_paperboy("sync", "arxiv", "--set", "cs", "--metadata-prefix", "oai_dc", "--spacing", "0",
                           "--endpoint", f"{replay.url}/oai", "--database", str(database))
    assert resumed.returncode == 0, resumed.stderr
    assert summary(resumed.stdout)["records"] == 2358 - stored
    assert harvested(database) == harvested(reference)


def test_a_new_arxiv_version_updates_the_text_but_not_the_community_data(replay, tmp_path):
    database = tmp_path / "versions.sqlite"
    assert run_paperboy("sync", "arxiv", *HARVEST, "--spacing", "0", "--endpoint", f"{replay.url}/oai",
                        "--database", str(database)).returncode == 0
    paper_id, (title, *_rest) = sorted(harvested(database).items())[0]
    with sqlite3.connect(database) as db:
        db.execute("UPDATE papers SET upvotes = 41, listing_updated_at = '2000-01-01', title = 'An old title' WHERE id = ?",
                   (paper_id,))
    again = run_paperboy("sync", "arxiv", *HARVEST, "--spacing", "0", "--endpoint", f"{replay.url}/oai",
                         "--database", str(database))
    assert again.returncode == 0, again.stderr
    assert summary(again.stdout)["updated"] == 1
    with sqlite3.connect(database) as db:
        row = db.execute("SELECT title, upvotes FROM papers WHERE id = ?", (paper_id,)).fetchone()
    assert row == (title, 41)


def days_until(day: datetime.date) -> int:
    return (datetime.datetime.now(datetime.timezone.utc).date() - day).days


def test_a_server_on_an_empty_database_syncs_by_itself_and_shows_the_papers_everywhere(replay, tmp_path):
    # The first sync reaches back to 2026-08-20 (the captures end on 2026-08-21): two days.
    first_day = datetime.date(2026, 8, 20)
    # Every minute: the first run comes within the jitter, a tenth of the interval.
    server = Server(tmp_path / "empty.sqlite", "--hf-endpoint", replay.url, "--hf-sync-interval", "1",
                    "--hf-first-sync-days", str(days_until(first_day)), "--api-rate-limit", "100000")
    try:
        deadline = time.monotonic() + 120
        while True:
            health = get_json(f"{server.url}/healthz")
            hf = next(source for source in health["sync"]["sources"] if source["source"] == "hf-daily")
            if hf.get("lastRun", {}).get("endedAt"):
                break
            assert time.monotonic() < deadline, health
            time.sleep(0.2)
        assert hf["lastRun"]["new"] == len(captured_items("2026-08-20")) + len(captured_items("2026-08-21"))
        assert hf["nextRunAt"], "the next run is planned"

        items = captured_items("2026-08-21")
        top = items[0]["paper"]
        home = get_text(f"{server.url}/")
        assert "Aug 21, 2026" in home and top["id"] in home
        page = get_text(f"{server.url}/papers/{top['id']}")
        assert top["id"] in page
        # Search, once the backfill has embedded the synced papers (no restart).
        while True:
            health = get_json(f"{server.url}/healthz")
            backfill = health["embeddingBackfill"]
            if health["search"]["indexedPapers"] == health["papers"] and backfill["embedded"] >= backfill["total"] \
                    and health["search"]["embeddedPapers"] == health["papers"]:
                break
            assert time.monotonic() < deadline + 120, health
            time.sleep(0.5)
        words = " ".join(top["title"].split()[:6])
        found = get_json(f"{server.url}/api/papers/search?q={urllib.parse.quote(words)}")
        assert top["id"] in [result["paper"]["id"] for result in found][:5]
        preview = get_text(f"{server.url}/digest/preview")
        assert any(item["paper"]["id"] in preview for item in items[:10])

        # huggingface_hub against Paperboy answers what the replay server sent, field for field.
        from huggingface_hub import HfApi
        api = HfApi(endpoint=server.url)
        ours = list(api.list_daily_papers(date="2026-08-21"))
        theirs = list(HfApi(endpoint=replay.url).list_daily_papers(date="2026-08-21"))
        assert [paper.id for paper in ours] == [paper.id for paper in theirs]
        assert [vars(paper) for paper in ours] == [vars(paper) for paper in theirs]
    finally:
        server.stop()


def test_with_no_reachable_upstream_the_server_serves_its_data_and_logs_the_outage_once(demo_database, tmp_path):
    copy = tmp_path / "offline.sqlite"
    copy.write_bytes(demo_database.read_bytes())
    log = tmp_path / "server.log"
    server = Server(copy, "--hf-endpoint", "http://127.0.0.1:9", "--hf-sync-interval", "1")
    try:
        deadline = time.monotonic() + 60
        while True:
            health = get_json(f"{server.url}/healthz")
            errors = {source["source"]: source.get("lastError") for source in health["sync"]["sources"]}
            if errors["hf-daily"]:
                break
            assert time.monotonic() < deadline, health
            time.sleep(0.2)
        assert "cannot reach" in errors["hf-daily"]["message"]
        assert "Daily Papers" in get_text(f"{server.url}/")
        assert get_json(f"{server.url}/api/daily_papers?limit=3")
        # A second attempt a minute later (within its jitter) fails too, and is not logged again.
        first = errors["hf-daily"]["at"]
        deadline = time.monotonic() + 150
        while True:
            hf = next(source for source in get_json(f"{server.url}/healthz")["sync"]["sources"]
                      if source["source"] == "hf-daily")
            if hf["lastError"]["at"] != first:
                break
            assert time.monotonic() < deadline, hf
            time.sleep(1)
    finally:
        server.stop()
    output = server.process.stderr.read() + server.process.stdout.read()
    log.write_text(output)
    outage_lines = [line for line in output.splitlines() if "sync hf-daily: the upstream cannot be reached" in line]
    assert len(outage_lines) == 1, outage_lines
