"""End-to-end fixtures: a real `paperboy` binary, a real SQLite file, a real HTTP server."""
import json
import os
import pathlib
import signal
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
SHARED_DATA = pathlib.Path(os.environ.get("PAPERBOY_SHARED_DATA", ROOT.parent / "shared" / "data"))

# Servers started by these tests never reach for the real Hugging Face or arXiv: the syncs
# are off unless a test turns them on with flags (which win over the environment), pointed at
# the replay server.
os.environ["PAPERBOY_HF_SYNC_INTERVAL"] = "off"
os.environ["PAPERBOY_ARXIV_SYNC_TIME"] = "off"


def paperboy_binary() -> str:
    # Absolute: some servers start in a directory of their own.
    return os.path.abspath(os.environ.get("PAPERBOY_BIN", str(ROOT / ".build" / "debug" / "paperboy")))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_paperboy(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([paperboy_binary(), *args], capture_output=True, text=True, timeout=600, **kwargs)


def wait_until_healthy(url: str, process: subprocess.Popen, deadline_s: float = 60) -> None:
    """Polls /healthz until the server answers (start-up takes a moment)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early: {process.stderr.read()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not become healthy")


class Server:
    def __init__(self, database: pathlib.Path | str, *extra_args: str, cwd=None, port=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.arguments = (database, *extra_args)
        self.cwd = cwd
        self.process = subprocess.Popen(
            [paperboy_binary(), "serve", "--port", str(self.port), "--database", str(database), *extra_args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)
        wait_until_healthy(self.url, self.process)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)

    def again(self) -> "Server":
        """The same server started anew on the same port (after it stopped or was killed)."""
        return Server(*self.arguments, cwd=self.cwd, port=self.port)


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> pathlib.Path:
    database = tmp_path_factory.mktemp("db") / "demo.sqlite"
    result = run_paperboy("import", "hf-daily", str(DEMO), "--database", str(database))
    assert result.returncode == 0, result.stderr
    return database


@pytest.fixture(scope="session")
def server(demo_database):
    running = Server(demo_database)
    yield running
    running.stop()


def demo_items():
    """The demo data as the Hugging Face API gave it, read without Paperboy: {day: [items]}."""
    days = {}
    for path in sorted(DEMO.glob("*.json")):
        data = json.loads(path.read_text())
        if isinstance(data, dict):
            data = data["data"]
        days[path.stem] = [item for item in data if isinstance(item, dict)]
    return days


class Replay:
    """`upstream-replay` (built beside paperboy) on a free port, serving recorded upstream answers;
    its request log is collected line by line."""

    def __init__(self, *args: str):
        binary = pathlib.Path(paperboy_binary()).with_name("upstream-replay")
        self.process = subprocess.Popen([str(binary), "--port", "0", *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.port = None
        threading.Thread(target=self._read, daemon=True).start()
        assert self.ready.wait(30), "upstream-replay did not start"
        self.url = f"http://127.0.0.1:{self.port}"

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("listening on "):
                self.port = int(line.strip().rsplit(":", 1)[1])
                self.ready.set()

    def requests(self, fragment: str) -> list[str]:
        return [line for line in list(self.lines) if " GET " in line and fragment in line]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


# Selenium-driven headless Chromium (tests/e2e/browser.py): browser_server, browser_factory, browser.
from browser import browser, browser_factory, browser_server  # noqa: E402,F401
