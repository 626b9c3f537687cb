"""Collections end to end: made and filled through the JSON API with a token, then exported
and read back by real parsers (bibtexparser, rispy, json), field by field, against the papers
as the API serves them: title, authors in order, year, arXiv id, URL."""
import json
import re
import shutil

import bibtexparser
import pytest
import rispy
from bibtexparser import middlewares

from conftest import Server, demo_items
from test_hardening import api_token, request, sign_up


@pytest.fixture(scope="module")
def library(demo_database, tmp_path_factory):
    database = tmp_path_factory.mktemp("collections") / "demo.sqlite"
    shutil.copy(demo_database, database)
    server = Server(database)
    yield server
    server.stop()


def api(server, method, path, payload=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    status, _, data = request(server, method, path, json.dumps(payload) if payload is not None else None, headers)
    return status, (json.loads(data) if data else None)


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def decoded(text: str) -> str:
    """A BibTeX value as pylatexenc decodes it, with its one quirk undone: it turns
    `\\textasciicircum{}` (LaTeX's literal ^, which the export writes) into U+02C6."""
    return collapse(text.replace("\u02c6", "^"))


def awkward_papers(count=4):
    """Demo papers whose titles or authors test escaping: TeX specials, accents, many authors."""
    papers, seen = [], set()
    items = [item for day in sorted(demo_items(), reverse=True) for item in demo_items()[day]]
    def score(item):
        paper = item["paper"]
        text = paper["title"] + " ".join(a["name"] for a in paper["authors"])
        return (any(c in text for c in "&%$#_{}~^\\"), any(ord(c) > 127 for c in text), len(paper["authors"]))
    for item in sorted(items, key=score, reverse=True):
        if item["paper"]["id"] not in seen and item["paper"].get("publishedAt"):
            seen.add(item["paper"]["id"])
            papers.append(item["paper"]["id"])
        if len(papers) == count:
            break
    return papers


def served(server, paper_id):
    status, paper = api(server, "GET", f"/api/papers/{paper_id}")
    assert status == 200
    return paper


def test_a_collection_exports_to_bibtex_ris_and_csl_json_that_real_parsers_read(library):
    token = api_token(library, sign_up(library, "librarian"))
    status, collection = api(library, "POST", "/api/collections", {"name": "Exports", "isPublic": True}, token)
    assert status == 201
    ids = awkward_papers()
    for index, paper_id in enumerate(ids):
        status, _ = api(library, "POST", f"/api/collections/{collection['id']}/papers",
                        {"paperId": paper_id, "note": f"note {index} & 100%"}, token)
        assert status == 201
    expected = [served(library, paper_id) for paper_id in ids]

    status, headers, bib = request(library, "GET", f"/collections/{collection['id']}.bib")
    assert status == 200 and headers["Content-Type"].startswith("application/x-bibtex")
    parsed = bibtexparser.parse_string(bib.decode(), append_middleware=[
        middlewares.LatexDecodingMiddleware(), middlewares.SeparateCoAuthors(), middlewares.SplitNameParts()])
    assert parsed.failed_blocks == []
    assert len(parsed.entries) == len(ids)
    assert len({entry.key for entry in parsed.entries}) == len(ids), "unique citation keys"
    for entry, paper in zip(parsed.entries, expected):
        fields = {name: field.value for name, field in entry.fields_dict.items()}
        assert entry.entry_type == "misc"
        assert decoded(fields["title"]) == collapse(paper["title"])
        names = [" ".join(part.first + part.von + part.last + part.jr) for part in fields["author"]]
        assert names == [collapse(a["name"]) for a in paper["authors"]]
        assert fields["year"] == paper["publishedAt"][:4]
        assert fields["eprint"] == paper["id"]
        assert fields["archivePrefix"] == "arXiv"
        assert fields["url"] == f"https://arxiv.org/abs/{paper['id']}"
        assert fields["note"].startswith("note ") and fields["note"].endswith("& 100%")

    status, _, ris = request(library, "GET", f"/collections/{collection['id']}.ris")
    records = rispy.loads(ris.decode())
    assert len(records) == len(ids)
    for record, paper in zip(records, expected):
        assert record["type_of_reference"] == "UNPB"
        assert collapse(record["title"]) == collapse(paper["title"])
        assert [" ".join(reversed(name.split(", ", 1))) for name in record["authors"]] == [collapse(a["name"]) for a in paper["authors"]]
        assert record["year"] == paper["publishedAt"][:4]
        assert record["urls"] == [f"https://arxiv.org/abs/{paper['id']}"]
        assert record["accession_number"] == f"arXiv:{paper['id']}"
        assert record["doi"] == f"10.48550/arXiv.{paper['id']}"

    status, _, csl = request(library, "GET", f"/collections/{collection['id']}.csl.json")
    items = json.loads(csl)
    assert [item["number"] for item in items] == ids
    for item, paper in zip(items, expected):
        assert item["title"] == collapse(paper["title"])
        assert [" ".join(filter(None, [a.get("given"), a.get("family"), a.get("literal")])) for a in item["author"]] == \
            [collapse(a["name"]) for a in paper["authors"]]
        assert item["issued"]["date-parts"][0][0] == int(paper["publishedAt"][:4])
        assert item["URL"] == f"https://arxiv.org/abs/{paper['id']}"

    # A single paper, as on its page.
    status, _, single = request(library, "GET", f"/papers/{ids[0]}.bib")
    one = bibtexparser.parse_string(single.decode()).entries
    assert [entry.fields_dict["eprint"].value for entry in one] == [ids[0]]


def test_private_collections_are_the_owners_alone(library):
    token = api_token(library, sign_up(library, "private-owner"))
    status, collection = api(library, "POST", "/api/collections", {"name": "Mine"}, token)
    assert status == 201 and collection["isPublic"] is False
    for path in (f"/collections/{collection['id']}", f"/collections/{collection['id']}.bib", f"/api/collections/{collection['id']}"):
        assert request(library, "GET", path)[0] == 404, path
    assert api(library, "GET", f"/api/collections/{collection['id']}", token=token)[0] == 200
