"""The command line as an operator meets it: exit codes, summaries, rejections, shutdown."""
import pathlib
import re
import shutil

from conftest import DEMO, Server, run_paperboy

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


def test_database_path_comes_from_the_environment(tmp_path):
    import os
    database = tmp_path / "from-env.sqlite"
    one_day = sorted(DEMO.glob("*.json"))[-1]
    result = run_paperboy("import", "hf-daily", str(one_day), env={**os.environ, "PAPERBOY_DATABASE": str(database)})
    assert result.returncode == 0, result.stderr
    assert database.exists()


def test_every_command_has_help():
    for command in [[], ["serve"], ["import"], ["import", "hf-daily"], ["import", "arxiv-jsonl"]]:
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
