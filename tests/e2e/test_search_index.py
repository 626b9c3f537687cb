"""The search index file: a restarted server reads it instead of rebuilding, and loads from the
database only what changed while it was stopped; a damaged file is rebuilt from the database."""
import json
import urllib.parse
import urllib.request

from conftest import DEMO, Server, run_paperboy


def health(server: Server) -> dict:
    with urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as response:
        return json.load(response)


def search_ids(server: Server, query: str) -> list[str]:
    url = f"{server.url}/api/papers/search?" + urllib.parse.urlencode({"q": query, "mode": "lexical"})
    with urllib.request.urlopen(url, timeout=10) as response:
        return [item["paper"]["id"] for item in json.load(response)]


def test_a_restart_reads_the_index_file_and_loads_what_was_imported_meanwhile(tmp_path):
    database = tmp_path / "db.sqlite"
    index = tmp_path / "db.sqlite.search-index"
    assert run_paperboy("import", "hf-daily", str(DEMO), "--database", str(database)).returncode == 0

    server = Server(database)
    first = health(server)["search"]
    assert first["loadedFrom"] == "store"
    assert server.stop() == 0
    assert index.exists(), "written after the rebuild and at shutdown"

    # Imported while no server runs.
    listing = tmp_path / "new.jsonl"
    listing.write_text(json.dumps({"id": "2607.00001", "title": "Zymurgical lattices for index files",
                                   "authors": ["A. Writer"], "categories": ["cs.IR"],
                                   "summary": "A paper imported while the server was stopped."}) + "\n")
    imported = run_paperboy("import", "arxiv-jsonl", str(listing), "--database", str(database))
    assert imported.returncode == 0, imported.stderr

    restarted = server.again()
    try:
        second = health(restarted)["search"]
        assert second["loadedFrom"] == "file"
        assert second["indexedPapers"] == first["indexedPapers"] + 1
        assert second["embeddedPapers"] >= first["embeddedPapers"]
        assert search_ids(restarted, "zymurgical lattices")[:1] == ["2607.00001"]
    finally:
        assert restarted.stop() == 0

    # A damaged file is not trusted: the index is rebuilt from the database, whole.
    data = bytearray(index.read_bytes())
    data[len(data) // 2] ^= 0xFF
    index.write_bytes(bytes(data))
    rebuilt = server.again()
    try:
        third = health(rebuilt)["search"]
        assert third["loadedFrom"] == "store"
        assert third["indexedPapers"] == second["indexedPapers"]
        assert search_ids(rebuilt, "zymurgical lattices")[:1] == ["2607.00001"]
    finally:
        assert rebuilt.stop() == 0


def test_search_index_off_keeps_no_file(tmp_path):
    database = tmp_path / "db.sqlite"
    assert run_paperboy("import", "hf-daily", str(DEMO), "--database", str(database)).returncode == 0
    server = Server(database, "--search-index", "off")
    try:
        assert health(server)["search"]["loadedFrom"] == "store"
    finally:
        assert server.stop() == 0
    assert not (tmp_path / "db.sqlite.search-index").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if "search-index" in p.name) == []
