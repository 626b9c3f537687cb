"""A screenshot tour: full-page PNGs of every kind of page at desktop (1280 px) and phone
(375 px) width, with an index.html of captions, for a person to look through.

They land in $PAPERBOY_SCREENSHOTS, else <repo>/var/screenshots/tour/ (var/ is git-ignored);
open index.html there. To add a page, add a line to TOUR; a page that needs something made
first (as the discussion and the collection are) gets it made in `prepare` and its id put in
the context.
"""
import datetime
import html
import os
import pathlib
import struct

from selenium.webdriver.common.by import By

from browser import KNOWN_DEFECTS, demo_pages
from conftest import ROOT

FOLDER = pathlib.Path(os.environ.get("PAPERBOY_SCREENSHOTS") or ROOT / "var" / "screenshots" / "tour")
WIDTHS = (1280, 375)
MAX_HEIGHT = 6000

# (file name, caption, path): the path is formatted with the context `prepare` returns.
TOUR = [
    ("home", "Home: the latest day of the Daily Papers feed", "/"),
    ("day", "A day of the feed ({day})", "/papers/date/{day}"),
    ("paper", "A paper page, upvoted by the tour's reader", "/papers/{paper}"),
    ("profile", "The reader's profile after signing up and upvoting", "/u/{user}"),
    ("search", "Search for “diffusion”", "/search?q=diffusion"),
    ("trending", "Trending papers", "/papers/trending"),
    ("paper-discussion", "A paper with a discussion: a comment in Markdown and a reply from a second reader",
     "/papers/{discussed_paper}#discussion"),
    ("collection", "A public collection of 3 papers with a note, as its owner sees it", "/collections/{collection}"),
    ("collections", "The reader's collections (/collections, signed in)", "/collections"),
]


COMMENT = """Nice result. Two questions about **the ablations**:

1. Does the gain hold at _7B_?
2. Which `lr` schedule was used?

> We leave scaling to future work.

See [the appendix](https://arxiv.org/) too."""
REPLY = "It does: table 3, with a **cosine** schedule."


def prepare(browser, base_url: str, second=None) -> dict:
    """Signs a reader up through the form and upvotes a paper; starts a discussion on another
    (a comment in Markdown, and a reply from `second`, a second reader's driver, when given);
    makes a public collection of three papers with a note. All through the pages' forms, as
    readers would. Returns the context the tour's paths are formatted with."""
    pages = demo_pages(base_url)
    context = {"day": pages["day"], "paper": pages["papers"][4], "discussed_paper": pages["papers"][5]}
    context["user"] = browser.sign_up(display_name="Tour Reader")
    browser.open("/papers/{paper}".format(**context))
    browser.click_upvote()

    browser.open("/papers/{discussed_paper}".format(**context))
    form = browser.find("form#new-comment")
    form.find_element(By.NAME, "body").send_keys(COMMENT)
    browser.click_through(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    comment = browser.current_url.rsplit("#comment-", 1)[1]
    if second is not None:
        second.sign_up()
        second.open("/papers/{discussed_paper}".format(**context))
        reply = second.open_details("details.reply", within=second.find(f"#comment-{comment}").find_element(
            By.XPATH, "./ancestor::li[contains(@class, 'thread')]"))
        reply.find_element(By.NAME, "body").send_keys(REPLY)
        second.click_through(reply.find_element(By.CSS_SELECTOR, "button[type=submit]"))

    browser.open("/collections")
    form = browser.find("section.collections-page form.account-form")
    form.find_element(By.NAME, "name").send_keys("Tour: efficient training")
    form.find_element(By.NAME, "description").send_keys("Papers the tour's reader means to read this week.")
    form.find_element(By.CSS_SELECTOR, "input[type=checkbox][name=visibility]").click()
    browser.click_through(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    context["collection"] = browser.path().rsplit("/", 1)[1]
    for paper in pages["papers"][10:13]:
        add = browser.find('section.collection-page form[action$="/papers"]')
        add.find_element(By.NAME, "paper").send_keys(paper)
        browser.click_through(add.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    note = browser.open_details("details.note-edit")
    note.find_element(By.NAME, "note").send_keys("Start here: the clearest of the three.")
    browser.click_through(note.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "li.collection-item")) == 3
    assert browser.find("a.share-url").is_displayed(), "the collection is public"
    return context


def png_size(path: pathlib.Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def write_index(shots: list[dict], context: dict):
    rows = []
    for name, caption, path in TOUR:
        caption, path = caption.format(**context), path.format(**context)
        cells = []
        for width in WIDTHS:
            shot = next(s for s in shots if s["name"] == name and s["width"] == width)
            cells.append(f'<figure><a href="{shot["file"]}"><img src="{shot["file"]}" width="{shot["thumb"]}" '
                         f'alt="{html.escape(caption)} at {width} px" loading="lazy"></a>'
                         f'<figcaption>{width} × {shot["height"]} px</figcaption></figure>')
        rows.append(f'<section><h2>{html.escape(caption)}</h2><p><code>{html.escape(path)}</code></p>'
                    f'<div class="shots">{"".join(cells)}</div></section>')
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    (FOLDER / "index.html").write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Paperboy screenshot tour</title>
<style>
body {{ font: 15px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }}
section {{ margin-bottom: 3rem; }} .shots {{ display: flex; gap: 2rem; align-items: flex-start; }}
figure {{ margin: 0; }} figcaption {{ color: #666; }}
img {{ border: 1px solid #ccc; height: auto; max-height: 900px; object-fit: cover; object-position: top; }}
</style></head><body>
<h1>Paperboy screenshot tour</h1>
<p>Taken {stamp} by tests/e2e/test_screenshot_tour.py, signed in as <code>{html.escape(context["user"])}</code>,
at {" and ".join(f"{w} px" for w in WIDTHS)} wide; full pages up to {MAX_HEIGHT} px tall. Long pages are cut here; click a picture for the full page.</p>
{"".join(rows)}
</body></html>
""")


def test_screenshot_tour(browser, browser_factory, browser_server):
    context = prepare(browser, browser_server.url, second=browser_factory())
    browser.clear_console()
    FOLDER.mkdir(parents=True, exist_ok=True)
    shots, errors = [], {}
    for width in WIDTHS:
        browser.resize(width, 900)
        for name, _, path in TOUR:
            browser.open(path.format(**context))
            browser.find("main")
            file = f"{name}-{width}.png"
            size = browser.full_page_screenshot(FOLDER / file, max_height=MAX_HEIGHT)
            assert png_size(FOLDER / file) == (size["width"], size["height"]), file
            assert (FOLDER / file).stat().st_size > 5000, f"{file} looks blank"
            shots.append({"name": name, "width": width, "file": file, "height": size["height"],
                          "thumb": 480 if width > 375 else 188})
            found = browser.console_errors(KNOWN_DEFECTS.values())
            if found:
                errors[f"{path} at {width}px"] = [str(error) for error in found]
            browser.clear_console()
    write_index(shots, context)
    assert not errors, "console errors:\n" + "\n".join(f"{page}: {e}" for page, e in errors.items())
