"""Collections done by a reader in a real browser (headless Chromium through Selenium): save a
paper from its page into a new collection, save another through the select, reorder, annotate,
make it public; then the share URL as a logged-out reader, the BibTeX export, and the pages on a
phone (375 px)."""
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from browser import KNOWN_DEFECTS, demo_pages, unique_name

IGNORED = tuple(KNOWN_DEFECTS.values())
# Papers no other browser test writes on (see test_browser_discussions.PAPER_INDEX).
PAPER_INDEXES = (8, 9)


def item(paper: str) -> str:
    """CSS for a paper's entry on a collection page (an arXiv id's dot cannot go after #)."""
    return f'li.collection-item[id="paper-{paper}"]'


def item_order(driver) -> list[str]:
    """The collection page's papers, top to bottom, as arXiv ids."""
    return [li.get_attribute("id").removeprefix("paper-")
            for li in driver.find_elements(By.CSS_SELECTOR, "ol.collection-items > li.collection-item")]


def saved_in(driver) -> dict[str, str]:
    """The paper page's "In your collections" links: {name: href}."""
    return {a.text: a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "#save p a")}


def test_save_reorder_annotate_share_and_export_a_collection(browser_factory, browser_server):
    papers = demo_pages(browser_server.url)["papers"]
    first, second = (papers[i] for i in PAPER_INDEXES)
    reader = browser_factory(width=1280)
    reader.sign_up(unique_name("collector"))
    name = unique_name("Reading list ")

    # A reader with no collection saves the first paper into a new one, named in the text field.
    reader.open(f"/papers/{first}")
    save = reader.find("div.save#save form.save-form")
    assert save.find_elements(By.NAME, "collection") == [], "no collection yet: no select"
    save.find_element(By.CSS_SELECTOR, "input[type=text][name=name]").send_keys(name)
    reader.click_through(save.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert reader.path() == f"/papers/{first}"
    links = saved_in(reader)
    assert list(links) == [name], links
    collection_url = links[name]
    collection = collection_url.rsplit("/", 1)[1]
    assert collection.isdigit(), collection_url
    assert reader.find("#save a[href$='/save']").text == "Manage…"

    # The second paper goes in through the select, which now offers the collection.
    reader.open(f"/papers/{second}")
    save = reader.find("div.save#save form.save-form")
    assert save.find_elements(By.CSS_SELECTOR, "input[name=name]") == []
    choices = Select(save.find_element(By.NAME, "collection"))
    choices.select_by_visible_text(name)
    assert choices.first_selected_option.get_attribute("value") == collection
    reader.click_through(save.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert reader.path() == f"/papers/{second}" and list(saved_in(reader)) == [name]
    reader.assert_no_console_errors("saving from paper pages", ignore=IGNORED)

    # The collection page: saved order, then the second paper moved up.
    reader.open(f"/collections/{collection}")
    assert reader.find("section.collection-page h1").text == name
    assert item_order(reader) == [first, second]
    assert reader.find_elements(By.CSS_SELECTOR, f"{item(first)} button[aria-label='Move up']") == []
    reader.click_through(reader.find(f"{item(second)} button[aria-label='Move up']"))
    assert reader.path() == f"/collections/{collection}"
    assert item_order(reader) == [second, first]

    # A note on the paper now second.
    note = f"Read section 4 first ({name})."
    details = reader.open_details("details.note-edit", within=reader.find(f"{item(first)}"))
    details.find_element(By.NAME, "note").send_keys(note)
    reader.click_through(details.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert reader.find(f"{item(first)} p.note").text == note

    # Private until the settings make it public: then a share URL and an Atom link appear.
    assert reader.find_elements(By.CSS_SELECTOR, "a.share-url") == []
    settings = reader.open_details("details.collection-settings")
    box = settings.find_element(By.CSS_SELECTOR, "input[type=checkbox][name=visibility]")
    assert not box.is_selected()
    box.click()
    reader.click_through(settings.find_element(By.CSS_SELECTOR, "form.account-form button[type=submit]"))
    share = reader.find("a.share-url")
    share_url = share.get_attribute("href")
    assert share.text == share_url and share_url.endswith(f"/collections/{collection}"), share_url
    assert reader.find(f'.links a[href="/collections/{collection}.atom"]').text == "Atom"
    exports = {a.text: a.get_attribute("href") for a in
               reader.find_elements(By.CSS_SELECTOR, "section.collection-page .links a[href*='.']")
               if "share-url" not in (a.get_attribute("class") or "")}
    for label, suffix in (("BibTeX", ".bib"), ("RIS", ".ris"), ("CSL-JSON", ".csl.json")):
        assert exports.get(label, "").endswith(f"/collections/{collection}{suffix}"), exports
    reader.assert_no_console_errors("the collection page", ignore=IGNORED)

    # Anyone with the link: a logged-out reader sees both papers in the new order and the note,
    # and none of the owner's controls.
    stranger = browser_factory(width=1280)
    stranger.open(share_url)
    assert stranger.find("section.collection-page h1").text == name
    assert item_order(stranger) == [second, first]
    assert stranger.find(f"{item(first)} p.note").text == note
    assert stranger.find_elements(By.CSS_SELECTOR, ".item-actions, details.collection-settings, details.note-edit") == []
    stranger.assert_no_console_errors("the shared collection, logged out", ignore=IGNORED)

    # The BibTeX export, fetched from its link without cookies (the collection is public).
    with urllib.request.urlopen(exports["BibTeX"], timeout=30) as response:
        assert response.headers["Content-Type"].startswith("application/x-bibtex")
        bib = response.read().decode()
    assert bib.count("@misc{") == 2, bib
    lines = [line.strip().rstrip(",") for line in bib.splitlines()]
    assert f"eprint = {{{second}}}" in lines and f"eprint = {{{first}}}" in lines, bib
    assert lines.index(f"eprint = {{{second}}}") < lines.index(f"eprint = {{{first}}}"), "the export keeps the order"

    # On a phone: the collection page (owner's controls, its details open), the shared page,
    # /collections, and a paper page's save form and Manage page fit the width.
    problems = {}
    reader.resize(375, 900)
    stranger.resize(375, 900)
    owner_details = ("details.note-edit", "details.collection-settings")
    for driver, path, opened in ((reader, f"/collections/{collection}", owner_details),
                                 (stranger, f"/collections/{collection}", ()),
                                 (reader, "/collections", ()),
                                 (reader, f"/papers/{first}", ()),
                                 (reader, f"/papers/{first}/save", ())):
        driver.open(path)
        driver.find("main")
        for css in opened:
            driver.open_details(css)
        overflow = driver.horizontal_overflow()
        if overflow:
            problems[f"{path} ({'owner' if driver is reader else 'logged out'})"] = overflow
        for field in driver.find_elements(By.CSS_SELECTOR, "main textarea, main input[type=text], main select"):
            if field.is_displayed() and not driver.fits_viewport(field):
                problems[f"{path} field {field.get_attribute('name')}"] = driver.box(field)
    assert not problems, "\n".join(f"{page}: {problem}" for page, problem in problems.items())
    assert name in reader.find("section.collections-page ul.collections").text
    reader.assert_no_console_errors("collections at 375px", ignore=IGNORED)
    stranger.assert_no_console_errors("the shared collection at 375px", ignore=IGNORED)
