"""Discussions end to end: a real server on a copy of the demo data, readers signed up through
the forms, comments written through the API with a token, and read back by the real
`huggingface_hub` client, the JSON API and the Atom feed (parsed as XML)."""
import json
import shutil
import urllib.parse
import xml.etree.ElementTree as ElementTree

import pytest
from huggingface_hub import HfApi

from conftest import Server, demo_items
from test_hardening import FORM, api_token, csrf_of, request, sign_up

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def discussed(demo_database, tmp_path_factory):
    """A server of its own: comments change counts that other tests compare with the capture."""
    database = tmp_path_factory.mktemp("discussions") / "demo.sqlite"
    shutil.copy(demo_database, database)
    server = Server(database)
    yield server
    server.stop()


def paper_with_comments():
    """The newest captured item that Hugging Face says has comments: (day, item)."""
    days = demo_items()
    for day in sorted(days, reverse=True):
        for item in days[day]:
            if item.get("numComments", 0) > 0:
                return day, item
    raise AssertionError("the demo data has no commented paper")


def api(server, method, path, payload=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(payload) if payload is not None else None
    status, _, data = request(server, method, path, body, headers)
    return status, (json.loads(data) if data else None)


def test_comments_are_counted_by_huggingface_hub_and_served_by_the_api_and_atom(discussed):
    day, item = paper_with_comments()
    paper_id, captured = item["paper"]["id"], item["numComments"]
    hub = HfApi(endpoint=discussed.url)
    assert hub.paper_info(paper_id).comments == captured, "before: Hugging Face's count"

    token = api_token(discussed, sign_up(discussed, "commenter"))
    status, comment = api(discussed, "POST", f"/api/papers/{paper_id}/comments",
                          {"text": "Does the **ablation** hold at 7B? <script>alert(1)</script>"}, token)
    assert status == 201, comment
    status, reply = api(discussed, "POST", f"/api/papers/{paper_id}/comments",
                        {"text": "It does, see table 3.", "parentId": comment["id"]}, token)
    assert status == 201 and reply["parentId"] == comment["id"]
    assert api(discussed, "POST", f"/api/papers/{paper_id}/comments", {"text": "no token"})[0] == 401

    assert hub.paper_info(paper_id).comments == captured + 2
    listed = {p.id: p for p in hub.list_daily_papers(date=day, limit=100)}
    assert listed[paper_id].comments == captured + 2

    status, discussion = api(discussed, "GET", f"/api/papers/{paper_id}/comments")
    assert status == 200
    assert discussion["numComments"] == 2
    [thread] = discussion["comments"]
    assert thread["author"]["user"] == "commenter"
    assert "<strong>ablation</strong>" in thread["html"] and "<script>" not in thread["html"]
    assert [r["text"] for r in thread["replies"]] == ["It does, see table 3."]

    status, headers, atom = request(discussed, "GET", f"/papers/{paper_id}/comments.atom")
    assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(atom)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == [
        "commenter: It does, see table 3.", "commenter: Does the ablation hold at 7B? <script>alert(1)</script>"]
    assert entries[1].find(f"{ATOM}content").get("type") == "html"
    assert "<strong>ablation</strong>" in entries[1].find(f"{ATOM}content").text

    status, _, page = request(discussed, "GET", f"/papers/{paper_id}")
    assert f"{captured + 2} comment".encode() in page
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page and b"<script>alert(1)" not in page


def test_a_comment_form_posts_and_redirects_to_the_comment(discussed):
    _, item = paper_with_comments()
    paper_id = item["paper"]["id"]
    session = sign_up(discussed, "formwriter")
    status, _, page = request(discussed, "GET", f"/papers/{paper_id}", headers={"Cookie": session})
    assert b'id="new-comment"' in page
    body = urllib.parse.urlencode({"csrf": csrf_of(page), "body": "Written in the _form_."})
    status, headers, _ = request(discussed, "POST", f"/papers/{paper_id}/comments", body, {**FORM, "Cookie": session})
    assert status == 303
    assert headers["Location"].startswith(f"/papers/{paper_id}#comment-")
    status, _, page = request(discussed, "GET", f"/papers/{paper_id}")
    assert b"Written in the <em>form</em>." in page
