"""Debian's headless Chromium loads pages at phone width: no console errors, not blank."""
import shutil
import subprocess
import urllib.request

import pytest

from png import distinct_colours

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def load(url: str, screenshot, width: int = 375, height: int = 812):
    """Loads a page in headless Chromium; returns (console lines, PNG bytes)."""
    result = subprocess.run(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--no-first-run", "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0",
         f"--window-size={width},{height}", f"--screenshot={screenshot}", url],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line or ":CONSOLE(" in line]
    return console, screenshot.read_bytes()


pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by scripts/setup-test.sh")


def test_console_errors_are_detected(tmp_path):
    """The detector itself: a page that logs an error must be caught."""
    page = tmp_path / "broken.html"
    page.write_text("<p>x</p><script>console.error('boom'); undefinedFunction();</script>")
    console, _ = load(page.as_uri(), tmp_path / "broken.png")
    assert any("boom" in line for line in console), console


def test_front_page_at_375px(server, tmp_path):
    console, png = load(server.url + "/", tmp_path / "front.png")
    assert console == []
    assert distinct_colours(png) > 20, "the screenshot is blank"


def test_paper_page_at_375px(server, tmp_path):
    with urllib.request.urlopen(server.url + "/api/daily_papers?limit=1") as response:
        import json
        paper_id = json.load(response)[0]["paper"]["id"]
    console, png = load(f"{server.url}/papers/{paper_id}", tmp_path / "paper.png")
    assert console == []
    assert distinct_colours(png) > 20, "the screenshot is blank"


def test_signup_and_login_pages_at_375px(server, tmp_path):
    for path in ("/signup", "/login", "/search?q=agents"):
        console, png = load(server.url + path, tmp_path / "page.png")
        assert console == [], path
        assert distinct_colours(png) > 20, path
