"""Configuration as an operator meets it: flags over environment over config file over defaults,
`paperboy config` with secrets masked, and the README's table of settings being the catalog's."""
import json
import os
import re
import subprocess

from conftest import ROOT, free_port, paperboy_binary, run_paperboy, wait_until_healthy

BEGIN, END = "<!-- config-table:begin -->", "<!-- config-table:end -->"


def clean_environment(**variables) -> dict:
    """The caller's environment without its PAPERBOY_* settings, plus `variables`."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PAPERBOY_")}
    return {**environment, **variables}


def effective(*args, **variables) -> dict:
    """`paperboy config` as {setting: (value, source)}."""
    result = run_paperboy("config", *args, env=clean_environment(**variables))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.split(r"\s{2,}", lines[0]) == ["setting", "value", "from"], lines[0]
    rows = [re.split(r"\s{2,}", line.rstrip()) for line in lines[1:]]
    assert all(len(row) == 3 for row in rows), rows
    return {key: (value, source) for key, value, source in rows}


def failure(*args, **variables) -> str:
    """The one line a command that must fail prints."""
    result = run_paperboy(*args, env=clean_environment(**variables))
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def documented_table() -> list:
    """The README's rows: [setting, flag, environment, default, read by, what it is]."""
    readme = (ROOT / "README.md").read_text()
    table = readme.split(BEGIN)[1].split(END)[0]
    return [[cell.strip().strip("`") for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in table.strip().splitlines()[2:]]


def test_the_readme_table_is_the_catalog():
    readme = (ROOT / "README.md").read_text()
    assert readme.count(BEGIN) == 1 and readme.count(END) == 1
    generated = run_paperboy("config", "--markdown")
    assert generated.returncode == 0, generated.stderr
    assert readme.split(BEGIN)[1].split(END)[0].strip() == generated.stdout.strip(), \
        "README.md's table differs from `paperboy config --markdown`: run `make readme-config`"


def test_help_names_the_environment_variable_and_the_default():
    result = run_paperboy("serve", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "Port to listen on (env PAPERBOY_PORT, default 8080)." in text
    assert "(env PAPERBOY_SMTP_URL, default none: no mail is sent)." in text


def test_a_flag_beats_the_environment_which_beats_the_file_which_beats_the_default(tmp_path):
    config = tmp_path / "paperboy.json"
    config.write_text(json.dumps({"submissions-per-day": 7, "hostname": "0.0.0.0"}))

    assert effective()["submissions-per-day"] == ("5", "default")
    assert effective("--config", str(config))["submissions-per-day"] == ("7", f"file {config}")
    from_environment = effective("--config", str(config), PAPERBOY_SUBMISSIONS_PER_DAY="8")
    assert from_environment["submissions-per-day"] == ("8", "env PAPERBOY_SUBMISSIONS_PER_DAY")
    assert from_environment["hostname"] == ("0.0.0.0", f"file {config}"), "the file still gives what the environment does not"
    from_flag = effective("--config", str(config), "--submissions-per-day", "9", PAPERBOY_SUBMISSIONS_PER_DAY="8")
    assert from_flag["submissions-per-day"] == ("9", "flag --submissions-per-day")

    # The file can be named in the environment too.
    named_by_environment = effective(PAPERBOY_CONFIG=str(config))
    assert named_by_environment["config"] == (str(config), "env PAPERBOY_CONFIG")
    assert named_by_environment["submissions-per-day"] == ("7", f"file {config}")


def test_every_documented_environment_variable_is_read(tmp_path):
    config = tmp_path / "empty.json"
    config.write_text("{}")
    valid = {"log-level": "debug", "digest-time": "08:00", "trusted-proxies": "127.0.0.1", "metrics-port": "9100", "config": str(config),
             "arxiv-sync-time": "04:00", "oai-metadata-prefix": "arXivRaw", "hf-endpoint": "http://127.0.0.1:9",
             "oai-endpoint": "http://127.0.0.1:9"}
    rows = documented_table()
    assert len(rows) > 20
    defaults = effective()
    variables = {}
    for key, _, variable, _, _, _ in rows:
        assert variable == "PAPERBOY_" + key.upper().replace("-", "_"), variable
        variables[variable] = valid.get(key, "7" if defaults[key][0].isdigit() else "x")
    shown = effective(**variables)
    for key, _, variable, _, _, _ in rows:
        assert shown[key][1] == f"env {variable}", (key, shown[key])


def test_secrets_are_masked(tmp_path):
    config = tmp_path / "secrets.json"
    config.write_text(json.dumps({"metrics-token": "s3cret-token"}))
    shown = effective("--config", str(config), PAPERBOY_SMTP_URL="smtps://digest:hunter2@mail.example.org:465?starttls=off")
    assert shown["smtp-url"] == ("smtps://digest:****@mail.example.org:465?starttls=off", "env PAPERBOY_SMTP_URL")
    assert shown["metrics-token"] == ("****", f"file {config}")
    as_flags = run_paperboy("config", "--metrics-token", "s3cret-token", "--smtp-url", "smtp://a:hunter2@localhost:25",
                            env=clean_environment())
    assert "hunter2" not in as_flags.stdout and "s3cret-token" not in as_flags.stdout
    assert "smtp://a:****@localhost:25" in as_flags.stdout


def test_a_bad_config_file_stops_with_one_line(tmp_path):
    missing = tmp_path / "missing.json"
    assert f"config file {missing} does not exist" in failure("config", "--config", str(missing))
    assert f"config file {missing} does not exist" in failure("import", "hf-daily", str(tmp_path), PAPERBOY_CONFIG=str(missing))

    broken = tmp_path / "broken.json"
    broken.write_text('{"port": 80,')
    assert f"config file {broken} is not valid JSON" in failure("config", "--config", str(broken))

    listing = tmp_path / "list.json"
    listing.write_text("[1, 2]")
    assert f"config file {listing} must hold one JSON object" in failure("config", "--config", str(listing))

    typo = tmp_path / "typo.json"
    typo.write_text(json.dumps({"prot": 8080}))
    assert f"config file {typo}: no setting is called “prot”" in failure("config", "--config", str(typo))

    wrong_type = tmp_path / "wrong.json"
    wrong_type.write_text(json.dumps({"port": "eighty"}))
    assert f"“port” in {wrong_type} must be a whole number" in failure("serve", "--config", str(wrong_type))

    out_of_range = tmp_path / "range.json"
    out_of_range.write_text(json.dumps({"digest-papers": 100}))
    assert f"“digest-papers” in {out_of_range} must be 1 to 50" in failure("config", "--config", str(out_of_range))


def test_bad_values_are_named_as_given():
    assert "PAPERBOY_PORT must be a whole number" in failure("serve", PAPERBOY_PORT="eighty")
    assert "PAPERBOY_PORT must be 0 to 65535" in failure("serve", PAPERBOY_PORT="70000")
    assert "PAPERBOY_DIGEST_TIME must be HH:MM (UTC) or off" in failure("serve", PAPERBOY_DIGEST_TIME="7am")
    # A flag's mistake is a usage error, as before.
    flag = run_paperboy("serve", "--port", "70000", env=clean_environment())
    assert flag.returncode != 0 and "--port must be 0 to 65535" in flag.stderr


def test_a_command_ignores_settings_it_does_not_read(tmp_path):
    day = sorted((ROOT / "data" / "demo").glob("*.json"))[-1]
    result = run_paperboy("import", "hf-daily", str(day), "--database", str(tmp_path / "x.sqlite"),
                          env=clean_environment(PAPERBOY_PORT="eighty"))
    assert result.returncode == 0, result.stderr


def test_serve_listens_where_the_config_file_says(tmp_path):
    port = free_port()
    config = tmp_path / "paperboy.json"
    config.write_text(json.dumps({"port": port, "database": str(tmp_path / "x.sqlite"), "log-level": "warning"}))
    process = subprocess.Popen([paperboy_binary(), "serve", "--config", str(config), "--no-embed"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_environment())
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process)
        assert (tmp_path / "x.sqlite").exists()
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0
